"""/api/v1/appointments and /api/v1/products answer a page with a fixed
number of queries, however many rows it holds: measured through the test
client with an API key, with 2 and with 20 rows (each naming other
customers, staff members, types and suppliers)."""

import datetime
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext

from api import services as api_services
from appointments.tests.factories import appointment, at, calendar_for, working_day
from customers.tests import factories as customer_factories
from opticrm.lib.pagination import forget_estimates
from products.models import Supplier
from products.tests.factories import product

pytestmark = pytest.mark.django_db
FEW, MANY = 2, 20


@pytest.fixture
def auth() -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {api_services.api_key_create(name='Website')[1]}"}


@pytest.fixture(autouse=True)
def still_clock(monkeypatch):
    """One rate-limit window for the whole test: the first request of a
    window also clears the last one, a query that has nothing to do with rows."""
    monkeypatch.setattr("opticrm.lib.ratelimit.clock", lambda: 1_800_000_030.0)
    # And one verification of the key: on a busy machine two requests could
    # lie either side of its API_KEY_CACHE_SECONDS, one query more.
    monkeypatch.setattr("api.services.clock", lambda: 1_000.0)


def measure(client, auth, url: str, query: dict) -> tuple[int, dict]:
    """Queries of one request of a key in use: a request just before has
    noted the key's use (once a minute) and opened the rate window."""
    assert client.get(url, query, **auth).status_code == 200
    forget_estimates()
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, query, **auth)
    assert response.status_code == 200, response.content
    return len(captured), response.json()


def book(number: int, *, start: int, day: datetime.date) -> None:
    """``number`` appointments, each with its own customer and staff member."""
    for index in range(start, start + number):
        member = get_user_model().objects.create_user(
            username=f"kollege{index}", first_name="Kolle", last_name=f"Ge{index}"
        )
        calendar_for(member)
        appointment(
            staff=member,
            customer=customer_factories.customer(last_name=f"Termin{index}"),
            start=at(9 + index % 8, day=day),
            type_name="Sehtest" if index % 2 else "Brillenabholung",
        )


def test_appointment_list_queries_do_not_grow_with_appointments(client, auth):
    day = working_day()
    queries = [
        {},
        {"date_from": day.isoformat(), "date_to": day.isoformat()},
        {"status": "planned"},
    ]
    book(FEW, start=0, day=day)
    small = [measure(client, auth, "/api/v1/appointments", query) for query in queries]
    book(MANY - FEW, start=FEW, day=day)
    large = [measure(client, auth, "/api/v1/appointments", query) for query in queries]
    for query, (few, few_page), (many, many_page) in zip(queries, small, large, strict=True):
        assert (few_page["total"], len(few_page["items"])) == (FEW, FEW)
        assert (many_page["total"], len(many_page["items"])) == (MANY, MANY)
        # Each item names its customer, staff member and type.
        assert len({item["customer_name"] for item in many_page["items"]}) == MANY
        assert all("Termin" in item["customer_name"] for item in many_page["items"])
        assert len({item["staff_name"] for item in many_page["items"]}) == MANY
        assert {item["type_name"] for item in many_page["items"]} == {"Sehtest", "Brillenabholung"}
        assert few == many, f"{query}: {few} queries with {FEW} appointments, {many} with {MANY}"
    # The rate count; the count (unfiltered: the planner's estimate and a
    # capped count); the page's ids along the index; their rows with
    # customer, staff and type. The key is verified once per few seconds.
    assert max(count for count, _page in large) <= 5, [count for count, _page in large]


def stock(number: int, *, start: int) -> None:
    """``number`` products, each with its own supplier, below minimum stock."""
    for index in range(start, start + number):
        supplier = Supplier.objects.create(name=f"Lieferant {index:02d}")
        product(
            name=f"Artikel {index:02d}",
            supplier=supplier,
            minimum_stock=3,
            sale_price=Decimal("99.00") + index,
        )


def test_product_list_queries_do_not_grow_with_products(client, auth):
    queries = [
        {},
        {"category": "frame", "active": "true"},
        {"below_minimum": "true"},
        {"search": "Artikel"},
    ]
    stock(FEW, start=0)
    small = [measure(client, auth, "/api/v1/products", query) for query in queries]
    stock(MANY - FEW, start=FEW)
    large = [measure(client, auth, "/api/v1/products", query) for query in queries]
    for query, (few, few_page), (many, many_page) in zip(queries, small, large, strict=True):
        assert len(few_page["items"]) == FEW and len(many_page["items"]) == MANY
        assert {item["supplier"] for item in many_page["items"]} == {
            f"Lieferant {index:02d}" for index in range(MANY)
        }
        assert few == many, f"{query}: {few} queries with {FEW} products, {many} with {MANY}"
    # The rate count; the count (unfiltered: the planner's estimate and a
    # capped count); the page (a search: its ids with their count in one
    # query) and its rows with suppliers. The key is verified once per few seconds.
    assert max(count for count, _page in large) <= 5, [count for count, _page in large]
