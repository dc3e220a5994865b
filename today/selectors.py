"""Reads of the start page "Heute": per tile a count and its first rows, read
with the rules and selectors of the app the tile belongs to. Each tile costs
a fixed number of queries, each along an index, whatever the shop's size."""

import calendar
import datetime
import functools
from dataclasses import dataclass, field

from django.db import connection
from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from appointments.models import Appointment, AppointmentStatus
from appointments.selectors import appointment_between
from customers.models import Customer, person_name, shown_name
from messaging import recall
from messaging.models import Channel, Purpose
from messaging.models import Kind as MessageKind
from messaging.selectors import active_consent_for, failed_messages, message_settings
from orders import rules as order_rules
from orders.selectors import overdue_orders, ready_orders
from products.selectors import product_list

# Rows a tile shows; its heading links to the whole list.
ROWS = 8
# The recall tile counts up to here ("mehr als 100"): a chain has thousands
# due in a week, and counting them all would read them all.
RECALL_COUNT_UP_TO = 100
# A chain's million customers have some 2,700 birthdays a day, each to be
# probed for a consent to count it: counted up to here.
BIRTHDAYS_COUNT_UP_TO = 100
# The appointments a tile lists still lie ahead (or are under way).
UPCOMING = (AppointmentStatus.PLANNED, AppointmentStatus.CONFIRMED)


@dataclass(frozen=True)
class Tile:
    """A tile's count (``more_than``: at least that many, not counted further)
    and its first rows."""

    count: int
    rows: list
    more_than: bool = False

    @property
    def more(self) -> bool:
        """Whether the list behind the tile has rows the tile does not show."""
        return self.more_than or self.count > len(self.rows)


# --- Appointments ----------------------------------------------------------------------


@dataclass(frozen=True)
class AppointmentRow:
    pk: int
    start: datetime.datetime
    end: datetime.datetime
    status: str
    staff_id: int
    customer_id: int
    customer_name: str
    customer_deleted: bool
    type_name: str
    type_colour: str
    is_next: bool = False


@dataclass
class StaffDay:
    """One staff member's appointments today: how many, and those still ahead."""

    name: str
    count: int
    rows: list[AppointmentRow] = field(default_factory=list)

    @property
    def count_label(self) -> str:
        return ngettext(
            "%(counter)s appointment today", "%(counter)s appointments today", self.count
        ) % {"counter": self.count}


@dataclass(frozen=True)
class AppointmentsTile:
    count: int
    staff: list[StaffDay]
    next: AppointmentRow | None

    more_than = False  # counted whole: one day's appointments

    @property
    def rows(self) -> list[AppointmentRow]:
        return [row for day in self.staff for row in day.rows]


def _staff_name(first: str, last: str, username: str) -> str:
    # As appointments.models.staff_display_name, from values.
    return f"{first} {last}".strip() or username


def appointments_today(now: datetime.datetime) -> AppointmentsTile:
    """Today's appointments (all but the cancelled ones) counted per staff
    member, and the next ``ROWS`` still ahead or under way, by staff member;
    the first to start from ``now`` on is the next one. Two queries along
    appointment_start."""
    today = timezone.localdate(now)
    day = appointment_between(Appointment.objects.all(), first_day=today, last_day=today).exclude(
        status=AppointmentStatus.CANCELLED
    )
    counts = dict(day.values_list("staff_id").annotate(n=Count("*")).order_by())
    found = day.filter(status__in=UPCOMING, end__gt=now).order_by("start", "id")
    days: dict[int, StaffDay] = {}
    upcoming = None
    for values in found.values_list(
        "pk",
        "start",
        "end",
        "status",
        "staff_id",
        "customer_id",
        "customer__first_name",
        "customer__last_name",
        "customer__deleted_at",
        "type__name",
        "type__colour",
        "staff__first_name",
        "staff__last_name",
        "staff__username",
    )[:ROWS]:
        pk, start, end, status, staff_id, customer_id, first, last, deleted_at = values[:9]
        row = AppointmentRow(
            pk=pk,
            start=start,
            end=end,
            status=status,
            staff_id=staff_id,
            customer_id=customer_id,
            customer_name=shown_name(first, last, deleted_at),
            customer_deleted=deleted_at is not None,
            type_name=values[9],
            type_colour=values[10],
            is_next=upcoming is None and start >= now,
        )
        if row.is_next:
            upcoming = row
        staff_day = days.get(staff_id)
        if staff_day is None:
            name = _staff_name(*values[11:])
            staff_day = days[staff_id] = StaffDay(name=name, count=counts.get(staff_id, 0))
        staff_day.rows.append(row)
    return AppointmentsTile(
        count=sum(counts.values()),
        staff=sorted(days.values(), key=lambda staff_day: staff_day.name.casefold()),
        next=upcoming,
    )


def no_shows(day: datetime.date) -> Tile:
    """The appointments of ``day`` nobody came to (appointment_status)."""
    missed = appointment_between(
        Appointment.objects.filter(status=AppointmentStatus.NO_SHOW), first_day=day, last_day=day
    )
    rows = [
        AppointmentRow(
            pk=pk,
            start=start,
            end=end,
            status=AppointmentStatus.NO_SHOW,
            staff_id=staff_id,
            customer_id=customer_id,
            customer_name=shown_name(first, last, deleted_at),
            customer_deleted=deleted_at is not None,
            type_name=type_name,
            type_colour=colour,
        )
        for pk, start, end, staff_id, customer_id, first, last, deleted_at, type_name, colour in (
            missed.order_by("start", "id").values_list(
                "pk",
                "start",
                "end",
                "staff_id",
                "customer_id",
                "customer__first_name",
                "customer__last_name",
                "customer__deleted_at",
                "type__name",
                "type__colour",
            )[:ROWS]
        )
    ]
    return Tile(count=_count(missed, rows), rows=rows)


def _count(queryset: QuerySet, rows: list) -> int:
    """The count of ``queryset`` whose first ``ROWS`` rows are ``rows``: no
    second query when they are all."""
    return len(rows) if len(rows) < ROWS else queryset.order_by().count()


def _capped_tile(queryset: QuerySet, rows: list, up_to: int) -> Tile:
    """The tile of ``rows``, the first of ``queryset``, counted up to ``up_to``
    (beyond: "mehr als …"), so that the count stops early."""
    if len(rows) < ROWS:
        return Tile(count=len(rows), rows=rows)
    found = queryset.order_by()[: up_to + 1].count()
    return Tile(count=min(found, up_to), rows=rows, more_than=found > up_to)


# --- Orders ----------------------------------------------------------------------------


@dataclass(frozen=True)
class OrderRow:
    """What the start page shows of an order: who, which, since or until
    when, the step it is at. Nothing of lenses or values (health data)."""

    pk: int
    customer_id: int
    customer_name: str
    customer_deleted: bool
    when: datetime.date | datetime.datetime | None
    status_label: str


def _order_tile(orders: QuerySet, when: str) -> Tile:
    rows = [
        OrderRow(
            pk=pk,
            customer_id=customer_id,
            customer_name=shown_name(first, last, deleted_at),
            customer_deleted=deleted_at is not None,
            when=day,
            status_label=order_rules.status_label(status, kind),
        )
        for pk, kind, status, day, customer_id, first, last, deleted_at in orders.values_list(
            "pk",
            "kind",
            "status",
            when,
            "customer_id",
            "customer__first_name",
            "customer__last_name",
            "customer__deleted_at",
        )[:ROWS]
    ]
    return Tile(count=_count(orders, rows), rows=rows)


def orders_ready() -> Tile:
    """Ready for pick-up, waiting longest first, with the day they became so."""
    return _order_tile(ready_orders(), "status_changed_at")


def orders_overdue(today: datetime.date) -> Tile:
    """Promised for a day gone by and not ready yet (orders.selectors.is_overdue),
    the longest overdue first."""
    return _order_tile(overdue_orders(today), "promised_date")


# --- Recall ----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Days(recall.RecallQuery):
    """A recall query over any span of days (the recall list's are months):
    the same rules, with the window given."""

    first_day: datetime.date | None = None
    last_day: datetime.date | None = None

    @property
    def window(self) -> tuple[datetime.date | None, datetime.date]:
        return self.first_day, self.last_day


@dataclass(frozen=True)
class RecallRow:
    customer_id: int
    customer_name: str
    rule: str
    rule_label: str
    due: datetime.date | None


@dataclass(frozen=True)
class RuleCount:
    rule: str
    label: str
    count: int
    more_than: bool


@dataclass(frozen=True)
class RecallTile(Tile):
    rules: list[RuleCount] = field(default_factory=list)

    @property
    def breakdown(self) -> list[RuleCount]:
        """The rules with someone due, each to link to its list, unless that
        is the eye test's alone (the list the tile's heading opens)."""
        due = [rule for rule in self.rules if rule.count]
        return [] if [rule.rule for rule in due] in ([], [recall.Rule.EYE_TEST]) else due


def week_of(day: datetime.date) -> tuple[datetime.date, datetime.date]:
    """Monday and Sunday of ``day``'s week."""
    monday = day - datetime.timedelta(days=day.weekday())
    return monday, monday + datetime.timedelta(days=6)


@functools.lru_cache(maxsize=32)
def _due_range_sql(
    rule: str, today: datetime.date, pause_weeks: int, day: datetime.date
) -> list[tuple[str, tuple]]:
    """The SQL of the week's due customers by ``rule`` (messaging.recall's
    ranges: (date counted from, id), at most RECALL_COUNT_UP_TO + 1 each).
    It depends on nothing but these arguments (the recall's times are whole
    days: ``day``, the day of now): built by the ORM once a day and process,
    not on every view of the start page, where building these four queries
    cost more than running them."""
    first, last = week_of(today)
    query = _Days(today=today, rule=rule, first_day=first, last_day=last)
    at = timezone.make_aware(datetime.datetime.combine(day, datetime.time(12)))
    return [
        customers.values_list(recall.BASE_OF_RULE[rule], "pk")[
            : RECALL_COUNT_UP_TO + 1
        ].query.sql_with_params()
        for customers in recall.due_ranges(query, pause_weeks=pause_weeks, now=at)
    ]


def recalls_this_week(
    today: datetime.date, rules: list[str], now: datetime.datetime | None = None
) -> RecallTile:
    """Who the recall list shows as due this week (Monday to Sunday) by each
    of ``rules``: not contacted for it lately, no upcoming appointment
    (messaging.recall). Counted up to RECALL_COUNT_UP_TO per range of the
    recall index; the rows are the first due. Per rule one query per range
    (the eye test has two), then one for the names."""
    first, last = week_of(today)
    pause_weeks = message_settings().recall_pause_weeks
    labels = dict(recall.Rule.CHOICES)
    counts, heads = [], []
    now = now or timezone.now()
    for rule in rules:
        count, more = 0, False
        for sql, params in _due_range_sql(rule, today, pause_weeks, timezone.localdate(now)):
            with connection.cursor() as cursor:
                cursor.execute(sql, params)
                keys = cursor.fetchall()
            count += min(len(keys), RECALL_COUNT_UP_TO)
            more = more or len(keys) > RECALL_COUNT_UP_TO
            # In a range, the order of the keys is the order of the due dates.
            heads += [(rule, pk) for _base, pk in keys[:ROWS]]
        counts.append(RuleCount(rule=rule, label=labels[rule], count=count, more_than=more))
    customers = (
        Customer.objects.filter(pk__in={pk for _rule, pk in heads})
        .only(*recall.ROW_FIELDS, "sort_name")
        .in_bulk()
        if heads
        else {}
    )
    rows = sorted(
        (
            RecallRow(
                customer_id=pk,
                customer_name=customers[pk].full_name,
                rule=rule,
                rule_label=labels[rule],
                due=recall.due_date(customers[pk], rule, today),
            )
            for rule, pk in heads
            if pk in customers
        ),
        key=lambda row: (row.due or first, customers[row.customer_id].sort_name, row.rule),
    )[:ROWS]
    return RecallTile(
        count=sum(rule.count for rule in counts),
        rows=rows,
        more_than=any(rule.more_than for rule in counts),
        rules=counts,
    )


# --- Products --------------------------------------------------------------------------


@dataclass(frozen=True)
class ProductRow:
    pk: int
    name: str
    stock: int
    minimum_stock: int


def products_below_minimum() -> Tile:
    """Active products below their minimum stock (products.models.BELOW_MINIMUM),
    by name, as the product list filtered by it (product_below_minimum)."""
    products = product_list().filter(active=True).below_minimum().order_by("name", "id")
    rows = [
        ProductRow(*values)
        for values in products.values_list("pk", "name", "stock", "minimum_stock")[:ROWS]
    ]
    return Tile(count=_count(products, rows), rows=rows)


# --- Messages --------------------------------------------------------------------------


@dataclass(frozen=True)
class MessageRow:
    pk: int
    customer_id: int
    customer_name: str
    customer_deleted: bool
    kind_label: str
    channel_label: str
    failed_at: datetime.datetime


# Recalls that tell who wears contact lenses (messaging.recall.Rule.CONTACT_LENSES).
CONTACT_LENS_RECALLS = (MessageKind.RECALL_CL_CHECK, MessageKind.RECALL_CL_REORDER)


def messages_failed(*, contact_lenses: bool = True) -> Tile:
    """The newest failed messages, as "Fehlgeschlagene Nachrichten" lists
    them. Without ``contact_lenses`` (the fitting right), a contact lens
    recall is named a recall only."""
    messages = failed_messages()
    kinds, channels = dict(MessageKind.choices), dict(Channel.choices)
    if not contact_lenses:
        kinds |= dict.fromkeys(CONTACT_LENS_RECALLS, _("Recall"))
    rows = [
        MessageRow(
            pk=pk,
            customer_id=customer_id,
            customer_name=shown_name(first, last, deleted_at),
            customer_deleted=deleted_at is not None,
            kind_label=str(kinds.get(kind, kind)),
            channel_label=str(channels.get(channel, channel)),
            failed_at=updated_at,
        )
        for pk, customer_id, first, last, deleted_at, kind, channel, updated_at in (
            messages.values_list(
                "pk",
                "customer_id",
                "customer__first_name",
                "customer__last_name",
                "customer__deleted_at",
                "kind",
                "channel",
                "updated_at",
            )[:ROWS]
        )
    ]
    return Tile(count=_count(messages, rows), rows=rows)


# --- Birthdays -------------------------------------------------------------------------


@dataclass(frozen=True)
class BirthdayRow:
    customer_id: int
    customer_name: str
    age: int


def birthday_on(day: datetime.date) -> Q:
    """Born on this day of the year; in a year without 29 February, those
    born on it have their birthday on the 28th. (Month and day as the index
    customer_birthday has them.)"""
    condition = Q(date_of_birth__month=day.month, date_of_birth__day=day.day)
    if (day.month, day.day) == (2, 28) and not calendar.isleap(day.year):
        condition |= Q(date_of_birth__month=2, date_of_birth__day=29)
    return Q(date_of_birth__isnull=False) & condition


def birthdays(today: datetime.date) -> Tile:
    """Customers whose birthday is today and who agreed to be contacted for
    recall and advertising (an active consent on any channel): a birthday
    greeting is advertising. By name."""
    customers = (
        Customer.objects.alive()
        .filter(birthday_on(today))
        .filter(active_consent_for(Purpose.MARKETING))
        .order_by("sort_name", "id")
    )
    rows = [
        BirthdayRow(
            customer_id=pk, customer_name=person_name(first, last), age=today.year - born.year
        )
        for pk, first, last, born in customers.values_list(
            "pk", "first_name", "last_name", "date_of_birth"
        )[:ROWS]
    ]
    return _capped_tile(customers, rows, BIRTHDAYS_COUNT_UP_TO)
