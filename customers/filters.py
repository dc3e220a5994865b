from functools import cached_property

import django_filters
from django import forms
from django.core.paginator import Page
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from customers import list_filters, selectors, services
from customers.models import SORT_KEYS, Customer
from customers.selectors import recall_cutoff, refraction_older_than
from opticrm.lib import health_data, pagination
from opticrm.lib.filters import SortedFilterSet, sort_filter


class CustomerFilter(SortedFilterSet):
    default_sort = selectors.DEFAULT_SORT
    search_filter = "q"
    sort_with = staticmethod(selectors.customer_sort)

    q = django_filters.CharFilter(
        label=_("Search"),
        method="filter_search",
        widget=forms.TextInput(
            attrs={
                "type": "search",
                "placeholder": _("Name, email, phone, postcode or town"),
                "autocomplete": "off",
            }
        ),
    )
    status = django_filters.ChoiceFilter(
        label=_("Status"), choices=Customer.Status.choices, empty_label=_("All statuses")
    )
    # Choices as (id, name) pairs: one plain query per page instead of a
    # server-side cursor and a model instance per insurer (issue 8).
    insurance = django_filters.ChoiceFilter(
        label=_("Insurance provider"),
        field_name="insurance_provider",
        choices=selectors.insurance_choices,
        empty_label=_("All insurance providers"),
    )
    recall = django_filters.BooleanFilter(
        label=_("Refraction older than 2 years"), method="filter_recall", widget=forms.CheckboxInput
    )
    sort = sort_filter(SORT_KEYS)

    class Meta:
        model = Customer
        fields = ["q", "status", "insurance", "recall", "sort"]

    def __init__(self, *args, deleted: bool = False, ordering: list | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.deleted = deleted
        # An order the table has no column for (the API's id, created_at,
        # updated_at), instead of ``sort``; it needs an index of its own.
        self.ordering = ordering
        user = getattr(self.request, "user", None)
        if not health_data.may_see_recall(user):
            # When someone's eyes were last measured is health data too.
            del self.filters["recall"]
            del self.form.fields["recall"]

    def get_form_class(self):
        # The filters other apps register (customers.list_filters), before
        # the form is first built from self.filters.
        for extra in list_filters.registered():
            if extra.name not in self.filters:
                added = django_filters.BooleanFilter(
                    field_name=extra.name,
                    label=extra.label,
                    method=_applying(extra.apply),
                    widget=forms.CheckboxInput,
                )
                added.model, added.parent = self.queryset.model, self
                self.filters[extra.name] = added
        return super().get_form_class()

    @property
    def extra_filter_fields(self) -> list:
        """The form's fields of the registered filters, for the filter bar."""
        return [self.form[extra.name] for extra in list_filters.registered()]

    @property
    def _extra_filters_on(self) -> bool:
        return bool(self._extra_filters_chosen)

    @property
    def _extra_filters_chosen(self) -> list[list_filters.ListFilter]:
        self.form.is_valid()
        return [e for e in list_filters.registered() if self.form.cleaned_data.get(e.name)]

    @property
    def shows_last_refraction(self) -> bool:
        """Whether the recall filter is on: then the table shows the date it
        filters by (the newest refraction's), next to the last exam entered."""
        self.form.is_valid()
        return bool(self.form.cleaned_data.get("recall"))

    @property
    def is_filtered(self) -> bool:
        self.form.is_valid()
        return self._extra_filters_on or any(
            self.form.cleaned_data.get(name) for name in ("q", "status", "insurance", "recall")
        )

    def precounted_count(self) -> int | None:
        """The number of matches when CustomerCount keeps it (see
        selectors.precounted_total) or a registered filter on alone knows
        it (ListFilter.count), else None: then they are counted."""
        self.form.is_valid()
        data = self.form.cleaned_data
        if self.deleted or isinstance(self.page_ids, selectors.SearchHits):
            return None  # (search hits count themselves, from CustomerCount too)
        chosen = self._extra_filters_chosen
        if chosen:
            # Another app's filter knows its own total, when it is alone.
            alone = len(chosen) == 1 and not any(
                data.get(name) for name in ("q", "status", "insurance", "recall")
            )
            if alone and chosen[0].count is not None:
                return chosen[0].count()
            return None
        return selectors.precounted_total(
            status=data.get("status"),
            insurer=data.get("insurance"),
            search=data.get("q"),
            refraction_before=recall_cutoff(timezone.localdate()) if data.get("recall") else None,
        )

    @cached_property
    def page_ids(self) -> "QuerySet | selectors.SearchHits":
        """The ids of ``qs`` in its order, to page over. A search alone in
        name order is answered from the search-word index alone."""
        if self.ordering is not None:
            rows = self.qs.order_by(*self.ordering)
            if self.form.cleaned_data.get("q"):
                rows = pagination.match_before_sorting(rows)
            return rows.values_list("pk", flat=True)
        self.form.is_valid()
        data = self.form.cleaned_data
        sort = self.current_sort
        only_searched = (
            data.get("q")
            and not self._extra_filters_on
            and not any(data.get(name) for name in ("status", "insurance", "recall"))
        )
        if only_searched and not self.deleted and sort.lstrip("-") == "name":
            ids = selectors.search_ids_in_name_order(data["q"], descending=sort.startswith("-"))
            if ids is not None:
                return ids
        return self.qs.values_list("pk", flat=True)

    def filter_recall(self, queryset, name, value):
        if not value:
            return queryset
        return refraction_older_than(queryset, recall_cutoff(timezone.localdate()))

    def filter_search(self, queryset, name, value):
        if self.deleted:
            return selectors.customer_text_search(queryset, value)
        return selectors.customer_search(queryset, value)


def _applying(apply):
    """A registered filter's function as django-filter calls a method."""

    def method(queryset, name, value):
        return apply(queryset) if value else queryset

    return method


def customer_table_page(
    data,
    *,
    page: int | str | None,
    page_size: int,
    request=None,
    deleted: bool = False,
    rows: QuerySet | None = None,
    ordering: list | None = None,
) -> tuple[CustomerFilter, Page]:
    """One page of the customer table for these filter values: the list
    screens and the API read it the same way. The ids are paged (a deep page
    skips index entries, not rows), counted from CustomerCount, the search
    words or an estimate, and only the page's ``rows`` are read (by default
    what the table shows), with their next appointment. A page past the end
    is the last one (``page.number`` says which)."""
    customer_filter = CustomerFilter(
        data,
        queryset=selectors.table_queryset(deleted=deleted),
        request=request,
        deleted=deleted,
        ordering=ordering,
    )
    if ordering is None and selectors.sorts_by_next_appointment(customer_filter.current_sort):
        services.refresh_passed_next_appointments(deleted=deleted)
    paginator = pagination.TablePaginator(
        customer_filter.page_ids,
        page_size,
        filtered=customer_filter.is_filtered,
        known_count=customer_filter.precounted_count(),
    )
    shown = paginator.get_page(page)
    if rows is None:
        rows = selectors.table_rows(deleted=deleted)
    shown.object_list = pagination.page_rows(shown, rows)
    return customer_filter, shown


def customer_export_rows(data, *, request) -> tuple[CustomerFilter, QuerySet]:
    """The customers of the list filtered by ``data``, whole rows with their
    insurer, for an export (read by opticrm.lib.export.in_chunks, in
    customer number order: the table's sort does not matter in a file)."""
    customer_filter = CustomerFilter(
        data, queryset=selectors.export_queryset(), request=request, deleted=False
    )
    return customer_filter, customer_filter.matches
