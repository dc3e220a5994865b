"""The list of deleted customers reads a fixed number of queries, however
many deleted customers it shows: measured through the test client, full
page and htmx partial, with 2 and with 20."""

import datetime
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from appointments.tests.factories import appointment, at, calendar_for, working_day
from customers import services
from customers.tests import factories
from live.selectors import forget_change_counters
from opticrm.lib.pagination import forget_estimates

pytestmark = pytest.mark.django_db
HTMX = {"HX-Request": "true"}
FEW, MANY = 2, 20
DELETED = "/customers/deleted/"


def measure(client, url: str, **headers) -> tuple[int, str]:
    """Queries of one request as the first view of a worker would make them
    (no reused row estimate or live counter), and the response body."""
    forget_estimates()
    forget_change_counters()
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, headers=headers)
    assert response.status_code == 200, response.status_code
    return len(captured), response.content.decode()


def delete_customers(number: int, *, start: int, staff) -> None:
    """``number`` deleted customers, each with an insurer, one in two with an
    upcoming appointment, as the rows of the list show them."""
    insurers = [factories.insurance("AOK Bayern"), factories.insurance("Techniker Krankenkasse")]
    first = at(9, day=working_day())
    for index in range(start, start + number):
        customer = factories.customer(
            first_name="Xaver",
            last_name=f"Kunde{index:02d}",
            phone="0151 23456789",
            insurance_provider=insurers[index % 2],
        )
        if index % 2 == 0:
            start = first + datetime.timedelta(minutes=30 * (index // 2))
            appointment(staff=staff, customer=customer, start=start)
        services.customer_soft_delete(customer_id=customer.pk, user=staff)


def page_queries(client, url: str, htmx: bool) -> tuple[int, str]:
    return measure(client, url, **(HTMX if htmx else {}))


def shown(body: str) -> set[str]:
    return set(re.findall(r"Kunde\d\d", body))


@pytest.mark.parametrize(
    "query",
    ["", "?sort=name", "?sort=-next_appointment", "?sort=insurance", "?page_size=100", "?q=xaver"],
)
def test_deleted_list_queries_do_not_grow_with_the_deleted_customers(staff_client, staff, query):
    calendar_for(staff)
    factories.customer(last_name="Lebendig")  # not on the list
    delete_customers(FEW, start=0, staff=staff)
    small = {htmx: page_queries(staff_client, DELETED + query, htmx) for htmx in (False, True)}
    delete_customers(MANY - FEW, start=FEW, staff=staff)
    large = {htmx: page_queries(staff_client, DELETED + query, htmx) for htmx in (False, True)}
    for htmx in (False, True):
        assert len(shown(small[htmx][1])) == FEW
        assert len(shown(large[htmx][1])) == MANY
        assert "Lebendig" not in large[htmx][1]
        assert small[htmx][0] == large[htmx][0], (
            f"htmx={htmx}: {small[htmx][0]} queries with {FEW} deleted customers, "
            f"{large[htmx][0]} with {MANY}"
        )
    # Session, user, live counters, permissions, the planner's estimate, the
    # count, the page's ids, its rows, (sorted by next appointment: the
    # refresh of passed ones). Measured: 9 (10), htmx partial 7 (8).
    assert large[False][0] <= 10 and large[True][0] <= large[False][0], (
        large[False][0],
        large[True][0],
    )
