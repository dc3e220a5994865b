"""What every PDF the project draws with fpdf2 shares: the DejaVu Sans fonts.

fpdf2's built-in core fonts know only Latin-1, so a customer named "Øztürk
Łukasiewicz" or a price in € would break them; DejaVu Sans (opticrm/lib/fonts,
Bitstream Vera licence, see LICENSE there) prints every letter a name may
have, and it lives in one place so that the Brillenpass and the letters agree.
"""

from pathlib import Path

from fpdf import FPDF

FONT_DIR = Path(__file__).resolve().parent / "fonts"
FONT = "DejaVu"


def add_dejavu(pdf: FPDF) -> None:
    """Registers DejaVu Sans, regular and bold, as the family FONT."""
    pdf.add_font(FONT, "", FONT_DIR / "DejaVuSans.ttf")
    pdf.add_font(FONT, "B", FONT_DIR / "DejaVuSans-Bold.ttf")
