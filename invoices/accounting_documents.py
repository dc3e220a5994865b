"""The accounting PDFs, drawn on demand and never stored (issue 29): the
payment reminder (Zahlungserinnerung) for an open invoice, a DIN 5008
letter drawn on opticrm.lib.documents.LetterDocument as the invoice is,
and the day report (Tagesbericht) for the till's closing.

Both are drawn in the shop's language, as the invoice is. Drawing reads
what it is given and writes nothing.
"""

import datetime
from decimal import Decimal

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _

from invoices.accounting import DayReport, reminder_due_on
from invoices.documents import iban_groups
from invoices.models import Invoice, Payment
from opticrm.lib.display import choice_labels
from opticrm.lib.documents import (
    SMALL_SIZE,
    TEXT_SIZE,
    WIDTH,
    LetterDocument,
    short_date,
    signed_money,
)
from opticrm.lib.pdf import FONT

# --- The payment reminder --------------------------------------------------------------


def _recipient(invoice: Invoice) -> tuple[list[str], str]:
    """The window's lines and the salutation: the customer as the file
    knows them today (they may have moved since the invoice), else (a
    counter sale, a deleted customer) the invoice's copy."""
    customer = invoice.customer
    if customer is not None and not customer.is_deleted:
        return customer.postal_address_lines, customer.letter_salutation
    window = [invoice.customer_name, *invoice.customer_address.splitlines()]
    return [line for line in window if line.strip()], _("Dear Sir or Madam")


def _bank_details() -> str:
    if not settings.SHOP_BANK_IBAN:
        return ""
    account = [
        part
        for part in (
            settings.SHOP_BANK_NAME,
            f"IBAN {iban_groups(settings.SHOP_BANK_IBAN)}",
            f"BIC {settings.SHOP_BANK_BIC}" if settings.SHOP_BANK_BIC else "",
        )
        if part
    ]
    return _("Bank details: %(account)s") % {"account": " · ".join(account)}


def reminder_pdf(invoice: Invoice, *, open_amount: Decimal, today: datetime.date) -> bytes:
    """A polite reminder of ``open_amount`` of ``invoice`` (the customer's
    part still open), due ``REMINDER_DAYS`` after ``today``."""
    with translation.override(settings.LANGUAGE_CODE):
        return _draw_reminder(invoice, open_amount, today)


def _draw_reminder(invoice: Invoice, open_amount: Decimal, today: datetime.date) -> bytes:
    subject = _("Payment reminder for invoice no. %(number)s") % {"number": invoice.number}
    window, salutation = _recipient(invoice)
    info = [
        (_("Date"), short_date(today)),
        (_("Invoice no."), invoice.number),
        (_("Invoice date"), short_date(invoice.issued_on)),
    ]
    if invoice.customer_id:
        info.append((_("Customer no."), str(invoice.customer_id)))
    pdf = LetterDocument(subject)
    pdf.letter_head(window=window, info=info, subject=subject)
    pdf.paragraph(
        salutation
        + ",\n\n"
        + _(
            "according to our records, the following amount of our invoice no. %(number)s "
            "of %(date)s is still open:"
        )
        % {"number": invoice.number, "date": short_date(invoice.issued_on)}
    )
    pdf.ln(2)
    summary = [[_("Invoice amount (gross)"), signed_money(invoice.gross)]]
    if invoice.insurer_share:
        summary.append(
            [_("Share of your health insurer, billed to it"), signed_money(-invoice.insurer_share)]
        )
    paid = invoice.gross - invoice.insurer_share - open_amount
    if paid:
        summary.append([_("Received already"), signed_money(-paid)])
    summary.append([_("Amount open"), signed_money(open_amount)])
    pdf.table_of(
        None,
        summary,
        widths=(WIDTH - 40, 40),
        align=("LEFT", "RIGHT"),
        size=TEXT_SIZE,
        bold_rows=(len(summary) - 1,),
        borders="SINGLE_TOP_LINE",
    )
    pdf.ln(2)
    pdf.paragraph(
        _(
            "Perhaps this has simply been overlooked. We kindly ask you to pay the amount "
            "of %(amount)s by %(date)s."
        )
        % {"amount": signed_money(open_amount), "date": short_date(reminder_due_on(today))}
    )
    bank = _bank_details()
    if bank:
        pdf.ln(2)
        pdf.paragraph(
            bank
            + "\n"
            + _("Please state the invoice number %(number)s with your transfer.")
            % {"number": invoice.number}
        )
    pdf.ln(2)
    pdf.paragraph(
        _(
            "If you have paid in the meantime, please disregard this letter. Should you have "
            "any questions about the invoice, we will be glad to help."
        )
    )
    pdf.ln(4)
    pdf.paragraph(_("Kind regards") + "\n" + settings.SHOP_NAME)
    return bytes(pdf.output())


# --- The day report --------------------------------------------------------------------


def day_report_pdf(report: DayReport) -> bytes:
    with translation.override(settings.LANGUAGE_CODE):
        return _draw_day_report(report)


def _draw_day_report(report: DayReport) -> bytes:
    title = _("Day report of %(date)s") % {"date": short_date(report.day)}
    pdf = LetterDocument(title)
    pdf.set_font(FONT, "B", 14)
    pdf.multi_cell(WIDTH, 7, settings.SHOP_NAME, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT, "B", 12)
    pdf.multi_cell(WIDTH, 6, title, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)

    kinds, methods = choice_labels(Invoice, "kind"), choice_labels(Payment, "method")
    pdf.heading(_("Invoices and cancellations"))
    if report.documents:
        pdf.table_of(
            [_("Invoice no."), _("Kind"), _("Customer"), _("Gross")],
            [
                [
                    document.number,
                    kinds[document.kind],
                    document.customer_name,
                    signed_money(document.gross),
                ]
                for document in report.documents
            ],
            widths=(32, 40, WIDTH - 32 - 40 - 30, 30),
            align=("LEFT", "LEFT", "LEFT", "RIGHT"),
        )
    else:
        pdf.paragraph(_("No invoice was issued on this day."), size=SMALL_SIZE)

    pdf.heading(_("Revenue by VAT rate"))
    rows = [
        [f"{rate.rate} %", signed_money(rate.net), signed_money(rate.vat), signed_money(rate.gross)]
        for rate in report.rates
    ]
    rows.append(
        [_("Total"), signed_money(report.net), signed_money(report.vat), signed_money(report.gross)]
    )
    pdf.table_of(
        [_("VAT rate"), _("Net"), _("VAT"), _("Gross")],
        rows,
        widths=(WIDTH - 3 * 30, 30, 30, 30),
        align=("LEFT", "RIGHT", "RIGHT", "RIGHT"),
        bold_rows=(len(rows) - 1,),
    )

    pdf.heading(_("Payments received"))
    if report.payments:
        pdf.table_of(
            [_("Payment method"), _("Invoice no."), _("Till receipt"), _("Amount")],
            [
                [
                    methods[payment.method],
                    payment.invoice.number or "",
                    payment.receipt_number,
                    signed_money(payment.amount),
                ]
                for payment in report.payments
            ],
            widths=(40, 40, WIDTH - 40 - 40 - 30, 30),
            align=("LEFT", "LEFT", "LEFT", "RIGHT"),
        )
    rows = [
        [method.label, str(method.count), signed_money(method.amount)]
        for method in report.methods
        if method.count
    ]
    rows.append([_("Total received"), "", signed_money(report.received)])
    pdf.table_of(
        [_("Payment method"), _("Payments"), _("Amount")],
        rows,
        widths=(WIDTH - 30 - 30, 30, 30),
        align=("LEFT", "RIGHT", "RIGHT"),
        bold_rows=(len(rows) - 1,),
    )
    if report.cash:
        pdf.paragraph(
            _(
                "Cash is taken by the shop's certified till: compare %(amount)s with the "
                "till's closing (Z report)."
            )
            % {"amount": signed_money(report.cash)},
            size=SMALL_SIZE,
        )

    pdf.heading(_("Deposits settled (received earlier with the order)"))
    if report.deposits:
        pdf.table_of(
            [_("Invoice no."), _("Note"), _("Amount")],
            [
                [payment.invoice.number or "", payment.note, signed_money(payment.amount)]
                for payment in report.deposits
            ],
            widths=(40, WIDTH - 40 - 30, 30),
            align=("LEFT", "LEFT", "RIGHT"),
        )
    pdf.paragraph(
        _("Deposits: %(amount)s, not money taken on this day.")
        % {"amount": signed_money(report.deposits_total)},
        size=SMALL_SIZE,
    )
    return bytes(pdf.output())
