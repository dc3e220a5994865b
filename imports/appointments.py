"""Future appointments from the previous system, booked through
appointments.services: no double booking, the type's duration when the file
gives no end, reminders planned as for any booking, but no confirmation
sent (the customer booked them long ago). Past appointments are skipped."""

import datetime

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from appointments import selectors, services
from appointments.forms import TIME_INPUT_FORMATS
from appointments.models import Appointment, AppointmentType, staff_display_name
from imports.files import as_text
from imports.models import ImportJob, Kind, Outcome
from imports.refractions import CUSTOMER_FIELDS, parse_birth
from imports.rows import (
    ImportField,
    Result,
    RowError,
    Skip,
    clean_value,
    customer_key_needed,
    customer_of,
    messages,
    outcome_of,
)
from opticrm.lib.forms import DateField


def _text(message):
    return lambda: str(message)


FIELDS = (
    *CUSTOMER_FIELDS,
    ImportField(
        "date", _text(gettext_lazy("Date")), ("datum", "termin", "termindatum", "tag", "date")
    ),
    ImportField(
        "start_time", _text(gettext_lazy("Start")), ("uhrzeit", "beginn", "von", "zeit", "start")
    ),
    ImportField("end_time", _text(gettext_lazy("End")), ("ende", "bis", "end")),
    ImportField(
        "duration", _text(gettext_lazy("Duration (minutes)")), ("dauer", "minuten", "duration")
    ),
    ImportField("type", _text(gettext_lazy("Type")), ("terminart", "art", "typ", "grund", "type")),
    ImportField(
        "staff", _text(gettext_lazy("Staff member")), ("mitarbeiter", "optiker", "bei", "staff")
    ),
    ImportField("notes", _text(gettext_lazy("Notes")), ("notiz", "notizen", "bemerkung", "notes")),
)
DATE = DateField(two_digit_years="near")
# An appointment further ahead is a typo (or 31.12.9999, "no date").
FUTURE_YEARS = 5
TIME = forms.TimeField(input_formats=TIME_INPUT_FORMATS)
MINUTES = forms.IntegerField(min_value=5, max_value=24 * 60)


class AppointmentImporter:
    kind = Kind.APPOINTMENTS
    fields = FIELDS
    keys = (ImportJob.Key.EXTERNAL_NUMBER, ImportJob.Key.NAME_AND_BIRTH)
    # The report's last column: the record a row made or changed (its page).
    record_label = gettext_lazy("Customer number")
    record_url = "customers:detail"
    updates_existing = False
    permissions = ("appointments.add_appointment",)

    @staticmethod
    def needed(key: str) -> list[str]:
        return [*customer_key_needed(key), "date", "start_time", "type"]

    def __init__(self, *, key: str, existing: str, user=None):
        self.key = key
        self.user = user
        self.labels = {f.name: f.label() for f in FIELDS}
        self.labels.update(start=self.labels["start_time"], end=self.labels["end_time"])
        self.seen: dict[tuple, int] = {}
        self.now = timezone.now()
        self.types = {t.name.casefold(): t for t in AppointmentType.objects.filter(active=True)}
        self.staff = {}
        bookable = list(selectors.bookable_staff())
        # Without a staff column the appointments go to the importer, if
        # they take appointments (else each row says so).
        self.default_staff = user if user is not None and user in bookable else None
        for user_ in bookable:
            self.staff[user_.get_username().casefold()] = user_
            self.staff[staff_display_name(user_).casefold()] = user_

    def _time(self, name: str, value) -> datetime.time:
        if isinstance(value, datetime.datetime):
            return value.time()
        if isinstance(value, datetime.time):
            return value
        return clean_value(TIME, value, self.labels[name])

    def _lookup(self, table: dict, name: str, value, message: str):
        found = table.get(as_text(value).casefold())
        if found is None:
            raise RowError(f"{self.labels[name]}: " + message % {"name": as_text(value)})
        return found

    def process(self, row_number: int, values: dict[str, object]) -> Result:
        return outcome_of(lambda: self._process(row_number, values))

    def _process(self, row_number: int, values: dict[str, object]) -> Result:
        customer = customer_of(self.key, values, parse_birth)
        get = {name: value for name, value in values.items() if as_text(value) != ""}
        for name in ("date", "start_time", "type"):
            if name not in get:
                raise RowError(f"{self.labels[name]}: " + _("This field is required."))
        day = clean_value(DATE, get["date"], self.labels["date"])
        if day.year > timezone.localdate().year + FUTURE_YEARS:
            raise RowError(
                f"{self.labels['date']}: "
                + _("more than %(years)s years ahead.") % {"years": FUTURE_YEARS}
            )
        start = timezone.make_aware(
            datetime.datetime.combine(day, self._time("start_time", get["start_time"]))
        )
        data = {
            "customer": customer,
            "start": start,
            "type": self._lookup(
                self.types, "type", get["type"], _("“%(name)s” is not a known appointment type.")
            ),
            "staff": self.default_staff,
            "notes": as_text(get.get("notes", "")),
        }
        if "staff" in get:
            data["staff"] = self._lookup(
                self.staff, "staff", get["staff"], _("“%(name)s” takes no appointments here.")
            )
        elif data["staff"] is None:
            raise RowError(
                f"{self.labels['staff']}: "
                + _("please assign the column with the staff member; you take no appointments.")
            )
        if "end_time" in get:
            end = datetime.datetime.combine(day, self._time("end_time", get["end_time"]))
            data["end"] = timezone.make_aware(end)
        elif "duration" in get:
            minutes = clean_value(MINUTES, get["duration"], self.labels["duration"])
            data["end"] = start + datetime.timedelta(minutes=minutes)
        if start <= self.now:
            raise Skip(_("in the past"))
        key = (customer.pk, start)
        if key in self.seen:
            raise Skip(_("the same appointment as in row %(row)s") % {"row": self.seen[key]})
        if Appointment.objects.filter(customer=customer, start=start).exists():
            raise Skip(
                _("the customer has an appointment on %(when)s already")
                % {"when": date_format(timezone.localtime(start), "SHORT_DATETIME_FORMAT")}
            )
        try:
            appointment = services.appointment_book(
                data=data, user=self.user, allow_outside_hours=True, imported=True
            )
        except ValidationError as error:
            raise RowError(messages(error, self.labels)) from None
        self.seen[key] = row_number
        return Result(Outcome.NEW, "", appointment.customer_id)
