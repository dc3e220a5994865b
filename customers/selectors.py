"""Reads of customers that are more than one ORM call."""

import datetime

from django.apps import apps
from django.db.models import BooleanField, ExpressionWrapper, Min, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Now
from django.utils import timezone

from customers.models import SORT_KEYS, Customer, sort_ordering
from opticrm.lib import pagination, text

DEFAULT_SORT = "name"
_PHONE_CHARS = set("0123456789+/-() ")


def customer_list(*, include_deleted: bool = False) -> QuerySet[Customer]:
    customers = Customer.objects.select_related("insurance_provider")
    return customers.deleted() if include_deleted else customers.alive()


def customer_table(*, include_deleted: bool = False) -> QuerySet[Customer]:
    """Customers with what the table shows, the next appointment included,
    in one query."""
    return with_next_appointment(customer_list(include_deleted=include_deleted))


def _upcoming_appointments() -> QuerySet:
    """Appointments that count as a customer's next one: in the future and
    still planned or confirmed."""
    # Looked up by name: the appointments app depends on customers, not back.
    appointment = apps.get_model("appointments", "Appointment")
    return appointment.objects.filter(
        start__gte=Now(), status__in=[appointment.Status.PLANNED, appointment.Status.CONFIRMED]
    )


def with_next_appointment(queryset: QuerySet[Customer]) -> QuerySet[Customer]:
    """Annotate ``next_appointment``: the start of the customer's earliest upcoming appointment."""
    upcoming = _upcoming_appointments().filter(customer=OuterRef("pk")).order_by("start")
    return queryset.annotate(next_appointment=Subquery(upcoming.values("start")[:1]))


def table_queryset(*, include_deleted: bool) -> QuerySet[Customer]:
    """What the customer table filters and pages. The next appointment is
    looked up per page afterwards (attach_next_appointment), not for every
    row a deep page skips; sorting by it reads the stored
    ``next_appointment_at`` (see services.refresh_passed_next_appointments)."""
    return customer_list(include_deleted=include_deleted)


def sorts_by_next_appointment(sort: str) -> bool:
    return sort.lstrip("-") == "next_appointment"


def attach_next_appointment(customers: list[Customer]) -> list[Customer]:
    """Set ``next_appointment`` on the customers of one page, in one query."""
    missing = [customer for customer in customers if not hasattr(customer, "next_appointment")]
    if missing:
        upcoming = dict(
            _upcoming_appointments()
            .filter(customer_id__in=[customer.pk for customer in missing])
            .values("customer_id")
            .annotate(first=Min("start"))
            .values_list("customer_id", "first")
        )
        for customer in missing:
            customer.next_appointment = upcoming.get(customer.pk)
    return customers


def customer_appointments(customer: Customer) -> dict[str, list]:
    """Upcoming and past appointments of one customer, for the detail page."""
    appointment = apps.get_model("appointments", "Appointment")
    appointments = appointment.objects.filter(customer=customer).select_related("type", "staff")
    now = timezone.now()
    return {
        "upcoming": list(appointments.filter(start__gte=now).order_by("start")),
        "past": list(appointments.filter(start__lt=now).order_by("-start")[:50]),
    }


def customer_search(queryset: QuerySet[Customer], query: str) -> QuerySet[Customer]:
    """Every word must match a name (accent- and umlaut-insensitive), the
    email or the phone number; a query that looks like a phone number is
    matched on its digits."""
    query = (query or "").replace("\x00", "").strip()  # PostgreSQL text cannot hold NUL
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


# A search expected to match at most this many customers is matched first
# and then sorted; one that matches more reads the sort's index until a
# page is full (many matches are spread through any order).
MATCH_FIRST_UP_TO = 100_000


def match_before_sorting(queryset: QuerySet[Customer]) -> QuerySet[Customer]:
    """Keep PostgreSQL from walking the name index and testing each row:
    a surname's matches sit together in name order, so "Schmidt" read
    640,000 index entries before the first match (2.5 s at a million).
    A leading sort key that no index has makes it find the matches through
    the search index and sort only those."""
    if pagination.planner_rows(queryset) > MATCH_FIRST_UP_TO:
        return queryset
    not_from_an_index = ExpressionWrapper(Q(pk__gt=0), output_field=BooleanField())
    return queryset.order_by(not_from_an_index, *queryset.query.order_by)


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
