"""Reads of customers that are more than one ORM call."""

import datetime

from django.db.models import Q, QuerySet

from customers.models import SORT_KEYS, Customer, sort_ordering
from opticrm.lib import text

DEFAULT_SORT = "name"
_PHONE_CHARS = set("0123456789+/-() ")


def customer_list(*, include_deleted: bool = False) -> QuerySet[Customer]:
    customers = Customer.objects.select_related("insurance_provider")
    return customers.deleted() if include_deleted else customers.alive()


def customer_search(queryset: QuerySet[Customer], query: str) -> QuerySet[Customer]:
    """Every word must match a name (accent- and umlaut-insensitive), the
    email or the phone number; a query that looks like a phone number is
    matched on its digits."""
    query = (query or "").strip()
    if not query:
        return queryset
    if set(query) <= _PHONE_CHARS and len(text.digits(query)) >= 3:
        number = text.digits(query)
        return queryset.filter(search_text__contains=number)
    condition = Q()
    for term in query.split():
        # "Müller" must also find a customer stored as "Mueller".
        spellings = Q()
        for spelling in {text.fold(term), text.fold_transliterated(term)}:
            spellings |= Q(search_text__contains=spelling)
        condition &= spellings
    return queryset.filter(condition)


def customer_sort(queryset: QuerySet[Customer], sort: str) -> QuerySet[Customer]:
    column = sort.lstrip("-")
    if column not in SORT_KEYS:
        column, sort = DEFAULT_SORT, DEFAULT_SORT
    return queryset.order_by(*sort_ordering(column, descending=sort.startswith("-")))


def customer_possible_duplicates(
    *,
    first_name: str,
    last_name: str,
    date_of_birth: datetime.date | None,
    email: str,
    exclude_id: int | None = None,
) -> QuerySet[Customer]:
    """Customers who may be the same person: same name and birth date, or same email."""
    condition = Q()
    if first_name and last_name and date_of_birth:
        condition |= Q(
            first_name__iexact=first_name.strip(),
            last_name__iexact=last_name.strip(),
            date_of_birth=date_of_birth,
        )
    if email:
        condition |= Q(email=email.strip().lower())
    if not condition:
        return Customer.objects.none()
    duplicates = Customer.objects.alive().filter(condition)
    if exclude_id is not None:
        duplicates = duplicates.exclude(pk=exclude_id)
    return duplicates.order_by("sort_name", "id")
