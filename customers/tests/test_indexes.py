"""Every sort the customer table offers reads its rows in order from an index.

The planner prefers a sequential scan on a small table, so sequential scans
and explicit (also incremental) sorts are priced out here: if the plan still sorts, no index
matches the ORDER BY. (Plans for search, which depend on table statistics, are checked on the
benchmark's data set.)
"""

import pytest
from django.db import connection

from customers import selectors
from customers.models import INDEXED_SORTS
from customers.tests import factories

pytestmark = pytest.mark.django_db


def plan(queryset) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_sort = off")
        # Sorting what another index delivers partly in order (the status
        # count's index) is sorting too.
        cursor.execute("SET LOCAL enable_incremental_sort = off")
    return queryset.explain()


@pytest.mark.parametrize("sort", [*INDEXED_SORTS, *(f"-{column}" for column in INDEXED_SORTS)])
def test_each_sort_reads_an_index_in_order(sort):
    factories.customer()
    page = selectors.customer_sort(selectors.customer_list(), sort)[:25]
    explained = plan(page)
    assert "customer_sort_" in explained, explained
    assert "Sort" not in explained.replace("Sort Key", ""), explained
