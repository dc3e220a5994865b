import django_filters
from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from customers import selectors
from customers.models import SORT_KEYS, Customer, InsuranceProvider
from opticrm.lib.filters import SortedFilterSet, sort_filter
from prescriptions.selectors import recall_cutoff, refraction_older_than


class CustomerFilter(SortedFilterSet):
    default_sort = selectors.DEFAULT_SORT
    sort_with = staticmethod(selectors.customer_sort)

    q = django_filters.CharFilter(
        label=_("Search"),
        method="filter_search",
        widget=forms.TextInput(
            attrs={
                "type": "search",
                "placeholder": _("Name, email or phone"),
                "autocomplete": "off",
            }
        ),
    )
    status = django_filters.ChoiceFilter(
        label=_("Status"), choices=Customer.Status.choices, empty_label=_("All statuses")
    )
    insurance = django_filters.ModelChoiceFilter(
        label=_("Insurance provider"),
        field_name="insurance_provider",
        queryset=InsuranceProvider.objects.all(),
        empty_label=_("All insurance providers"),
    )
    recall = django_filters.BooleanFilter(
        label=_("Refraction older than 2 years"), method="filter_recall", widget=forms.CheckboxInput
    )
    sort = sort_filter(SORT_KEYS)

    class Meta:
        model = Customer
        fields = ["q", "status", "insurance", "recall", "sort"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        user = getattr(self.request, "user", None)
        if user is None or not user.has_perm("prescriptions.view_refraction"):
            # When someone's eyes were last measured is health data too.
            del self.filters["recall"]
            del self.form.fields["recall"]

    @property
    def is_filtered(self) -> bool:
        self.form.is_valid()
        return any(
            self.form.cleaned_data.get(name) for name in ("q", "status", "insurance", "recall")
        )

    @property
    def qs(self):
        rows = super().qs
        if self.form.cleaned_data.get("q"):
            rows = selectors.match_before_sorting(rows)
        return rows

    def filter_recall(self, queryset, name, value):
        if not value:
            return queryset
        return refraction_older_than(queryset, recall_cutoff(timezone.localdate()))

    def filter_search(self, queryset, name, value):
        return selectors.customer_search(queryset, value)
