"""Reads whose SQL Django compiles once per process.

Turning a QuerySet into SQL costs 0.4–0.8 ms of CPU per query (the
customer page makes six, an invoice three), the same work on every page
view for the same shape. ``Prepared`` builds its query once with stand-in
values, keeps the compiled SQL and the compiler's row layout, and then
answers each call with a QuerySet that runs that SQL with the call's
values in the stand-ins' places: as lazy as any QuerySet, its rows made by
Django's own iterables (models, values), its prefetches run as usual.

The build function must depend on its arguments alone: anything else it
reads (today's date, a setting) is compiled in once. Its arguments are
integers (ids, numbers) or aware datetimes that the query compares as
they are; a stand-in the SQL does not carry as a parameter (a lookup that
changed it, or an empty ``__in``) makes the read an ordinary one. The
answer is to be iterated (``list()``, ``for``, its prefetches): a further
``filter()``, ``count()`` or ``first()`` on it is refused (TypeError), as
its clone would hold the stand-ins; that belongs in the build function.
"""

import copy
import datetime
import functools
import threading
from collections.abc import Callable

from django.db import connections
from django.db.models import QuerySet

# Values no id, count or moment of the application takes, within a 32-bit
# integer column's range (larger ones Django answers without asking).
_INTEGERS = tuple(-2_000_000_000 - 7919 * n for n in range(1, 9))
_MOMENTS = tuple(
    datetime.datetime(1901, 1, 1, 0, 0, n, 424_242, tzinfo=datetime.UTC) for n in range(1, 9)
)


class _Compiled:
    __slots__ = ("compiler", "params", "queryset", "slots", "sql")

    def __init__(self, queryset: QuerySet, compiler, sql: str, params: tuple, slots: list):
        self.queryset = queryset
        self.compiler = compiler
        self.sql = sql
        self.params = params
        self.slots = slots  # per argument: the parameter positions it fills


class Prepared:
    """``Prepared(lambda customer_id: Refraction.objects.filter(...))``;
    ``read(customer.pk)`` is the QuerySet for that customer."""

    def __init__(self, build: Callable[..., QuerySet]):
        self._build = build
        self._compiled: dict[tuple, _Compiled | None] = {}
        self._lock = threading.Lock()

    def __call__(self, *values) -> QuerySet:
        kinds = tuple(isinstance(value, datetime.datetime) for value in values)
        compiled = self._compiled.get(kinds, False)
        if compiled is False:
            with self._lock:
                compiled = self._compiled.get(kinds, False)
                if compiled is False:
                    compiled = self._compiled[kinds] = self._compile(kinds)
        if compiled is None:
            return self._build(*values)
        params = list(compiled.params)
        for positions, value in zip(compiled.slots, values, strict=True):
            for position in positions:
                params[position] = value
        queryset = compiled.queryset._chain()
        query = queryset.query
        query.__class__ = _prepared_class(type(query))
        query._prepared = (query, compiled, tuple(params))
        return queryset

    def _compile(self, kinds: tuple) -> _Compiled | None:
        stand_ins = [
            _MOMENTS[index] if is_moment else _INTEGERS[index]
            for index, is_moment in enumerate(kinds)
        ]
        queryset = self._build(*stand_ins)
        compiler = queryset.query.get_compiler(using=queryset.db)
        try:
            sql, params = compiler.as_sql()
        except Exception:  # EmptyResultSet, FullResultSet: an ordinary read then
            return None
        params = tuple(params)
        slots = [
            [position for position, param in enumerate(params) if param == stand_in]
            for stand_in in stand_ins
        ]
        if not sql or not all(slots):
            return None
        return _Compiled(queryset, compiler, sql, params, slots)


@functools.cache
def _prepared_class(query_class: type) -> type:
    class PreparedQuery(query_class):
        """Runs the kept SQL; refuses a clone (a further filter, count(),
        first()): Query.clone() copies ``_prepared`` along, which names the
        query it was made for, and the clone's own SQL would carry the
        stand-ins instead of the call's values."""

        def get_compiler(self, using=None, connection=None, elide_empty=True):
            prepared = self.__dict__.get("_prepared")
            if prepared is None:
                return super().get_compiler(using, connection, elide_empty)
            if prepared[0] is not self:
                # A clone holds the stand-ins, not the call's values.
                raise TypeError(
                    "A prepared read is only iterated: filter, count or slice it in its "
                    "build function."
                )
            _query, compiled, params = prepared
            compiler = copy.copy(compiled.compiler)
            compiler.connection = connection or connections[using or compiled.queryset.db]
            compiler.as_sql = lambda *args, **kwargs: (compiled.sql, params)
            return compiler

    PreparedQuery.__name__ = PreparedQuery.__qualname__ = f"Prepared{query_class.__name__}"
    return PreparedQuery
