"""The filter bar of a sortable table, shared by every list screen."""

import functools
from collections.abc import Callable, Iterable

import django_filters
from django import forms
from django.db.models import QuerySet

from opticrm.lib import pagination


def sort_choices(columns: Iterable[str]) -> list[tuple[str, str]]:
    """?sort= values: each column ascending and, with a minus, descending."""
    return [(f"{sign}{column}", column) for column in columns for sign in ("", "-")]


def sort_filter(columns: Iterable[str]) -> django_filters.ChoiceFilter:
    return django_filters.ChoiceFilter(
        choices=sort_choices(columns), method="filter_sort", widget=forms.HiddenInput
    )


class SortedFilterSet(django_filters.FilterSet):
    """Filters plus a ``sort`` filter that is applied last, with a default.

    Subclasses declare ``sort = sort_filter(columns)``, ``default_sort`` and
    ``sort_with`` (a selector taking a queryset and a sort value)."""

    default_sort: str
    sort_with: Callable[[QuerySet, str], QuerySet]
    # The name of a search filter whose matches are sorted after they are found.
    search_filter: str | None = None

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The page's modal form may have fields of the same names ("status"):
        # distinct ids keep each label on its own field.
        self.form.auto_id = "filter_%s"
        for name, declared in self.filters.items():
            choices = declared.extra.get("choices")
            if callable(choices) and name in self.form.fields:
                # Read at most once: a callable's choices are read to validate
                # a choice and again to draw the select (a query each time).
                self.form.fields[name].choices = functools.cache(choices)

    def filter_sort(self, queryset, name, value):
        # Sorting happens once in ``qs``, so that the default sort applies too.
        return queryset

    @property
    def current_sort(self) -> str:
        # Validating fills cleaned_data with the valid fields even when another
        # filter is bad, so a mistyped filter does not lose the sort order.
        self.form.is_valid()
        return self.form.cleaned_data.get("sort") or self.default_sort

    @property
    def matches(self) -> QuerySet:
        """The filtered rows without the list's sort, for a reader of all of
        them in an order of its own (an export): no sort, no search plan."""
        return super().qs

    @property
    def qs(self):
        rows = type(self).sort_with(super().qs, self.current_sort)
        if self.search_filter and self.form.cleaned_data.get(self.search_filter):
            # A search's matches are found first, then sorted (see there).
            rows = pagination.match_before_sorting(rows)
        return rows
