"""The statement to the statutory insurer (Abrechnung an die Krankenkasse) of
an invoice with an insurer's share (issue 29): the optician bills the
insurer directly for the share the customer's invoice deducted.

A DIN 5008 letter for a window envelope, laid out as the invoice is
(on opticrm.lib.documents.LetterDocument): the insurer in the
address field (its name: the insurer's postal address is not stored), the
shop's tax number or VAT ID and IK, the customer's invoice it belongs to,
the insured person and the ophthalmologist's prescription's date, per lens
its aid position number, price, fixed amount, the statutory co-payment the
insured person paid and what the insurer pays (the columns of the cost
estimate, from the same orders.selectors.insurance_share), the amount
claimed (the invoice's insurer's share, always), what the insurer paid
already, and the payment terms with the shop's bank account.

The prescriber's name is health data (docs/rules.md): this letter goes to
everyone who may download the invoice, so it is left out.

Drawn on demand in the shop's language and never stored; drawing reads
what it is given and writes nothing.
"""

import datetime

from django.conf import settings
from django.utils import translation
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from invoices.accounting import InsurerStatement
from invoices.documents import payment_terms
from opticrm.lib.display import money
from opticrm.lib.documents import (
    EMPTY,
    SMALL_SIZE,
    TEXT_SIZE,
    WIDTH,
    LetterDocument,
    short_date,
    signed_money,
)
from orders import rules
from orders.documents import lens_attributes


def insurer_statement_pdf(statement: InsurerStatement, *, today: datetime.date) -> bytes:
    with translation.override(settings.LANGUAGE_CODE):
        return _draw(statement, today)


def insurer_statement_file_name(statement: InsurerStatement) -> str:
    """``Abrechnung-Krankenkasse-2026-000123.pdf`` (in the shop's language)."""
    with translation.override(settings.LANGUAGE_CODE):
        prefix = pgettext("file name", "Insurer statement")
    return f"{prefix}-{(statement.invoice.number or '').replace('/', '-')}.pdf"


def _info(statement: InsurerStatement, today: datetime.date) -> list[tuple[str, str]]:
    invoice = statement.invoice
    info = [
        (_("Date"), short_date(today)),
        (_("Invoice no."), invoice.number or ""),
        (_("Invoice date"), short_date(invoice.issued_on)),
    ]
    if invoice.order_id:
        info.append((_("Order no."), str(invoice.order_id)))
    if settings.SHOP_IK:
        info.append((_("Our IK"), settings.SHOP_IK))
    if invoice.shop_tax_number:
        info.append((_("Tax no."), invoice.shop_tax_number))
    if invoice.shop_vat_id:
        info.append((_("VAT ID"), invoice.shop_vat_id))
    return info


def _lens_rows(statement: InsurerStatement) -> list[list[str]]:
    rows = []
    for lens in statement.lenses:
        line = lens.line
        _discount, cost = rules.line_gross(
            line.quantity, line.unit_price, line.discount_percent, line.discount_amount
        )
        name = "\n".join(
            part
            for part in (
                line.description,
                lens_attributes(line.product if line.product_id else None, line.diameter),
            )
            if part
        )
        if line.quantity != 1:
            name = f"{line.quantity} × {name}"
        rows.append(
            [
                _("R") if line.eye == "right" else _("L"),
                name,
                lens.fixed.aid_number or EMPTY,
                money(cost),
                money(lens.fixed.amount),
                money(lens.co_payment),
                money(lens.insurer_pays),
            ]
        )
    return rows


def _draw(statement: InsurerStatement, today: datetime.date) -> bytes:
    invoice = statement.invoice
    subject = _("Statement to the health insurer for invoice no. %(number)s") % {
        "number": invoice.number
    }
    pdf = LetterDocument(subject)
    pdf.letter_head(
        window=[statement.insurer] if statement.insurer else [],
        info=_info(statement, today),
        subject=subject,
    )
    pdf.paragraph(
        _(
            "We claim your share of the spectacle lenses we supplied to your insured person "
            "named below; our invoice no. %(number)s of %(date)s to the insured person "
            "deducted it."
        )
        % {"number": invoice.number, "date": short_date(invoice.issued_on)}
    )
    pdf.heading(_("Insured person"))
    facts = [
        (_("Name"), statement.insured_name),
        (_("Date of birth"), short_date(statement.insured_born)),
        (_("Insurance number"), statement.insurance_number),
        (_("Insurance provider"), statement.insurer),
    ]
    if statement.prescribed_on:
        facts.append((_("Ophthalmologist's prescription of"), short_date(statement.prescribed_on)))
    pdf.facts(facts)

    pdf.heading(_("Lenses"))
    if statement.lenses:
        pdf.table_of(
            [
                _("Eye"),
                _("Spectacle lens"),
                _("Aid list position no."),
                _("Price"),
                capfirst(_("fixed amount per lens")),
                _("Co-payment"),
                _("Insurer pays"),
            ],
            _lens_rows(statement),
            widths=(11, 54, 27, 19.5, 19.5, 19.5, 19.5),
            align=("LEFT", "LEFT", "LEFT", "RIGHT", "RIGHT", "RIGHT", "RIGHT"),
        )
    else:
        pdf.paragraph(
            _(
                "The amounts per lens can no longer be shown: the order or its lenses have "
                "changed since the invoice was issued. The amount claimed is the insurer's "
                "share on the invoice."
            ),
            size=SMALL_SIZE,
        )
    summary = []
    if statement.co_payment:
        summary.append(
            [_("Statutory co-payment, paid by the insured person"), money(statement.co_payment)]
        )
    summary.append([_("Amount claimed"), money(statement.claimed)])
    bold = [len(summary) - 1]
    if statement.received:
        summary.append([_("Received already"), signed_money(-statement.received)])
        summary.append([_("Amount due"), signed_money(statement.open)])
        bold.append(len(summary) - 1)
    pdf.table_of(
        None,
        summary,
        widths=(WIDTH - 40, 40),
        align=("LEFT", "RIGHT"),
        size=TEXT_SIZE,
        bold_rows=bold,
        borders="SINGLE_TOP_LINE",
    )
    pdf.ln(2)
    payment_terms(pdf, invoice, statement.open)
    return bytes(pdf.output())
