"""Reading an uploaded file: CSV (semicolon, comma or tab; UTF-8 with or
without BOM, UTF-16 as Excel's "Unicode text", else Windows-1252) or XLSX.

Parsing is the standard library's csv module and openpyxl's read-only
mode: both stream, so a 100,000-row file is read row by row, never held as
a table (tablib, which django-import-export builds on, loads every row into
memory first). Every check a file can fail runs on upload, before anything
is stored: `inspect` reads the whole file once.
"""

import csv
import datetime
import io
import logging
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils.formats import number_format
from django.utils.translation import gettext as _

logger = logging.getLogger(__name__)
XLSX = "xlsx"
CSV = "csv"
SAMPLE_ROWS = 3
# A cell of a spreadsheet that computes: "=SUMME(A1:A3)", "=A1", "@SUM(…)".
# Imported as text it would run in the next spreadsheet that opens an export.
FORMULA = re.compile(r"^\s*[=@][A-Za-z$_][A-Za-z0-9_.$]*[(!]|^\s*=\s*\$?[A-Za-z]{1,3}\$?\d")
ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # .xls, .doc: the old binary Office formats
# A cell longer than this is no customer's data (csv's own limit is 128 KB).
MAX_CELL = 10_000
# What an XLSX file may unpack to (openpyxl holds its shared strings).
MAX_UNPACKED = 200 * 1024 * 1024
# The values a cell may hold; anything else is a formula object.
CELL_TYPES = (str, int, float, Decimal, bool, datetime.date, datetime.time, datetime.timedelta)
# NUL and the other C0 controls except tab and line breaks: PostgreSQL
# refuses NUL in text, and none of them belongs in a name or a note.
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


class FileProblem(Exception):
    """The file cannot be imported; the message says why, in German."""

    def __init__(self, message: str):
        self.message = message
        super().__init__(message)


@dataclass
class Table:
    file_format: str
    headers: list[str]
    row_count: int = 0
    samples: list[list[str]] = field(default_factory=list)
    encoding: str = ""
    delimiter: str = ""


def as_text(value) -> str:
    """A cell as the text a person sees in it."""
    if value is None:
        return ""
    if isinstance(value, datetime.datetime):
        if value.time() == datetime.time():
            return value.strftime("%d.%m.%Y")
        return value.strftime("%d.%m.%Y %H:%M")
    if isinstance(value, datetime.date):
        return value.strftime("%d.%m.%Y")
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float):
        if value.is_integer():
            return str(int(value))
        return str(Decimal(repr(value))).replace(".", ",")
    return str(value).strip()


def _decode(data: bytes) -> tuple[str, str]:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16"), "utf-16"
        except UnicodeDecodeError:
            pass
    elif b"\x00" not in data:
        try:
            return data.decode("utf-8-sig"), "utf-8"
        except UnicodeDecodeError:
            try:
                return data.decode("cp1252"), "cp1252"
            except UnicodeDecodeError:
                pass
    raise FileProblem(
        _(
            "The file is neither a CSV text file nor an Excel file (XLSX), or its "
            "characters are in an unknown encoding. Please save it from the old "
            "system or from Excel as CSV (UTF-8) or XLSX."
        )
    )


def _delimiter(text: str) -> str:
    end = text.find("\n")
    first_line = text[: end if end >= 0 else len(text)]
    counts = {delimiter: first_line.count(delimiter) for delimiter in (";", "\t", ",")}
    best = max(counts, key=counts.get)
    return best if counts[best] else ";"


def _csv_rows(stream, delimiter: str) -> Iterator[list[str]]:
    reader = csv.reader(stream, delimiter=delimiter)
    try:
        for row in reader:
            yield [cell.strip() for cell in row]
    except csv.Error:
        raise FileProblem(
            _(
                "Row %(row)s cannot be read as CSV: a quotation mark is not closed or a "
                "cell is too long."
            )
            % {"row": reader.line_num}
        ) from None


def _damaged() -> FileProblem:
    return FileProblem(
        _(
            "The Excel file is damaged or not a valid XLSX file. Please open it in "
            "Excel and save it again, or save it as CSV."
        )
    )


def _xlsx_rows(data: bytes) -> Iterator[list]:
    from openpyxl import load_workbook

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(member.file_size for member in archive.infolist())
    except Exception:
        raise _damaged() from None
    if unpacked > MAX_UNPACKED:
        # openpyxl reads the shared strings whole: a small file that unpacks
        # to gigabytes would take the worker's memory.
        raise FileProblem(
            _("The Excel file unpacks to more than %(max)s; please save it as CSV.")
            % {"max": filesizeformat(MAX_UNPACKED)}
        )
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
        sheet = workbook.worksheets[0]
        # The rows as stored, not as the file's <dimension> claims: some
        # exporters write "A1" (rows cut short) or the whole sheet (16,384
        # empty cells a row).
        sheet.reset_dimensions()
        for row in sheet.iter_rows(values_only=True):
            yield list(row)
        workbook.close()
    except FileProblem:
        raise
    except Exception:
        # openpyxl, zipfile, zlib and the XML parser each raise their own
        # kinds for a broken file; none of them is the user's to read.
        logger.info("An uploaded XLSX file could not be read", exc_info=True)
        raise _damaged() from None


# Python's names of the encodings `_decode` finds.
CODECS = {"utf-8": "utf-8-sig", "utf-16": "utf-16", "cp1252": "cp1252"}


def _raw_rows(data: bytes, table: Table) -> Iterator[list]:
    """The file's rows as read; a CSV is decoded as it is read (its
    encoding was found on upload), never held as one text."""
    if table.file_format == XLSX:
        return _xlsx_rows(data)
    stream = io.TextIOWrapper(io.BytesIO(data), encoding=CODECS[table.encoding], newline="")
    return _csv_rows(stream, table.delimiter)


def _blank(row: list) -> bool:
    return all(as_text(value) == "" for value in row)


def _headers(row: list) -> list[str]:
    headers = []
    for index, value in enumerate(row, start=1):
        name = as_text(value) or _("Column %(number)s") % {"number": index}
        if name in headers:
            name = f"{name} ({index})"
        headers.append(name)
    return headers


def _trimmed(row: list) -> list:
    end = len(row)
    while end and (row[end - 1] is None or row[end - 1] == ""):
        end -= 1
    return row[:end]


def _check_row(row: list, row_number: int, headers: list[str]) -> None:
    if len(row) > settings.IMPORT_MAX_COLUMNS:
        raise FileProblem(
            _("Row %(row)s has %(count)s columns; at most %(max)s are allowed.")
            % {
                "row": row_number,
                "count": number_format(len(row), force_grouping=True),
                "max": settings.IMPORT_MAX_COLUMNS,
            }
        )
    for index, value in enumerate(row):
        column = headers[index] if index < len(headers) else str(index + 1)
        if value is not None and not isinstance(value, CELL_TYPES):
            # An array or table formula of openpyxl: an object, not a value.
            raise FileProblem(
                _(
                    "Row %(row)s, column “%(column)s” contains a formula (%(formula)s). "
                    "Formulas are not imported: please save the file with values only."
                )
                % {"row": row_number, "column": column, "formula": type(value).__name__}
            )
        if not isinstance(value, str):
            continue
        if CONTROL.search(value):
            raise FileProblem(
                _(
                    "Row %(row)s, column “%(column)s” contains a control character that "
                    "text cannot hold. Please check the export of the old system."
                )
                % {"row": row_number, "column": column}
            )
        if FORMULA.match(value):
            raise FileProblem(
                _(
                    "Row %(row)s, column “%(column)s” contains a formula (%(formula)s). "
                    "Formulas are not imported: please save the file with values only."
                )
                % {"row": row_number, "column": column, "formula": value[:40]}
            )
        if len(value) > MAX_CELL:
            raise FileProblem(
                _("Row %(row)s, column “%(column)s” is longer than %(max)s characters.")
                % {
                    "row": row_number,
                    "column": column,
                    "max": number_format(MAX_CELL, force_grouping=True),
                }
            )


def inspect(data: bytes, filename: str) -> Table:
    """Read and check the whole file; its columns, rows and a sample.
    Raises FileProblem with a German message for anything it cannot import."""
    if not data:
        raise FileProblem(_("The file is empty."))
    if len(data) > settings.IMPORT_MAX_BYTES:
        raise too_large(len(data))
    if data.startswith(OLE_MAGIC):
        raise FileProblem(
            _("Old Excel files (.xls) cannot be read. Please save the file as XLSX or CSV.")
        )
    if data.startswith(ZIP_MAGIC):
        table = Table(file_format=XLSX, headers=[])
    else:
        text, encoding = _decode(data)
        table = Table(file_format=CSV, headers=[], encoding=encoding, delimiter=_delimiter(text))
        del text  # read again as a stream below
    rows = _raw_rows(data, table)
    row_number = 0
    for row in rows:
        row_number += 1
        row = _trimmed(row)
        if not table.headers:
            if _blank(row):
                continue
            _check_row(row, row_number, [])
            table.headers = _headers(row)
            continue
        _check_row(row, row_number, table.headers)
        if _blank(row):
            continue
        table.row_count += 1
        if table.row_count > settings.IMPORT_MAX_ROWS:
            raise FileProblem(
                _("The file has more than %(max)s rows. Please split it into several files.")
                % {"max": number_format(settings.IMPORT_MAX_ROWS, force_grouping=True)}
            )
        if len(table.samples) < SAMPLE_ROWS:
            table.samples.append([as_text(value) for value in row])
    if not table.headers:
        raise FileProblem(_("The file is empty."))
    if not table.row_count:
        raise FileProblem(
            _("The file has a heading row but no data rows: there is nothing to import.")
        )
    return table


def too_large(size: int) -> FileProblem:
    return FileProblem(
        _("The file is too large (%(size)s); at most %(max)s can be imported at once.")
        % {"size": filesizeformat(size), "max": filesizeformat(settings.IMPORT_MAX_BYTES)}
    )


def data_rows(data: bytes, table: Table) -> Iterator[tuple[int, list]]:
    """The file's data rows as (row number in the file, cells), blank rows
    left out; the file was checked by `inspect` on upload."""
    headers_seen = False
    for row_number, row in enumerate(_raw_rows(data, table), start=1):
        row = _trimmed(row)
        if _blank(row):
            continue
        if not headers_seen:
            headers_seen = True
            continue
        yield row_number, row
