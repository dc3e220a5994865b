"""The filter "ohne Einwilligung" at chain scale: on 50,000 customers with
the benchmark's consents (opticrm.bench.data: about four in five customers
have an active one), the list filters the rows its sort index walks by
``has_consent`` (kept by a trigger on consents) and reads the total of the
filter alone from CustomerCount: the consents are not read at all, and no
query counts the customers. With another filter on, the total is counted
(opticrm.lib.pagination), from indexes."""

import pytest
from django.db import connection
from django.db.models import Exists, OuterRef
from django.test.utils import CaptureQueriesContext

from customers.models import Customer
from customers.tests import test_chain_scale_plans as plans
from customers.tests.test_large_lists import page_info
from messaging.models import Consent

pytestmark = pytest.mark.django_db


def without_consent() -> int:
    """Counted the slow way, from the consents themselves."""
    active = Consent.objects.active().filter(customer=OuterRef("pk"))
    return Customer.objects.alive().filter(~Exists(active)).count()


def test_the_data_has_customers_with_and_without_consent(chain_data):
    alive = Customer.objects.alive().count()
    assert 0.05 * alive < without_consent() < 0.5 * alive
    # The loader filled the kept column as the trigger would have.
    assert Customer.objects.alive().filter(has_consent=False).count() == without_consent()


def test_the_filter_alone_shows_the_kept_total_without_counting(
    staff_client, chain_data, chain_cap
):
    expected = without_consent()
    assert expected > 500  # more than the cap: exact all the same
    with CaptureQueriesContext(connection) as captured:
        response = staff_client.get(plans.LIST, {"without_consent": "on"})
    assert page_info(response) == f"1–25 von {expected:,}".replace(",", ".")
    sql = [query["sql"] for query in captured.captured_queries]
    assert not [q for q in sql if "COUNT(" in q.upper() and '"customers_customer"' in q]
    assert len([q for q in sql if "customers_customercount" in q]) == 1
    assert not [q for q in sql if "messaging_consent" in q]
    shown = [customer.pk for customer in response.context["page"].object_list]
    assert not Consent.objects.active().filter(customer__in=shown).exists()


@pytest.mark.parametrize(
    "params",
    [
        {"without_consent": "on"},
        {"without_consent": "on", "page": "20"},
        {"without_consent": "on", "sort": "-date_of_birth"},
        {"without_consent": "on", "sort": "next_appointment"},
        {"without_consent": "on", "status": "inactive"},
        {"without_consent": "on", "q": "weber"},
    ],
    ids=str,
)
def test_without_consent_reads_indexes(staff_client, chain_data, chain_cap, monkeypatch, params):
    monkeypatch.setattr(plans, "BIG_TABLES", (*plans.BIG_TABLES, "messaging_consent"))
    assert plans.sequential_scans(staff_client, params) == {}


def test_with_another_filter_the_total_is_counted_exactly(staff_client, chain_data, chain_cap):
    params = {"without_consent": "on", "status": "inactive"}
    response = staff_client.get(plans.LIST, params)
    both = Customer.objects.alive().filter(status="inactive", has_consent=False).count()
    assert page_info(response).endswith(f" von {both:,}".replace(",", "."))
