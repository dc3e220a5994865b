"""The Brillenpass as a PDF (A5 landscape), drawn with fpdf2: pure Python,
no system libraries. DejaVu Sans (opticrm.lib.pdf) prints every letter a
customer's name may have, and the typographic minus of the notation."""

from django.utils.translation import gettext as _
from fpdf import FPDF

from opticrm.lib.pdf import FONT, add_dejavu
from prescriptions.card import Card

A5 = (148, 210)  # millimetres, portrait; fpdf2 turns it for landscape


def _pdf() -> FPDF:
    pdf = FPDF(orientation="landscape", format=A5)
    pdf.set_margins(14, 12, 14)
    pdf.set_auto_page_break(auto=True, margin=12)
    add_dejavu(pdf)
    pdf.set_title(_("Spectacle prescription"))
    pdf.add_page()
    return pdf


def render(content: Card) -> bytes:
    pdf = _pdf()
    width = pdf.epw
    pdf.set_font(FONT, "B", 9)
    for line in content.shop:
        pdf.cell(width, 4.5, line, new_x="LMARGIN", new_y="NEXT")
        pdf.set_font(FONT, "", 9)
    pdf.ln(3)
    pdf.set_font(FONT, "B", 16)
    pdf.cell(width, 8, _("Spectacle prescription"), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT, "", 11)
    person = content.customer + (f", {_('born')} {content.birth}" if content.birth else "")
    pdf.cell(width, 6, person, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT, "", 9)
    pdf.multi_cell(
        width,
        4.5,
        "   ·   ".join(f"{k}: {v}" for k, v in content.facts),
        new_x="LMARGIN",
        new_y="NEXT",
    )
    if content.superseded:
        pdf.ln(1)
        pdf.set_font(FONT, "B", 9)
        pdf.multi_cell(width, 5, content.superseded, border=1, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    first = 10
    column = (width - first) / len(content.columns)
    pdf.set_font(FONT, "B", 9)
    pdf.cell(first, 7, "", border="B")
    for label in content.columns:
        pdf.cell(column, 7, label, border="B", align="C")
    pdf.ln()
    for label, cells in content.rows:
        pdf.set_font(FONT, "B", 11)
        pdf.cell(first, 9, label, border="B")
        pdf.set_font(FONT, "", 10)
        for text in cells:
            pdf.cell(column, 9, text or "—", border="B", align="C")
        pdf.ln()
    # Where the optician signs and dates the card.
    pdf.ln(16)
    pdf.set_font(FONT, "", 8)
    pdf.cell(width * 0.6, 4, _("Date, signature"), border="T", new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())
