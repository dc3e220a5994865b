"""The filter "ohne Einwilligung" at chain scale: on 50,000 customers of
whom two in five have consented, the consents are probed through the
partial index of consent_one_active, never read from start to end (no hash
anti-join). A filtered list is counted exactly (opticrm.lib.pagination),
so a filter that most customers pass reads them all for its total, from
an index or the table as the planner finds cheaper: that part is not
asserted here (customers/tests/test_chain_scale_plans.py checks the list
with the filter on)."""

import pytest
from django.db import connection

from customers.tests import test_chain_scale_plans as plans

pytestmark = pytest.mark.django_db


@pytest.fixture
def consents(chain_data):
    """Active consents for two in five customers, one withdrawn for every
    tenth (inside the test's transaction: rolled back after it)."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO messaging_consent (created_at, updated_at, customer_id, channel,
                purpose, given_at, method, text, withdrawn_at, withdrawal_method)
            SELECT now(), now(), id, 'email', 'marketing', now(), 'in_store', 'Text',
                CASE WHEN id % 10 = 0 THEN now() END,
                CASE WHEN id % 10 = 0 THEN 'phone' ELSE '' END
            FROM customers_customer WHERE id % 5 < 2
            """
        )
        cursor.execute("ANALYZE messaging_consent")


@pytest.mark.parametrize(
    "params",
    [
        {"without_consent": "on"},
        {"without_consent": "on", "page": "20"},
        {"without_consent": "on", "sort": "-date_of_birth"},
        {"without_consent": "on", "status": "inactive"},
    ],
    ids=str,
)
def test_without_consent_reads_indexes(
    staff_client, chain_data, chain_cap, consents, monkeypatch, params
):
    monkeypatch.setattr(plans, "BIG_TABLES", ("messaging_consent",))
    assert plans.sequential_scans(staff_client, params) == {}
