"""The fonts every PDF uses are read once per process (opticrm.lib.pdf):
a document drawn with the copy is byte for byte what fpdf2 draws reading
the files itself, and documents drawn one after the other do not share the
letters they use."""

import datetime

from fpdf import FPDF

from opticrm.lib import pdf as fonts

TEXT = "Rechnung für Øztürk Łukasiewicz – 1.234,56 € (Größe 52□18) −0,25 dpt"


def _draw(add, text: str) -> bytes:
    pdf = FPDF()
    pdf.set_creation_date(datetime.datetime(2026, 12, 6, tzinfo=datetime.UTC))
    add(pdf)
    pdf.add_page()
    pdf.set_font(fonts.FONT, "B", 14)
    pdf.cell(text=text)
    pdf.ln()
    pdf.set_font(fonts.FONT, "", 10)
    pdf.multi_cell(w=0, text=text * 3)
    return bytes(pdf.output())


def _read_from_the_files(pdf: FPDF) -> None:
    for style, path in fonts.FILES.items():
        pdf.add_font(fonts.FONT, style, path)


def test_the_copy_draws_what_fpdf2_draws_from_the_files():
    assert _draw(fonts.add_dejavu, TEXT) == _draw(_read_from_the_files, TEXT)


def test_each_document_has_fonts_of_its_own():
    first = _draw(fonts.add_dejavu, "Ærø")
    _draw(fonts.add_dejavu, TEXT)  # many more letters, in between
    assert _draw(fonts.add_dejavu, "Ærø") == first == _draw(_read_from_the_files, "Ærø")
