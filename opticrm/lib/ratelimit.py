"""Rate limits counted in PostgreSQL (opticrm.models.RateCounter): every
worker and every app instance shares one count, and counting is one
statement. A fixed window of the configured period ("600/min", "5/15m")."""

import datetime
import time
from dataclasses import dataclass

from django.db import connection
from ninja.throttling import BaseThrottle, SimpleRateThrottle

from opticrm.models import RateCounter

clock = time.time  # tests hold it still, so that no window ends mid-test

_COUNT = """
INSERT INTO {table} (scope, ident, "window", hits) VALUES (%s, %s, %s, 1)
ON CONFLICT (scope, ident, "window") DO UPDATE SET hits = {table}.hits + 1
RETURNING hits
"""
# Earlier windows of the same scope and ident: dropped when a new one opens.
_FORGET = 'DELETE FROM {table} WHERE scope = %s AND ident = %s AND "window" < %s'
_PEEK = 'SELECT hits FROM {table} WHERE scope = %s AND ident = %s AND "window" = %s'


@dataclass(frozen=True)
class Count:
    allowed: bool
    wait: float  # seconds until the window ends

    @property
    def until(self) -> datetime.datetime:
        return datetime.datetime.fromtimestamp(clock() + self.wait, tz=datetime.UTC)


def client_address(request) -> str:
    """The client's address, through NUM_PROXIES trusted proxies."""
    return BaseThrottle().get_ident(request) or "unknown"


def _window(rate: str) -> tuple[int, int, int, float]:
    parsed = SimpleRateThrottle(rate)  # ninja's reading of "600/min", "5/15m"
    now = clock()
    window = int(now // parsed.duration)
    return parsed.num_requests, window, parsed.duration, (window + 1) * parsed.duration - now


def _table() -> str:
    return connection.ops.quote_name(RateCounter._meta.db_table)


def rate_count(*, scope: str, ident: str, rate: str) -> Count:
    """Count one more for ``ident`` in ``scope``; allowed while within ``rate``."""
    limit, window, _period, wait = _window(rate)
    with connection.cursor() as cursor:
        cursor.execute(_COUNT.format(table=_table()), [scope, ident[:200], window])
        (hits,) = cursor.fetchone()
        if hits == 1:
            cursor.execute(_FORGET.format(table=_table()), [scope, ident[:200], window])
    return Count(allowed=hits <= limit, wait=wait)


def rate_reached(*, scope: str, ident: str, rate: str) -> Count:
    """Whether ``ident`` has used up ``rate`` already, without counting."""
    limit, window, _period, wait = _window(rate)
    with connection.cursor() as cursor:
        cursor.execute(_PEEK.format(table=_table()), [scope, ident[:200], window])
        row = cursor.fetchone()
    return Count(allowed=(row[0] if row else 0) < limit, wait=wait)
