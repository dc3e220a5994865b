import django_filters
from django.utils.translation import gettext_lazy as _

from appointments import selectors
from appointments.forms import StaffChoiceField
from appointments.models import Appointment, AppointmentType
from opticrm.lib.dates import DATE_INPUT_FORMATS, is_plausible
from opticrm.lib.filters import SortedFilterSet, sort_filter
from opticrm.lib.forms import DateInput


class StaffFilter(django_filters.ModelChoiceFilter):
    field_class = StaffChoiceField


class AppointmentFilter(SortedFilterSet):
    default_sort = selectors.DEFAULT_SORT
    sort_with = staticmethod(selectors.appointment_sort)

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
    sort = sort_filter(selectors.SORT_KEYS)

    class Meta:
        model = Appointment
        fields = ["date_from", "date_to", "staff", "type", "status", "sort"]

    # Dates beyond 1900–2199 are ignored rather than overflowing.
    def filter_date_from(self, queryset, name, value):
        if not is_plausible(value):
            return queryset
        return selectors.appointment_between(queryset, first_day=value)

    def filter_date_to(self, queryset, name, value):
        if not is_plausible(value):
            return queryset
        return selectors.appointment_between(queryset, last_day=value)
