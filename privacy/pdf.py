"""The access report (privacy.report) as a PDF to hand over or post: what
is stored, part by part, each record's values as a table and its changes
below, after the information Art. 15 (1) DSGVO asks for besides the data."""

from django.conf import settings
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from fpdf import FPDF
from fpdf.fonts import FontFace

from opticrm.lib.pdf import FONT, add_dejavu
from privacy.report import Report

MARGIN = 18
LABEL_WIDTH = 55


def _information() -> list[tuple[str, str]]:
    """What the controller must tell besides the data (Art. 15 (1) a–h)."""
    return [
        (
            _("Purposes"),
            _(
                "Advice, eye tests, the fitting and sale of glasses and contact lenses, "
                "appointments and, with your consent, reminders and recalls."
            ),
        ),
        (
            _("Categories of data"),
            _(
                "Master and contact data, consents, appointments, messages sent to you, and "
                "health data (refractions and contact lens fittings, DSGVO Art. 9)."
            ),
        ),
        (
            _("Recipients"),
            _(
                "Only the shop's staff who need the data; e-mail and SMS providers for the "
                "messages you agreed to; a lens lab only for an order of yours."
            ),
        ),
        (
            _("How long"),
            _(
                "As long as you are our customer; invoices and booking records as the law "
                "requires (8 and 10 years). You may ask us to erase the rest at any time."
            ),
        ),
        (
            _("Your rights"),
            _(
                "Rectification (Art. 16), erasure (Art. 17), restriction (Art. 18), data "
                "portability (Art. 20: the JSON file of this report), objection (Art. 21), "
                "withdrawal of consents at any time, and a complaint to a data protection "
                "supervisory authority (Art. 77)."
            ),
        ),
        (_("Source"), _("You, and the measurements taken in our shop.")),
    ]


class _Pdf(FPDF):
    def __init__(self, report: Report):
        super().__init__(format="A4")
        self.report = report
        add_dejavu(self)
        self.set_margins(MARGIN, MARGIN, MARGIN)
        self.set_auto_page_break(True, margin=MARGIN)
        self.alias_nb_pages()

    def footer(self):
        self.set_y(-12)
        self.set_font(FONT, size=8)
        self.set_text_color(110)
        text = _("Access report for customer no. %(number)s — page %(page)s of %(pages)s") % {
            "number": self.report.customer_number,
            "page": self.page_no(),
            "pages": "{nb}",
        }
        self.cell(0, 5, text, align="C")
        self.set_text_color(0)


def _heading(pdf: FPDF, text: str, size: int) -> None:
    pdf.set_font(FONT, "B", size)
    pdf.multi_cell(0, size * 0.55, text, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(1.5)
    pdf.set_font(FONT, size=9)


def _table(pdf: FPDF, rows: list[tuple[str, str]]) -> None:
    pdf.set_font(FONT, size=9)
    width = pdf.epw
    with pdf.table(
        col_widths=(LABEL_WIDTH, width - LABEL_WIDTH),
        first_row_as_headings=False,
        line_height=4.6,
        borders_layout="HORIZONTAL_LINES",
        text_align=("LEFT", "LEFT"),
    ) as table:
        for label, value in rows:
            row = table.row()
            row.cell(label, style=FontFace(emphasis="BOLD"))
            row.cell(value)
    pdf.ln(2)


def access_report_pdf(report: Report) -> bytes:
    pdf = _Pdf(report)
    pdf.add_page()
    _heading(pdf, _("Access report under Art. 15 GDPR"), 15)
    when = formats.date_format(timezone.localtime(report.created_at), "SHORT_DATETIME_FORMAT")
    controller = settings.SHOP_NAME
    if settings.SHOP_ADDRESS:
        controller += f", {settings.SHOP_ADDRESS}"
    about = _("%(name)s (customer no. %(number)s)") % {
        "name": report.name,
        "number": report.customer_number,
    }
    _table(pdf, [(_("Controller"), controller), (_("About"), about), (_("Created"), when)])
    _heading(pdf, _("Information about the processing"), 12)
    _table(pdf, _information())
    for part in report.parts:
        _heading(pdf, f"{part.title} ({len(part.records)})", 12)
        if not part.records:
            pdf.multi_cell(0, 5, _("None stored."), new_x="LMARGIN", new_y="NEXT")
            pdf.ln(2)
        for record in part.records:
            _heading(pdf, record.title, 10)
            _table(pdf, [(label, text) for _name, label, _plain, text in record.values])
            if record.history:
                pdf.set_font(FONT, "B", 9)
                pdf.cell(0, 5, _("Changes"), new_x="LMARGIN", new_y="NEXT")
                pdf.set_font(FONT, size=8)
                for change in record.history:
                    pdf.multi_cell(0, 4, _change_line(change), new_x="LMARGIN", new_y="NEXT")
                pdf.ln(2)
    return bytes(pdf.output())


def _change_line(change) -> str:
    when = formats.date_format(timezone.localtime(change.when), "SHORT_DATETIME_FORMAT")
    if change.created:
        what = _("created")
    elif change.deleted:
        what = _("deleted")
    elif change.restored:
        what = _("restored")
    else:
        what = "; ".join(f"{label}: {before} → {after}" for label, before, after in change.fields)
    return f"{when}, {change.who}: {what}"
