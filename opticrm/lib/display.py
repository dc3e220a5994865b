"""A field's value as the pages show it, in one place: the conflict forms
name the value saved meanwhile with it, and any page may."""

import datetime
import functools
from decimal import ROUND_HALF_UP, Decimal

import phonenumbers
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.template.defaultfilters import date as date_filter
from django.template.defaultfilters import floatformat
from django.utils import timezone
from django.utils.formats import get_format
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from phonenumber_field.phonenumber import PhoneNumber

from opticrm.lib.phone import format_phone

EMPTY = "—"
_UNSET = object()


def is_money(name: str) -> bool:
    """Amounts are fields named ``price`` or ``…_price`` (gross, in euros)."""
    return name == "price" or name.endswith("_price")


_CENT = Decimal("0.01")


def money(value: Decimal) -> str:
    """1.234,50 € (German grouping, a non-breaking space before the sign):
    what ``floatformat(value, "2g")`` writes, rounded half up, with no
    sign on a zero. An amount is written here directly, since a table of
    invoices writes some sixty and floatformat cost 40 µs each."""
    if (
        not isinstance(value, Decimal | int)
        or isinstance(value, bool)
        or not Decimal(value).is_finite()
    ):
        return f"{floatformat(value, '2g')}\u00a0€"
    amount = Decimal(value).quantize(_CENT, ROUND_HALF_UP)
    whole, cents = f"{abs(amount):.2f}".split(".")
    grouped = f"{int(whole):,}".replace(",", get_format("THOUSAND_SEPARATOR"))
    sign = "-" if amount < 0 else ""
    return f"{sign}{grouped}{get_format('DECIMAL_SEPARATOR')}{cents}\u00a0€"


def choice_labels(model: type[models.Model], field_name: str) -> dict:
    """The labels of a choice field's values in the active language, made
    once per language: for lists of many rows, where ``get_FOO_display``
    costs 50 µs a row (it hashes every label of the field anew)."""
    return _choice_labels(model, field_name, get_language())


@functools.lru_cache(maxsize=256)
def _choice_labels(model, field_name: str, language: str | None) -> dict:
    return {value: str(label) for value, label in model._meta.get_field(field_name).flatchoices}


def related_name(related: models.Model) -> str:
    """A related record by its name: a customer as ``shown_name`` (a deleted
    one as "gelöschter Kunde"), a staff member by full name or user name."""
    shown = getattr(related, "shown_name", None)
    if isinstance(shown, str):
        return shown
    if hasattr(related, "get_full_name") and hasattr(related, "get_username"):
        return related.get_full_name() or related.get_username()
    return str(related)


def _field(obj: models.Model, name: str) -> models.Field | None:
    try:
        return obj._meta.get_field(name)
    except FieldDoesNotExist:
        return None


def display_value(obj: models.Model, name: str, value=_UNSET) -> str:
    """``obj``'s ``name`` as a person reads it: the choice's label, not its
    code; a related record by name; dates and times in German notation;
    phone numbers as staff dial them; amounts in euros; yes/no; "—" for
    nothing. ``value``: a value of the field other than the stored one
    (a form's date part of a start, say); a related record is always read."""
    field = _field(obj, name)
    if field is not None and field.is_relation and field.many_to_one:
        related = getattr(obj, name)
        return related_name(related) if related is not None else EMPTY
    if value is _UNSET:
        value = getattr(obj, name)
    if value is None or value == "":
        return EMPTY
    if field is not None and field.choices:
        return str(dict(field.flatchoices).get(value, value)) or EMPTY
    if isinstance(value, PhoneNumber | phonenumbers.PhoneNumber):
        return format_phone(value) or EMPTY
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, datetime.datetime):
        value = timezone.localtime(value) if timezone.is_aware(value) else value
        return f"{date_filter(value, 'SHORT_DATE_FORMAT')} {value:%H:%M}"
    if isinstance(value, datetime.date):
        return date_filter(value, "SHORT_DATE_FORMAT")
    if isinstance(value, datetime.time):
        return value.strftime("%H:%M")
    if isinstance(value, Decimal) and is_money(name):
        return money(value)
    if isinstance(value, models.Model):
        return related_name(value)
    return str(value)
