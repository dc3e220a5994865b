"""The shop's business letters as PDF (fpdf2, A4 portrait, DejaVu Sans so
that any name and the typographic minus print): the order documents
(orders.documents), the invoice, the payment reminder and the statement to
the insurer (invoices) are all drawn on LetterDocument, so they look alike.

A letter is DIN 5008 form B for a window envelope, laid out as the recall
letters are (opticrm.lib.letters: letterhead, return address and address
field, fold marks) with the information block beside the address. Tables
are fpdf2 tables: long cells wrap, and a table too long for the page goes
on over the next with its headings repeated; every page says in its footer
what it belongs to.

Unlike opticrm.lib.letters this module uses Django (the shop's settings,
gettext, the German date format): it is the letters' Django side.
"""

import datetime
from collections.abc import Iterable, Sequence
from decimal import Decimal

from django.conf import settings
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from fpdf import FPDF, FontFace

from opticrm.lib import letters
from opticrm.lib.display import money
from opticrm.lib.pdf import FONT, add_dejavu

EMPTY = "—"
MINUS = "\u2212"
TEXT_SIZE = 10
SMALL_SIZE = 8.5
LINE_HEIGHT = 5
WIDTH = letters.CONTENT_WIDTH
# DIN 5008 form B: the information block right of the address field.
INFO_LEFT = 125
INFO_TOP = 50
INFO_WIDTH = 190 - INFO_LEFT
KEEP_WITH_HEADING = 40
HEADINGS = FontFace(emphasis="BOLD", size_pt=7.5, fill_color=235)


# --- Values as the letters write them ------------------------------------------


def short_date(day: datetime.date | None) -> str:
    """12.03.2026, or nothing for no date."""
    return date_format(day, "SHORT_DATE_FORMAT") if day else ""


def percent(value: Decimal) -> str:
    """12,5 (no trailing zeros: a discount of 10 % is not "10,00 %")."""
    return f"{value.normalize():f}".replace(".", ",")


def signed_money(value: Decimal) -> str:
    """Money with the typographic minus: −12,50 €."""
    return f"{MINUS}{money(-value)}" if value < 0 else money(value)


def shop_sender() -> letters.Sender:
    return letters.Sender(
        name=settings.SHOP_NAME, address=settings.SHOP_ADDRESS, phone=settings.SHOP_PHONE
    )


# --- Drawing -----------------------------------------------------------------


class LetterDocument(FPDF):
    """A4 with the letters' margins; the footer names the document and
    counts the pages."""

    def __init__(self, reference: str, *, compliance: str | None = None):
        # ``compliance``: e.g. "PDFA_3B" (fpdf2 then embeds the sRGB output
        # intent and refuses what PDF/A forbids), for the e-invoice.
        super().__init__(
            orientation="portrait", unit="mm", format="A4", enforce_compliance=compliance
        )
        self.reference = reference
        add_dejavu(self)
        self.set_lang("de")
        self.set_title(reference)
        self.set_author(settings.SHOP_NAME)
        self.set_margins(letters.MARGIN_LEFT, letters.MARGIN_TOP, letters.MARGIN_RIGHT)
        self.set_auto_page_break(auto=True, margin=letters.MARGIN_BOTTOM)
        # Text starts exactly on the DIN lines, as in the letters.
        self.c_margin = 0
        self.add_page()

    def footer(self) -> None:
        self.set_y(-14)
        self.set_font(FONT, "", 7.5)
        page = _("Page %(number)s of %(count)s") % {"number": self.page_no(), "count": "{nb}"}
        self.cell(WIDTH, 4, f"{self.reference} · {page}", align="R")

    # Text.

    def heading(self, text: str) -> None:
        # Not the last line of a page: a heading keeps some of its content.
        if self.get_y() > self.h - letters.MARGIN_BOTTOM - KEEP_WITH_HEADING:
            self.add_page()
        self.ln(3)
        self.set_font(FONT, "B", 11)
        self.multi_cell(WIDTH, 6, text, new_x="LMARGIN", new_y="NEXT")
        self.ln(1)
        self.set_font(FONT, "", TEXT_SIZE)

    def paragraph(self, text: str, *, size: float = TEXT_SIZE, style: str = "") -> None:
        self.set_font(FONT, style, size)
        self.multi_cell(WIDTH, LINE_HEIGHT, text, align="L", new_x="LMARGIN", new_y="NEXT")
        self.set_font(FONT, "", TEXT_SIZE)

    def table_of(
        self,
        headings: Sequence[str] | None,
        rows: Iterable[Sequence[str]],
        *,
        widths: Sequence[float],
        align: Sequence[str],
        size: float = SMALL_SIZE,
        bold_rows: Sequence[int] = (),
        borders: str = "HORIZONTAL_LINES",
    ) -> None:
        """A table the width of the text; long cells wrap, and its headings
        repeat on a new page."""
        self.set_font(FONT, "", size)
        with self.table(
            width=sum(widths),
            col_widths=tuple(widths),
            text_align=tuple(align),
            align="LEFT",
            borders_layout=borders,
            headings_style=HEADINGS,
            first_row_as_headings=headings is not None,
            line_height=size * 0.5,
            padding=(0.9, 1.2),
            v_align="TOP",
        ) as table:
            if headings is not None:
                row = table.row()
                for text in headings:
                    row.cell(text)
            for number, cells in enumerate(rows):
                style = FontFace(emphasis="BOLD") if number in bold_rows else None
                row = table.row()
                for text in cells:
                    row.cell(text or "", style=style)
        self.set_font(FONT, "", TEXT_SIZE)
        self.ln(2)

    def facts(self, pairs: Iterable[tuple[str, str]], *, label_width: float = 52) -> None:
        pairs = [(label, value or EMPTY) for label, value in pairs]
        if pairs:
            self.table_of(
                None,
                pairs,
                widths=(label_width, WIDTH - label_width),
                align=("LEFT", "LEFT"),
                size=TEXT_SIZE - 0.5,
                borders="NONE",
            )

    # The letter's first page (DIN 5008 form B).

    def letter_head(
        self, *, window: Sequence[str], info: Sequence[tuple[str, str]], subject: str
    ) -> None:
        sender = shop_sender()
        letters.fold_marks(self)
        letters.letterhead(self, sender)
        letters.address_field(self, letters.return_address(sender), letters.window_lines(window))
        top = INFO_TOP
        # As wide as the longest label ("Rechnungsdatum" is wider than 22 mm).
        self.set_font(FONT, "", 8)
        label_width = max([22, *(self.get_string_width(label) + 2 for label, _value in info)])
        for label, value in info:
            self.set_xy(INFO_LEFT, top)
            self.set_font(FONT, "", 8)
            self.cell(label_width, 4.5, label)
            self.set_font(FONT, "", 9)
            self.multi_cell(INFO_WIDTH - label_width, 4.5, value, new_x="LMARGIN", new_y="NEXT")
            top = self.get_y()
        self.set_xy(letters.MARGIN_LEFT, letters.DATE_TOP)
        self.set_font(FONT, "B", 12)
        self.multi_cell(WIDTH, 6, subject, new_x="LMARGIN", new_y="NEXT")
        self.ln(3)
        self.set_font(FONT, "", TEXT_SIZE)

    def signature(self, label: str) -> None:
        if self.get_y() > self.h - letters.MARGIN_BOTTOM - 25:
            self.add_page()
        self.ln(14)
        self.set_font(FONT, "", 8)
        self.cell(WIDTH * 0.5, 4, label, border="T", new_x="LMARGIN", new_y="NEXT")
        self.set_font(FONT, "", TEXT_SIZE)
