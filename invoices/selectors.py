"""Reads of invoices: their money by the orders' rules (orders.rules), the
small-amount limit and the state lists show."""

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import QuerySet

from invoices.models import SMALL_AMOUNT, Invoice, InvoiceLine, State, Status
from orders import rules


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


def is_cancelled(invoice: Invoice) -> bool:
    # The reverse one-to-one, read once (select_related("cancellation") in lists).
    try:
        return invoice.cancellation is not None
    except Invoice.cancellation.RelatedObjectDoesNotExist:
        return False


def invoice_state(invoice: Invoice) -> str:
    """Draft, issued, or cancelled: an issued invoice with a cancellation
    invoice (no status of its own, so nothing of the original changes)."""
    if invoice.status == Status.DRAFT:
        return State.DRAFT
    return State.CANCELLED if is_cancelled(invoice) else State.ISSUED


def invoice_list() -> QuerySet[Invoice]:
    """Invoices newest first, with what a list shows of each: the customer,
    the cancellation (the state) and the positions (the gross)."""
    return (
        Invoice.objects.select_related("customer", "cancellation")
        .prefetch_related("lines")
        .order_by("-created_at", "-id")
    )
