"""The customer list at chain scale: no count of every row, and deep pages
that skip index entries (issue 8). The plans on 50,000 generated customers
are in test_chain_scale_plans.py."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from customers.models import Customer
from customers.tests import factories
from opticrm.lib import pagination

pytestmark = pytest.mark.django_db

LIST = reverse("customers:list")


def page_info(response) -> str:
    text = response.content.decode()
    found = re.search(r'<span class="pagination-info">(.*?)</span>', text, re.S)
    return re.sub(r"\s+", " ", found.group(1)).strip()


def test_an_unfiltered_long_list_shows_an_estimate_a_filtered_one_the_exact_count(
    staff_client, monkeypatch
):
    monkeypatch.setattr(pagination, "EXACT_UP_TO", 5)
    for number in range(12):
        factories.customer(
            last_name=f"Kunde{number:02d}", status="inactive" if number < 7 else "active"
        )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE customers_customer")
    unfiltered = staff_client.get(LIST, {"page_size": 25})
    assert page_info(unfiltered).startswith("1–12 von ca. ")
    assert "Seite 1 von" not in unfiltered.content.decode()
    filtered = staff_client.get(LIST, {"status": "inactive"})
    assert page_info(filtered) == "1–7 von 7"


def test_an_unfiltered_lists_estimate_is_reused_for_a_while(staff_client, monkeypatch):
    """The planner's estimate is asked once per TABLE_ESTIMATE_MAX_AGE, not
    on every page view; a filtered list is counted every time."""
    now = [1000.0]
    monkeypatch.setattr(pagination, "clock", lambda: now[0])
    monkeypatch.setattr(pagination, "EXACT_UP_TO", 5)
    for number in range(12):
        factories.customer(last_name=f"Kunde{number:02d}")

    def counting(params) -> tuple[int, int]:
        """(planner estimates, counts) the page asked PostgreSQL for."""
        with CaptureQueriesContext(connection) as queries:
            response = staff_client.get(LIST, params)
        assert response.status_code == 200
        assert " von ca. " in page_info(response)
        sqls = [query["sql"] for query in queries]
        return (
            sum(sql.startswith("EXPLAIN") for sql in sqls),
            sum(sql.startswith("SELECT COUNT(*)") for sql in sqls),
        )

    assert counting({}) == (1, 1)
    # More than EXACT_UP_TO: the next views neither estimate nor count again.
    assert counting({"sort": "-name", "page": 2}) == (0, 0)
    now[0] += 29
    assert counting({}) == (0, 0)
    now[0] += 2
    assert counting({}) == (1, 1)
    # Filtered: counted exactly each time; the deleted customers are another table.
    with CaptureQueriesContext(connection) as queries:
        assert page_info(staff_client.get(LIST, {"status": "active"})) == "1–12 von 12"
    assert not any(query["sql"].startswith("EXPLAIN") for query in queries)
    assert staff_client.get(reverse("customers:deleted")).status_code == 200
    assert len(pagination._estimates) == 2


def test_a_list_that_shrank_below_the_exact_limit_is_counted_again(staff_client, monkeypatch):
    now = [1000.0]
    monkeypatch.setattr(pagination, "clock", lambda: now[0])
    monkeypatch.setattr(pagination, "EXACT_UP_TO", 5)
    customers = [factories.customer(last_name=f"Kunde{number:02d}") for number in range(8)]
    assert "ca." in page_info(staff_client.get(LIST))
    Customer.objects.filter(pk__in=[c.pk for c in customers[:4]]).delete()
    now[0] += 31
    assert page_info(staff_client.get(LIST)) == "1–4 von 4"


def test_a_shops_list_is_counted_exactly(staff_client):
    for number in range(3):
        factories.customer(last_name=f"Kunde{number}")
    assert page_info(staff_client.get(LIST)) == "1–3 von 3"


def test_a_deep_page_has_the_right_rows_in_order_with_their_next_appointment(staff_client, staff):
    from appointments.tests.factories import MONDAY, appointment, at, german

    customers = [factories.customer(last_name=f"Kunde{number:02d}") for number in range(30)]
    appointment(staff=staff, customer=customers[27], start=at(10))
    response = staff_client.get(LIST, {"page": 2, "page_size": 25})
    names = [customer.last_name for customer in response.context["page"].object_list]
    assert names == [f"Kunde{number:02d}" for number in range(25, 30)]
    body = response.content.decode()
    assert german(MONDAY) in body  # Kunde27's next appointment


def test_a_next_appointment_that_has_begun_is_looked_up_again(staff_client, staff):
    """The list shows the stored next appointment, which its trigger keeps
    on every appointment write; one that has begun since is stale."""
    import datetime

    from appointments.tests.factories import MONDAY, appointment, at, german

    customer = factories.customer(last_name="Kunde")
    appointment(staff=staff, customer=customer, start=at(10))
    assert Customer.objects.get(pk=customer.pk).next_appointment_at == at(10)
    staff_client.get(LIST)  # both views below then reuse the table's estimate
    with CaptureQueriesContext(connection) as fresh:
        assert german(MONDAY) in staff_client.get(LIST).content.decode()
    # As if an earlier appointment had begun since the last write.
    stale = at(10) - datetime.timedelta(days=3650)
    Customer.objects.filter(pk=customer.pk).update(next_appointment_at=stale)
    with CaptureQueriesContext(connection) as looked_up:
        assert german(MONDAY) in staff_client.get(LIST).content.decode()
    # Looked up by appointments_next_start() in the rows' own query
    # (customers.selectors.next_appointment), not in a query of its own.
    assert len(looked_up.captured_queries) == len(fresh.captured_queries)


def test_a_list_far_beyond_the_cap_is_not_counted_at_all(staff_client, monkeypatch):
    monkeypatch.setattr(pagination, "EXACT_UP_TO", 1)
    for number in range(12):
        factories.customer(last_name=f"Kunde{number:02d}")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE customers_customer")
    with CaptureQueriesContext(connection) as captured:
        response = staff_client.get(LIST)
    assert " von ca. " in page_info(response)
    assert not [q for q in captured.captured_queries if "COUNT(" in q["sql"]]
