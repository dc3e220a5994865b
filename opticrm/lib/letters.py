"""Letters for a window envelope (recall letters: "Ihr Sehtest ist fällig"),
one PDF for a whole print run, drawn with fpdf2 and free of Django.

The layout is DIN 5008 form B on A4 portrait: the address field sits 45 mm
from the top and 20 mm from the left, 85 × 45 mm, so that a DIN lang (DL) or
C6/5 window envelope shows it after folding at the marks (105 mm and 210 mm).
Every letter starts on a new page; a body too long for one page goes on over
the next page(s) without the address, so the whole run is printed, folded and
stuffed in order.

The address field never overflows, because the window shows nothing beyond it
and the post office's reader gives up on a cut address:
- blank lines are dropped, and more than six lines (the Anschriftzone's
  limit) keep the first (the recipient's name, which the post office cannot
  do without for delivery to the person) and the last five (street, postcode
  and town, country, which it needs to sort); the lines in between (c/o,
  department, …) are the ones it can most easily do without;
- a line too wide for the field is set in a smaller size, down to a size
  still readable by the machines, and only then cut off with "…".
"""

import datetime
from collections.abc import Sequence
from dataclasses import dataclass

from fpdf import FPDF

from opticrm.lib.pdf import FONT, add_dejavu

# Millimetres, A4 portrait, origin top left as fpdf2 measures.
PAGE_WIDTH = 210
MARGIN_LEFT = 20
MARGIN_RIGHT = 20
MARGIN_TOP = 20
MARGIN_BOTTOM = 20
CONTENT_WIDTH = PAGE_WIDTH - MARGIN_LEFT - MARGIN_RIGHT

LETTERHEAD_TOP = 15

FIELD_LEFT = 20
FIELD_TOP = 45
FIELD_WIDTH = 85
FIELD_HEIGHT = 45
# The Zusatz- und Vermerkzone's top: the Rücksendeangabe belongs in its first 5 mm.
RETURN_TOP = FIELD_TOP + 1
RETURN_HEIGHT = 3.5
RETURN_SIZE = 7
RETURN_MIN_SIZE = 5.5
# The Anschriftzone: six lines in 27.3 mm.
ADDRESS_TOP = 62.7
ADDRESS_LINES = 6
ADDRESS_LINE_HEIGHT = 4.5
ADDRESS_SIZE = 10
# Below 8 pt Deutsche Post no longer guarantees its machines read the address.
ADDRESS_MIN_SIZE = 8

DATE_TOP = 98.46
TEXT_SIZE = 11
LINE_HEIGHT = 5
# DIN 5008: two blank lines between date and subject and between subject and text.
GAP = 2 * LINE_HEIGHT

FOLD_MARKS = (105, 210)
HOLE_MARK = 148.5

ELLIPSIS = "…"


@dataclass(frozen=True)
class Letter:
    """One customer's letter. ``address_lines`` is the recipient as it goes in
    the window ("Frau Dr. Erika Mustermann", "Musterstraße 12", "12345
    Musterstadt"); ``body`` is the whole text from the salutation to the
    closing, paragraphs separated by blank lines."""

    address_lines: list[str]
    subject: str
    body: str
    date: datetime.date


@dataclass(frozen=True)
class Sender:
    """The shop: its name heads every letter; ``address`` is one line
    ("Hauptstraße 1, 80331 München"); address and phone may be empty."""

    name: str
    address: str
    phone: str


def german_date(day: datetime.date) -> str:
    """23.11.2026, whatever locale the process runs in."""
    return f"{day.day:02d}.{day.month:02d}.{day.year:04d}"


def return_address(sender: Sender) -> str:
    """The Rücksendeangabe: "Augenoptik Muster · Hauptstraße 1 · 80331 München"."""
    parts = (" ".join(part.split()) for part in [sender.name, *sender.address.split(",")])
    return " · ".join(part for part in parts if part)


def window_lines(address_lines: Sequence[str]) -> list[str]:
    """The lines that fit the Anschriftzone (see the module docstring for why these)."""
    lines = [
        " ".join(part.split())
        for line in address_lines
        for part in line.splitlines()
        if part.strip()
    ]
    if len(lines) > ADDRESS_LINES:
        lines = [lines[0], *lines[-(ADDRESS_LINES - 1) :]]
    return lines


def letters_pdf(*, letters: Sequence[Letter], sender: Sender) -> bytes:
    """All ``letters`` in one PDF, each from a new page.

    Raises ValueError for no letters: a PDF without pages is not a valid
    document, and callers only print when there is someone to write to.
    """
    if not letters:
        raise ValueError("letters_pdf needs at least one letter")
    pdf = FPDF(orientation="portrait", unit="mm", format="A4")
    add_dejavu(pdf)
    pdf.set_lang("de")
    pdf.set_margins(MARGIN_LEFT, MARGIN_TOP, MARGIN_RIGHT)
    pdf.set_auto_page_break(auto=True, margin=MARGIN_BOTTOM)
    # Without the inner cell padding text starts exactly on the DIN lines.
    pdf.c_margin = 0
    for letter in letters:
        pdf.add_page()
        fold_marks(pdf)
        letterhead(pdf, sender)
        address_field(pdf, return_address(sender), window_lines(letter.address_lines))
        _text(pdf, letter)
    return bytes(pdf.output())


def _fit(
    pdf: FPDF, text: str, *, width: float, size: float, min_size: float, style: str = ""
) -> str:
    """Sets the largest size from ``size`` down to ``min_size`` at which
    ``text`` fits ``width``, and returns the text, cut with "…" if even the
    smallest size is too wide."""
    while size > min_size:
        pdf.set_font(FONT, style, size)
        if pdf.get_string_width(text) <= width:
            return text
        size = max(min_size, size - 0.5)
    pdf.set_font(FONT, style, min_size)
    if pdf.get_string_width(text) <= width:
        return text
    # Bisection: a pasted-in novel as a street name must not take seconds.
    fits, too_long = 0, len(text)
    while too_long - fits > 1:
        middle = (fits + too_long) // 2
        if pdf.get_string_width(text[:middle].rstrip() + ELLIPSIS) <= width:
            fits = middle
        else:
            too_long = middle
    return text[:fits].rstrip() + ELLIPSIS


def fold_marks(pdf: FPDF) -> None:
    # Short and light: they guide folding and punching but must not compete
    # with the text; starting 4 mm in keeps them within most printers' reach.
    pdf.set_draw_color(120)
    pdf.set_line_width(0.2)
    for y in FOLD_MARKS:
        pdf.line(4, y, 9, y)
    pdf.line(4, HOLE_MARK, 12, HOLE_MARK)
    pdf.set_draw_color(0)


def letterhead(pdf: FPDF, sender: Sender) -> None:
    pdf.set_xy(MARGIN_LEFT, LETTERHEAD_TOP)
    name = _fit(pdf, sender.name, width=CONTENT_WIDTH, size=16, min_size=10, style="B")
    pdf.cell(CONTENT_WIDTH, 7, name, new_x="LMARGIN", new_y="NEXT")
    # German as the letters themselves: this module stays free of Django's gettext.
    contact = [
        sender.address.strip(),
        f"Tel. {sender.phone.strip()}" if sender.phone.strip() else "",
    ]
    line = "  ·  ".join(part for part in contact if part)
    if line:
        line = _fit(pdf, line, width=CONTENT_WIDTH, size=9, min_size=7)
        pdf.cell(CONTENT_WIDTH, 4.5, line, new_x="LMARGIN", new_y="NEXT")


def address_field(pdf: FPDF, sender_line: str, lines: list[str]) -> None:
    pdf.set_xy(FIELD_LEFT, RETURN_TOP)
    text = _fit(pdf, sender_line, width=FIELD_WIDTH, size=RETURN_SIZE, min_size=RETURN_MIN_SIZE)
    pdf.cell(FIELD_WIDTH, RETURN_HEIGHT, text)
    for number, line in enumerate(lines):
        pdf.set_xy(FIELD_LEFT, ADDRESS_TOP + number * ADDRESS_LINE_HEIGHT)
        text = _fit(pdf, line, width=FIELD_WIDTH, size=ADDRESS_SIZE, min_size=ADDRESS_MIN_SIZE)
        pdf.cell(FIELD_WIDTH, ADDRESS_LINE_HEIGHT, text)


def _text(pdf: FPDF, letter: Letter) -> None:
    pdf.set_font(FONT, "", TEXT_SIZE)
    pdf.set_xy(MARGIN_LEFT, DATE_TOP)
    pdf.cell(
        CONTENT_WIDTH,
        LINE_HEIGHT,
        german_date(letter.date),
        align="R",
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.ln(GAP)
    if letter.subject.strip():
        pdf.set_font(FONT, "B", TEXT_SIZE)
        pdf.multi_cell(
            CONTENT_WIDTH,
            LINE_HEIGHT,
            " ".join(letter.subject.split()),
            align="L",
            new_x="LMARGIN",
            new_y="NEXT",
        )
        pdf.ln(GAP)
        pdf.set_font(FONT, "", TEXT_SIZE)
    body = letter.body.replace("\r\n", "\n").replace("\r", "\n").expandtabs(4).strip()
    if body:
        pdf.multi_cell(CONTENT_WIDTH, LINE_HEIGHT, body, align="L", new_x="LMARGIN", new_y="NEXT")
