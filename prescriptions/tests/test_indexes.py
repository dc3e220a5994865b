"""The history and the recall filter read their indexes (sequential scans
priced out, as in customers/tests/test_indexes.py)."""

import datetime

import pytest
from django.db import connection

from customers.models import Customer
from customers.selectors import refraction_older_than
from customers.tests import factories as customer_factories
from prescriptions.models import Refraction
from prescriptions.tests.factories import refraction

pytestmark = pytest.mark.django_db


def plan(queryset) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
    return queryset.explain()


def test_recall_filter_reads_the_customers_last_refraction_index(owner):
    refraction(customer_factories.customer(), owner)
    due = refraction_older_than(Customer.objects.alive(), datetime.date(2025, 1, 1))
    # Which index wins depends on the data (customers/tests/test_large_lists.py
    # checks the plans on 50,000 customers); here: an index path exists.
    assert "Seq Scan" not in plan(due.order_by())
    assert "Seq Scan" not in plan(due)


def test_history_reads_the_customer_index(owner):
    customer = customer_factories.customer()
    refraction(customer, owner)
    explained = plan(Refraction.objects.filter(customer=customer))
    assert "refraction_customer_date" in explained or "refraction_current_date" in explained, (
        explained
    )
