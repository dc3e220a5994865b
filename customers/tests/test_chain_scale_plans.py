"""The customer list's plans at chain scale: on 50,000 generated customers
with fresh planner statistics (the way the benchmark's million customers
are loaded), every filter, sort and search reads indexes, and the totals
come from CustomerCount or an index (issue 8).

The rows are committed once for this module and removed at its end, also
when loading fails: no other module sees them (the ``chain_data`` fixture;
test_large_lists.py has the list's counting and paging rules on small
data)."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from customers.models import INDEXED_SORTS, Customer
from customers.tests.test_large_lists import page_info
from opticrm.lib import text

pytestmark = pytest.mark.django_db

LIST = reverse("customers:list")
BIG_TABLES = (
    "customers_customer",
    "customers_customersearchword",
    "appointments_appointment",
    "prescriptions_refraction",
)


def plans(client, params: dict, url: str = LIST) -> list[tuple[str, str]]:
    """(query, plan) of each query behind the page at ``url``."""
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url, params).status_code == 200
    found = []
    for query in captured.captured_queries:
        if query["sql"].startswith("EXPLAIN"):
            continue
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN " + query["sql"])
            found.append((query["sql"], "\n".join(row[0] for row in cursor.fetchall())))
    return found


def sequential_scans(client, params: dict, url: str = LIST, tables=None) -> dict[str, list[str]]:
    """The big tables read from start to end by the queries behind the page."""
    scans = {}
    for sql, plan in plans(client, params, url):
        for table in re.findall(r"Seq Scan on (\w+)", plan):
            if table in (tables or BIG_TABLES):
                scans.setdefault(table, []).append(sql[:120])
    return scans


LIST_VARIANTS = [
    {},
    {"page": "20"},
    *({"sort": sort} for sort in INDEXED_SORTS),
    *({"sort": f"-{sort}"} for sort in INDEXED_SORTS),
    {"status": "inactive"},
    {"q": "Müller"},
    {"q": "Mueller"},
    {"q": "weber"},
    {"q": "anna m", "sort": "-name"},
    {"q": "weber", "status": "inactive"},
    {"q": "schmidt", "sort": "date_of_birth"},
    {"q": "0151"},
    # By town and postcode (issue 23): the same indexes as names and phones.
    {"q": "Hamburg"},
    {"q": "10115"},
    {"q": "berlin", "status": "inactive"},
    {"q": "münchen", "sort": "-date_of_birth"},
    # A filter another app registers (customers.list_filters): "ohne
    # Einwilligung" (messaging), an anti-join on its partial index.
    {"without_consent": "on"},
    {"without_consent": "on", "page": "20"},
    {"without_consent": "on", "sort": "-last_exam"},
    {"without_consent": "on", "status": "inactive"},
    {"without_consent": "on", "q": "weber"},
]


@pytest.mark.parametrize("params", LIST_VARIANTS, ids=lambda params: str(params) or "default")
def test_the_list_reads_indexes_not_whole_tables(staff_client, chain_data, chain_cap, params):
    assert Customer.objects.count() == 50_000
    assert sequential_scans(staff_client, params) == {}


def test_the_recall_filter_reads_an_index(optician_client, chain_data, chain_cap):
    assert 'name="recall"' in optician_client.get(LIST).content.decode()  # may use it
    assert sequential_scans(optician_client, {"recall": "on"}) == {}


def test_the_status_filter_shows_the_kept_count_and_with_another_counts_from_an_index(
    staff_client, chain_data, chain_cap
):
    with CaptureQueriesContext(connection) as captured:
        response = staff_client.get(LIST, {"status": "inactive"})
    inactive = Customer.objects.alive().filter(status="inactive").count()
    assert inactive > 500  # more than the cap: exact all the same
    assert page_info(response) == f"1–25 von {inactive:,}".replace(",", ".")
    assert not [q for q in captured.captured_queries if "COUNT(" in q["sql"]]
    # Status and insurer together are counted, from the small status index.
    provider = Customer.objects.exclude(insurance_provider=None).first().insurance_provider_id
    params = {"status": "inactive", "insurance": provider}
    with CaptureQueriesContext(connection) as captured:
        response = staff_client.get(LIST, params)
    both = Customer.objects.alive().filter(status="inactive", insurance_provider=provider).count()
    assert page_info(response).endswith(f" von {both:,}".replace(",", "."))
    counts = [q["sql"] for q in captured.captured_queries if q["sql"].startswith("SELECT COUNT(")]
    assert len(counts) == 1
    assert sequential_scans(staff_client, params) == {}


def test_the_insurer_filter_reads_an_index(staff_client, chain_data, chain_cap):
    provider = Customer.objects.exclude(insurance_provider=None).first().insurance_provider_id
    assert sequential_scans(staff_client, {"insurance": provider}) == {}


def test_a_search_alone_is_counted_and_paged_from_the_word_index(
    staff_client, chain_data, chain_cap
):
    with CaptureQueriesContext(connection) as captured:
        response = staff_client.get(LIST, {"q": "Müller"})
    expected = sum(  # by the Python rule, customer by customer
        any(word.startswith("muller") for word in text.search_words(search_text))
        for search_text in Customer.objects.alive().values_list("search_text", flat=True)
    )
    assert expected > 500  # more than the cap: counted exactly all the same
    assert page_info(response) == f"1–25 von {expected:,}".replace(",", ".")
    word_queries = [q["sql"] for q in captured.captured_queries if "customersearchword" in q["sql"]]
    assert len(word_queries) == 2  # which words begin with it, the page
    # The count is the one word's, kept in CustomerCount.
    assert len([q for q in captured.captured_queries if "customercount" in q["sql"]]) == 1
    for sql in word_queries:
        assert 'customers_customer"' not in sql.replace("customers_customersearchword", "")
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN " + sql)
            plan = "\n".join(row[0] for row in cursor.fetchall())
        assert "Index Only Scan using customer_word_prefix" in plan
        # One word begins with "muller" here: its rows are counted and
        # paged in the index's order, never sorted.
        assert "Sort" not in plan
