"""What every kind of import shares: a row's outcome, the importable fields
and the guess of a file's columns, and finding the customer a row is about."""

import datetime
from collections.abc import Callable
from dataclasses import dataclass, field

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from customers import selectors as customer_selectors
from customers.models import Customer
from imports.files import as_text
from imports.models import ImportJob, Outcome


@dataclass(frozen=True)
class Result:
    outcome: str
    message: str = ""
    object_id: int | None = None


class Skip(Exception):
    """The row is left out, for the reason given (reported as "übersprungen")."""

    def __init__(self, reason: str):
        self.reason = reason
        super().__init__(reason)


class RowError(Exception):
    """The row cannot be imported (reported as "Fehler")."""

    def __init__(self, reason: str):
        self.reason = reason
        super().__init__(reason)


@dataclass(frozen=True)
class ImportField:
    name: str
    # The label shown and the first heading recognised; a callable for
    # labels that are read from a model's verbose name when shown.
    label: Callable[[], str]
    # Column headings of other systems that mean this field, compared
    # without case, spaces and punctuation (see `normalised`).
    synonyms: tuple[str, ...] = field(default=())


def normalised(heading: str) -> str:
    heading = heading.lower().replace("ß", "ss").replace("ä", "ae").replace("ö", "oe")
    return "".join(ch for ch in heading.replace("ü", "ue") if ch.isalnum())


# The fields holding the previous system's customer number.
EXTERNAL_NUMBER_FIELDS = ("external_number", "customer_external_number")


def guess_mapping(fields: tuple[ImportField, ...], headers: list[str]) -> list[str]:
    """The field each column most likely holds ("" where none); each field
    at most once, the first column naming it wins."""
    names: dict[str, str] = {}
    for import_field in fields:
        names.setdefault(normalised(import_field.label()), import_field.name)
    for import_field in fields:
        for synonym in import_field.synonyms:
            names.setdefault(normalised(synonym), import_field.name)
    # The external number goes to an own "Fremdnummer" column first: a file
    # that has one and OptiCRM's customer number (its own export) leaves the
    # customer number out.
    has_external = any(normalised(h) == "fremdnummer" for h in headers)
    mapping: list[str] = []
    for heading in headers:
        key = normalised(heading)
        guess = names.get(key, "")
        if has_external and guess in EXTERNAL_NUMBER_FIELDS and key != "fremdnummer":
            guess = ""
        mapping.append("" if guess in mapping else guess)
    return mapping


def messages(error: ValidationError, labels: dict[str, str]) -> str:
    """A validation error as one line: "Geburtsdatum: …; Nachname: …".
    Fields refused for the same reason share it: "Glastyp, Tönung: …"."""
    if not hasattr(error, "error_dict"):
        return " ".join(error.messages)
    fields_of: dict[str, list[str]] = {}
    for name, errors in error.message_dict.items():
        fields_of.setdefault(" ".join(errors), []).append(name)
    parts = []
    for text, names in fields_of.items():
        shown = [str(labels.get(name, name)) for name in names if name != NON_FIELD_ERRORS]
        if len(shown) < len(names):
            parts.append(text)
        if shown:
            parts.append(f"{', '.join(shown)}: {text}")
    return "; ".join(parts)


def who(customer: Customer) -> str:
    """A customer as a report names them: number, name, birth date."""
    born = (
        _(", born %(date)s") % {"date": date_format(customer.date_of_birth, "SHORT_DATE_FORMAT")}
        if customer.date_of_birth
        else ""
    )
    return _("customer %(number)s (%(name)s%(born)s)") % {
        "number": customer.pk,
        "name": customer.full_name,
        "born": born,
    }


def clean_value(form_field, value, label: str):
    """A cell through the form field that checks it on screen (a list for
    a field of several choices)."""
    try:
        if isinstance(value, datetime.date | datetime.datetime | list):
            return form_field.clean(value)
        return form_field.clean(as_text(value))
    except ValidationError as error:
        raise RowError(f"{label}: {' '.join(error.messages)}") from None


def customer_key_needed(key: str) -> list[str]:
    """The columns that name a row's customer, by the job's key."""
    if key == ImportJob.Key.EXTERNAL_NUMBER:
        return ["customer_external_number"]
    return ["customer_name", "customer_birth"]


def customer_of(key: str, values: dict, parse_birth: Callable) -> Customer:
    """The living customer a row names, by the job's key: the number of the
    old system, or name (as "Nachname, Vorname") and date of birth."""
    if key == ImportJob.Key.EXTERNAL_NUMBER:
        number = as_text(values.get("customer_external_number"))
        if not number:
            raise Skip(_("no external number"))
        customer = customer_selectors.customer_by_external_number(number)
        if customer is None:
            raise Skip(_("no customer has the external number %(number)s") % {"number": number})
        return customer
    name = as_text(values.get("customer_name"))
    birth = parse_birth(values.get("customer_birth"))
    last, _comma, first = name.partition(",")
    if not (last.strip() and first.strip() and birth):
        raise Skip(_("the customer's name (“Last name, First name”) and date of birth are needed"))
    matches = list(
        customer_selectors.customers_by_name_and_birth(
            first_name=first, last_name=last, date_of_birth=birth
        )[:3]
    )
    if not matches:
        raise Skip(_("no customer of this name and date of birth"))
    if len(matches) > 1:
        raise Skip(
            _("several customers have this name and date of birth (%(numbers)s)")
            % {"numbers": ", ".join(str(c.pk) for c in matches)}
        )
    return matches[0]


def outcome_of(process: Callable[[], Result]) -> Result:
    """Run one row's import; a Skip or RowError becomes its report line."""
    try:
        return process()
    except Skip as skip:
        return Result(Outcome.SKIPPED, skip.reason)
    except RowError as error:
        return Result(Outcome.ERROR, error.reason)
