import django_filters
from django.core.paginator import Page
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from appointments import selectors
from appointments.forms import StaffChoiceField
from appointments.models import Appointment, AppointmentType
from opticrm.lib import pagination
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

    @property
    def is_filtered(self) -> bool:
        self.form.is_valid()
        return any(
            self.form.cleaned_data.get(name)
            for name in ("date_from", "date_to", "staff", "type", "status")
        )


def appointment_table_page(
    data, *, page: int | str | None, page_size: int, queryset: QuerySet | None = None
) -> tuple[AppointmentFilter, Page]:
    """One page of the appointment table for these filter values, for the
    list screen and the API alike: the ids are paged along the sort's index
    and counted exactly when filtered (else estimated, as at a chain's
    millions), then only the page's appointments are read. A page past the
    end is the last one (``page.number`` says which)."""
    # A given ``queryset`` is narrowed already (the API's ids): it is counted.
    appointments = selectors.appointment_list() if queryset is None else queryset
    appointment_filter = AppointmentFilter(data, queryset=appointments)
    paginator = pagination.TablePaginator(
        appointment_filter.qs.values_list("pk", flat=True),
        page_size,
        filtered=appointment_filter.is_filtered or queryset is not None,
    )
    shown = paginator.get_page(page)
    shown.object_list = pagination.page_rows(shown, selectors.appointment_list())
    return appointment_filter, shown


def appointment_export_rows(data) -> tuple[AppointmentFilter, QuerySet]:
    """The appointments of the list filtered by ``data``, with their
    customer, staff member and type, for an export (read in id order by
    opticrm.lib.export.in_chunks)."""
    appointment_filter = AppointmentFilter(data, queryset=selectors.appointment_list())
    return appointment_filter, appointment_filter.matches
