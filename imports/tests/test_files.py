"""Reading uploaded files: the formats a previous system or Excel writes,
and a clear German message for every file that cannot be imported."""

import datetime
import io
import zipfile

import pytest

from imports import files
from imports.tests.helpers import HEADER, csv_bytes, xlsx_bytes

ROW = ["4711", "Frau", "Jürgen", "Größe", "03.04.1961", "030 1234567", "a@example.org", "Köln"]


def rows_of(data: bytes) -> tuple[files.Table, list[list]]:
    table = files.inspect(data, "file")
    return table, [row for _number, row in files.data_rows(data, table)]


@pytest.mark.parametrize(
    ("encoding", "delimiter", "bom"),
    [
        ("utf-8", ";", False),
        ("utf-8", ",", True),
        ("cp1252", ";", False),
        ("utf-16", "\t", False),  # Excel's "Unicode text"
    ],
)
def test_csv_in_the_encodings_and_separators_old_systems_write(encoding, delimiter, bom):
    data = csv_bytes([HEADER, ROW], delimiter=delimiter, encoding=encoding)
    if bom:
        data = b"\xef\xbb\xbf" + data
    table, rows = rows_of(data)
    assert table.headers == HEADER
    assert table.row_count == 1
    assert rows == [ROW]
    assert table.samples == [ROW]


def test_quoted_cells_with_separators_and_line_breaks():
    data = b'Name;Notizen\r\n"Meier; Anna";"erste Zeile\r\nzweite Zeile"\r\n'
    _table, rows = rows_of(data)
    assert rows == [["Meier; Anna", "erste Zeile\r\nzweite Zeile"]]


def test_blank_rows_are_left_out_and_rows_keep_their_file_numbers():
    data = csv_bytes([HEADER, ROW, [""] * 8, ROW])
    table = files.inspect(data, "f.csv")
    assert table.row_count == 2
    assert [number for number, _row in files.data_rows(data, table)] == [2, 4]


def test_xlsx_with_typed_cells():
    data = xlsx_bytes([HEADER, [4711, "Frau", "Jürgen", "Größe", datetime.datetime(1961, 4, 3)]])
    table, rows = rows_of(data)
    assert table.file_format == "xlsx"
    assert table.samples == [["4711", "Frau", "Jürgen", "Größe", "03.04.1961"]]
    assert rows[0][4] == datetime.datetime(1961, 4, 3)


def test_as_text_of_numbers_and_dates():
    assert files.as_text(12345.0) == "12345"
    assert files.as_text(1.25) == "1,25"
    assert files.as_text(datetime.date(2026, 11, 23)) == "23.11.2026"
    assert files.as_text(None) == ""


def problem(data: bytes) -> str:
    with pytest.raises(files.FileProblem) as raised:
        files.inspect(data, "file")
    return raised.value.message


def test_empty_file():
    assert problem(b"") == "Die Datei ist leer."
    assert problem(b"\r\n\r\n") == "Die Datei ist leer."


def test_a_heading_row_alone_has_nothing_to_import():
    assert "keine Datenzeilen" in problem(csv_bytes([HEADER]))


def test_binary_file():
    png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256))
    assert "weder eine CSV-Textdatei noch eine Excel-Datei" in problem(png)


def test_text_in_no_known_encoding():
    # 0x81 is unassigned in Windows-1252 and invalid as UTF-8.
    assert "unbekannten Zeichenkodierung" in problem(b"Name\r\nM\x81ller\r\n")


def test_broken_xlsx():
    data = xlsx_bytes([HEADER, ROW])
    assert "beschädigt" in problem(data[: len(data) // 2])
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as broken:
        broken.writestr("hello.txt", "not a workbook")
    assert "beschädigt" in problem(archive.getvalue())


def test_old_xls():
    assert ".xls" in problem(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100)


def test_formula_cells_in_xlsx_and_csv():
    data = xlsx_bytes([HEADER, [*ROW[:3], '=HYPERLINK("http://evil")', *ROW[4:]]])
    message = problem(data)
    assert "Zeile 2" in message and "Nachname" in message and "Formel" in message
    assert "Formel" in problem(csv_bytes([HEADER, [*ROW[:7], "=SUMME(A1:A3)"]]))
    assert "Formel" in problem(csv_bytes([HEADER, [*ROW[:7], "=A1"]]))
    # A phone number with + and a note starting with = and a space are data.
    _table, rows = rows_of(csv_bytes([HEADER, [*ROW[:5], "+49 30 1234567", "", "= Köln"]]))
    assert rows[0][5] == "+49 30 1234567"


def test_a_row_with_a_thousand_columns():
    message = problem(csv_bytes([HEADER, ROW, ["x"] * 1000]))
    assert message == "Zeile 3 hat 1.000 Spalten; höchstens 200 sind erlaubt."


def test_too_many_rows(settings):
    settings.IMPORT_MAX_ROWS = 2
    assert "mehr als 2 Zeilen" in problem(csv_bytes([HEADER, ROW, ROW, ROW]))


def test_too_large(settings):
    settings.IMPORT_MAX_BYTES = 100
    assert problem(csv_bytes([HEADER, ROW, ROW])).startswith("Die Datei ist zu groß")


def test_a_broken_quote_is_a_row_error():
    data = b'Name;Ort\r\n"Meier;K\xc3\xb6ln\r\n' + b"x" * 200_000
    assert problem(data).startswith("Zeile")


def test_a_row_of_200000_empty_cells_is_read_at_once():
    import time

    started = time.monotonic()
    table = files.inspect(csv_bytes([HEADER, ROW]) + b";" * 200_000 + b"\r\n", "f.csv")
    assert table.row_count == 1
    assert time.monotonic() - started < 2
    message = problem(csv_bytes([HEADER, ROW]) + b"x;" * 100_000 + b"\r\n")
    assert message == "Zeile 3 hat 100.000 Spalten; höchstens 200 sind erlaubt."


def test_control_characters_are_refused():
    data = csv_bytes([HEADER, [*ROW[:2], "Er\x00ika", *ROW[3:]]], encoding="utf-16")
    assert problem(data) == (
        "Zeile 2, Spalte „Vorname“ enthält ein Steuerzeichen, das Text nicht enthalten kann. "
        "Bitte den Export des alten Systems prüfen."
    )


def test_xlsx_whose_dimension_claims_one_cell_is_read_whole():
    data = xlsx_bytes([HEADER, ROW, ROW])
    archive_in = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive_out:
        for item in archive_in.infolist():
            content = archive_in.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                content = re_dimension(content)
            archive_out.writestr(item, content)
    table, rows = rows_of(out.getvalue())
    assert table.row_count == 2 and rows[1] == ROW


def re_dimension(content: bytes) -> bytes:
    import re

    changed = re.sub(rb'<dimension ref="[^"]*"\s*/>', b'<dimension ref="A1"/>', content)
    assert changed != content
    return changed


def test_a_corrupt_deflate_stream_is_a_damaged_file():
    data = bytearray(xlsx_bytes([HEADER, ROW]))
    archive = zipfile.ZipFile(io.BytesIO(bytes(data)))
    sheet = archive.getinfo("xl/worksheets/sheet1.xml")
    # Scramble the compressed bytes of the sheet, keeping the zip's directory.
    start = sheet.header_offset + 30 + len(sheet.filename) + len(sheet.extra)
    for offset in range(start + 5, start + min(sheet.compress_size, 60)):
        data[offset] ^= 0x5A
    assert "beschädigt" in problem(bytes(data))


def test_an_xlsx_that_unpacks_to_gigabytes_is_refused(monkeypatch):
    monkeypatch.setattr(files, "MAX_UNPACKED", 1000)
    assert "entpackt mehr als" in problem(xlsx_bytes([HEADER, ROW]))
