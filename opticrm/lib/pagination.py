"""Paging through tables that may hold a million rows."""

import json
import time
from functools import cached_property

from django.conf import settings
from django.core.paginator import Paginator
from django.db.models import BooleanField, Count, ExpressionWrapper, Q, QuerySet, Window
from django.db.models.query import FlatValuesListIterable, ModelIterable

# Up to this many rows counting exactly is cheap (a few milliseconds).
EXACT_UP_TO = 10_000
# An estimate this many times EXACT_UP_TO is not wrong about being more.
SURELY_MORE_THAN_EXACT = 10


def planner_rows(queryset: QuerySet) -> int:
    """How many rows PostgreSQL expects ``queryset`` to return: planning
    only, nothing is read (the estimate is as good as the last ANALYZE)."""
    explained = queryset.order_by().values("pk").explain(format="json")
    if not explained:
        return 0  # Django sends no query that cannot match anything (none())
    plan = json.loads(explained)
    return int(plan[0]["Plan"]["Plan Rows"])


# Monotonic seconds; a test may replace it to let time pass at once.
clock = time.monotonic
_estimates: dict[tuple[str, str], tuple[float, int]] = {}
# When a capped count last found more rows than are counted exactly, and how many.
_beyond_exact: dict[tuple[str, str], tuple[float, int]] = {}


def _table_key(queryset: QuerySet) -> tuple[str, str]:
    where = str(queryset.query.where)
    if " object at 0x" in where:
        # An Exists() is named by its object address, new on every request:
        # then the compiled SQL and its parameters (a compile more, only for
        # such lists; the plain ones keep the cheap key).
        sql, params = queryset.order_by().query.sql_with_params()
        where = f"{sql} {params!r}"
    return queryset.model._meta.label, where


def _remember(store: dict, key: tuple[str, str], value: tuple[float, int]) -> None:
    # A handful of tables have unfiltered lists; a bound keeps a key that
    # somehow differs per request from growing the dict without end.
    if len(store) >= 256:
        store.clear()
    store[key] = value


def _fresh(stamp: float | None) -> bool:
    return stamp is not None and 0 <= clock() - stamp < settings.TABLE_ESTIMATE_MAX_AGE


def unfiltered_estimate(queryset: QuerySet, key: tuple[str, str] | None = None) -> int:
    """planner_rows() of an unfiltered table, reused for
    ``TABLE_ESTIMATE_MAX_AGE`` seconds per process: the estimate moves only
    with ANALYZE, and asking for it was a query of its own on every page
    view of every table (issue 8). ``key``: what identifies the list, when
    the caller knows it better than _table_key."""
    key = key or _table_key(queryset)
    cached = _estimates.get(key)
    if cached is not None and _fresh(cached[0]):
        return cached[1]
    rows = planner_rows(queryset)
    _remember(_estimates, key, (clock(), rows))
    return rows


def forget_estimates() -> None:
    """Drop the reused estimates (tests)."""
    _estimates.clear()
    _beyond_exact.clear()


# No list has more pages (a million customers is 10,000 of 100); a larger
# number would overflow PostgreSQL's OFFSET.
LAST_PAGE = 1_000_000


class TablePaginator(Paginator):
    """Counts exactly, except an unfiltered list of many rows: counting a
    million customers on every page view would cost more than the page, so
    there the planner's estimate is shown ("ca."). A filtered list, where
    the number answers the user's question, is always counted exactly."""

    def __init__(
        self,
        object_list,
        per_page,
        *,
        filtered: bool,
        known_count: int | None = None,
        estimate_key: tuple[str, str] | None = None,
        count_up_to: int | None = None,
        **kwargs,
    ):
        super().__init__(object_list, per_page, **kwargs)
        self.filtered = filtered
        # Count a filtered list only so far ("mehr als …"), with its page.
        self.count_up_to = count_up_to
        # What the reused estimates are kept under: the view's own name for
        # its filters, or else the model and the WHERE clause (_table_key).
        self.estimate_key = estimate_key
        # An exact number kept elsewhere (customers.models.CustomerCount).
        self.known_count = known_count
        self.estimated = False
        # The count is a lower bound: counting stopped there ("mehr als …").
        self.more_than = False

    def get_page(self, number):
        if self.filtered and self.known_count is None and reads_every_match(self.object_list):
            page = self._page_and_count(number)
            if page is not None:
                return page
        elif self.filtered and self.known_count is None and self.count_up_to is not None:
            page = self._page_and_count_up_to(number)
            if page is not None:
                return page
        return super().get_page(number)

    def _page_and_count_up_to(self, number):
        """The page and a count up to ``count_up_to`` from one query: the
        ids of the list's first matches in its order, one more than are
        counted. A common name's search walks the list's index until its
        page is full: counting its matches apart read them a second time
        (8,000 invoices for "Müller"). None for a page beyond them: the
        paginator's own rules then, with the count made here."""
        try:
            number = int(number)
        except (TypeError, ValueError):
            number = 1
        ids = list(self.object_list.values_list("pk", flat=True)[: self.count_up_to + 1])
        self.more_than = len(ids) > self.count_up_to
        # Where cached_property keeps its value: count is not asked again.
        self.__dict__["count"] = min(len(ids), self.count_up_to)
        bottom = (number - 1) * self.per_page
        if not 0 <= bottom < self.count or (number > 1 and bottom >= len(ids)):
            return None
        # Not the one read beyond those counted.
        page_ids = ids[bottom : min(bottom + self.per_page, self.count)]
        rows = self.object_list.order_by().in_bulk(page_ids)
        return self._get_page([rows[pk] for pk in page_ids if pk in rows], number, self)

    def _page_and_count(self, number):
        """The page and, in the same query, how many rows there are: a list
        that reads and sorts all its matches anyway (match_before_sorting)
        would read them all a second time to count them (2,800 products for
        a brand: 2.5 ms). None beyond the last page, which then is counted."""
        try:
            number = int(number)
        except (TypeError, ValueError):
            number = 1
        if not 1 <= number <= LAST_PAGE:
            return None  # beyond any list: the paginator's own rules (last page)
        bottom = (number - 1) * self.per_page
        # The ids only: every match is carried through the count and the
        # sort, and whole rows made that twice as slow (2,800 products:
        # 3.1 ms against 2.0); the page's rows are read by id afterwards.
        counted = self.object_list.annotate(table_total=Window(Count("*")))
        found = list(counted.values_list("pk", "table_total")[bottom : bottom + self.per_page])
        if not found:
            return None
        # Where cached_property keeps its value: count is not asked again.
        self.__dict__["count"] = found[0][1]
        if self.object_list._iterable_class is FlatValuesListIterable:
            # A list of ids (the customer table): its rows are read per page.
            return self._get_page([pk for pk, _total in found], number, self)
        rows = self.object_list.order_by().in_bulk([pk for pk, _total in found])
        return self._get_page([rows[pk] for pk, _total in found if pk in rows], number, self)

    @cached_property
    def count(self) -> int:
        if self.known_count is not None:
            return self.known_count
        if self.filtered:
            return super().count
        key = self.estimate_key or _table_key(self.object_list)
        expected = unfiltered_estimate(self.object_list, key)
        if expected > SURELY_MORE_THAN_EXACT * EXACT_UP_TO:
            # A chain's list: even the capped count would read 10,000 index
            # entries on every page view for a number shown as "ca.".
            self.estimated = True
            return expected
        stamp, found = _beyond_exact.get(key, (None, 0))
        if found > EXACT_UP_TO and _fresh(stamp):
            # Shown as "ca." anyway: not 10,001 index entries per page view
            # again to learn that (20,000 products: 4 ms a page).
            self.estimated = True
            return max(expected, found)
        # Counting stops after EXACT_UP_TO + 1 rows: exact for a shop, and
        # only then the estimate for a chain.
        # In the list's order, so it reads the same index the page does.
        capped = self.object_list[: EXACT_UP_TO + 1].count()
        if capped <= EXACT_UP_TO:
            return capped
        _remember(_beyond_exact, key, (clock(), capped))
        self.estimated = True
        return max(expected, capped)


def page_rows(page, queryset: QuerySet) -> list:
    """The rows of a page that was paged over ids only: a deep page skips
    thousands of index entries, not thousands of table rows."""
    ids = list(page.object_list)
    rows = queryset.order_by().in_bulk(ids)
    return [rows[pk] for pk in ids if pk in rows]


# A search expected to match at most this many rows is matched first and
# then sorted; one that matches more reads the sort's index until a page is
# full (many matches are spread through any order).
MATCH_FIRST_UP_TO = 100_000


def match_before_sorting(queryset: QuerySet, *, up_to: int | None = None) -> QuerySet:
    """Keep PostgreSQL from walking the sort's index and testing each row
    against a search: a surname's matches sit together in name order, so
    "Schmidt" read 640,000 index entries before the first match (2.5 s at a
    million customers), and "Ray-Ban" 8,000 products. A leading sort key
    that no index has makes it find the matches through the search index
    and sort only those; ``up_to``: where more matches are expected, the
    index is walked after all (MATCH_FIRST_UP_TO unless given)."""
    up_to = MATCH_FIRST_UP_TO if up_to is None else up_to
    if _may_match_many(queryset, up_to) and planner_rows(queryset) > up_to:
        return queryset
    not_from_an_index = _MatchesFirst(Q(pk__gt=0), output_field=BooleanField())
    return queryset.order_by(not_from_an_index, *queryset.query.order_by)


def _may_match_many(queryset: QuerySet, up_to: int) -> bool:
    """Whether the whole table holds more than ``up_to`` rows: a
    smaller one (20,000 products) cannot match more, and its size (the
    reused unfiltered_estimate) answers without planning the search once
    more on every page view."""
    return unfiltered_estimate(queryset.model._base_manager.all()) > up_to


class _MatchesFirst(ExpressionWrapper):
    """The leading sort key of match_before_sorting."""


def reads_every_match(queryset) -> bool:
    """Whether ``queryset`` (of models, or of their ids) reads and sorts all
    its matches before its first row: match_before_sorting made it so."""
    if not isinstance(queryset, QuerySet) or queryset._iterable_class not in (
        ModelIterable,
        FlatValuesListIterable,
    ):
        return False
    return any(isinstance(key, _MatchesFirst) for key in queryset.query.order_by)


class KnownCountPaginator(Paginator):
    """Pages of a list whose length is kept elsewhere (an import's counts,
    a retention review's): no COUNT over its rows per page."""

    def __init__(self, object_list, per_page, *, count: int):
        super().__init__(object_list, per_page)
        self.known_count = count

    @cached_property
    def count(self) -> int:
        return self.known_count
