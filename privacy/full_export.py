"""The export of all data ("Alle Daten exportieren", issue 27): every table
of the shop as CSV (for Excel, as opticrm.lib.export writes lists) and as
JSON (for another program), with a German LIESMICH.txt describing every
column, in one ZIP.

Which tables: every concrete model of the project's own apps, found in the
app registry (a new app's tables are exported without a change here), the
change history (the pghistory event tables and pghistory_context) and the
users with their groups, minus a short list of derived or technical tables
(EXCLUDED). Columns that hold secrets (SECRET: passwords' hashes, API keys'
hashes, tokens) or file contents are left out of every table.

Memory stays bounded at a chain's size: each table is read in chunks by
primary key (keyset, as opticrm.lib.export.in_chunks; no server-side
cursor, which a transaction pooler does not allow) and written straight into
its compressed ZIP entry. All tables are read in one REPEATABLE READ, READ
ONLY transaction: one consistent state of the data, however long it takes.
A ZIP entry is written whole before the next is opened, so a table is read
twice, once per format (the same snapshot both times)."""

import csv
import datetime
import io
import json
import re
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from django.apps import apps
from django.conf import settings
from django.db import connection, models, transaction
from django.db.models import Case, F, Func, Value, When
from django.db.models.functions import Cast
from django.utils import timezone, translation
from django.utils.formats import number_format
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from pghistory.models import Event
from phonenumber_field.modelfields import PhoneNumberField

from opticrm.lib.phone import format_phone, stored_number
from opticrm.lib.spreadsheet import spreadsheet_text
from prescriptions.eyes import SIDE_LABELS, SIDES

# Rows read per query.
CHUNK = 5000
# zlib's level: 1 packs the CSV and JSON to about a twelfth, a fifth faster
# than the default 6, whose file is a quarter smaller (docs/benchmark.md,
# "Full export").
COMPRESSLEVEL = 1
README = "LIESMICH.txt"
CSV_FOLDER = "csv"
JSON_FOLDER = "json"
# Columns named like this are never exported, in any table: what lets
# someone in (a password's hash, an API key's hash, a calendar feed's token).
SECRET = re.compile(r"password|secret|token|hash", re.IGNORECASE)
# Tables of other packages that are the shop's data too: the users (without
# their password hashes) and groups, and who made each change.
ALSO_EXPORTED = ("auth.user", "auth.group", "auth.user_groups", "pghistory.context")
# The project's tables that are left out, and why (the README says so).
EXCLUDED = {
    "customers.customersearchword": gettext_lazy(
        "search keys derived from the customers' names; OptiCRM rebuilds them by itself"
    ),
    "customers.customercount": gettext_lazy(
        "counts derived from the customers, for the totals of the lists"
    ),
    "imports.importrow": gettext_lazy(
        "the row-by-row report of past imports: what they brought in is in the tables "
        "themselves (customers, refractions, products, appointments), and the report "
        "can be downloaded on the import's page as long as the import is kept"
    ),
    "live.changecounter": gettext_lazy("a technical counter of the pages' live updates"),
    "opticrm.ratecounter": gettext_lazy(
        "technical counters of the rate limits (log-in attempts, API calls)"
    ),
}
# Columns left out of one table, beside the secrets and file contents.
DERIVED_COLUMNS = {
    "customers.customer": ("sort_name", "search_text", "insurance_sort"),
}
# A path segment this long and of these characters is a token, not a word.
TOKEN = re.compile(r"[A-Za-z0-9_\-:.=]{20,}")
# What the columns of the change history mean (pghistory names them).
HISTORY_COLUMNS = {
    "pgh_id": gettext_lazy("number of the change"),
    "pgh_created_at": gettext_lazy("when the change was made"),
    "pgh_label": gettext_lazy("kind of change (insert: created, update: changed, delete: deleted)"),
    "pgh_obj": gettext_lazy("the record that was changed (its id)"),
    "pgh_context": gettext_lazy(
        "who made the change and where (a row of pghistory_context); empty for changes "
        "made outside a page or the API"
    ),
}
CONTEXT_COLUMNS = {
    "id": gettext_lazy("number of the context"),
    "created_at": gettext_lazy("first change made in this context"),
    "updated_at": gettext_lazy("last change made in this context"),
    "metadata": gettext_lazy(
        "who and where: the user (auth_user.id), the page's address, the name of "
        "the API key, the browser tab"
    ),
}


@dataclass(frozen=True)
class Column:
    # The heading: the field's name, a reference as <field>_id.
    name: str
    field: models.Field
    # What the query selects (the column, or an expression for it).
    select: Any


@dataclass(frozen=True)
class Table:
    model: type[models.Model]
    # <app>_<model>: customers_customer, auth_user_groups.
    name: str
    columns: tuple[Column, ...]
    # (column, why) of the columns left out.
    left_out: tuple[tuple[str, str], ...]


def table_name(model: type[models.Model]) -> str:
    return f"{model._meta.app_label}_{model._meta.model_name}"


def is_project_app(app_config) -> bool:
    """One of OptiCRM's own apps (not Django's or an installed package's)."""
    path = Path(app_config.path).resolve()
    return path.is_relative_to(Path(settings.BASE_DIR).resolve()) and (
        "site-packages" not in path.parts
    )


def _concrete(model: type[models.Model]) -> bool:
    options = model._meta
    return options.managed and not options.proxy and not options.abstract


def project_models() -> list[type[models.Model]]:
    """Every table of OptiCRM's own apps (exported or EXCLUDED)."""
    return [
        model
        for model in apps.get_models(include_auto_created=True)
        if _concrete(model) and is_project_app(apps.get_app_config(model._meta.app_label))
    ]


def _why_left_out(model: type[models.Model], field: models.Field) -> str | None:
    if SECRET.search(field.name) or SECRET.search(field.attname):
        return _("secret (password, key or token)")
    if isinstance(field, models.BinaryField):
        return _("file contents")
    if field.name in DERIVED_COLUMNS.get(model._meta.label_lower, ()):
        return _("internal search or sort key, derived from other columns")
    return None


def _table(model: type[models.Model]) -> Table:
    columns, left_out = [], []
    for field in model._meta.concrete_fields:
        why = _why_left_out(model, field)
        if why is not None:
            left_out.append((field.attname, why))
            continue
        select = field.attname
        if isinstance(field, PhoneNumberField):
            # As stored (E.164): read as a PhoneNumber object it is parsed per row.
            select = Cast(field.attname, models.TextField())
        columns.append(Column(field.attname, field, select))
    return Table(model, table_name(model), tuple(columns), tuple(left_out))


def tables() -> list[Table]:
    """The exported tables, in the order of INSTALLED_APPS."""
    chosen = []
    for model in apps.get_models(include_auto_created=True):
        label = model._meta.label_lower
        if not _concrete(model) or label in EXCLUDED:
            continue
        if label in ALSO_EXPORTED or is_project_app(apps.get_app_config(model._meta.app_label)):
            chosen.append(_table(model))
    return chosen


def scrub_context(metadata):
    """pghistory's context without what could let someone in: keys named
    like a secret, and the token in a page address (an unsubscribe link's
    signed part, a feed's token)."""
    if not isinstance(metadata, dict):
        return metadata
    clean = {key: value for key, value in metadata.items() if not SECRET.search(str(key))}
    if isinstance(clean.get("url"), str):
        path = clean["url"].split("?", 1)[0]
        clean["url"] = "/".join("…" if TOKEN.fullmatch(part) else part for part in path.split("/"))
    return clean


# Values changed on their way out: (table, column) -> function.
VALUE_FILTERS: dict[tuple[str, str], Callable[[Any], Any]] = {
    ("pghistory.context", "metadata"): scrub_context,
}


# --- Reading ----------------------------------------------------------------


@contextmanager
def snapshot() -> Iterator[None]:
    """One consistent state of every table: a REPEATABLE READ, READ ONLY
    transaction (inside another transaction, e.g. a test's, that one)."""
    outermost = not connection.in_atomic_block
    with transaction.atomic():
        if outermost:
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        yield


def rows(table: Table, selects: list, size: int = CHUNK) -> Iterator[tuple]:
    """The table's rows as tuples of ``selects`` (columns or expressions),
    by primary key, one query per ``size`` rows."""
    key = [field.attname for field in table.model._meta.pk_fields]
    width = len(key)
    queryset = table.model._base_manager.order_by(*key)
    last = None
    while True:
        page = queryset if last is None else queryset.filter(pk__gt=last)
        chunk = list(page.values_list(*key, *selects)[:size])
        for row in chunk:
            yield row[width:]
        if len(chunk) < size:
            return
        last = chunk[-1][0] if width == 1 else chunk[-1][:width]


# --- Values -------------------------------------------------------------------
# Dates, times and numbers are written as text by PostgreSQL (to_char): the
# same text Python would make, without a Python object per value (at a
# chain's millions of rows most of the time went there). Python converts
# only what SQL does not: free text (spreadsheet_text), phone numbers, and
# the values VALUE_FILTERS changes.


@dataclass(frozen=True)
class Cell:
    # What the query selects for the column in this format.
    select: Any
    # What Python makes of a value that is not None (None: as it comes).
    convert: Callable[[Any], Any] | None = None


def _value_type(field: models.Field) -> models.Field:
    """The field whose type the value has: a reference's target, a
    generated column's output."""
    if field.is_relation:
        return _value_type(field.target_field)
    if isinstance(field, models.GeneratedField):
        return field.output_field
    return field


INTEGER_FIELDS = models.IntegerField | models.AutoField | models.BigAutoField


def _text(expression) -> Cast:
    return Cast(expression, models.TextField())


def _to_char(expression, pattern: str) -> Func:
    return Func(expression, Value(pattern), function="to_char", output_field=models.TextField())


def _at_zone(expression, zone: str) -> Func:
    """A moment as the wall-clock time of ``zone`` (SQL ``AT TIME ZONE``)."""
    return Func(
        expression,
        Value(zone),
        template="(%(expressions)s)",
        arg_joiner=" AT TIME ZONE ",
        output_field=models.DateTimeField(),
    )


def csv_cell(table: Table, column: Column) -> Cell:
    """The column as opticrm.lib.export writes for Excel in Germany:
    decimal comma, 23.11.2026, yes/no in words, text that would compute as
    a formula with an apostrophe in front."""
    field, value = column.field, F(column.field.attname)
    kind = _value_type(field)
    value_filter = VALUE_FILTERS.get((table.model._meta.label_lower, column.name))
    if value_filter is not None:
        as_text = _csv_python(kind)
        return Cell(column.select, lambda cell: as_text(value_filter(cell)))
    if isinstance(kind, models.BooleanField):
        return Cell(
            Case(
                When(**{field.attname: True}, then=Value(_("yes"))),
                When(**{field.attname: False}, then=Value(_("no"))),
                output_field=models.TextField(),
            )
        )
    if isinstance(kind, INTEGER_FIELDS):
        return Cell(value)
    if isinstance(kind, models.DecimalField | models.FloatField):
        # As stored (49.90 stays "49,90").
        return Cell(
            Func(
                _text(value),
                Value("."),
                Value(","),
                function="replace",
                output_field=models.TextField(),
            )
        )
    if isinstance(kind, models.DateTimeField):
        # Local time, to the second: the change history's order is in them.
        return Cell(_to_char(_at_zone(value, settings.TIME_ZONE), "DD.MM.YYYY HH24:MI:SS"))
    if isinstance(kind, models.DateField):
        return Cell(_to_char(value, "DD.MM.YYYY"))
    if isinstance(kind, models.TimeField):
        return Cell(_to_char(value, "HH24:MI"))
    if isinstance(kind, models.UUIDField):
        return Cell(_text(value))
    return Cell(column.select, _csv_python(kind))


def _csv_python(kind: models.Field) -> Callable[[Any], str]:
    if isinstance(kind, models.JSONField):
        return lambda value: spreadsheet_text(json.dumps(value, ensure_ascii=False, default=str))
    if isinstance(kind, PhoneNumberField):
        # As staff dial it: 0151 23456789, +33 1 23 45 67 89.
        return lambda value: spreadsheet_text(format_phone(stored_number(value)))
    return lambda value: spreadsheet_text(str(value))


def json_cell(table: Table, column: Column) -> Cell:
    """The column for JSON: dates as 2026-11-23, moments in UTC as
    2026-11-23T13:30:00.000000Z (ISO 8601), decimals as strings (exact),
    numbers, yes/no and nested JSON as they are."""
    field, value = column.field, F(column.field.attname)
    kind = _value_type(field)
    value_filter = VALUE_FILTERS.get((table.model._meta.label_lower, column.name))
    if value_filter is not None:
        return Cell(column.select, value_filter)
    if isinstance(kind, models.DecimalField):
        return Cell(_text(value))
    if isinstance(kind, models.DateTimeField):
        return Cell(_to_char(_at_zone(value, "UTC"), 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'))
    if isinstance(kind, models.DateField):
        return Cell(_to_char(value, "YYYY-MM-DD"))
    if isinstance(kind, models.TimeField):
        return Cell(_to_char(value, "HH24:MI:SS"))
    if isinstance(kind, models.UUIDField):
        return Cell(_text(value))
    if isinstance(kind, INTEGER_FIELDS | models.BooleanField | models.FloatField):
        return Cell(value)
    if isinstance(kind, models.JSONField):
        return Cell(column.select)
    return Cell(
        column.select, None if isinstance(kind, models.CharField | models.TextField) else str
    )


def _converted(table: Table, cells: list[Cell]) -> Iterator[list]:
    """The rows with Python's part done (None stays None)."""
    converters = [(index, cell.convert) for index, cell in enumerate(cells) if cell.convert]
    for row in rows(table, [cell.select for cell in cells]):
        row = list(row)
        for index, convert in converters:
            if row[index] is not None:
                row[index] = convert(row[index])
        yield row


# --- Writing ------------------------------------------------------------------


def _entry(archive: zipfile.ZipFile, name: str) -> io.TextIOWrapper:
    # force_zip64: the size is not known in advance and may pass 4 GB.
    return io.TextIOWrapper(archive.open(name, "w", force_zip64=True), encoding="utf-8", newline="")


def write_csv(archive: zipfile.ZipFile, table: Table) -> int:
    """The table as csv/<name>.csv; how many rows it has."""
    cells = [csv_cell(table, column) for column in table.columns]
    count = 0
    with _entry(archive, f"{CSV_FOLDER}/{table.name}.csv") as out:
        out.write("\ufeff")  # BOM: Excel reads UTF-8
        # None is written as an empty cell.
        writer = csv.writer(out, delimiter=";")
        writer.writerow([column.name for column in table.columns])
        for row in _converted(table, cells):
            writer.writerow(row)
            count += 1
    return count


def write_json(archive: zipfile.ZipFile, table: Table) -> None:
    """The table as json/<name>.json: an array with one object per row
    (keys: the column names), one row per line."""
    names = [column.name for column in table.columns]
    cells = [json_cell(table, column) for column in table.columns]
    encode = json.JSONEncoder(ensure_ascii=False, default=str).encode
    with _entry(archive, f"{JSON_FOLDER}/{table.name}.json") as out:
        out.write("[")
        separator = "\n"
        for row in _converted(table, cells):
            out.write(separator + encode(dict(zip(names, row, strict=True))))
            separator = ",\n"
        out.write("\n]\n")


def write_zip(target: BinaryIO, *, requested_by=None) -> dict[str, int]:
    """Every table (CSV and JSON) and the README into ``target``, a file
    open for binary writing; the rows per table. In the shop's language."""
    counts: dict[str, int] = {}
    with translation.override(settings.LANGUAGE_CODE), snapshot():
        made_at = timezone.now()
        chosen = tables()
        with zipfile.ZipFile(
            target, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=COMPRESSLEVEL
        ) as archive:
            for table in chosen:
                counts[table.name] = write_csv(archive, table)
                write_json(archive, table)
            with _entry(archive, README) as out:
                out.write(readme(chosen, counts, made_at=made_at, requested_by=requested_by))
    return counts


# --- The README -----------------------------------------------------------------


def _type_label(field: models.Field) -> str:
    if field.is_relation:
        return _("reference to %(table)s (its id)") % {"table": table_name(field.related_model)}
    kind = _value_type(field)
    if isinstance(kind, models.BooleanField):
        return _("yes/no")
    if isinstance(kind, INTEGER_FIELDS):
        return _("whole number")
    if isinstance(kind, models.DecimalField):
        return _("decimal number with %(places)s decimal places") % {"places": kind.decimal_places}
    if isinstance(kind, models.FloatField):
        return _("decimal number")
    if isinstance(kind, models.DateTimeField):
        return _("date and time")
    if isinstance(kind, models.DateField):
        return _("date")
    if isinstance(kind, models.TimeField):
        return _("time of day")
    if isinstance(kind, models.UUIDField):
        return _("UUID")
    if isinstance(kind, models.JSONField):
        return _("JSON")
    if isinstance(kind, PhoneNumberField):
        return _("phone number (JSON: international format, e.g. +4915123456789)")
    if getattr(kind, "max_length", None):
        return _("text (at most %(length)s characters)") % {"length": kind.max_length}
    return _("text")


def _meaning(table: Table, field: models.Field) -> str:
    if issubclass(table.model, Event):
        if field.name in HISTORY_COLUMNS:
            return str(HISTORY_COLUMNS[field.name])
        if field.name == table.model.pgh_tracked_model._meta.pk.name:
            return str(HISTORY_COLUMNS["pgh_obj"])
    if table.model._meta.label_lower == "pghistory.context" and field.name in CONTEXT_COLUMNS:
        return str(CONTEXT_COLUMNS[field.name])
    meaning = capfirst(str(field.verbose_name))
    # One eye's value of a refraction or fitting: "R Sphäre", "L Achse".
    side = field.name.partition("_")[0]
    if side in SIDES:
        meaning = f"{SIDE_LABELS[side]} {meaning}"
    if field.help_text:
        meaning = f"{meaning} ({field.help_text})"
    return meaning


def _choices(field: models.Field) -> str:
    kind = _value_type(field)
    if not kind.choices:
        return ""
    values = ", ".join(f"„{value}“ = {label}" for value, label in kind.flatchoices)
    return _("values: %(values)s") % {"values": values}


def _table_title(table: Table) -> str:
    if issubclass(table.model, Event):
        tracked = table.model.pgh_tracked_model._meta
        return _("Change history of %(table)s: one row per change") % {
            "table": f"{table_name(tracked.model)} ({capfirst(tracked.verbose_name_plural)})"
        }
    if table.model._meta.label_lower == "pghistory.context":
        return _("Change history: who made the changes, and where")
    return capfirst(str(table.model._meta.verbose_name_plural))


def _who(user) -> str:
    if user is None:
        return "—"
    name = user.get_full_name()
    return f"{name} ({user.get_username()})" if name else user.get_username()


def readme(
    chosen: list[Table], counts: dict[str, int], *, made_at: datetime.datetime, requested_by
) -> str:
    """LIESMICH.txt: what the export is, its formats, and every table's
    every column with its meaning, type and values."""
    lines = [
        _("OptiCRM: all data"),
        "=" * 40,
        "",
        _("Made on %(date)s at %(time)s (time zone %(zone)s), requested by %(user)s.")
        % {
            "date": timezone.localtime(made_at).strftime("%d.%m.%Y"),
            "time": timezone.localtime(made_at).strftime("%H:%M"),
            "zone": settings.TIME_ZONE,
            "user": _who(requested_by),
        },
        _(
            "Every table shows the same moment: all were read in one transaction, "
            "so references between them fit."
        ),
        "",
        _("Contents"),
        "-" * 40,
        _(
            "csv/<table>.csv: each table for Excel or LibreOffice (double-click to open). "
            "Separated by semicolons, UTF-8 with BOM, decimal comma (49,90), dates as "
            "23.11.2026, times as 23.11.2026 14:30:00 in German local time, yes/no as "
            "words. Text that a spreadsheet would calculate (starting with =, +, - or @) "
            "has an apostrophe in front."
        ),
        _(
            "Excel and LibreOffice show at most 1,048,576 rows of a sheet: a longer table "
            "is complete in its file, but has to be opened with another program (a "
            "database, Power Query) or taken from the JSON file."
        ),
        _(
            "json/<table>.json: the same tables for other programs. A JSON array with one "
            "object per row (one row per line); dates as 2026-11-23, moments in UTC as "
            "2026-11-23T13:30:00.000000Z (ISO 8601), decimal numbers as text "
            '("49.90", exact), empty values as null.'
        ),
        _(
            "Column names are OptiCRM's field names and stay the same from one export to "
            "the next; a reference to another table is named <field>_id and holds the id "
            "of that table's row. Choices are stored as their value; the meaning of each "
            "value is listed below."
        ),
        _(
            "Change history: the tables ending in “event” hold one row per change of a "
            "record (its values after the change), pghistory_context who made it."
        ),
        "",
        _("Not included"),
        "-" * 40,
        "- "
        + _(
            "passwords (not even their hashes), API keys, calendar subscription addresses "
            "and other secrets; log-in sessions"
        ),
        "- " + _("the files uploaded for imports (their contents)"),
        "- "
        + _(
            "technical tables of the software: permissions, the queue of background "
            "tasks, the administration's log"
        ),
    ]
    for label, why in EXCLUDED.items():
        lines.append(f"- {label.replace('.', '_')}: {why}")
    lines += ["", _("Tables"), "-" * 40]
    for table in chosen:
        count = counts.get(table.name, 0)
        lines += [
            "",
            f"{table.name}: {_table_title(table)}",
            ngettext(
                "Files: %(csv)s, %(json)s; %(count)s row",
                "Files: %(csv)s, %(json)s; %(count)s rows",
                count,
            )
            % {
                "csv": f"{CSV_FOLDER}/{table.name}.csv",
                "json": f"{JSON_FOLDER}/{table.name}.json",
                "count": number_format(count, force_grouping=True),
            },
        ]
        for column in table.columns:
            parts = [
                column.name,
                _meaning(table, column.field),
                _type_label(column.field),
                _choices(column.field),
            ]
            lines.append("  " + " | ".join(part for part in parts if part))
        for name, why in table.left_out:
            lines.append(
                "  " + _("%(column)s: not included (%(why)s)") % {"column": name, "why": why}
            )
    return "\n".join(lines) + "\n"
