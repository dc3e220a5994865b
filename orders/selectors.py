"""Reads of orders."""

import datetime
import functools
from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import Count, QuerySet
from django.utils import timezone
from django.utils.translation import gettext

from appointments.models import AppointmentType
from customers.models import Customer, InsuranceProvider, person_name
from opticrm.lib.dates import start_of_day
from opticrm.lib.models import one_or_none
from opticrm.lib.prepared import Prepared
from orders import gkv, rules
from orders.models import (
    OPEN_STATUSES,
    OVERDUE_STATUSES,
    FixedAmount,
    Kind,
    LensType,
    LineKind,
    Order,
    OrderLine,
    Status,
)
from prescriptions.models import CURRENT, Refraction
from prescriptions.optics import format_dioptre
from products.models import ADDITION_DESIGNS


def default_refraction(customer_id: int) -> Refraction | None:
    """What new glasses are made for unless chosen otherwise: the newest
    current subjective refraction, else the newest ophthalmologist's
    prescription; never silently an autorefractor's or the old glasses'."""
    current = Refraction.objects.filter(CURRENT, customer_id=customer_id).order_by("-date", "-id")
    return (
        current.filter(kind=Refraction.Kind.SUBJECTIVE).first()
        or current.filter(kind=Refraction.Kind.EXTERNAL).first()
    )


def order_lines(order_id: int) -> QuerySet[OrderLine]:
    return OrderLine.objects.filter(order_id=order_id).order_by("position")


def customer_orders(customer_id: int) -> QuerySet[Order]:
    return Order.objects.filter(customer_id=customer_id).order_by("-created_at", "-id")


# The customer page's orders: the newest 20, and whether there are more.
CUSTOMER_PAGE_ORDERS = 20
_CUSTOMER_PAGE_ORDERS = Prepared(
    lambda customer_id: customer_orders(customer_id).only(
        "id", "kind", "status", "created_at", "promised_date"
    )[: CUSTOMER_PAGE_ORDERS + 1]
)


def customer_page_orders(customer_id: int) -> list[Order]:
    """The newest CUSTOMER_PAGE_ORDERS + 1 orders of the customer (the one
    more says there are more), compiled once per process."""
    return list(_CUSTOMER_PAGE_ORDERS(customer_id))


def customer_open_orders(customer_id: int) -> QuerySet[Order]:
    return customer_orders(customer_id).filter(status__in=OPEN_STATUSES)


def fixed_amount_rows() -> list[FixedAmount]:
    """Every row of every table (small: a few dozen per year), read once
    for a page or a list of orders of different days."""
    return list(FixedAmount.objects.order_by("-valid_from"))


def fixed_amounts_in_force(day, rows: list[FixedAmount] | None = None) -> list[FixedAmount]:
    """The rows of the newest table valid on ``day``, per lens type (of
    ``rows``: fixed_amount_rows, or read now)."""
    if rows is None:
        rows = list(FixedAmount.objects.filter(valid_from__lte=day).order_by("-valid_from"))
    valid = [row for row in rows if row.valid_from <= day]
    newest: dict[str, datetime.date] = {}
    for row in valid:
        newest.setdefault(row.lens_type, row.valid_from)
    return [row for row in valid if row.valid_from == newest[row.lens_type]]


def fixed_amount(
    *, lens_type: str, eye: dict, day, table: list[FixedAmount] | None = None
) -> FixedAmount | None:
    """The insurer's fixed amount for one lens of ``eye``'s power (an
    order's prescription copy), as valid on ``day``: among the rows of the
    newest table in force (``table``: fixed_amounts_in_force, read once
    per page), the narrowest covering the power and cylinder (neighbouring
    ranges may share their end, 0–4 and 4–8: the lower row takes it, and a
    power of 4,125 the upper)."""
    powers = gkv.meridians(eye)
    if powers is None:
        return None
    strongest = max(abs(power) for power in powers)
    cylinder = abs(powers[1] - powers[0])
    rows = fixed_amounts_in_force(day) if table is None else table
    covering = [
        row
        for row in rows
        if row.lens_type == lens_type
        and row.power_from <= strongest <= row.power_to
        and cylinder <= row.cylinder_to
    ]
    return min(covering, key=lambda row: (row.cylinder_to, row.power_to), default=None)


def prescription_text(prescription: dict) -> str:
    """An order's copy of its refraction as opticians write it:
    "R: Sph −1,25 Zyl −0,50 A 90° Add 2,00 · L: …" (the access report)."""
    parts = []
    for side, label in (("right", "R"), ("left", "L")):
        eye = prescription.get(side) or {}
        values = []
        for name, short in (("sphere", "Sph"), ("cylinder", "Zyl"), ("addition", "Add")):
            if eye.get(name) not in (None, ""):
                values.append(f"{short} {format_dioptre(Decimal(eye[name]))}")
                if name == "cylinder" and eye.get("axis") is not None:
                    values.append(f"A {eye['axis']}°")
        if values:
            parts.append(f"{label}: " + " ".join(values))
    return " · ".join(parts)


@dataclass
class LensShare:
    """The insurer's part of one eye's lens."""

    line: OrderLine
    fixed: FixedAmount | None
    # The fixed amount, never more than the lens costs.
    insurer_amount: Decimal = Decimal("0.00")
    co_payment: Decimal = Decimal("0.00")

    @property
    def insurer_pays(self) -> Decimal:
        return self.insurer_amount - self.co_payment


@dataclass
class InsuranceShare:
    eligibility: gkv.Eligibility
    lenses: list[LensShare] = field(default_factory=list)
    gross: Decimal = Decimal("0.00")

    @property
    def insurer_total(self) -> Decimal:
        return sum((lens.insurer_pays for lens in self.lenses), Decimal("0.00"))

    @property
    def co_payment_total(self) -> Decimal:
        return sum((lens.co_payment for lens in self.lenses), Decimal("0.00"))

    @property
    def payable(self) -> Decimal:
        """What the insurer pays on this order as it stands: nothing yet
        while the ophthalmologist's prescription is missing."""
        return Decimal("0.00") if self.eligibility.needs_prescription else self.insurer_total

    @property
    def customer_pays(self) -> Decimal:
        return self.gross - self.payable


def line_lens_type(line: OrderLine, prescription: dict) -> str:
    """Single vision or multifocal, for the fixed amount: from the lens's
    design, else from whether the prescription has an addition."""
    design = line.product.spectacle_design if line.product_id else ""
    if design:
        return LensType.MULTIFOCAL if design in ADDITION_DESIGNS else LensType.SINGLE_VISION
    eye = prescription.get(line.eye) or {}
    return LensType.MULTIFOCAL if eye.get("addition") not in (None, "") else LensType.SINGLE_VISION


def insurance_share(
    order: Order, lines=None, rows: list[FixedAmount] | None = None
) -> InsuranceShare | None:
    """What the statutory insurer pays towards the order's lenses (§ 33 SGB
    V; DOMAIN.md): None unless glasses for a customer with a statutory
    insurer; otherwise the eligibility and, when eligible, per eye (its
    first lens position) the fixed amount valid on the order's day — never
    more than the lens costs — less the adult's co-payment (never more than
    the insurer's amount), and what the customer pays of the gross."""
    customer = order.customer
    insurer = customer.insurance_provider
    if order.kind != Kind.GLASSES or insurer is None:
        return None
    if insurer.kind != InsuranceProvider.Kind.STATUTORY:
        return None
    lines = list(order_lines(order.pk).select_related("product") if lines is None else lines)
    totals = rules.totals(lines, Decimal("0.00"))
    day = timezone.localdate(order.created_at) if order.created_at else timezone.localdate()
    prescription = order.prescription or {}
    eligibility = gkv.eligibility(born=customer.date_of_birth, day=day, prescription=prescription)
    share = InsuranceShare(eligibility=eligibility, gross=totals.gross)
    if not eligibility.eligible:
        return share
    table = fixed_amounts_in_force(day, rows)
    seen: set[str] = set()
    for line in lines:
        if line.kind != LineKind.LENS or not line.eye or line.eye in seen:
            continue
        # One lens per eye is an aid; a second (spare, sunglasses) is not.
        seen.add(line.eye)
        eye = prescription.get(line.eye) or {}
        fixed = fixed_amount(
            lens_type=line_lens_type(line, prescription), eye=eye, day=day, table=table
        )
        lens = LensShare(line=line, fixed=fixed)
        if fixed is not None:
            _, cost = rules.line_gross(
                line.quantity, line.unit_price, line.discount_percent, line.discount_amount
            )
            lens.insurer_amount = min(fixed.amount, cost)
            lens.co_payment = gkv.co_payment(
                lens.insurer_amount, lens.insurer_amount, adult=eligibility.adult
            )
        share.lenses.append(lens)
    return share


@dataclass(frozen=True)
class OrderMoney:
    """What an order costs and who pays it: the page, the documents and the
    API all read it here."""

    totals: rules.Totals
    share: InsuranceShare | None

    @property
    def gross(self) -> Decimal:
        return self.totals.gross

    @property
    def insurer(self) -> Decimal:
        return self.share.payable if self.share else Decimal("0.00")

    @property
    def customer_share(self) -> Decimal:
        return self.gross - self.insurer

    @property
    def deposit(self) -> Decimal:
        return self.totals.deposit

    @property
    def open(self) -> Decimal:
        """What the customer still has to pay."""
        return self.customer_share - self.deposit


def order_money(order: Order, lines=None, rows: list[FixedAmount] | None = None) -> OrderMoney:
    """``rows``: fixed_amount_rows, for a list of orders."""
    lines = list(order_lines(order.pk).select_related("product") if lines is None else lines)
    return OrderMoney(rules.totals(lines, order.deposit), insurance_share(order, lines, rows))


def order_page(pk: int) -> Order | None:
    """The order with what its page shows of the customer, frame and staff."""
    return one_or_none(
        Order.objects.select_related(
            "customer", "customer__insurance_provider", "frame", "staff", "fitting"
        ).filter(pk=pk)
    )


def is_overdue(order: Order, today=None) -> bool:
    """Promised for a day gone by and not yet ready."""
    today = today or timezone.localdate()
    return (
        order.promised_date is not None
        and order.promised_date < today
        and order.status in OVERDUE_STATUSES
    )


def eye_rows(order: Order) -> list[tuple[str, dict]]:
    """The order's copy of the values per eye, for the page's table."""
    prescription = order.prescription or {}
    return [
        (label, prescription.get(side) or {})
        for side, label in (("right", "R"), ("left", "L"))
        if prescription.get(side)
    ]


def staff_members() -> QuerySet:
    """Who an order can be assigned to, by name."""
    return (
        get_user_model()
        .objects.filter(is_active=True)
        .order_by("first_name", "last_name", "username")
    )


def staff_names(users: QuerySet) -> list[tuple[int, str]]:
    """(id, name as User.get_full_name() or the user name) of ``users``,
    read as values (model instances of the chain's 320 staff cost 3 ms)."""
    return [
        (pk, person_name(first, last) or username)
        for pk, first, last, username in users.values_list(
            "pk", "first_name", "last_name", "username"
        )
    ]


def staff_choices() -> list[tuple[int, str]]:
    """The board filter's staff: (id, name) of staff_members."""
    return staff_names(staff_members())


# The board's columns, left to right: what is still to be done.
BOARD_STATUSES = (
    Status.QUOTE,
    Status.ORDERED,
    Status.LENSES_ORDERED,
    Status.LENSES_ARRIVED,
    Status.WORKSHOP,
    Status.READY,
    Status.COMPLAINT,
)
# Quotes not taken up are not deleted; after this long they leave the board.
QUOTE_DAYS = 90
CARDS_PER_COLUMN = 12


@dataclass
class BoardColumn:
    status: str
    label: str
    count: int
    cards: list


def board(*, staff_id: int | None = None, since=None, until=None, today=None) -> list[BoardColumn]:
    """The open orders per status with their counts and first cards
    (_board_cards), whatever the number of orders: two counts and three
    queries for the cards."""
    today = today or timezone.localdate()
    orders = Order.objects.all()
    since = start_of_day(since) if since is not None else None
    until = start_of_day(until + datetime.timedelta(days=1)) if until is not None else None
    if staff_id is not None:
        orders = orders.filter(staff_id=staff_id)
    if since is not None:
        orders = orders.filter(created_at__gte=since)
    if until is not None:
        orders = orders.filter(created_at__lt=until)
    quotes_since = start_of_day(today - datetime.timedelta(days=QUOTE_DAYS))
    # Two counts, each along its index (one with OR reads the table).
    counts = dict(
        orders.filter(status__in=BOARD_STATUSES[1:])
        .values_list("status")
        .annotate(n=Count("*"))
        .order_by()
    )
    counts[Status.QUOTE] = orders.filter(status=Status.QUOTE, created_at__gte=quotes_since).count()
    cards = (
        _board_cards(
            staff_id=staff_id, since=since, until=until, quotes_since=quotes_since, today=today
        )
        if any(counts.values())
        else {}
    )
    return [
        BoardColumn(status, Status(status).label, counts.get(status, 0), cards.get(status, []))
        for status in BOARD_STATUSES
    ]


@dataclass(slots=True)
class Card:
    """An order as its card on the board shows it."""

    pk: int
    kind: str
    status: str
    promised_date: datetime.date | None
    status_changed_at: datetime.datetime
    version: int
    customer_name: str
    staff_name: str
    overdue: bool


def _card_parts() -> list[tuple[str, str, str]]:
    """(status, condition, order) of each part of the board's cards, each
    a range of one index read in its order: quotes newest first; what can
    be late, the overdue ones (longest overdue first) before the others (by
    promised date, then the longest in this status; those without a date
    last, a part of their own: with an OR PostgreSQL read and sorted all of
    a status's orders); ready orders waiting longest first."""
    waiting = "status_changed_at, id"
    parts = []
    for status in BOARD_STATUSES:
        if status == Status.QUOTE:
            parts.append((status, "created_at >= %(quotes_since)s", "created_at DESC, id DESC"))
        elif status in OVERDUE_STATUSES:
            parts += [
                (status, "promised_date < %(today)s", "promised_date, id"),
                (status, "promised_date >= %(today)s", f"promised_date, {waiting}"),
                (status, "promised_date IS NULL", waiting),
            ]
        else:
            parts.append((status, "TRUE", waiting))
    return parts


CARD_PARTS = _card_parts()


@functools.cache
def _cards_sql(by_staff: bool, by_since: bool, by_until: bool) -> str:
    """The cards of every part in one statement (a UNION ALL of the parts,
    each with its limit; the row number keeps a part's order through the
    union). SQL rather than the ORM: 17 querysets cost 8 ms to compile and
    their text was too long for psycopg's cache, against 1 ms to run; the
    filters given are part of the text, so that PostgreSQL plans each
    with the index it needs."""
    filters = "".join(
        condition
        for wanted, condition in (
            (by_staff, " AND staff_id = %(staff)s"),
            (by_since, " AND created_at >= %(since)s"),
            (by_until, " AND created_at < %(until)s"),
        )
        if wanted
    )
    table = Order._meta.db_table
    return " UNION ALL ".join(
        f"(SELECT {number} AS part, row_number() OVER (ORDER BY {order}) AS rank, id, kind, "
        f"status, promised_date, status_changed_at, version, customer_id, staff_id "
        f"FROM {table} WHERE status = '{status}' AND {condition}{filters} "
        f"ORDER BY {order} LIMIT {CARDS_PER_COLUMN})"
        for number, (status, condition, order) in enumerate(CARD_PARTS)
    )


def _board_cards(*, staff_id, since, until, quotes_since, today) -> dict[str, list[Card]]:
    """The first cards of each column: the orders in one query
    (_cards_sql), then the names of their customers and staff members.
    Joined in the parts, PostgreSQL looked up the customer of every order
    of a status before sorting when it expected few (8 ms for 900)."""
    sql = _cards_sql(staff_id is not None, since is not None, until is not None)
    params = {
        "today": today,
        "quotes_since": quotes_since,
        "staff": staff_id,
        "since": since,
        "until": until,
    }
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = sorted(cursor.fetchall(), key=lambda row: row[:2])
    customers = {
        pk: person_name(first, last)
        for pk, first, last in Customer.objects.filter(pk__in={row[8] for row in rows})
        .order_by()
        .values_list("pk", "first_name", "last_name")
    }
    staff = dict(
        staff_names(get_user_model().objects.filter(pk__in={row[9] for row in rows}).order_by())
    )
    columns: dict[str, list[Card]] = {}
    for number, _rank, pk, kind, status, promised, changed, version, customer, staff_id in rows:
        cards = columns.setdefault(CARD_PARTS[number][0], [])
        if len(cards) < CARDS_PER_COLUMN:
            cards.append(
                Card(
                    pk=pk,
                    kind=kind,
                    status=status,
                    promised_date=promised,
                    status_changed_at=changed,
                    version=version,
                    customer_name=customers.get(customer, ""),
                    staff_name=staff.get(staff_id, ""),
                    overdue=(
                        promised is not None and promised < today and status in OVERDUE_STATUSES
                    ),
                )
            )
    return columns


def priced_lines(order_id: int) -> list[OrderLine]:
    """The positions with their products, each with its ``discount`` and
    ``total`` (gross, rounded once: rules.line_gross)."""
    lines = list(order_lines(order_id).select_related("product", "product__supplier"))
    for line in lines:
        line.discount, line.total = rules.line_gross(
            line.quantity, line.unit_price, line.discount_percent, line.discount_amount
        )
    return lines


def pickup_booking_query(order: Order) -> str:
    """The query of "Abholtermin buchen": the new-appointment form with the
    customer and the first active pick-up type chosen."""
    pickup = (
        AppointmentType.objects.filter(is_pickup=True, active=True)
        .order_by("position", "name")
        .values_list("pk", flat=True)
        .first()
    )
    query = f"customer={order.customer_id}"
    return f"{query}&type={pickup}" if pickup else query


def open_order_marks(customer_ids: list[int], user) -> dict[int, list[str]]:
    """The customer list's marks: "Brille abholbereit" for a customer with
    an order ready for pick-up, else "Auftrag offen" (one query for the page)."""
    if not user.has_perm("orders.view_order"):
        return {}
    statuses: dict[int, set[str]] = {}
    for customer_id, status in (
        Order.objects.filter(customer_id__in=customer_ids, status__in=OPEN_STATUSES)
        .values_list("customer_id", "status")
        .distinct()
    ):
        statuses.setdefault(customer_id, set()).add(status)
    ready, open_ = gettext("Ready for pick-up"), gettext("Order open")
    return {
        customer_id: [ready if Status.READY in found else open_]
        for customer_id, found in statuses.items()
    }


# --- The start page ("Heute") ------------------------------------------------------


def ready_orders() -> QuerySet[Order]:
    """Ready for pick-up, waiting longest first (the status from the index
    order_status)."""
    return Order.objects.filter(status=Status.READY).order_by("status_changed_at", "id")


def overdue_orders(today=None) -> QuerySet[Order]:
    """What is_overdue finds, as a filter: promised for a day gone by and not
    yet ready, the longest overdue first (a range of the index order_status
    per status)."""
    today = today or timezone.localdate()
    return Order.objects.filter(status__in=OVERDUE_STATUSES, promised_date__lt=today).order_by(
        "promised_date", "id"
    )
