import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _

from customers import selectors
from customers.models import SORT_KEYS, Customer, InsuranceProvider
from opticrm.lib.filters import SortedFilterSet, sort_filter


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
    sort = sort_filter(SORT_KEYS)

    class Meta:
        model = Customer
        fields = ["q", "status", "insurance", "sort"]

    def filter_search(self, queryset, name, value):
        return selectors.customer_search(queryset, value)
