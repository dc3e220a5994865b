"""The API's lists at chain scale read like the web tables (issue 25): on
50,000 generated customers with 100,000 appointments and fresh planner
statistics, every list request the benchmark sends is planned without a
sequential scan of a big table, without a sort that spills to disk, and
without the next-appointment lookup for rows a deep page skips."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from api import services as api_services
from api.customers import ORDERINGS
from customers.models import Customer, InsuranceProvider

pytestmark = pytest.mark.django_db

BIG_TABLES = (
    "customers_customer",
    "customers_customersearchword",
    "appointments_appointment",
    "prescriptions_refraction",
    "products_product",
)

CUSTOMERS, APPOINTMENTS, PRODUCTS = "/api/v1/customers", "/api/v1/appointments", "/api/v1/products"


@pytest.fixture
def api_get(client):
    auth = {"HTTP_AUTHORIZATION": f"Bearer {api_services.api_key_create(name='Plans')[1]}"}

    def get(path: str, params: dict):
        with CaptureQueriesContext(connection) as captured:
            response = client.get(path, params, **auth)
        assert response.status_code == 200, response.content
        return response.json(), [query["sql"] for query in captured.captured_queries]

    return get


def plan_faults(sql: str) -> list[str]:
    """What is wrong with the plan of one query, as it runs."""
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, FORMAT TEXT) " + sql)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    faults = [f"Seq Scan on {table}" for table in re.findall(r"Seq Scan on (\w+)", plan)]
    faults = [fault for fault in faults if fault.removeprefix("Seq Scan on ") in BIG_TABLES]
    if "external merge" in plan or "Disk:" in plan:
        faults.append("sort on disk")
    return faults


def assert_reads_like_the_tables(sqls: list[str]) -> None:
    faults = {}
    for sql in sqls:
        if sql.startswith(("EXPLAIN", "INSERT", "DELETE", "UPDATE")):
            continue
        found = plan_faults(sql)
        if found:
            faults[sql[:160]] = found
        if "OFFSET" in sql:
            # A deep page skips ids along an index; the next appointment is
            # read for the page's rows alone, by id.
            assert "appointments_next_start" not in sql, sql[:300]
    assert faults == {}


def _insurer_name() -> str:
    provider = Customer.objects.exclude(insurance_provider=None).first().insurance_provider_id
    return InsuranceProvider.objects.get(pk=provider).name


CUSTOMER_VARIANTS = [
    {},
    {"page": 2000},
    *({"ordering": direction + field} for field in ORDERINGS for direction in ("", "-")),
    {"status": "inactive"},
    {"search": "Müller"},
    {"search": "Mueller"},
    {"search": "Schmidt"},
    {"search": "Schmidt", "ordering": "-date_of_birth"},
    {"search": "0151"},
]


@pytest.mark.parametrize("params", CUSTOMER_VARIANTS, ids=lambda params: str(params) or "default")
def test_the_customer_list_reads_indexes(api_get, chain_data, chain_cap, params):
    page, sqls = api_get(CUSTOMERS, params)
    assert page["total"] > 0
    if params.get("page") != 2000:
        assert len(page["items"]) == 25
    assert_reads_like_the_tables(sqls)


def test_the_insurer_filter_reads_an_index(api_get, chain_data, chain_cap):
    name = _insurer_name()
    page, sqls = api_get(CUSTOMERS, {"insurance_provider": name.upper()})
    assert page["items"] and {item["insurance_provider"] for item in page["items"]} == {name}
    assert_reads_like_the_tables(sqls)


def test_a_deep_page_has_the_rows_the_table_has_there(api_get, chain_data, chain_cap):
    """Page 40 of 25 by name: the same customers, in the same order, as the
    ids the sort's index holds there."""
    page, _sqls = api_get(CUSTOMERS, {"page": 40, "ordering": "-last_name"})
    expected = list(
        Customer.objects.alive()
        .order_by("-sort_name", "-id")
        .values_list("pk", flat=True)[975:1000]
    )
    assert [item["id"] for item in page["items"]] == expected


APPOINTMENT_VARIANTS = [{}, {"page": 2000}, {"status": "cancelled"}]


@pytest.mark.parametrize(
    "params", APPOINTMENT_VARIANTS, ids=lambda params: str(params) or "default"
)
def test_the_appointment_list_reads_indexes(api_get, chain_data, chain_cap, params):
    page, sqls = api_get(APPOINTMENTS, params)
    assert page["total"] > 0 and page["items"]
    assert_reads_like_the_tables(sqls)


def test_one_days_appointments_and_one_staff_members_read_indexes(api_get, chain_data, chain_cap):
    first, _sqls = api_get(APPOINTMENTS, {"page": 100})
    day = first["items"][0]["start"][:10]
    staff = first["items"][0]["staff"]
    for params in ({"date_from": day, "date_to": day}, {"staff": staff, "date_from": day}):
        page, sqls = api_get(APPOINTMENTS, params)
        assert page["items"] and all(item["start"][:10] >= day for item in page["items"])
        assert_reads_like_the_tables(sqls)


PRODUCT_VARIANTS = [
    {},
    {"page": 10},
    {"category": "frame", "active": "true"},
    {"below_minimum": "true"},
    {"search": "Ray"},
]


@pytest.mark.parametrize("params", PRODUCT_VARIANTS, ids=lambda params: str(params) or "default")
def test_the_product_list_reads_indexes(api_get, chain_data, chain_cap, params):
    page, sqls = api_get(PRODUCTS, params)
    assert page["total"] >= len(page["items"])
    assert_reads_like_the_tables(sqls)
