"""HTML built in Python for big tables: escaping, date formats, row URLs
and cells for the row builders (the row
builders of issue 8), where Django's helpers cost more than the work:
``django.utils.html.escape`` checks every argument for a lazy string, and
the ``date`` filter parses its format string on every call (30 µs; a page
of 25 customers with three dates each spent 2 ms on it)."""

import datetime
import functools
import html
from collections.abc import Callable

from django.urls import get_script_prefix, reverse
from django.utils.dateformat import format as django_date_format

# Django's format characters that are plain numbers, as str.format fields.
_NUMBERS = {
    "d": "{0.day:02d}",
    "j": "{0.day}",
    "m": "{0.month:02d}",
    "n": "{0.month}",
    "Y": "{0.year:04d}",
    "H": "{0.hour:02d}",
    "G": "{0.hour}",
    "i": "{0.minute:02d}",
    "s": "{0.second:02d}",
}


def escape(value) -> str:
    """``value`` as text that is safe in HTML (also inside attributes)."""
    return html.escape(str(value))


@functools.lru_cache(maxsize=64)
def _template(django_format: str) -> str | None:
    """The format as a ``str.format`` template, or None when it names a
    month or weekday (or anything else that is not a number)."""
    parts = []
    literal = False
    for char in django_format:
        if char == "\\" and not literal:
            literal = True
        elif literal or not char.isalpha():
            parts.append(char.replace("{", "{{").replace("}", "}}"))
            literal = False
        elif char == "y":
            parts.append("{1:02d}")
        elif char in _NUMBERS:
            parts.append(_NUMBERS[char])
        else:
            return None
    return "".join(parts)


def date_formatter(django_format: str) -> Callable[[datetime.date], str]:
    """A function formatting dates (or datetimes) as Django's ``date`` filter
    does with ``django_format`` (a format string such as "d.m.Y", not a
    setting's name): the string is read once, not once per call."""
    template = _template(django_format)
    if template is None:
        return functools.partial(django_date_format, format_string=django_format)
    return lambda value: template.format(value, value.year % 100)


_PK = 2_147_483_647  # a pk no row has, to find where the pk goes in the URL


@functools.lru_cache(maxsize=512)
def around_pk(name: str, script_prefix: str) -> tuple[str, str]:
    """What comes before and after the pk in the URL named ``name``; cached
    per script prefix, which reverse() puts in front."""
    head, _pk, tail = reverse(name, args=[_PK]).rpartition(str(_PK))
    return head, tail


def pk_url_builder(name: str) -> Callable[[int], str]:
    """``pk_url`` for one URL name, for a loop over rows: the script prefix
    (a thread-local) read once, not per row."""
    head, tail = around_pk(name, get_script_prefix())
    return lambda pk: f"{head}{int(pk)}{tail}"


def table_cell(label: str, css: str, content: str) -> str:
    """A ``<td>`` of a table built in Python; ``label`` (escaped) heads it
    when the table shows as cards on a phone. Not a tag: for the row builders."""
    classes = f' class="{css}"' if css else ""
    return f'<td data-label="{label}"{classes}>{content}</td>'
