import django_filters
from django import forms
from django.core.paginator import Page
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from opticrm.lib import pagination
from opticrm.lib.filters import SortedFilterSet, sort_filter
from products import selectors
from products.models import SORT_KEYS, Category, Product

# Without a choice in the URL the list shows active products only.
ACTIVE_DEFAULT = "yes"
ACTIVE_CHOICES = [("yes", _("Active")), ("no", _("Inactive")), ("all", _("All statuses"))]


class ProductFilter(SortedFilterSet):
    default_sort = selectors.DEFAULT_SORT
    search_filter = "q"
    sort_with = staticmethod(selectors.product_sort)

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
    # (id, name) pairs, as the customer list's insurers (issue 8).
    supplier = django_filters.ChoiceFilter(
        label=_("Supplier"), choices=selectors.supplier_choices, empty_label=_("All suppliers")
    )
    active = django_filters.ChoiceFilter(
        label=_("Status"), choices=ACTIVE_CHOICES, empty_label=None, method="filter_active"
    )
    below_minimum = django_filters.BooleanFilter(
        label=_("Below minimum stock"), widget=forms.CheckboxInput, method="filter_below_minimum"
    )
    sort = sort_filter(SORT_KEYS)

    class Meta:
        model = Product
        fields = ["q", "category", "brand", "supplier", "active", "below_minimum", "sort"]

    def __init__(self, data=None, *args, **kwargs):
        if data is not None and data.get("active") not in dict(ACTIVE_CHOICES):
            data = data.copy()
            data["active"] = ACTIVE_DEFAULT
        super().__init__(data, *args, **kwargs)

    def filter_search(self, queryset, name, value):
        return selectors.product_search(queryset, value)

    def filter_active(self, queryset, name, value):
        if value == "all":
            return queryset
        return queryset.filter(active=value != "no")

    def filter_below_minimum(self, queryset, name, value):
        return queryset.below_minimum() if value else queryset

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


def product_table_page(
    data, *, page: int | str | None, page_size: int, queryset: QuerySet | None = None
) -> tuple[ProductFilter, Page]:
    """One page of the product table for these filter values, for the list
    screen and the API alike: counted exactly when filtered (a search's
    matches with the page, in one query), estimated when not. A page past
    the end is the last one (``page.number`` says which). ``queryset``:
    what each row carries along (the API's supplier)."""
    products = selectors.product_list() if queryset is None else queryset
    product_filter = ProductFilter(data, queryset=products)
    paginator = pagination.TablePaginator(
        product_filter.qs, page_size, filtered=product_filter.is_filtered
    )
    return product_filter, paginator.get_page(page)


def product_export_rows(data) -> tuple[ProductFilter, QuerySet]:
    """The products of the list filtered by ``data``, with their supplier,
    for an export (read in id order by opticrm.lib.export.in_chunks)."""
    product_filter = ProductFilter(
        data, queryset=selectors.product_list().select_related("supplier")
    )
    return product_filter, product_filter.matches
