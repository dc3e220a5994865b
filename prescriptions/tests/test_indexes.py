"""The history and the recall filter read their indexes (sequential scans
priced out, as in customers/tests/test_indexes.py)."""

import datetime

import pytest
from django.db import connection

from customers.models import Customer
from customers.tests import factories as customer_factories
from prescriptions.models import Refraction
from prescriptions.selectors import refraction_older_than
from prescriptions.tests.factories import refraction

pytestmark = pytest.mark.django_db


def plan(queryset) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
    return queryset.explain()


def test_recall_filter_reads_the_current_refraction_index(owner):
    refraction(customer_factories.customer(), owner)
    explained = plan(refraction_older_than(Customer.objects.all(), datetime.date(2025, 1, 1)))
    assert "refraction_current_date" in explained, explained


def test_history_reads_the_customer_index(owner):
    customer = customer_factories.customer()
    refraction(customer, owner)
    explained = plan(Refraction.objects.filter(customer=customer))
    assert "refraction_customer_date" in explained or "refraction_current_date" in explained, (
        explained
    )
