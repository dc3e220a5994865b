"""The customer list at chain scale: no count of every row, deep pages that
skip index entries, and plans that read indexes (issue 8).

The plans are checked on generated data with fresh planner statistics, the
way the benchmark's million customers are loaded."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from customers.models import INDEXED_SORTS, Customer
from customers.tests import factories
from opticrm.bench.data import LOADED_TABLES, Sizes, load
from opticrm.lib import pagination, text

pytestmark = pytest.mark.django_db

LIST = reverse("customers:list")
BIG_TABLES = (
    "customers_customer",
    "customers_customersearchword",
    "appointments_appointment",
    "prescriptions_refraction",
)


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


@pytest.fixture(scope="module")
def chain_data(django_db_setup, django_db_blocker):
    """50,000 customers, loaded and analysed once for this module's tests
    (each runs in its own transaction on top) and removed afterwards."""
    with django_db_blocker.unblock():
        load(Sizes(customers=50_000, appointments=100_000, products=500))
        yield
        with connection.cursor() as cursor:
            cursor.execute(f"TRUNCATE {', '.join(LOADED_TABLES)} CASCADE")
            cursor.execute("DELETE FROM auth_user WHERE username LIKE 'bench-%%'")


@pytest.fixture
def chain_cap(monkeypatch):
    """The exact-count cap at the share it has of a chain's million customers
    (10,000 is 1 %): the planner's choices depend on such shares."""
    monkeypatch.setattr(pagination, "EXACT_UP_TO", 500)


def sequential_scans(client, params: dict) -> dict[str, list[str]]:
    """The tables read from start to end by the queries behind the list page."""
    with CaptureQueriesContext(connection) as captured:
        assert client.get(LIST, params).status_code == 200
    scans = {}
    for query in captured.captured_queries:
        if query["sql"].startswith("EXPLAIN"):
            continue
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN " + query["sql"])
            plan = "\n".join(row[0] for row in cursor.fetchall())
        for table in re.findall(r"Seq Scan on (\w+)", plan):
            if table in BIG_TABLES:
                scans.setdefault(table, []).append(query["sql"][:120])
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


def test_a_list_far_beyond_the_cap_is_not_counted_at_all(staff_client, monkeypatch):
    monkeypatch.setattr(pagination, "EXACT_UP_TO", 1)
    for number in range(12):
        factories.customer(last_name=f"Kunde{number:02d}")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE customers_customer")
    with CaptureQueriesContext(connection) as captured:
        response = staff_client.get(LIST)
    # (The module's 50,000 generated customers may be there too.)
    assert " von ca. " in page_info(response)
    assert not [q for q in captured.captured_queries if "COUNT(" in q["sql"]]


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
