import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _

from customers import selectors
from customers.models import SORT_KEYS, Customer, InsuranceProvider

SORT_CHOICES = [(f"{sign}{key}", key) for key in SORT_KEYS for sign in ("", "-")]


class CustomerFilter(django_filters.FilterSet):
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
    sort = django_filters.ChoiceFilter(
        choices=SORT_CHOICES, method="filter_sort", widget=forms.HiddenInput
    )

    class Meta:
        model = Customer
        fields = ["q", "status", "insurance", "sort"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The filter bar shares the page with the customer modal, whose form
        # has a "status" field too: distinct ids keep each label on its field.
        self.form.auto_id = "filter_%s"

    def filter_search(self, queryset, name, value):
        return selectors.customer_search(queryset, value)

    def filter_sort(self, queryset, name, value):
        # Sorting is applied once in ``qs`` so the default sort also applies.
        return queryset

    @property
    def current_sort(self) -> str:
        # Validating fills cleaned_data with the valid fields even when another
        # filter is bad, so a mistyped filter does not lose the sort order.
        self.form.is_valid()
        return self.form.cleaned_data.get("sort") or selectors.DEFAULT_SORT

    @property
    def qs(self):
        return selectors.customer_sort(super().qs, self.current_sort)
