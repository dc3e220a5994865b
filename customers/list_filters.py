"""Filters other apps add to the customer list (e.g. "ohne Einwilligung"
from messaging), without customers importing those apps: each registers a
name, a label and a function narrowing the customers in its AppConfig's
``ready``; CustomerFilter offers each as a checkbox (``?<name>=on``)."""

from collections.abc import Callable
from dataclasses import dataclass

from django.db.models import QuerySet


@dataclass(frozen=True)
class ListFilter:
    name: str  # unique, the query parameter, e.g. "without_consent"
    label: str  # shown next to the checkbox (lazy translation)
    # The customers that pass, of ``queryset`` (keep it index-backed).
    apply: Callable[[QuerySet], QuerySet]
    order: int = 100
    # The exact number of customers (not deleted) that pass when this is the
    # only filter on (no search, status or other filter), read without
    # counting them (e.g. from CustomerCount); None: they are counted.
    count: Callable[[], int | None] | None = None


_FILTERS: dict[str, ListFilter] = {}


def register(list_filter: ListFilter) -> None:
    """Idempotent: ``ready`` may run more than once."""
    _FILTERS[list_filter.name] = list_filter


def registered() -> list[ListFilter]:
    return sorted(_FILTERS.values(), key=lambda f: (f.order, f.name))
