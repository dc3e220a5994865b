import datetime

from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from appointments import selectors
from appointments.models import Appointment, AppointmentType, staff_display_name
from customers.models import Customer
from opticrm.lib.conflicts import RemembersLoadedValues
from opticrm.lib.dates import is_plausible
from opticrm.lib.forms import DateField, ServiceErrorsMixin

# Typed at the counter: 14:30, 14.30 or 1430.
TIME_INPUT_FORMATS = ["%H:%M", "%H.%M", "%H%M", "%H:%M:%S"]
# Service errors name model fields; the form splits start and end into date and times.
SERVICE_FIELDS = {"start": "start_time", "end": "end_time"}


class TimeInput(forms.TimeInput):
    def __init__(self, attrs=None):
        attrs = {
            "placeholder": _("HH:MM"),
            "inputmode": "numeric",
            "autocomplete": "off",
            **(attrs or {}),
        }
        super().__init__(attrs=attrs, format="%H:%M")


class StaffChoiceField(forms.ModelChoiceField):
    """Staff members by name, not by user name."""

    def label_from_instance(self, obj) -> str:
        return staff_display_name(obj)


class AppointmentForm(ServiceErrorsMixin, RemembersLoadedValues, forms.Form):
    service_fields = SERVICE_FIELDS

    """Booking and editing: the service decides; the form turns the typed
    date and times into the instants it expects."""

    # What a conflict form merges (opticrm.lib.conflicts).
    loaded_value_fields = (
        "customer",
        "staff",
        "type",
        "date",
        "start_time",
        "end_time",
        "status",
        "notes",
    )

    customer = forms.ModelChoiceField(
        label=_("Customer"),
        queryset=Customer.objects.none(),
        widget=forms.HiddenInput,
        error_messages={
            "required": _("Please choose a customer."),
            "invalid_choice": _("Please choose a customer."),
        },
    )
    staff = StaffChoiceField(label=_("Staff member"), queryset=get_user_model().objects.none())
    type = forms.ModelChoiceField(label=_("Type"), queryset=AppointmentType.objects.none())
    date = DateField(label=_("Date"), two_digit_years="near")
    start_time = forms.TimeField(
        label=_("Start"), widget=TimeInput(), input_formats=TIME_INPUT_FORMATS
    )
    end_time = forms.TimeField(
        label=_("End"),
        required=False,
        widget=TimeInput(attrs={"placeholder": _("automatic")}),
        input_formats=TIME_INPUT_FORMATS,
    )
    status = forms.ChoiceField(
        label=_("Status"), choices=Appointment.Status.choices, initial=Appointment.Status.PLANNED
    )
    notes = forms.CharField(
        label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    allow_outside_hours = forms.BooleanField(label=_("Book outside opening hours"), required=False)
    # Offered once the service found the appointment over already (a typo in
    # the year, or a visit recorded afterwards on purpose).
    confirm_past = forms.BooleanField(
        label=_("Enter the appointment in the past anyway"), required=False
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, appointment: Appointment | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.appointment = appointment
        customers = Customer.objects.alive()
        staff = selectors.bookable_staff(including=appointment and appointment.staff_id)
        types = AppointmentType.objects.filter(active=True)
        if appointment is not None:
            # What the appointment already has stays choosable, even if it
            # would not be offered for a new booking any more.
            customers = customers | Customer.objects.filter(pk=appointment.customer_id)
            types = types | AppointmentType.objects.filter(pk=appointment.type_id)
            if not self.is_bound:
                self.initial.update(self.values_of(appointment))
            else:
                # Bound forms need the saved values too: changed_data compares with them.
                self.initial = {**self.values_of(appointment), **self.initial}
        self.fields["customer"].queryset = customers
        self.fields["staff"].queryset = staff
        self.fields["type"].queryset = types.order_by("position", "name")
        self.fields["staff"].empty_label = _("— please choose —")
        self.fields["type"].empty_label = _("— please choose —")
        self.conflict_display: dict[str, str] = {}
        self.suggest_override = False
        self.suggest_past = False
        self.start: datetime.datetime | None = None
        self.end: datetime.datetime | None = None

    @staticmethod
    def values_of(appointment: Appointment) -> dict:
        start = timezone.localtime(appointment.start)
        end = timezone.localtime(appointment.end)
        return {
            "customer": appointment.customer_id,
            "staff": appointment.staff_id,
            "type": appointment.type_id,
            "date": start.date(),
            "start_time": start.time(),
            "end_time": end.time(),
            "status": appointment.status,
            "notes": appointment.notes,
            "version": appointment.version,
        }

    @property
    def chosen_customer(self) -> Customer | None:
        """The customer the picker shows as chosen, from the input or the initial value."""
        if not hasattr(self, "_chosen_customer"):
            value = self["customer"].value()
            customer = None
            if isinstance(value, Customer):
                customer = value
            elif value:
                try:
                    customer = self.fields["customer"].queryset.get(pk=value)
                except (Customer.DoesNotExist, ValueError, TypeError, ValidationError):
                    customer = None
            self._chosen_customer = customer
        return self._chosen_customer

    def clean_date(self):
        day = self.cleaned_data["date"]
        if day and not is_plausible(day):
            raise ValidationError(_("Please enter a date between 1900 and 2199."), code="range")
        return day

    def clean(self):
        cleaned = super().clean()
        if self.initial.get("version") is not None and cleaned.get("version") is None:
            # Without the version, a save could silently overwrite a colleague's.
            raise ValidationError(
                _("This form is outdated. Please close it and open the appointment again."),
                code="no_version",
            )
        day, start_time = cleaned.get("date"), cleaned.get("start_time")
        if day and start_time:
            self.start = self._instant(day, start_time, "start_time")
            if cleaned.get("end_time") and not self._type_changed_with_old_end():
                self.end = self._instant(day, cleaned["end_time"], "end_time")
        return cleaned

    def _instant(self, day: datetime.date, time: datetime.time, field: str):
        """The local wall-clock time as an instant; a time the clock change
        skips (02:30 on the last Sunday of March) does not exist."""
        wall_clock = datetime.datetime.combine(day, time)
        local = timezone.make_aware(wall_clock)
        # Through UTC and back: a skipped time comes back an hour off.
        round_trip = local.astimezone(datetime.UTC).astimezone(local.tzinfo)
        if round_trip.replace(tzinfo=None) != wall_clock:
            self.add_error(
                field,
                ValidationError(
                    _("This time does not exist on %(day)s because of the clock change.")
                    % {"day": day.strftime("%d.%m.%Y")},
                    code="skipped_time",
                ),
            )
            return None
        return local

    def _type_changed_with_old_end(self) -> bool:
        """A new type with the end still as the old type made it: let the new
        type's duration decide instead."""
        return (
            "type" in self.changed_data
            and "end_time" not in self.changed_data
            and self.initial.get("end_time") is not None
        )

    def service_data(self) -> dict:
        """The appointment's fields as the service takes them; no end means
        start plus the type's duration."""
        return {
            "customer": self.cleaned_data["customer"],
            "staff": self.cleaned_data["staff"],
            "type": self.cleaned_data["type"],
            "start": self.start,
            "end": self.end,
            "status": self.cleaned_data["status"],
            "notes": self.cleaned_data["notes"],
        }

    def add_service_error(self, error: ValidationError) -> None:
        """Show a service's refusal next to the field it is about."""
        super().add_service_error(error)
        if not hasattr(error, "error_dict"):
            return
        # Point at the override when the opening hours were the reason, and
        # offer the confirmation when the appointment lies in the past.
        codes = {item.code for item in error.error_dict.get("start", [])}
        self.suggest_override = "outside_hours" in codes
        self.suggest_past = "in_past" in codes

    @property
    def asks_past(self) -> bool:
        """Whether the form shows the past-date confirmation."""
        return self.suggest_past or bool(self["confirm_past"].value())


class StatusForm(forms.Form):
    """A one-click status change."""

    status = forms.ChoiceField(choices=Appointment.Status.choices)


class FreeSlotsForm(forms.Form):
    """What the modal's "next free slots" are asked for: the type, a staff
    member or none (anyone), the day to start from, and the appointment being
    moved. A help, never an error: a wrong staff member means anyone, a
    mistyped day means from now."""

    type = forms.ModelChoiceField(queryset=AppointmentType.objects.all())
    staff = forms.ModelChoiceField(queryset=get_user_model().objects.none(), required=False)
    date = DateField(required=False, two_digit_years="near")
    appointment = forms.IntegerField(required=False, min_value=1, max_value=2**63 - 1)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["staff"].queryset = selectors.bookable_staff()

    def clean_date(self):
        day = self.cleaned_data["date"]
        return day if day and is_plausible(day) else None

    def value(self, name: str):
        """The cleaned value, or None where the input was wrong."""
        self.is_valid()
        return self.cleaned_data.get(name) if name not in self.errors else None


class CalendarDateForm(forms.Form):
    """The calendar's "go to date" field: typed the German way like every
    other date field, or YYYY-MM-DD from the calendar's own links."""

    date = DateField(
        required=False,
        two_digit_years="near",
        error_messages={"invalid": _("Please enter the date as DD.MM.YYYY. Today is shown.")},
    )

    def clean_date(self):
        day = self.cleaned_data["date"]
        if day and not is_plausible(day):
            raise ValidationError(
                _("Please enter a date between 1900 and 2199. Today is shown."), code="range"
            )
        return day
