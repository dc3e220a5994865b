"""The recall letters' PDF (opticrm.lib.letters), read back with pypdf: what a
window envelope would show, where, and on how many pages."""

import datetime
import functools
import io
from dataclasses import dataclass

import pytest
from fpdf import FPDF
from pypdf import PdfReader

from opticrm.lib.letters import Letter, Sender, german_date, letters_pdf, window_lines
from opticrm.lib.pdf import FONT, add_dejavu

MM_PER_POINT = 25.4 / 72
A4_HEIGHT = 297
SENDER = Sender(
    name="Augenoptik Muster", address="Hauptstraße 1, 80331 München", phone="089 1234567"
)
RETURN_LINE = "Augenoptik Muster · Hauptstraße 1 · 80331 München"
BODY = """Sehr geehrte Frau Müller,

Ihr letzter Sehtest liegt zwei Jahre zurück. Gutes Sehen ist im Straßenverkehr
wichtig; der Sehtest ist kostenlos, die Brillenreinigung (Wert 5 €) auch.

Mit freundlichen Grüßen

Ihr Team von Augenoptik Muster"""


@dataclass(frozen=True)
class Fragment:
    """A piece of text as drawn: its left end and baseline in millimetres
    from the page's top left, as one measures a printed letter."""

    text: str
    x: float
    y: float
    size: float
    bold: bool

    @property
    def width(self) -> float:
        return _width(self.text, self.size, self.bold)


@functools.cache
def _ruler() -> FPDF:
    pdf = FPDF(unit="mm")
    add_dejavu(pdf)
    return pdf


def _width(text: str, size: float, bold: bool) -> float:
    """The text's width as DejaVu Sans sets it, in millimetres."""
    ruler = _ruler()
    ruler.set_font(FONT, "B" if bold else "", size)
    return ruler.get_string_width(text)


def letter(
    *,
    address_lines: list[str] | None = None,
    subject: str = "Ihr Sehtest ist fällig",
    body: str = BODY,
    date: datetime.date = datetime.date(2026, 12, 5),
) -> Letter:
    return Letter(
        address_lines=address_lines
        or ["Frau Erika Müller", "Lange Straße 12", "12345 Musterstadt"],
        subject=subject,
        body=body,
        date=date,
    )


def read(pdf: bytes) -> list[list[Fragment]]:
    """Every page's text fragments."""
    pages = []
    for page in PdfReader(io.BytesIO(pdf)).pages:
        fragments = []

        def visit(text, cm, tm, font, size, fragments=fragments):
            if text.strip():
                x = tm[4] * cm[0] + tm[5] * cm[2] + cm[4]
                y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
                bold = "Bold" in str(font.get("/BaseFont", "")) if font else False
                fragments.append(
                    Fragment(
                        text.strip(), x * MM_PER_POINT, A4_HEIGHT - y * MM_PER_POINT, size, bold
                    )
                )

        page.extract_text(visitor_text=visit)
        pages.append(fragments)
    return pages


def find(page: list[Fragment], text: str) -> Fragment:
    matches = [fragment for fragment in page if fragment.text == text]
    assert len(matches) == 1, f"{text!r} in {[f.text for f in page]}"
    return matches[0]


def texts(page: list[Fragment]) -> list[str]:
    return [fragment.text for fragment in page]


# PDF coordinates are rounded to hundredths of a point.
SLACK = 0.01


def assert_in_address_field(fragment: Fragment) -> None:
    assert fragment.x >= 20 - SLACK and fragment.x + fragment.width <= 105 + SLACK, fragment
    assert 45 <= fragment.y <= 90, fragment


def address_of(page: list[Fragment]) -> list[Fragment]:
    """The Anschriftzone's lines, top to bottom."""
    return sorted((f for f in page if 62.7 <= f.y <= 90 and f.x < 105), key=lambda f: f.y)


# --- Pages ---------------------------------------------------------------


def test_one_page_per_letter_each_with_its_recipient():
    names = ["Frau Anna Adler", "Herrn Bernd Bauer", "Frau Clara Christ"]
    pdf = letters_pdf(
        letters=[letter(address_lines=[name, "Weg 1", "12345 Ort"]) for name in names],
        sender=SENDER,
    )

    pages = read(pdf)

    assert pdf.startswith(b"%PDF-")
    assert len(pages) == 3
    for page, name in zip(pages, names, strict=True):
        assert_in_address_field(find(page, name))
        assert [n for n in names if n in texts(page)] == [name]


def test_a_long_body_goes_on_over_further_pages_without_the_address():
    long_body = "\n\n".join(f"Absatz {n}: " + "Gutes Sehen ist wichtig. " * 12 for n in range(40))
    pdf = letters_pdf(
        letters=[
            letter(address_lines=["Frau Lang", "Weg 1", "12345 Ort"], body=long_body),
            letter(address_lines=["Herrn Kurz", "Weg 2", "12345 Ort"]),
        ],
        sender=SENDER,
    )

    pages = read(pdf)

    assert len(pages) > 3
    assert "Frau Lang" in texts(pages[0])
    for continuation in pages[1:-1]:
        assert "Frau Lang" not in texts(continuation)
        assert RETURN_LINE not in texts(continuation)
        assert any(text.startswith("Absatz") for text in texts(continuation))
    assert "Absatz 39:" in " ".join(texts(pages[-2]))
    # The next customer's letter starts on a page of its own, with its address.
    assert_in_address_field(find(pages[-1], "Herrn Kurz"))
    assert not any("Absatz" in text for text in texts(pages[-1]))
    # Within the margins (20 mm left, right and bottom) on every page.
    for page in pages:
        for fragment in page:
            assert fragment.x >= 20 - SLACK and fragment.x + fragment.width <= 190 + SLACK, fragment
            assert fragment.y <= A4_HEIGHT - 20, fragment


def test_no_letters_is_an_error():
    with pytest.raises(ValueError):
        letters_pdf(letters=[], sender=SENDER)


def test_arguments_are_named_and_any_sequence_will_do():
    with pytest.raises(TypeError):
        letters_pdf([letter()], SENDER)  # type: ignore[misc]
    assert len(read(letters_pdf(letters=(letter(),), sender=SENDER))) == 1


# --- Address field -------------------------------------------------------


def test_recipient_and_return_address_lie_in_the_address_field():
    page = read(letters_pdf(letters=[letter()], sender=SENDER))[0]

    back = find(page, RETURN_LINE)
    assert_in_address_field(back)
    # The Rücksendeangabe: small, in the field's first 5 mm.
    assert 45 <= back.y <= 50 and back.size <= 8
    assert texts(address_of(page)) == ["Frau Erika Müller", "Lange Straße 12", "12345 Musterstadt"]
    for fragment in address_of(page):
        assert_in_address_field(fragment)
        assert fragment.x == pytest.approx(20, abs=0.01)
        assert 10 <= fragment.size <= 11
    # Six lines of the Anschriftzone start at 62.7 mm.
    assert 62.7 < address_of(page)[0].y < 62.7 + 4.55


def test_more_than_six_lines_keep_the_name_and_the_last_five():
    lines = [
        "Frau Erika Müller",
        "c/o Firma A",
        "Abteilung B",
        "Gebäude C",
        "Zimmer D",
        "Musterstraße 12",
        "12345 Musterstadt",
        "DEUTSCHLAND",
    ]

    page = read(letters_pdf(letters=[letter(address_lines=lines)], sender=SENDER))[0]

    assert texts(address_of(page)) == ["Frau Erika Müller", *lines[-5:]]
    assert "c/o Firma A" not in texts(page) and "Abteilung B" not in texts(page)
    for fragment in address_of(page):
        assert_in_address_field(fragment)


def test_blank_and_multi_line_entries_are_tidied():
    lines = ["Frau Erika   Müller", "", "  ", "Musterstraße 12\n12345 Musterstadt"]
    assert window_lines(lines) == ["Frau Erika Müller", "Musterstraße 12", "12345 Musterstadt"]

    page = read(letters_pdf(letters=[letter(address_lines=lines)], sender=SENDER))[0]

    address = address_of(page)
    assert texts(address) == ["Frau Erika Müller", "Musterstraße 12", "12345 Musterstadt"]
    # No gap where the blank lines were.
    assert address[2].y - address[0].y == pytest.approx(2 * 4.5, abs=0.05)


def test_a_line_a_little_too_wide_is_set_smaller_but_whole():
    wide = "Frau Prof. Dr. med. Annemarie Schmidt-Weißenfels"
    assert _width(wide, 10, False) > 85 > _width(wide, 8, False)

    page = read(
        letters_pdf(letters=[letter(address_lines=[wide, "Weg 1", "12345 Ort"])], sender=SENDER)
    )[0]

    fragment = find(page, wide)
    assert_in_address_field(fragment)
    assert 8 <= fragment.size < 10
    assert find(page, "Weg 1").size == 10


def test_a_line_far_too_wide_is_cut_off_to_fit():
    street = "Straße " * 60 + "Ende"

    page = read(
        letters_pdf(letters=[letter(address_lines=["Frau A", street, "12345 Ort"])], sender=SENDER)
    )[0]

    cut = address_of(page)[1]
    assert cut.text.startswith("Straße Straße") and cut.text.endswith("…")
    assert "Ende" not in cut.text
    assert cut.size == 8
    assert_in_address_field(cut)
    assert cut.width > 80  # cut off where the field ends, not far before


def test_a_long_return_address_stays_in_the_field():
    sender = Sender(
        name="Augenoptik und Hörakustik Muster & Söhne GmbH",
        address="Sehr lange Hauptstraße 123a, 80331 München-Schwabing",
        phone="",
    )

    back = read(letters_pdf(letters=[letter()], sender=sender))[0][2]

    assert back.text.startswith("Augenoptik und Hörakustik")
    assert_in_address_field(back)
    assert 45 <= back.y <= 50


def test_a_sender_without_address_or_phone():
    page = read(
        letters_pdf(letters=[letter()], sender=Sender(name="Optik Kern", address="", phone=""))
    )[0]

    head = [f for f in page if f.y < 45]
    assert texts(head) == ["Optik Kern"] and head[0].bold
    back = [f for f in page if 45 <= f.y <= 50]
    assert texts(back) == ["Optik Kern"]
    assert not any("Tel." in text or "·" in text for text in texts(page))


# --- Text ----------------------------------------------------------------


def test_date_subject_and_body():
    page = read(letters_pdf(letters=[letter(date=datetime.date(2026, 12, 5))], sender=SENDER))[0]

    date = find(page, "05.12.2026")
    # Right-aligned on the 20 mm right margin, below the address field.
    assert date.x + date.width == pytest.approx(190, abs=0.1)
    assert 97 <= date.y <= 105
    subject = find(page, "Ihr Sehtest ist fällig")
    assert subject.bold and subject.size == 11 and subject.y > date.y
    salutation = find(page, "Sehr geehrte Frau Müller,")
    assert (
        not salutation.bold
        and salutation.y > subject.y
        and salutation.x == pytest.approx(20, abs=0.01)
    )
    body = " ".join(texts(page))
    for word in ("Straßenverkehr", "5 €", "Grüßen", "Ihr Team von Augenoptik Muster"):
        assert word in body


def test_letterhead():
    page = read(letters_pdf(letters=[letter()], sender=SENDER))[0]

    name = find(page, "Augenoptik Muster")
    assert name.bold and name.y < 45
    contact = [f for f in page if "Tel. 089 1234567" in f.text]
    assert len(contact) == 1 and "Hauptstraße 1, 80331 München" in contact[0].text
    assert contact[0].y < 45


def test_any_letter_of_a_name_survives():
    names = [
        "Frau Zoë Łukasiewicz-Øztürk",
        "Herrn Jürgen Groß",
        "Frau Ἑλένη Παπαδοπούλου",
        "Herrn Сергей Иванов",
    ]

    pages = read(
        letters_pdf(
            letters=[letter(address_lines=[name, "Weg 1", "12345 Ort"]) for name in names],
            sender=SENDER,
        )
    )

    for page, name in zip(pages, names, strict=True):
        assert_in_address_field(find(page, name))


def test_windows_line_endings_and_tabs_in_the_body():
    page = read(
        letters_pdf(letters=[letter(body="Hallo,\r\n\r\nZeile\tmit Tab.\rEnde")], sender=SENDER)
    )[0]

    assert {"Hallo,", "Ende"} <= set(texts(page))
    line = next(text for text in texts(page) if text.startswith("Zeile"))
    # A tab has no glyph: spaces to the next tab stop instead.
    assert line.split() == ["Zeile", "mit", "Tab."] and "\t" not in line


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (datetime.date(2026, 12, 5), "05.12.2026"),
        (datetime.date(2026, 1, 9), "09.01.2026"),
        (datetime.date(2027, 11, 23), "23.11.2027"),
    ],
)
def test_german_date(day, expected):
    assert german_date(day) == expected
