import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _

from products import selectors
from products.models import SORT_KEYS, Category, Product, Supplier

SORT_CHOICES = [(f"{sign}{key}", key) for key in SORT_KEYS for sign in ("", "-")]
# Without a choice in the URL the list shows active products only.
ACTIVE_DEFAULT = "yes"
ACTIVE_CHOICES = [("yes", _("Active")), ("no", _("Inactive")), ("all", _("All statuses"))]


class ProductFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        label=_("Search"),
        method="filter_search",
        widget=forms.TextInput(
            attrs={
                "type": "search",
                "placeholder": _("Name, brand, article no. or EAN"),
                "autocomplete": "off",
                # A barcode scanner types into the box that has the focus.
                "autofocus": True,
            }
        ),
    )
    category = django_filters.ChoiceFilter(
        label=_("Category"), choices=Category.choices, empty_label=_("All categories")
    )
    brand = django_filters.ChoiceFilter(
        label=_("Brand"), choices=selectors.brand_choices, empty_label=_("All brands")
    )
    supplier = django_filters.ModelChoiceFilter(
        label=_("Supplier"),
        queryset=Supplier.objects.order_by("name"),
        empty_label=_("All suppliers"),
    )
    active = django_filters.ChoiceFilter(
        label=_("Status"), choices=ACTIVE_CHOICES, empty_label=None, method="filter_active"
    )
    below_minimum = django_filters.BooleanFilter(
        label=_("Below minimum stock"), widget=forms.CheckboxInput, method="filter_below_minimum"
    )
    sort = django_filters.ChoiceFilter(
        choices=SORT_CHOICES, method="filter_sort", widget=forms.HiddenInput
    )

    class Meta:
        model = Product
        fields = ["q", "category", "brand", "supplier", "active", "below_minimum", "sort"]

    def __init__(self, data=None, *args, **kwargs):
        if data is not None and data.get("active") not in dict(ACTIVE_CHOICES):
            data = data.copy()
            data["active"] = ACTIVE_DEFAULT
        super().__init__(data, *args, **kwargs)
        # The product modal on the same page has fields of the same names.
        self.form.auto_id = "filter_%s"

    def filter_search(self, queryset, name, value):
        return selectors.product_search(queryset, value)

    def filter_active(self, queryset, name, value):
        if value == "all":
            return queryset
        return queryset.filter(active=value != "no")

    def filter_below_minimum(self, queryset, name, value):
        return selectors.below_minimum(queryset) if value else queryset

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
    def is_filtered(self) -> bool:
        """Whether the user narrowed the list (for the empty-table text)."""
        self.form.is_valid()
        data = self.form.cleaned_data
        return bool(
            data.get("q")
            or data.get("category")
            or data.get("brand")
            or data.get("supplier")
            or data.get("below_minimum")
            or data.get("active") != ACTIVE_DEFAULT
        )

    @property
    def qs(self):
        return selectors.product_sort(super().qs, self.current_sort)
