"""Reads of invoices: their money by the orders' rules (orders.rules), the
small-amount limit and the state lists show."""

import datetime
from dataclasses import dataclass
from decimal import Decimal
from typing import NamedTuple

from django.db.models import DecimalField, F, OuterRef, Prefetch, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce, Reverse, Upper
from django.db.models.lookups import StartsWith
from django.utils.translation import gettext

from invoices.models import (
    SMALL_AMOUNT,
    Invoice,
    InvoiceLine,
    Kind,
    Method,
    Payment,
    State,
    Status,
    Unsettled,
)
from opticrm.lib.models import one_or_none, with_names_of
from opticrm.lib.pagination import match_before_sorting
from orders import rules
from products import selectors as product_selectors
from products.models import Category, Product

ZERO = Decimal("0.00")


def invoice_lines(invoice_id: int) -> QuerySet[InvoiceLine]:
    return InvoiceLine.objects.filter(invoice_id=invoice_id).order_by("position")


def priced_lines(invoice: Invoice, lines=None) -> list[InvoiceLine]:
    """The positions, each with its ``discount`` and ``total`` (gross,
    rounded once: orders.rules.line_gross; negative in a cancellation)."""
    lines = list(invoice_lines(invoice.pk) if lines is None else lines)
    for line in lines:
        line.discount, line.total = rules.line_gross(
            line.quantity, line.unit_price, line.discount_percent, line.discount_amount
        )
    return lines


@dataclass(frozen=True)
class InvoiceTotals:
    """Net, VAT and gross per rate (``totals.rates``: orders.rules.RateTotal,
    the VAT computed once per rate), and what the customer pays after the
    insurer's share."""

    totals: rules.Totals
    insurer_share: Decimal

    @property
    def rates(self) -> list[rules.RateTotal]:
        return list(self.totals.rates.values())

    @property
    def gross(self) -> Decimal:
        return self.totals.gross

    @property
    def net(self) -> Decimal:
        return sum((rate.net for rate in self.rates), Decimal("0.00"))

    @property
    def vat(self) -> Decimal:
        return sum((rate.vat for rate in self.rates), Decimal("0.00"))

    @property
    def discount(self) -> Decimal:
        return self.totals.discount

    @property
    def customer_pays(self) -> Decimal:
        return self.gross - self.insurer_share


def invoice_totals(invoice: Invoice, lines=None) -> InvoiceTotals:
    """``lines``: the invoice's positions where read already (a list)."""
    lines = list(invoice_lines(invoice.pk) if lines is None else lines)
    return InvoiceTotals(rules.totals(lines, Decimal("0.00")), invoice.insurer_share)


def is_small_amount(invoice: Invoice, lines=None) -> bool:
    """A small-amount invoice (§ 33 UStDV): at most 250 € gross, which
    needs fewer details (DOMAIN.md)."""
    return abs(invoice_totals(invoice, lines).gross) <= SMALL_AMOUNT


def lacks_address(invoice: Invoice, gross: Decimal) -> bool:
    """A draft over 250 € (``gross``) whose customer has no postal address
    (and no company's address is entered instead), which UStG § 14 (4)
    asks for: issuing is refused (services._issue), the page says so
    beforehand."""
    return (
        invoice.status == Status.DRAFT
        and invoice.customer is not None
        and not invoice.customer.has_address
        and not (invoice.is_e_invoice and invoice.company_address.strip())
        and abs(gross) > SMALL_AMOUNT
    )


def recipient_address(invoice: Invoice) -> str:
    """The address the invoice is sent to: the company's where one is
    entered, else the customer's (as copied at the issue)."""
    if invoice.is_e_invoice and invoice.company_address.strip():
        return invoice.company_address.strip()
    return invoice.customer_address.strip()


def recipient_lines(invoice: Invoice) -> list[str]:
    """The address window of the invoice's PDF: the customer as copied at
    the issue, or the company, for the attention of the customer."""
    if not invoice.is_e_invoice:
        return [invoice.customer_name, *invoice.customer_address.splitlines()]
    lines = [invoice.company_name]
    if invoice.customer_name:
        lines.append(gettext("Attn. %(name)s") % {"name": invoice.customer_name})
    return [*lines, *recipient_address(invoice).splitlines()]


def is_cancelled(invoice: Invoice) -> bool:
    # A list row carries its cancellation's id (invoice_list); a page reads
    # the reverse one-to-one once (select_related("cancellation")).
    if "cancellation_pk" in invoice.__dict__:
        return invoice.cancellation_pk is not None
    try:
        return invoice.cancellation is not None
    except Invoice.cancellation.RelatedObjectDoesNotExist:
        return False


def invoice_payments(invoice_id: int) -> QuerySet[Payment]:
    return with_names_of(Payment.objects.filter(invoice_id=invoice_id), users=["created_by"])


def paid_amount(invoice_id: int) -> Decimal:
    total = Payment.objects.filter(invoice_id=invoice_id).aggregate(total=Sum("amount"))["total"]
    return total or ZERO


class ByPayer(NamedTuple):
    customer: Decimal
    insurer: Decimal


def payments_by_payer(invoice_id: int) -> ByPayer:
    """What an invoice's payments add up to for each payer: the insurer's
    (method Krankenkasse) and the customer's (everything else, the order's
    deposit included)."""
    sums = Payment.objects.filter(invoice_id=invoice_id).aggregate(
        insurer=Sum("amount", filter=Q(method=Method.INSURER)),
        customer=Sum("amount", filter=~Q(method=Method.INSURER)),
    )
    return ByPayer(customer=sums["customer"] or ZERO, insurer=sums["insurer"] or ZERO)


def order_credit(order) -> tuple[Decimal, Decimal]:
    """What an order's next invoice takes over as paid (services.
    invoice_from_order): the deposit received with the order, and what the
    customer paid beyond it on the order's invoices that were cancelled
    (each cancellation carries it back: services._carry_back)."""
    carried = (
        Payment.objects.filter(
            invoice__order_id=order.pk,
            invoice__kind=Kind.INVOICE,
            invoice__cancellation__isnull=False,
        )
        .exclude(method__in=(Method.INSURER, Method.DEPOSIT))
        .aggregate(total=Sum("amount"))["total"]
    )
    return order.deposit, carried or ZERO


def open_for(invoice: Invoice, *, insurer: bool) -> Decimal:
    """What is still open of an issued invoice for one payer: the insurer
    its share (GKV), the customer the rest (gross less the share); each
    payer's payments count against their own part alone."""
    payments = Payment.objects.filter(invoice_id=invoice.pk)
    if insurer:
        part = invoice.insurer_share
        payments = payments.filter(method=Method.INSURER)
    else:
        part = gross_of(invoice) - invoice.insurer_share
        payments = payments.exclude(method=Method.INSURER)
    paid = payments.aggregate(total=Sum("amount"))["total"] or ZERO
    return part - paid


def _paid_subquery() -> Coalesce:
    paid = (
        Payment.objects.filter(invoice=OuterRef("pk"))
        .order_by()
        .values("invoice")
        .annotate(total=Sum("amount"))
        .values("total")
    )
    money = DecimalField(max_digits=12, decimal_places=2)
    return Coalesce(Subquery(paid, output_field=money), Value(ZERO), output_field=money)


def with_paid(invoices: QuerySet[Invoice]) -> QuerySet[Invoice]:
    """Each invoice with ``paid``, the sum of its payments (in the same query)."""
    return invoices.annotate(paid=_paid_subquery())


def state_of(*, status: str, kind: str, cancelled: bool, gross: Decimal, paid: Decimal) -> str:
    """The one rule of an invoice's state: a draft; cancelled (it was, or it
    is a cancellation invoice); else by its payments against its gross
    amount (the insurer's payments count as the customer's do)."""
    if status == Status.DRAFT:
        return State.DRAFT
    if kind == Kind.CANCELLATION or cancelled:
        return State.CANCELLED
    if paid >= gross:
        return State.PAID
    return State.PARTLY_PAID if paid > 0 else State.OPEN


def gross_of(invoice: Invoice, lines=None) -> Decimal:
    """The gross amount written when the invoice was issued, else (a
    draft) computed from its positions."""
    if invoice.gross is not None:
        return invoice.gross
    return invoice_totals(invoice, lines).gross


def invoice_state(invoice: Invoice, *, paid: Decimal | None = None, lines=None) -> str:
    """``paid``: the sum of the payments where known (with_paid: the
    invoice's ``paid``), else read now."""
    if paid is None:
        paid = getattr(invoice, "paid", None)
    if paid is None:
        paid = paid_amount(invoice.pk) if invoice.pk else ZERO
    gross = gross_of(invoice, lines)
    return state_of(
        status=invoice.status,
        kind=invoice.kind,
        cancelled=is_cancelled(invoice),
        gross=gross,
        paid=paid,
    )


def state_filter(invoices: QuerySet[Invoice], state: str) -> QuerySet[Invoice]:
    """``invoices`` (with_paid) in ``state``, by the same rule as state_of."""
    issued = Q(status=Status.ISSUED, kind=Kind.INVOICE, cancellation__isnull=True)
    if state == State.DRAFT:
        return invoices.filter(status=Status.DRAFT)
    if state == State.CANCELLED:
        return invoices.filter(
            Q(status=Status.ISSUED) & (Q(kind=Kind.CANCELLATION) | Q(cancellation__isnull=False))
        )
    # The open ones from the database's list of them (models.Unsettled),
    # not by summing the payments of every invoice.
    if state == State.PAID:
        return invoices.filter(issued, unsettled__isnull=True)
    if state == State.PARTLY_PAID:
        return invoices.filter(unsettled__paid__gt=0)
    if state == State.OPEN:
        return invoices.filter(unsettled__paid__lte=0)
    return invoices


@dataclass(frozen=True)
class InvoicePage:
    """What the invoice page shows: the positions priced, the totals, the
    payments and the state."""

    invoice: Invoice
    lines: list[InvoiceLine]
    totals: InvoiceTotals
    payments: list[Payment]
    paid: Decimal
    state: str

    @property
    def open(self) -> Decimal:
        """What is still to be paid, by the customer and the insurer;
        nothing on a cancelled invoice or a cancellation."""
        if self.state == State.CANCELLED:
            return ZERO
        return self.totals.gross - self.paid

    @property
    def customer_open(self) -> Decimal:
        """What the customer still pays (the insurer's share is its own)."""
        if self.state == State.CANCELLED:
            return ZERO
        paid = sum(
            (payment.amount for payment in self.payments if payment.method != Method.INSURER),
            ZERO,
        )
        return self.totals.gross - self.invoice.insurer_share - paid

    @property
    def small_amount(self) -> bool:
        return abs(self.totals.gross) <= SMALL_AMOUNT


def invoice_page(pk: int) -> InvoicePage | None:
    """The invoice with its customer, cancellation (either way) and
    document's existence, its positions, totals and payments. (Its order
    is named by id: the join cost 0.4 ms of the API's 6.)"""
    invoice = one_or_none(
        Invoice.objects.select_related("customer", "cancels", "cancellation").filter(pk=pk)
    )
    if invoice is None:
        return None
    lines = priced_lines(invoice)
    totals = invoice_totals(invoice, lines)
    payments = list(invoice_payments(invoice.pk))
    paid = sum((payment.amount for payment in payments), ZERO)
    state = invoice_state(invoice, paid=paid, lines=lines)
    return InvoicePage(invoice, lines, totals, payments, paid, state)


def live_invoices(order_id: int) -> QuerySet[Invoice]:
    """The order's invoice that stands: a draft, or issued and not cancelled."""
    return Invoice.objects.filter(
        order_id=order_id, kind=Kind.INVOICE, cancellation__isnull=True
    ).order_by("-created_at", "-id")


def order_invoices(order_id: int) -> list[Invoice]:
    """An order's invoices and cancellation invoices, newest first, each
    with ``state`` (three queries, however many; one for the order without
    an invoice, which most order pages show: the sums cost 2 ms to build)."""
    if not Invoice.objects.filter(order_id=order_id).exists():
        return []
    invoices = list(
        with_paid(Invoice.objects.filter(order_id=order_id))
        .select_related("cancellation")
        .prefetch_related("lines")
        .order_by("-created_at", "-id")
    )
    for invoice in invoices:
        invoice.state = invoice_state(invoice, lines=invoice.lines.all())
    return invoices


def _matching(
    *,
    state: str | None = None,
    since: datetime.date | None = None,
    until: datetime.date | None = None,
    query: str = "",
    customer_id: int | None = None,
) -> QuerySet[Invoice]:
    """The invoices the list's filters select, in no order."""
    invoices = Invoice.objects.all()
    if customer_id is not None:
        invoices = invoices.filter(customer_id=customer_id)
    if state:
        invoices = state_filter(invoices, state)
    if since is not None:
        invoices = invoices.filter(issued_on__gte=since)
    if until is not None:
        invoices = invoices.filter(issued_on__lte=until)
    # The number and the name as issued (a draft has neither: it is found
    # by its state or from the customer's page; joined to the customers,
    # the search read all five million invoices).
    for term in _terms(query):
        invoices = invoices.filter(_term(term))
    return invoices


def _term(term: str) -> Q:
    """A word with a digit is an invoice number's start or end ("2026-000123",
    "000123", "123"; its index, models: invoice_number_start / _end), any
    other a part of the customer's name (the trigram index). A number's
    part by trigrams read every 2026 invoice's "202", "026" and "26-":
    56 ms at five million for a whole number."""
    if any(character.isdigit() for character in term):
        upper = term.upper()
        return Q(StartsWith(Upper("number"), upper)) | Q(
            StartsWith(Reverse(Upper("number")), upper[::-1])
        )
    return Q(customer_name__icontains=term)


def _terms(query: str) -> list[str]:
    return (query or "").split()[:5]


def invoice_matches(**filters) -> QuerySet[Invoice]:
    """The invoices invoice_list's ``filters`` select, in no order, with
    what a list row shows (see there)."""
    return (
        with_paid(_matching(**filters))
        .select_related("customer", "cancels")
        # The cancellation's id, not the row joined: a search the planner
        # thought matched 700 invoices merged them with all 25,000
        # cancellations by id (12 ms) to find one.
        .annotate(cancellation_pk=_cancellation_pk())
        .prefetch_related(
            Prefetch("lines", queryset=InvoiceLine.objects.filter(invoice__status=Status.DRAFT))
        )
    )


def invoice_list(
    *,
    state: str | None = None,
    since: datetime.date | None = None,
    until: datetime.date | None = None,
    query: str = "",
    customer_id: int | None = None,
) -> QuerySet[Invoice]:
    """Invoices newest first, filtered by state, invoice date, customer
    (the customer page's link) and a search for the number's start or end or
    the customer's name, with what a list shows of each: the customer, the
    cancellation's id (``cancellation_pk``), the sum paid (``paid``) and,
    for drafts, the positions (the gross)."""
    invoices = invoice_matches(
        state=state, since=since, until=until, query=query, customer_id=customer_id
    )
    # The open ones newest first along the database's list of them (the
    # same times as the invoices'), not the invoices' index.
    newest = (
        ("-unsettled__created_at", "-unsettled__invoice_id")
        if state in (State.OPEN, State.PARTLY_PAID)
        else ("-created_at", "-id")
    )
    invoices = invoices.order_by(*newest)
    if _terms(query):
        # A rare name or a number: its few matches from the trigram index,
        # then sorted, not the newest invoices walked until a page is
        # found (the planner, expecting 700 matches of one number, walked
        # all five million: 3 s). A common name ("Müller": 120,000) walks
        # them: its page is among the newest thousand.
        invoices = match_before_sorting(invoices, up_to=SEARCH_SORTED_UP_TO)
    return invoices


# A search expected to match at most this many invoices reads them all and
# sorts them (and counts them in the same query: invoice_count).
SEARCH_SORTED_UP_TO = 5_000


def _cancellation_pk() -> Subquery:
    return Subquery(Invoice.objects.filter(cancels_id=OuterRef("pk")).order_by().values("pk")[:1])


# A search counts its matches up to this many: "Müller" matches 120,000 of
# a chain's five million invoices (0.6 s to count them all).
SEARCH_COUNT_UP_TO = 200


def invoice_count(
    *,
    state: str | None = None,
    since=None,
    until=None,
    query: str = "",
    customer_id: int | None = None,
) -> int | None:
    """The list's length where it is known without counting the list:
    filtered by the open states alone, the database's list of unsettled
    invoices (22,000 of five million) counted on its own; else None, the
    list counts itself (a search up to SEARCH_COUNT_UP_TO matches, with
    its page: TablePaginator's count_up_to)."""
    if state in (State.OPEN, State.PARTLY_PAID) and not (since or until or customer_id or query):
        paid = {"paid__lte": 0} if state == State.OPEN else {"paid__gt": 0}
        return Unsettled.objects.filter(**paid).count()
    return None


def list_rows(invoices) -> list[Invoice]:
    """Each invoice of a page with ``state`` and ``shown_gross``, from what
    invoice_list read along (no query per row)."""
    rows = list(invoices)
    for invoice in rows:
        lines = invoice.lines.all()
        invoice.shown_gross = gross_of(invoice, lines)
        invoice.state = invoice_state(invoice, lines=lines)
    return rows


# --- A counter sale ---------------------------------------------------------------------

SALE_PRODUCTS_LIMIT = 10


def _sold_at_the_counter() -> QuerySet[Product]:
    # Spectacle lenses are priced by their power and made by the lab: an order sells them.
    return Product.objects.filter(active=True).exclude(category=Category.SPECTACLE_LENS)


def sale_products(query: str, *, limit: int = SALE_PRODUCTS_LIMIT) -> list[Product]:
    """Products a counter sale may take, matching every word of ``query`` in
    the name, brand, article number or EAN; at most ``limit`` + 1, so the
    caller can tell there are more."""
    query = (query or "").replace("\x00", "").strip()
    if not query:
        return []
    found = product_selectors.product_search(_sold_at_the_counter(), query)
    return list(found.order_by("name", "id")[: limit + 1])


def sale_product(code: str) -> Product | None:
    """The product a scan or a typed code means: the EAN or article number
    exactly, else the one product whose words match; None when none or
    several do."""
    product = product_selectors.product_by_code(code)
    if product is not None:
        return product  # what it may not be, the sale says (services.invoice_product_add)
    found = sale_products(code, limit=1)
    return found[0] if len(found) == 1 else None


# --- Many invoices' open amounts at once (invoices.accounting: open items) -------------


def _paid_by(*, insurer: bool) -> Coalesce:
    """The sum of an invoice's payments by one payer, split as open_for
    splits them: the insurer's (method "insurer") or everyone else's."""
    payments = Payment.objects.filter(invoice=OuterRef("pk"))
    if insurer:
        payments = payments.filter(method=Method.INSURER)
    else:
        payments = payments.exclude(method=Method.INSURER)
    paid = payments.order_by().values("invoice").annotate(total=Sum("amount")).values("total")
    money = DecimalField(max_digits=12, decimal_places=2)
    return Coalesce(Subquery(paid, output_field=money), Value(ZERO), output_field=money)


def with_open(invoices: QuerySet[Invoice]) -> QuerySet[Invoice]:
    """Each issued invoice with ``customer_open`` and ``insurer_open`` in
    the same query: what open_for(invoice, insurer=False / True) gives, by
    its rule (the insurer: its share less its payments; the customer: the
    gross less the share less every other payment)."""
    return invoices.annotate(
        customer_paid=_paid_by(insurer=False), insurer_paid=_paid_by(insurer=True)
    ).annotate(
        customer_open=F("gross") - F("insurer_share") - F("customer_paid"),
        insurer_open=F("insurer_share") - F("insurer_paid"),
    )
