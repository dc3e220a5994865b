"""The benchmark's customer documents (issue 31): 50 rows for each of a few
customers, valid by the app's rules, and the scenario that asks for their
documents section as the customer page does (htmx)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from documents.models import CustomerDocument
from opticrm.bench.data import (
    DOCUMENTS_CUSTOMERS,
    DOCUMENTS_PER_CUSTOMER,
    Sizes,
    documents_top_up,
    load,
)
from opticrm.bench.drive import _headers
from opticrm.bench.scenarios import _documents

pytestmark = pytest.mark.django_db


@pytest.fixture
def documents():
    load(Sizes(customers=500, appointments=200, products=100), rebuild_indexes=False)
    _seconds, customers = documents_top_up()
    return customers


def test_a_few_customers_get_50_documents_each(documents):
    assert len(documents) == DOCUMENTS_CUSTOMERS
    assert CustomerDocument.objects.count() == DOCUMENTS_CUSTOMERS * DOCUMENTS_PER_CUSTOMER
    for document in CustomerDocument.objects.filter(customer_id=documents[0]):
        document.full_clean()  # the model's rules and constraints
    photos = CustomerDocument.objects.filter(kind="frame_photo")
    assert photos.exists() and not photos.filter(product__isnull=True).exists()
    assert not CustomerDocument.objects.exclude(kind="frame_photo").filter(product__isnull=False)
    # Replaced, not added to, when run again.
    documents_top_up()
    assert CustomerDocument.objects.count() == DOCUMENTS_CUSTOMERS * DOCUMENTS_PER_CUSTOMER


def test_the_scenario_asks_for_the_section_in_constant_queries(
    documents, owner_client, django_assert_num_queries
):
    [scenario] = _documents({"documents_customer_ids": documents})
    assert scenario["name"] == "customer documents, 50"
    assert _headers(scenario, {"session_cookie": "s"})["HX-Request"] == "true"
    first, second = scenario["paths"][:2]
    owner_client.get(first)
    with CaptureQueriesContext(connection) as queries:
        page = owner_client.get(first, headers={"HX-Request": "true"}).content.decode()
    assert "<html" not in page
    assert page.count("data-document=") == 45  # 5 of the 50 deleted, to restore
    assert page.count("data-deleted-document=") == 5
    with django_assert_num_queries(len(queries.captured_queries)):
        owner_client.get(second, headers={"HX-Request": "true"})
    assert _documents({}) == []
