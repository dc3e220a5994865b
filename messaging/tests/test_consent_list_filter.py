"""The customer list's filter "ohne Einwilligung", contributed by messaging
through customers.list_filters: customers without any active consent."""

import re

import pytest

from customers import list_filters
from customers.filters import customer_table_page
from customers.tests import factories
from messaging import services
from messaging.models import Method
from messaging.tests.test_consent_services import give

pytestmark = pytest.mark.django_db
LIST = "/customers/"


def shown(body: str) -> set[str]:
    return set(re.findall(r"Kunde(?:Ohne|Mit|Widerrufen|Inaktiv)", body))


@pytest.fixture
def customers(staff):
    never = factories.customer(last_name="KundeOhne")
    given = factories.customer(last_name="KundeMit")
    give(given, staff)
    withdrawn = factories.customer(last_name="KundeWiderrufen")
    consent = give(withdrawn, staff, purpose="service")
    services.consent_withdraw(consent_id=consent.pk, user=staff, method=Method.PHONE)
    inactive = factories.customer(last_name="KundeInaktiv", status="inactive")
    return {"never": never, "given": given, "withdrawn": withdrawn, "inactive": inactive}


def test_messaging_registers_the_filter():
    assert [f.name for f in list_filters.registered()] == ["without_consent"]


def test_the_list_offers_the_filter(staff_client):
    body = staff_client.get(LIST).content.decode()
    assert 'name="without_consent"' in body and 'id="filter_without_consent"' in body


def test_the_filter_lists_customers_without_an_active_consent(staff_client, customers):
    assert shown(staff_client.get(LIST).content.decode()) == {
        "KundeOhne",
        "KundeMit",
        "KundeWiderrufen",
        "KundeInaktiv",
    }
    body = staff_client.get(LIST, {"without_consent": "on"}).content.decode()
    assert shown(body) == {"KundeOhne", "KundeWiderrufen", "KundeInaktiv"}
    assert re.search(r'<input[^>]*name="without_consent"[^>]*checked', body)
    body = staff_client.get(LIST, {"without_consent": "on", "status": "inactive"}).content.decode()
    assert shown(body) == {"KundeInaktiv"}
    body = staff_client.get(LIST, {"without_consent": "on", "q": "kundemit"}).content.decode()
    assert shown(body) == set()


def test_the_htmx_partial_filters_too(staff_client, customers):
    response = staff_client.get(LIST, {"without_consent": "on"}, HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert "<html" not in body and shown(body) == {"KundeOhne", "KundeWiderrufen", "KundeInaktiv"}


def test_the_filtered_total_is_counted_not_taken_from_the_status_counts(customers):
    customer_filter, page = customer_table_page(
        {"without_consent": "on", "status": "active"}, page=1, page_size=25
    )
    assert customer_filter.is_filtered
    assert customer_filter.precounted_count() is None
    assert page.paginator.count == 2


def test_off_it_changes_nothing(customers):
    customer_filter, page = customer_table_page({"without_consent": ""}, page=1, page_size=25)
    assert not customer_filter.is_filtered
    assert page.paginator.count == 4
