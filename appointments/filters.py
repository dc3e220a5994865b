import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _

from appointments import selectors
from appointments.forms import DATE_INPUT_FORMATS, StaffChoiceField
from appointments.models import Appointment, AppointmentType
from customers.forms import DateInput

SORT_CHOICES = [(f"{sign}{key}", key) for key in selectors.SORT_KEYS for sign in ("", "-")]


class StaffFilter(django_filters.ModelChoiceFilter):
    field_class = StaffChoiceField


class AppointmentFilter(django_filters.FilterSet):
    date_from = django_filters.DateFilter(
        label=_("From"),
        method="filter_date_from",
        widget=DateInput(),
        input_formats=DATE_INPUT_FORMATS,
    )
    date_to = django_filters.DateFilter(
        label=_("To"),
        method="filter_date_to",
        widget=DateInput(),
        input_formats=DATE_INPUT_FORMATS,
    )
    staff = StaffFilter(
        label=_("Staff member"),
        queryset=selectors.bookable_staff(),
        empty_label=_("All staff members"),
    )
    type = django_filters.ModelChoiceFilter(
        label=_("Type"), queryset=AppointmentType.objects.all(), empty_label=_("All types")
    )
    status = django_filters.ChoiceFilter(
        label=_("Status"), choices=Appointment.Status.choices, empty_label=_("All statuses")
    )
    sort = django_filters.ChoiceFilter(
        choices=SORT_CHOICES, method="filter_sort", widget=forms.HiddenInput
    )

    class Meta:
        model = Appointment
        fields = ["date_from", "date_to", "staff", "type", "status", "sort"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The appointment modal on the same page has fields of the same names.
        self.form.auto_id = "filter_%s"

    def filter_date_from(self, queryset, name, value):
        return selectors.appointment_between(queryset, first_day=value)

    def filter_date_to(self, queryset, name, value):
        return selectors.appointment_between(queryset, last_day=value)

    def filter_sort(self, queryset, name, value):
        # Sorting is applied once in ``qs`` so the default sort also applies.
        return queryset

    @property
    def current_sort(self) -> str:
        if self.form.is_valid() and self.form.cleaned_data.get("sort"):
            return self.form.cleaned_data["sort"]
        return selectors.DEFAULT_SORT

    @property
    def qs(self):
        return selectors.appointment_sort(super().qs, self.current_sort)
