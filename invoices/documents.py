"""An issued invoice as PDF (fpdf2, A4 portrait, DejaVu Sans), drawn once
when it is issued (services._issue) and kept as sent (InvoiceDocument).

A DIN 5008 letter for a window envelope, drawn on
opticrm.lib.documents.LetterDocument as the order documents are. It
carries what UStG § 14 (4) asks: the shop's name, address and tax number
or VAT ID (the copies made at the issue), the customer's name and address,
the invoice number and date, the delivery date, each position with
quantity, description, unit price, discount and VAT rate, the net amount
and VAT per rate, the gross amount; then the insurer's share deducted,
what the customer pays, what was received already, and the payment terms
with the shop's bank account.

It is drawn in the shop's language whatever the issuing user's language
is: the PDF is kept for years exactly as it was sent.
"""

import datetime
from collections.abc import Sequence
from decimal import Decimal

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext

from invoices.models import Invoice, InvoiceLine, Kind, Payment
from invoices.selectors import InvoiceTotals, invoice_totals, priced_lines, recipient_lines
from opticrm.lib.display import money
from opticrm.lib.documents import (
    MINUS,
    SMALL_SIZE,
    TEXT_SIZE,
    WIDTH,
    LetterDocument,
    percent,
    short_date,
    signed_money,
)

ZERO = Decimal("0.00")


def iban_groups(iban: str) -> str:
    """DE89 3704 0044 0532 0130 00, as IBANs are printed."""
    return " ".join(iban[start : start + 4] for start in range(0, len(iban), 4))


def _position_rows(lines: Sequence[InvoiceLine]) -> list[list[str]]:
    rows = []
    for line in lines:
        description = [line.description]
        if line.discount and line.discount_percent is not None:
            description.append(
                _("Discount of %(percent)s %%: %(reason)s")
                % {"percent": percent(line.discount_percent), "reason": line.discount_reason}
            )
        elif line.discount:
            description.append(_("Discount: %(reason)s") % {"reason": line.discount_reason})
        rows.append(
            [
                str(line.position),
                str(line.quantity).replace("-", MINUS),
                "\n".join(description),
                money(line.unit_price),
                signed_money(-line.discount) if line.discount else "",
                f"{line.vat_rate} %",
                signed_money(line.total),
            ]
        )
    return rows


def _info(invoice: Invoice) -> list[tuple[str, str]]:
    info = [
        (_("Invoice no."), invoice.number or ""),
        (_("Invoice date"), short_date(invoice.issued_on)),
        (_("Delivery date"), short_date(invoice.delivered_on)),
    ]
    if invoice.customer_id:
        info.append((_("Customer no."), str(invoice.customer_id)))
    if invoice.order_id:
        info.append((_("Order no."), str(invoice.order_id)))
    if invoice.is_e_invoice and invoice.buyer_reference:
        info.append((_("Your reference"), invoice.buyer_reference))
    if invoice.is_e_invoice and invoice.company_vat_id:
        info.append((_("Your VAT ID"), invoice.company_vat_id))
    if invoice.shop_tax_number:
        info.append((_("Tax no."), invoice.shop_tax_number))
    if invoice.shop_vat_id:
        info.append((_("VAT ID"), invoice.shop_vat_id))
    return info


def invoice_pdf(invoice: Invoice, lines=None, payments: Sequence[Payment] = ()) -> bytes:
    """The invoice (or cancellation invoice) as issued; ``payments``: those
    received by then (the order's deposit), deducted from what is due. For a
    company (Invoice.is_e_invoice) a Factur-X PDF/A-3: the same pages as
    PDF/A with the invoice as EN 16931 XML inside (invoices.einvoice)."""
    with translation.override(settings.LANGUAGE_CODE):
        lines = priced_lines(invoice, lines)
        pdf = _draw(invoice, lines, payments)
        if invoice.is_e_invoice:
            from invoices import einvoice  # which draws on this module

            xml = einvoice.cii_xml(invoice, lines, payments)
            pdf = einvoice.facturx_pdf(invoice, pdf, xml, title=subject_of(invoice))
        return pdf


def subject_of(invoice: Invoice) -> str:
    if invoice.kind == Kind.CANCELLATION:
        return _("Cancellation invoice no. %(number)s") % {"number": invoice.number}
    return _("Invoice no. %(number)s") % {"number": invoice.number}


def amounts_due(
    invoice: Invoice, totals: InvoiceTotals, payments: Sequence[Payment]
) -> tuple[Decimal, Decimal]:
    """(received, due): the payments received by the issue (the order's
    deposit) and what is left for the customer to pay, as the PDF says."""
    received = sum((payment.amount for payment in payments), ZERO)
    return received, totals.customer_pays - received


def _draw(invoice: Invoice, lines: list[InvoiceLine], payments: Sequence[Payment]) -> bytes:
    totals = invoice_totals(invoice, lines)
    cancellation = invoice.kind == Kind.CANCELLATION
    subject = subject_of(invoice)
    pdf = LetterDocument(subject, compliance="PDFA_3B" if invoice.is_e_invoice else None)
    window = recipient_lines(invoice)
    pdf.letter_head(
        window=[line for line in window if line.strip()], info=_info(invoice), subject=subject
    )
    if cancellation and invoice.cancels_id:
        original = invoice.cancels
        pdf.paragraph(
            _("This cancellation invoice cancels invoice no. %(number)s of %(date)s in full.")
            % {"number": original.number, "date": short_date(original.issued_on)}
        )
        if invoice.reason:
            pdf.paragraph(_("Reason: %(reason)s") % {"reason": invoice.reason})
    pdf.heading(_("Positions"))
    pdf.table_of(
        [
            pgettext("order", "position"),
            _("Quantity"),
            _("Description"),
            _("Unit price"),
            _("Discount"),
            _("VAT"),
            _("Total"),
        ],
        _position_rows(lines),
        widths=(10, 14, 67, 23, 20, 13, 23),
        align=("LEFT", "RIGHT", "LEFT", "RIGHT", "RIGHT", "RIGHT", "RIGHT"),
    )
    pdf.table_of(
        [_("VAT rate"), _("Net"), _("VAT"), _("Gross")],
        [
            [
                f"{rate.rate} %",
                signed_money(rate.net),
                signed_money(rate.vat),
                signed_money(rate.gross),
            ]
            for rate in totals.rates
        ],
        widths=(WIDTH - 3 * 30, 30, 30, 30),
        align=("LEFT", "RIGHT", "RIGHT", "RIGHT"),
    )
    summary = [[_("Total amount (gross)"), signed_money(totals.gross)]]
    if totals.discount:
        summary.append([_("Discounts included"), signed_money(totals.discount)])
    if invoice.insurer_share:
        summary.append(
            [_("Share of your health insurer, billed to it"), signed_money(-invoice.insurer_share)]
        )
        summary.append([_("Your own share"), signed_money(totals.customer_pays)])
    received, due = amounts_due(invoice, totals, payments)
    if received:
        summary.append([_("Received already"), signed_money(-received)])
    if invoice.insurer_share or received:
        summary.append([_("Amount due"), signed_money(due)])
    pdf.table_of(
        None,
        summary,
        widths=(WIDTH - 40, 40),
        align=("LEFT", "RIGHT"),
        size=TEXT_SIZE,
        bold_rows=(0, len(summary) - 1),
        borders="SINGLE_TOP_LINE",
    )
    pdf.ln(2)
    if not cancellation:
        payment_terms(pdf, invoice, due)
    pdf.paragraph(
        _("Please keep this invoice; it serves as proof of purchase and warranty."),
        size=SMALL_SIZE,
    )
    return bytes(pdf.output())


def due_date(invoice: Invoice) -> datetime.date:
    """The day the invoice is to be paid by: its date plus INVOICE_PAYMENT_DAYS."""
    return invoice.issued_on + datetime.timedelta(days=settings.INVOICE_PAYMENT_DAYS)


def payment_terms_text(invoice: Invoice, due: Decimal) -> str:
    """The payment terms as the PDF states them (and the e-invoice, BT-20)."""
    if due <= 0:
        return _("The amount has been paid in full. Thank you.")
    days = settings.INVOICE_PAYMENT_DAYS
    if days:
        return ngettext(
            "Please pay %(amount)s without deduction within %(days)d day, by %(date)s.",
            "Please pay %(amount)s without deduction within %(days)d days, by %(date)s.",
            days,
        ) % {"amount": money(due), "days": days, "date": short_date(due_date(invoice))}
    return _("Please pay %(amount)s without deduction on receipt of this invoice.") % {
        "amount": money(due)
    }


def payment_terms(pdf: LetterDocument, invoice: Invoice, due: Decimal) -> None:
    pdf.paragraph(payment_terms_text(invoice, due))
    if due <= 0:
        return
    if settings.SHOP_BANK_IBAN:
        account = [
            part
            for part in (
                settings.SHOP_BANK_NAME,
                f"IBAN {iban_groups(settings.SHOP_BANK_IBAN)}",
                f"BIC {settings.SHOP_BANK_BIC}" if settings.SHOP_BANK_BIC else "",
            )
            if part
        ]
        pdf.paragraph(
            _("Bank details: %(account)s") % {"account": " · ".join(account)}
            + "\n"
            + _("Please state the invoice number %(number)s with your transfer.")
            % {"number": invoice.number}
        )


def invoice_file_name(invoice: Invoice) -> str:
    """The PDF's file name, as the download names it: "Rechnung-2026-000123.pdf",
    "Stornorechnung-…" (in the shop's language, like the PDF)."""
    with translation.override(settings.LANGUAGE_CODE):
        prefix = (
            pgettext("file name", "Cancellation invoice")
            if invoice.kind == Kind.CANCELLATION
            else pgettext("file name", "Invoice")
        )
    return f"{prefix}-{(invoice.number or '').replace('/', '-')}.pdf"
