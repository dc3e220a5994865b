"""Lists as files for Excel and LibreOffice, the way a German shop opens
them with a double click: CSV with semicolons, UTF-8 with BOM, decimal
commas and dates as 23.11.2026, streamed; XLSX with typed cells (numbers,
dates) from openpyxl's write-only workbook. Text never turns into a
formula in either (opticrm.lib.spreadsheet).

A list's export is its columns (``Column``: a header and how to read the
cell from a row) and its rows, read in chunks by id so that a million
customers never sit in memory, also behind a transaction pooler, where a
server-side cursor is not available."""

import csv
import datetime
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.db.models import QuerySet
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import get_format, number_format
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from opticrm.lib.fast_html import date_formatter
from opticrm.lib.spreadsheet import spreadsheet_text

CSV = "csv"
XLSX = "xlsx"
FORMATS = (CSV, XLSX)
# Rows read per query.
CHUNK = 2000
# An XLSX file is built whole before it is sent; Excel opens at most
# 1,048,576 rows. Beyond this many the export asks for CSV (streamed).
XLSX_MAX_ROWS = 100_000

CONTENT_TYPES = {
    CSV: "text/csv; charset=utf-8",
    XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


@dataclass(frozen=True)
class Column:
    header: str
    value: Callable[[Any], Any]


def export_urls(name: str, *args) -> dict[str, str]:
    """The URLs of the list's files by format, for _export_links.html: the
    view ``name`` takes ``args`` and then the format."""
    return {file_format: reverse(name, args=[*args, file_format]) for file_format in FORMATS}


def in_chunks(
    queryset: QuerySet, size: int | None = None, *, newest_first: bool = False
) -> Iterator[Any]:
    """The rows of ``queryset`` by id (ascending, or descending with
    ``newest_first``), one query per ``size`` rows (CHUNK; keyset: each
    chunk starts after the last id of the one before)."""
    size = size or CHUNK
    queryset = queryset.order_by("-pk" if newest_first else "pk")
    after = "pk__lt" if newest_first else "pk__gt"
    last = None
    while True:
        chunk = list((queryset if last is None else queryset.filter(**{after: last}))[:size])
        yield from chunk
        if len(chunk) < size:
            return
        last = chunk[-1].pk


class _Echo:
    """A file that hands back what is written: csv.writer for a stream."""

    def write(self, value: str) -> str:
        return value


class _CsvCells:
    """Values as CSV text, in the request's language and formats."""

    def __init__(self):
        self.date = date_formatter(get_format("SHORT_DATE_FORMAT"))
        self.moment = date_formatter(get_format("SHORT_DATETIME_FORMAT"))
        self.yes, self.no = _("yes"), _("no")

    def __call__(self, value) -> str:
        if value is None:
            return ""
        if isinstance(value, bool):
            return self.yes if value else self.no
        if isinstance(value, Decimal):
            # As stored (49.90 stays "49,90"): Excel in Germany reads the comma.
            return format(value, "f").replace(".", ",")
        if isinstance(value, int):
            return str(value)
        if isinstance(value, datetime.datetime):
            return self.moment(timezone.localtime(value))
        if isinstance(value, datetime.date):
            return self.date(value)
        return spreadsheet_text(str(value))


def _csv_lines(columns: list[Column], rows: Iterable, language: str) -> Iterator[str]:
    # Streamed after the view has returned: in the request's language still.
    with translation.override(language):
        writer = csv.writer(_Echo(), delimiter=";")
        cell = _CsvCells()
        yield "\ufeff"  # BOM: Excel reads UTF-8
        yield writer.writerow([str(column.header) for column in columns])
        for row in rows:
            yield writer.writerow([cell(column.value(row)) for column in columns])


def _attachment(response, name: str, extension: str):
    filename = f"{name}-{timezone.localdate():%Y-%m-%d}.{extension}"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def csv_response(name: str, columns: list[Column], rows: Iterable) -> StreamingHttpResponse:
    """``rows`` as a CSV download named ``name``-<date>.csv, streamed."""
    response = StreamingHttpResponse(
        _csv_lines(columns, rows, translation.get_language()), content_type=CONTENT_TYPES[CSV]
    )
    return _attachment(response, name, CSV)


def _xlsx_cell(sheet, value):
    if isinstance(value, datetime.datetime):
        # Excel has no time zones: the shop's local time.
        value = timezone.make_naive(timezone.localtime(value))
    cell = WriteOnlyCell(sheet, value=value)
    if isinstance(value, str):
        # openpyxl stores text starting with "=" as a formula.
        cell.data_type = "s"
    elif isinstance(value, datetime.datetime):
        cell.number_format = "DD.MM.YYYY HH:MM"
    elif isinstance(value, datetime.date):
        cell.number_format = "DD.MM.YYYY"
    elif isinstance(value, Decimal):
        cell.number_format = "#,##0.00"
    return cell


def _xlsx_value(value):
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, str):
        # Control characters (a pasted vertical tab) are not allowed in XLSX.
        return ILLEGAL_CHARACTERS_RE.sub("", value)
    if value is None or isinstance(value, int | Decimal | datetime.date):
        return value
    return ILLEGAL_CHARACTERS_RE.sub("", str(value))


def xlsx_response(name: str, columns: list[Column], rows: Iterable, *, title: str) -> FileResponse:
    """``rows`` as an Excel workbook (one sheet titled ``title``), built in
    a temporary file (on disk beyond 10 MB), then sent."""
    workbook = Workbook(write_only=True)
    # An Excel sheet name: at most 31 characters, none of []:*?/\
    title = "".join(c for c in ILLEGAL_CHARACTERS_RE.sub("", title) if c not in "[]:*?/\\")
    sheet = workbook.create_sheet(title=title.strip("' ")[:31] or name[:31])
    sheet.append([_xlsx_cell(sheet, str(column.header)) for column in columns])
    for row in rows:
        sheet.append([_xlsx_cell(sheet, _xlsx_value(column.value(row))) for column in columns])
    output = tempfile.SpooledTemporaryFile(max_size=10 * 1024 * 1024)  # noqa: SIM115 (FileResponse closes it)
    workbook.save(output)
    output.seek(0)
    filename = f"{name}-{timezone.localdate():%Y-%m-%d}.{XLSX}"
    return FileResponse(
        output, as_attachment=True, filename=filename, content_type=CONTENT_TYPES[XLSX]
    )


def too_many_for_xlsx(queryset: QuerySet) -> bool:
    """Whether the list holds more rows than an XLSX export takes."""
    return queryset.order_by()[: XLSX_MAX_ROWS + 1].count() > XLSX_MAX_ROWS


def export_response(
    request: HttpRequest,
    file_format: str,
    *,
    name: str,
    title: str,
    columns: list[Column],
    queryset: QuerySet,
    list_url: str,
    filters_valid: bool = True,
    newest_first: bool = False,
) -> HttpResponse:
    """The list ``queryset`` as a download in ``file_format`` (CSV or XLSX).
    Invalid filters, or a list too long for an Excel file, go back to the
    list (``list_url`` with the request's filters) with a message instead."""
    if file_format not in FORMATS:
        raise Http404
    query = request.GET.urlencode()
    back_url = f"{list_url}?{query}" if query else list_url
    if not filters_valid:
        messages.error(request, _("Please correct the filters of the list first."))
        return redirect(back_url)
    if file_format == XLSX and too_many_for_xlsx(queryset):
        messages.error(
            request,
            _(
                "The list has more than %(count)s rows, too many for an Excel file. "
                "Export it as CSV, or narrow it down with the filters."
            )
            % {"count": number_format(XLSX_MAX_ROWS, force_grouping=True)},
        )
        return redirect(back_url)
    rows = in_chunks(queryset, newest_first=newest_first)
    if file_format == CSV:
        return csv_response(name, columns, rows)
    return xlsx_response(name, columns, rows, title=title)
