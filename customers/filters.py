from functools import cached_property

import django_filters
from django import forms
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from customers import selectors
from customers.models import SORT_KEYS, Customer
from customers.selectors import recall_cutoff, refraction_older_than
from opticrm.lib import health_data
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

    def __init__(self, *args, deleted: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.deleted = deleted
        user = getattr(self.request, "user", None)
        if not health_data.may_see_recall(user):
            # When someone's eyes were last measured is health data too.
            del self.filters["recall"]
            del self.form.fields["recall"]

    @property
    def shows_last_refraction(self) -> bool:
        """Whether the recall filter is on: then the table shows the date it
        filters by (the newest refraction's), next to the last exam entered."""
        self.form.is_valid()
        return bool(self.form.cleaned_data.get("recall"))

    @property
    def is_filtered(self) -> bool:
        self.form.is_valid()
        return any(
            self.form.cleaned_data.get(name) for name in ("q", "status", "insurance", "recall")
        )

    def precounted_count(self) -> int | None:
        """The number of matches when CustomerCount keeps it (see
        selectors.precounted_total), else None: then they are counted."""
        self.form.is_valid()
        data = self.form.cleaned_data
        if self.deleted or isinstance(self.page_ids, selectors.SearchHits):
            return None  # (search hits count themselves, from CustomerCount too)
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
        self.form.is_valid()
        data = self.form.cleaned_data
        sort = self.current_sort
        only_searched = data.get("q") and not any(
            data.get(name) for name in ("status", "insurance", "recall")
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
