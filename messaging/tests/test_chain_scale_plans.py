"""The recall list and the customer list's filter "ohne Einwilligung" at
chain scale: 50,000 customers loaded as the benchmark loads a million.

The recall list reads its keys and counts from the recall indexes, whose
included columns answer the age, SMS and appointment filters: a due month
neither reads the customers' rows nor sorts all its matches.

The filter "ohne Einwilligung": on 50,000 customers with
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
from django.urls import reverse
from django.utils import timezone

from customers.models import Customer
from customers.tests import test_chain_scale_plans as plans
from customers.tests.test_large_lists import page_info
from messaging.models import Consent
from messaging.recall import AgeGroup, Reach, RecallQuery, Rule, due_customers, months_offered
from messaging.recall_forms import MONTH_FORMAT

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


# --- The recall list --------------------------------------------------------------

RECALL = reverse("recall:list")
RECALL_TABLES = (*plans.BIG_TABLES, "messaging_consent", "messaging_message")


def _next_month() -> str:
    return months_offered(timezone.localdate())[1].strftime(MONTH_FORMAT)


RECALL_VARIANTS = [
    {},
    {"page": "20"},
    {"rule": Rule.FITTING},
    {"reach": Reach.EMAIL},
    {"reach": Reach.NONE},
    {"age_group": AgeGroup.SENIORS},
    {"month": "next"},
    {"month": "next", "page": "10"},
    {"month": "next", "age_group": AgeGroup.CHILDREN, "reach": Reach.SMS},
    {"month": "next", "rule": Rule.FITTING},
    {"rule": Rule.REORDER},
    {"month": "next", "rule": Rule.REORDER},
]


def _params(variant: dict) -> dict:
    return {k: (_next_month() if v == "next" else v) for k, v in variant.items()}


@pytest.mark.parametrize("variant", RECALL_VARIANTS, ids=lambda v: str(v) or "default")
def test_the_recall_list_reads_indexes_not_whole_tables(
    optician_client, chain_data, chain_cap, variant
):
    assert plans.sequential_scans(optician_client, _params(variant), RECALL, RECALL_TABLES) == {}


@pytest.mark.parametrize(
    ("variant", "index_only"),
    [
        ({"month": "next"}, 2),
        # The children's two-year range is empty by its condition on the
        # birth date: the planner asks the birth date's index instead.
        ({"month": "next", "age_group": AgeGroup.CHILDREN, "reach": Reach.SMS}, 1),
    ],
    ids=str,
)
def test_a_due_month_reads_the_recall_index_alone(
    optician_client, chain_data, chain_cap, variant, index_only
):
    """The keys the month is counted and paged from (one query per rule's
    range): index-only scans, no table rows read for the filters and no
    sort of every match of the month."""
    found = plans.plans(optician_client, _params(variant), RECALL)
    keys = [
        plan for sql, plan in found if sql.startswith('SELECT "customers_customer"."eye_test_base"')
    ]
    assert len(keys) == 2
    walks = [plan for plan in keys if "Index Only Scan using customer_recall_eye_test" in plan]
    assert len(walks) == index_only, keys
    for plan in walks:
        assert "Sort" not in plan.split("SubPlan")[0], plan


def test_the_month_page_holds_the_same_customers_as_the_rule(optician_client, chain_data):
    """Merged from two ranges (messaging.recall.capped_keys): the pages hold
    the due customers in order, each once."""
    month = months_offered(timezone.localdate())[1]
    expected = list(
        due_customers(
            RecallQuery(today=timezone.localdate(), month=month), pause_weeks=8
        ).values_list("pk", flat=True)[:200]
    )
    assert len(expected) == 200
    shown = []
    for number in (1, 2):
        response = optician_client.get(
            RECALL, {"month": month.strftime(MONTH_FORMAT), "page_size": "100", "page": number}
        )
        shown += [row.customer.pk for row in response.context["rows"]]
    assert shown == expected
