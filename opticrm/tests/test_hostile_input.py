"""Every page of the app, asked with hostile parameters: NUL characters,
dates at the ends of the calendar, huge numbers and nulls must never answer
500 (the API has its own fuzzing in api/tests/test_fuzz.py)."""

import datetime
from decimal import Decimal

import pytest
from django.db import transaction
from django.urls import URLPattern, URLResolver, get_resolver

from appointments.tests.factories import appointment, calendar_for
from customers.tests import factories as customer_factories
from invoices import services as invoice_services
from orders import services as order_services
from prescriptions.tests.factories import fitting, refraction
from products.tests.factories import product

pytestmark = pytest.mark.django_db

# Every query parameter a page of the app reads (views and filter forms).
PARAMETERS = [
    "q", "page", "page_size", "sort", "status", "insurer", "insurance_provider",
    "refraction_due", "category", "brand", "supplier", "active", "below_minimum", "open",
    "day", "date", "week", "staff", "customer", "customer_query", "start", "end", "copy",
    "reload", "since", "kind", "type", "view", "next", "date_from", "date_to",
    # The invoices' and the open items' lists, the day report, the exports' period.
    "until", "state", "overdue", "show", "code",
]  # fmt: skip
VALUES = [
    "9999-12-31", "31.12.9999", "0001-01-01", "1.1.1", "2026-02-30", "99999999999999999999",
    "-1", "null", "true", "[]", "%", "\\", "'", "€" * 500,
    # A digit to str.isdigit(), not to int().
    "²",
]  # fmt: skip
NUL_VALUES = ["\x00", "1\x002", "2026-12-01\x00"]


def _pages(patterns, prefix=""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            if not str(pattern.pattern).startswith(("admin/", "^api/", "api/")):
                yield from _pages(pattern.url_patterns, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            yield prefix + str(pattern.pattern)


@pytest.fixture
def records(owner):
    calendar_for(owner)
    customer = customer_factories.customer()
    return {
        "customer": customer,
        "appointment": appointment(staff=owner, customer=customer),
        "product": product(),
        "refraction": refraction(customer, owner),
        "fitting": fitting(customer, owner),
        "token": calendar_for(owner).feed_token,
        "order": _order(customer, owner),
        "invoice": _invoice(customer, owner),
    }


def _invoice(customer, owner):
    invoice = invoice_services.invoice_create(customer_id=customer.pk, user=owner)
    invoice_services.invoice_line_add(
        invoice_id=invoice.pk, data={"description": "Anpassung", "unit_price": Decimal("20")}
    )
    return invoice


def _order(customer, owner):
    order = order_services.order_create(customer_id=customer.pk, user=owner)
    order.line = order_services.line_save(
        order_id=order.pk,
        data={"kind": "service", "description": "Anpassung", "unit_price": Decimal("20")},
        version=None,
    )
    return order


def _url(pattern: str, records) -> str:
    """The pattern with real ids of records of its kind."""
    if pattern.startswith("customers/"):
        pk = records["customer"].pk
    elif pattern.startswith("appointments/"):
        pk = records["appointment"].pk
    elif pattern.startswith("products/"):
        pk = records["product"].pk
    elif pattern.startswith("orders/"):
        order = records["order"]
        pattern = (
            pattern.replace("<int:customer_id>", str(records["customer"].pk))
            .replace("<int:line_id>", str(order.line.pk))
            .replace("<slug:name>", "angebot")
        )
        pk = order.pk
    elif pattern.startswith("invoices/"):
        pattern = (
            pattern.replace("<int:order_id>", str(records["order"].pk))
            .replace("<int:payment_id>", "1")
            .replace("<int:line_id>", "1")
        )
        pk = records["invoice"].pk
    elif "fittings/" in pattern:
        pk = records["fitting"].pk
    else:
        pk = records["refraction"].pk
    return "/" + pattern.replace("<int:pk>", str(pk)).replace(
        "<int:customer_pk>", str(records["customer"].pk)
    ).replace("<str:token>", str(records["token"])).replace("<str:kind>", "receipt")


def _urls(records) -> list[str]:
    urls = [_url(pattern, records) for pattern in _pages(get_resolver().url_patterns)]
    assert len(urls) > 30 and "/appointments/week/" in urls
    return [url for url in urls if url != "/logout/"]


def test_no_page_answers_500_to_hostile_parameters(owner_client, records):
    owner_client.raise_request_exception = False  # collect them all
    failures = []

    def ask(url, params, label):
        # A database error aborts the test's transaction: each request in a
        # savepoint of its own, so one failure does not hide the next.
        savepoint = transaction.savepoint()
        response = owner_client.get(url, params)
        if response.status_code >= 500:
            transaction.savepoint_rollback(savepoint)
            failures.append((url, label, response.status_code))
        else:
            transaction.savepoint_commit(savepoint)

    for url in _urls(records):
        for value in VALUES:
            ask(url, dict.fromkeys(PARAMETERS, value), f"all={value[:20]}")
        for name in PARAMETERS:
            for value in ("9999-12-31", "99999999999999999999"):
                ask(url, {name: value}, f"{name}={value}")
    assert failures == [], "\n".join(map(str, failures[:60]))


def test_nul_characters_in_an_address_or_its_query_are_refused_before_any_view(
    owner_client, records
):
    for url in _urls(records):
        for value in NUL_VALUES:
            response = owner_client.get(url, {"q": value, "open": "1"})
            assert response.status_code == 400, url
            assert "nicht erlaubte Zeichen" in response.content.decode()


@pytest.mark.parametrize(
    "url",
    [
        "/appointments/feed/%00.ics",
        "/appointments/feed/abc%00def.ics",
        "/customers/%00/",
    ],
)
def test_a_nul_in_the_path_is_not_found(client, url):
    response = client.get(url)
    assert response.status_code == 404
    assert "Nicht gefunden" in response.content.decode()


@pytest.mark.parametrize("query", ["%00", "1%002"])
def test_the_product_search_with_a_nul_and_enter_is_refused(owner_client, query):
    response = owner_client.get(f"/products/?q={query}&open=1")
    assert response.status_code == 400


def test_the_day_calendar_at_the_end_of_time_is_no_500(owner_client):
    for day in (datetime.date.max, datetime.date.min):
        response = owner_client.get("/appointments/day/", {"date": day.isoformat()})
        assert response.status_code in (200, 302, 400)
