"""Form pieces every app shares: the German date field and its widget, the
rows-per-page choice of a table, and a record's id or version as posted.

``parse_day`` is the date parsing itself, free of Django: dates as people
type them at the counter ("3.4.61", "03.04.1961") and as the API sends them
("1961-04-03")."""

import datetime
import re
from typing import Literal

from django import forms
from django.core.exceptions import ValidationError
from django.forms.utils import flatatt
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_lazy as _

from opticrm.lib.fast_html import escape

TwoDigitYears = Literal["past", "near"]
TWO_DIGIT_YEARS = ("past", "near")

# Day and month with or without leading zeros, a year of two or four digits;
# a space after a dot is forgiven ("3. 4. 1961").
_GERMAN = re.compile(r"(\d{1,2})\.\s*(\d{1,2})\.\s*(\d{4}|\d{2})")
_ISO = re.compile(r"(\d{4})-(\d{2})-(\d{2})")


def posted_int(value: str | None) -> int | None:
    """A record's id or version as a form sends it, or None for nothing or
    anything else: only ASCII digits (str.isdigit() takes "²", which int()
    refuses), and fewer than ten, so it fits an integer column."""
    value = (value or "").strip()
    return int(value) if value.isascii() and value.isdigit() and len(value) < 10 else None


def full_year(
    two_digits: int, month: int, day: int, *, two_digit_years: TwoDigitYears, today: datetime.date
) -> int:
    """The year a two-digit year means.

    "past" (a birth date, an exam that happened): the latest such year whose
    day is not after ``today`` – 61 is 1961; on 5 December 2026, 26 is 2026
    for 1 March but 1926 for 24 December.
    "near" (an appointment): the year closest to today's, at most 50 years
    away; exactly 50 either way is the past one."""
    century = today.year - today.year % 100
    if two_digit_years == "past":
        year = century + two_digits
        if (year, month, day) > (today.year, today.month, today.day):
            year -= 100
        return year
    candidates = (century - 100 + two_digits, century + two_digits, century + 100 + two_digits)
    return min(candidates, key=lambda year: (abs(year - today.year), year))


def parse_day(
    text: str, *, two_digit_years: TwoDigitYears = "past", today: datetime.date
) -> datetime.date:
    """The date in ``text``: D.M.YY, DD.MM.YYYY (leading zeros optional) or
    YYYY-MM-DD. Raises ValueError for anything else and for days that do
    not exist (31.4., 29.2. outside a leap year)."""
    if two_digit_years not in TWO_DIGIT_YEARS:
        raise ValueError(f"two_digit_years must be one of {TWO_DIGIT_YEARS}")
    text = text.strip()
    if match := _ISO.fullmatch(text):
        year, month, day = (int(part) for part in match.groups())
        return datetime.date(year, month, day)
    match = _GERMAN.fullmatch(text)
    if not match:
        raise ValueError(f"not a date: {text!r}")
    day, month, year = (int(part) for part in match.groups())
    if len(match.group(3)) == 2:
        if not (1 <= month <= 12 and 1 <= day <= 31):
            raise ValueError(f"not a date: {text!r}")
        year = full_year(year, month, day, two_digit_years=two_digit_years, today=today)
    return datetime.date(year, month, day)


class DateInput(forms.DateInput):
    """A text field for dates typed the German way (12.03.1965): faster at the
    counter than a picker, and the same in every browser and language."""

    def __init__(self, attrs=None):
        attrs = {"placeholder": _("DD.MM.YYYY"), "inputmode": "numeric", **(attrs or {})}
        super().__init__(attrs=attrs, format="%d.%m.%Y")


class LongSelect(forms.Select):
    """A select of many plain choices (a chain's 320 staff members on the
    order board) written in one pass: Django builds a dict per option and
    normalises the choices again, 5 ms for 320. The markup is the form
    renderer's (opticrm.lib.form_renderer.render_select)."""

    def render(self, name, value, attrs=None, renderer=None) -> SafeString:
        chosen = next(iter(self.format_value(value)), None)
        html = [f'<select name="{escape(name)}"{flatatt(self.build_attrs(self.attrs, attrs))}>']
        for option, label in self.choices:
            option = "" if option is None else str(option)
            selected = " selected" if option == chosen else ""
            if selected:
                chosen = None  # one selected option, as Django's select
            html.append(
                f'\n  <option value="{escape(option)}"{selected}>{escape(label)}</option>\n'
            )
        html.append("\n</select>")
        return mark_safe("".join(html))  # noqa: S308 (every value escaped above)


class LongChoiceField(forms.TypedChoiceField):
    """A choice field for many plain ``(value, label)`` pairs, rendered by
    LongSelect: the choices are kept as given, where Django normalises them
    for the field and twice for its widget (1.7 ms a page for 320 staff
    members)."""

    widget = LongSelect

    @property
    def choices(self):
        return self._choices

    @choices.setter
    def choices(self, value) -> None:
        self._choices = self.widget._choices = list(value)


class DateField(forms.DateField):
    """A date typed as opticians type it (see parse_day): "3.4.61" is
    3 April 1961 for a birth date (``two_digit_years="past"``) and the year
    nearest today for an appointment (``"near"``). ISO dates (the API) too."""

    widget = DateInput

    def __init__(self, *, two_digit_years: TwoDigitYears = "past", **kwargs):
        if two_digit_years not in TWO_DIGIT_YEARS:
            raise ValueError(f"two_digit_years must be one of {TWO_DIGIT_YEARS}")
        self.two_digit_years = two_digit_years
        super().__init__(**kwargs)

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if isinstance(value, datetime.datetime):
            return value.date()
        if isinstance(value, datetime.date):
            return value
        try:
            return parse_day(
                str(value), two_digit_years=self.two_digit_years, today=timezone.localdate()
            )
        except ValueError:
            raise ValidationError(self.error_messages["invalid"], code="invalid") from None


class PageSizeForm(forms.Form):
    """The rows-per-page choice of a table; invalid input falls back to the default."""

    page_size = forms.TypedChoiceField(coerce=int, required=False)

    def __init__(self, *args, sizes, **kwargs):
        super().__init__(*args, **kwargs)
        self.sizes = sizes
        self.fields["page_size"].choices = [(s, s) for s in sizes]

    @property
    def size(self) -> int:
        if self.is_valid() and self.cleaned_data.get("page_size"):
            return self.cleaned_data["page_size"]
        return self.sizes[0]


class ServiceErrorsMixin:
    """For forms whose service decides: a service's ValidationError shown
    next to the field it is about, or above the form. ``service_fields``
    maps a service's field name to the form's where they differ."""

    service_fields: dict[str, str] = {}

    def add_service_error(self, error: ValidationError) -> None:
        if not hasattr(error, "error_dict"):
            self.add_error(None, error)
            return
        for field, errors in error.error_dict.items():
            name = self.service_fields.get(field, field)
            self.add_error(name if name in self.fields else None, errors)
