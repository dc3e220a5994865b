"""Reads of invoices: their money by the orders' rules (orders.rules), the
small-amount limit and the state lists show."""

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import DecimalField, F, OuterRef, Prefetch, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from invoices.models import (
    SMALL_AMOUNT,
    Invoice,
    InvoiceLine,
    Kind,
    Method,
    Payment,
    State,
    Status,
)
from opticrm.lib.models import with_names_of
from orders import rules

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


def lacks_address(invoice: Invoice) -> bool:
    """An issued invoice over 250 € without the customer's postal address,
    which UStG § 14 (4) asks for: the page warns."""
    return (
        invoice.status == Status.ISSUED
        and not invoice.customer_address.strip()
        and invoice.gross is not None
        and abs(invoice.gross) > SMALL_AMOUNT
    )


def is_cancelled(invoice: Invoice) -> bool:
    # The reverse one-to-one, read once (select_related("cancellation") in lists).
    try:
        return invoice.cancellation is not None
    except Invoice.cancellation.RelatedObjectDoesNotExist:
        return False


def invoice_payments(invoice_id: int) -> QuerySet[Payment]:
    return with_names_of(Payment.objects.filter(invoice_id=invoice_id), users=["created_by"])


def paid_amount(invoice_id: int) -> Decimal:
    total = Payment.objects.filter(invoice_id=invoice_id).aggregate(total=Sum("amount"))["total"]
    return total or ZERO


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
    if state == State.PAID:
        return invoices.filter(issued, paid__gte=F("gross"))
    if state == State.PARTLY_PAID:
        return invoices.filter(issued, paid__gt=0, paid__lt=F("gross"))
    if state == State.OPEN:
        return invoices.filter(issued, paid__lte=0, gross__gt=0)
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
        """What is still to be paid, by the customer and the insurer."""
        return self.totals.gross - self.paid

    @property
    def customer_open(self) -> Decimal:
        """What the customer still pays (the insurer's share is its own)."""
        paid = sum(
            (payment.amount for payment in self.payments if payment.method != Method.INSURER),
            ZERO,
        )
        return self.totals.gross - self.invoice.insurer_share - paid

    @property
    def small_amount(self) -> bool:
        return abs(self.totals.gross) <= SMALL_AMOUNT


def invoice_page(pk: int) -> InvoicePage | None:
    """The invoice with its customer, order, cancellation (either way) and
    document's existence, its positions, totals and payments."""
    invoice = (
        Invoice.objects.select_related("customer", "order", "cancels", "cancellation")
        .filter(pk=pk)
        .first()
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
    with ``state`` (two queries, however many)."""
    invoices = list(
        with_paid(Invoice.objects.filter(order_id=order_id))
        .select_related("cancellation")
        .prefetch_related("lines")
        .order_by("-created_at", "-id")
    )
    for invoice in invoices:
        invoice.state = invoice_state(invoice, lines=invoice.lines.all())
    return invoices


def invoice_list(
    *,
    state: str | None = None,
    since: datetime.date | None = None,
    until: datetime.date | None = None,
    query: str = "",
) -> QuerySet[Invoice]:
    """Invoices newest first, filtered by state, invoice date and a search
    for any part of the number or the customer's name, with what a list
    shows of each: the customer, the cancellation, the sum paid (``paid``)
    and, for drafts, the positions (the gross)."""
    invoices = with_paid(Invoice.objects.all())
    if state:
        invoices = state_filter(invoices, state)
    if since is not None:
        invoices = invoices.filter(issued_on__gte=since)
    if until is not None:
        invoices = invoices.filter(issued_on__lte=until)
    for term in (query or "").split()[:5]:
        invoices = invoices.filter(
            Q(number__icontains=term)
            | Q(customer_name__icontains=term)
            | Q(customer_name="", customer__last_name__icontains=term)
            | Q(customer_name="", customer__first_name__icontains=term)
        )
    return (
        invoices.select_related("customer", "cancellation", "cancels")
        .prefetch_related(
            Prefetch("lines", queryset=InvoiceLine.objects.filter(invoice__status=Status.DRAFT))
        )
        .order_by("-created_at", "-id")
    )


def list_rows(invoices) -> list[Invoice]:
    """Each invoice of a page with ``state`` and ``shown_gross``, from what
    invoice_list read along (no query per row)."""
    rows = list(invoices)
    for invoice in rows:
        lines = invoice.lines.all()
        invoice.shown_gross = gross_of(invoice, lines)
        invoice.state = invoice_state(invoice, lines=lines)
    return rows


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
