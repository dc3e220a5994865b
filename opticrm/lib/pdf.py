"""What every PDF the project draws with fpdf2 shares: the DejaVu Sans fonts.

fpdf2's built-in core fonts know only Latin-1, so a customer named "Øztürk
Łukasiewicz" or a price in € would break them; DejaVu Sans (opticrm/lib/fonts,
Bitstream Vera licence, see LICENSE there) prints every letter a name may
have, and it lives in one place so that the Brillenpass and the letters agree.

Reading a DejaVu font is most of the time a PDF takes (25 ms each, two per
document: an invoice issued under its number's lock waited for it), so each
process reads it once: every document gets a copy of the font as read, with
the tables of its own, because fpdf2 cuts them down to the letters the
document uses (add_dejavu, tested to give the same bytes as fpdf2's own).
"""

import copy
import functools
import pickle
from pathlib import Path

from fpdf import FPDF
from fpdf.fonts import SubsetMap, TTFFont

FONT_DIR = Path(__file__).resolve().parent / "fonts"
FONT = "DejaVu"
FILES = {"": FONT_DIR / "DejaVuSans.ttf", "B": FONT_DIR / "DejaVuSans-Bold.ttf"}


@functools.cache
def _read(style: str) -> tuple[TTFFont, bytes]:
    """The font as fpdf2 reads it, and its tables pickled (a fresh copy of
    them unpickles in a quarter of the time the file takes to read)."""
    scratch = FPDF()
    scratch.add_font(FONT, style, FILES[style])
    font = scratch.fonts[f"{FONT.lower()}{style}"]
    return font, pickle.dumps(font.ttfont, protocol=pickle.HIGHEST_PROTOCOL)


def _add(pdf: FPDF, style: str) -> None:
    template, tables = _read(style)
    font = copy.copy(template)
    # What a document changes of its font: its number, the tables it cuts
    # down, the letters it uses; the metrics stay shared.
    font.i = len(pdf.fonts) + 1
    font.ttfont = pickle.loads(tables)  # noqa: S301 (our own bytes, made above)
    font.subset = SubsetMap(font)
    font.biggest_size_pt = 0
    font.missing_glyphs = []
    font._hbfont = None
    pdf.fonts[font.fontkey] = font


def add_dejavu(pdf: FPDF) -> None:
    """Registers DejaVu Sans, regular and bold, as the family FONT."""
    _add(pdf, "")
    _add(pdf, "B")
