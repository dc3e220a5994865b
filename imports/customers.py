"""Customers from the previous system: each row is checked by the customer
form's own fields and saved through customers.services, with its duplicate
rules; an existing customer is found by the chosen key, never overwritten
without the report saying so."""

from django.core.exceptions import ValidationError
from django.db import DatabaseError
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from customers import selectors, services
from customers.forms import CustomerForm
from customers.models import Customer, InsuranceProvider
from imports.files import as_text
from imports.models import ImportJob, Kind, Outcome
from imports.rows import (
    ImportField,
    Result,
    RowError,
    Skip,
    clean_value,
    messages,
    normalised,
    who,
)


def _label(name: str):
    return lambda: capfirst(str(Customer._meta.get_field(name).verbose_name))


EXTERNAL_NUMBER_LABEL = gettext_lazy("External number")

FIELDS = (
    ImportField(
        "external_number",
        lambda: str(EXTERNAL_NUMBER_LABEL),
        (
            "fremdnummer",
            "kundennummer",
            "kundennr",
            "kdnr",
            "kundenid",
            "customernumber",
            "nr",
            # OptiCRM's own export of all data (privacy.full_export): its
            # customer number, then the Fremdnummer it had.
            "id",
            "externalnumber",
        ),
    ),
    ImportField("salutation", _label("salutation"), ("anrede", "salutation")),
    ImportField("title", _label("title"), ("titel", "title")),
    ImportField("first_name", _label("first_name"), ("vorname", "firstname")),
    ImportField(
        "last_name",
        _label("last_name"),
        ("nachname", "name", "familienname", "lastname", "surname"),
    ),
    ImportField(
        "date_of_birth",
        _label("date_of_birth"),
        ("geburtsdatum", "gebdatum", "geburtstag", "geb", "dateofbirth"),
    ),
    ImportField("email", _label("email"), ("email", "mail", "emailadresse")),
    ImportField(
        "phone",
        _label("phone"),
        ("telefon", "tel", "telefonnummer", "telnr", "mobil", "handy", "phone"),
    ),
    ImportField(
        "street", _label("street"), ("strasse", "str", "strasseundhausnummer", "adresse", "street")
    ),
    ImportField("postcode", _label("postcode"), ("plz", "postleitzahl", "postcode", "zip")),
    ImportField("town", _label("town"), ("ort", "stadt", "wohnort", "town", "city")),
    ImportField("country", _label("country"), ("land", "country")),
    ImportField(
        "insurance_provider",
        _label("insurance_provider"),
        ("krankenkasse", "kasse", "versicherung", "krankenversicherung"),
    ),
    ImportField(
        "last_exam_date",
        _label("last_exam_date"),
        ("letzteuntersuchung", "letztersehtest", "sehtest", "lastexamdate"),
    ),
    ImportField(
        "notes",
        _label("notes"),
        ("notizen", "notiz", "bemerkung", "bemerkungen", "anmerkungen", "notes"),
    ),
    ImportField("status", _label("status"), ("status",)),
)
# Words for choices that old systems write instead of ours.
CHOICE_WORDS = {
    "salutation": {"herr": "mr", "herrn": "mr", "frau": "ms", "divers": "", "firma": ""},
    "country": {"deutschland": "DE", "d": "DE", "brd": "DE"},
    "status": {"aktiv": "active", "inaktiv": "inactive", "interessent": "prospect"},
}


class CustomerImporter:
    """Turns rows into customers; one instance per run. It remembers the
    keys it has seen, so that a customer listed twice in the file is
    imported once, in a test run as in the import."""

    kind = Kind.CUSTOMERS
    fields = FIELDS
    keys = (ImportJob.Key.EXTERNAL_NUMBER, ImportJob.Key.NAME_AND_BIRTH)
    # The report's last column: the record a row made or changed (its page).
    record_label = gettext_lazy("Customer number")
    record_url = "customers:detail"
    updates_existing = True
    permissions = ("customers.add_customer", "customers.change_customer")

    @staticmethod
    def needed(key: str) -> list[str]:
        """The fields a column must be assigned to, with this key."""
        if key == ImportJob.Key.EXTERNAL_NUMBER:
            return ["external_number", "first_name", "last_name"]
        return ["first_name", "last_name", "date_of_birth"]

    def __init__(self, *, key: str, existing: str, user=None):
        self.key = key
        self.update_existing = existing == ImportJob.Existing.UPDATE
        self.user = user
        self.form_fields = CustomerForm.base_fields
        self.labels = {f.name: f.label() for f in FIELDS}
        self.seen: dict[object, int] = {}
        # Who the run has made so far, by identity_keys: row number.
        self.created: dict[tuple, int] = {}
        # The batch's customers by external number, read at once (prepare).
        self.known: dict[str, Customer] | None = None
        self.insurers = {
            provider.name.casefold(): provider
            for provider in InsuranceProvider.objects.filter(active=True)
        }
        self.choices = {
            name: {
                **{
                    normalised(str(label)): value
                    for value, label in Customer._meta.get_field(name).flatchoices
                },
                **{
                    normalised(value): value
                    for value, _label in Customer._meta.get_field(name).flatchoices
                },
                **CHOICE_WORDS.get(name, {}),
            }
            for name in ("salutation", "country", "status")
        }

    def prepare(self, batch: list[dict[str, object]]) -> None:
        """Read the customers a batch of rows names in one query."""
        if self.key == ImportJob.Key.EXTERNAL_NUMBER:
            self.known = selectors.customers_by_external_numbers(
                [as_text(values.get("external_number")) for values in batch]
            )

    def _convert(self, name: str, value):
        if name == "insurance_provider":
            provider = self.insurers.get(as_text(value).casefold())
            if provider is None:
                raise ValidationError(
                    _("“%(name)s” is not a known insurance provider; please add it first.")
                    % {"name": as_text(value)}
                )
            return provider
        if name in self.choices:
            text = as_text(value)
            if normalised(text) in self.choices[name]:
                return self.choices[name][normalised(text)]
            raise ValidationError(
                _("“%(value)s” is not one of the allowed values.") % {"value": text}
            )
        return clean_value(self.form_fields[name], value, self.labels[name])

    def _data(self, values: dict[str, object]) -> tuple[dict, list[str]]:
        data, errors = {}, []
        for name, value in values.items():
            if name == "external_number" or as_text(value) == "":
                continue
            try:
                data[name] = self._convert(name, value)
            except RowError as error:
                errors.append(error.reason)
            except ValidationError as error:
                errors.append(f"{self.labels[name]}: {' '.join(error.messages)}")
        return data, errors

    def _match(self, data: dict, external: str) -> tuple[object, Customer | None]:
        """The row's key and the existing customer (None: a new one); Skip
        when the row cannot be matched."""
        if self.key == ImportJob.Key.EXTERNAL_NUMBER:
            if not external:
                raise Skip(_("no external number"))
            if self.known is not None:
                return external, self.known.get(external)
            return external, selectors.customer_by_external_number(external)
        first, last, born = data.get("first_name"), data.get("last_name"), data.get("date_of_birth")
        if not (first and last and born):
            raise Skip(_("first name, last name and date of birth are needed to match"))
        key = (first.strip().casefold(), last.strip().casefold(), born)
        matches = list(
            selectors.customers_by_name_and_birth(
                first_name=first, last_name=last, date_of_birth=born
            )[:3]
        )
        if len(matches) > 1:
            raise Skip(
                _("several customers have this name and date of birth (%(numbers)s)")
                % {"numbers": ", ".join(str(c.pk) for c in matches)}
            )
        return key, matches[0] if matches else None

    def process(self, row_number: int, values: dict[str, object]) -> Result:
        """Import one row; ``values``: field name → cell."""
        external = as_text(values.get("external_number", ""))
        data, errors = self._data(values)
        if errors:
            return Result(Outcome.ERROR, "; ".join(errors))
        try:
            key, existing = self._match(data, external)
        except Skip as skip:
            return Result(Outcome.SKIPPED, skip.reason)
        if key in self.seen:
            return Result(
                Outcome.SKIPPED,
                _("the same customer as in row %(row)s") % {"row": self.seen[key]},
            )
        try:
            if existing is None:
                result = self._create(row_number, data, external)
            else:
                result = self._update(existing, data, external)
        except services.PossibleDuplicates as duplicates:
            return Result(
                Outcome.SKIPPED,
                _("possibly exists already: %(who)s")
                % {"who": "; ".join(who(c) for c in duplicates.duplicates)},
            )
        except ValidationError as error:
            return Result(Outcome.ERROR, messages(error, self.labels))
        except DatabaseError:
            return Result(Outcome.ERROR, _("could not be saved"))
        if result.object_id is not None:
            # Only a row that found or made its customer stands for it.
            self.seen[key] = row_number
        return result

    def _create(self, row_number: int, data: dict, external: str) -> Result:
        identities = selectors.identity_keys(
            first_name=data.get("first_name", ""),
            last_name=data.get("last_name", ""),
            date_of_birth=data.get("date_of_birth"),
            email=data.get("email", ""),
        )
        # A test run rolls each batch back: a person made in an earlier batch
        # is not in the database then, but is remembered here, so the test
        # run reports what the import will do.
        for identity in identities:
            if identity in self.created:
                return Result(
                    Outcome.SKIPPED,
                    _("possibly the same person as in row %(row)s")
                    % {"row": self.created[identity]},
                )
        customer = services.customer_create(data=data, user=self.user, external_number=external)
        for identity in identities:
            self.created[identity] = row_number
        return Result(Outcome.NEW, "", customer.pk)

    def _update(self, customer: Customer, data: dict, external: str) -> Result:
        if not self.update_existing:
            return Result(
                Outcome.SKIPPED,
                _("exists already: %(who)s") % {"who": who(customer)},
                customer.pk,
            )
        changes = {name: value for name, value in data.items() if _differs(customer, name, value)}
        new_external = external if external and external != customer.external_number else None
        if not changes and new_external is None:
            return Result(
                Outcome.SKIPPED,
                _("no changes: %(who)s") % {"who": who(customer)},
                customer.pk,
            )
        services.customer_update(
            customer_id=customer.pk, data=changes, user=self.user, external_number=new_external
        )
        changed = [self.labels[name] for name in changes]
        if new_external is not None:
            changed.append(self.labels["external_number"])
        return Result(Outcome.UPDATED, ", ".join(changed), customer.pk)


def _differs(customer: Customer, name: str, value) -> bool:
    current = getattr(customer, name)
    if isinstance(value, str) and isinstance(current, str):
        if name == "email":
            return value.strip().lower() != current
        return " ".join(value.split()) != current
    return value != current
