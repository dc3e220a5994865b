"""Reads behind live updates: the change counters every open page polls, and
who changed one record since a page showed it."""

import time
from dataclasses import dataclass

from django.conf import settings
from django.db import DatabaseError, models
from django.db.models import Max
from django.utils import timezone

from live.models import ChangeCounter
from live.topics import TOPICS
from opticrm.lib.history import latest_event_id, who_changed

# Monotonic seconds; a test may replace it to let a minute pass at once.
clock = time.monotonic

_cached: tuple[float, dict[str, int] | None] | None = None
# How long a failed read is remembered: while the database is away, fifty
# tabs asking every second must not become fifty connection attempts.
FAILURE_MEMORY = 5.0


class CountersUnavailable(Exception):
    """The counters cannot be read right now (database away, not migrated)."""


def change_counters() -> dict[str, int]:
    """The counters, read from the database at most once per
    ``LIVE_COUNTER_MAX_AGE`` seconds per process: fifty open tabs polling
    every second cost the database two tiny reads a second, not fifty."""
    global _cached
    now = clock()
    if _cached is not None:
        stamped, counters = _cached
        age = now - stamped
        if counters is None and 0 <= age < FAILURE_MEMORY:
            raise CountersUnavailable
        if counters is not None and 0 <= age < settings.LIVE_COUNTER_MAX_AGE:
            return counters
    try:
        row = ChangeCounter.objects.filter(pk=1).values(*TOPICS).first()
    except DatabaseError as error:
        _cached = (now, None)
        raise CountersUnavailable from error
    counters = row or dict.fromkeys(TOPICS, 0)
    # Stamped with the time before the read: the value is never older than it claims.
    _cached = (now, counters)
    return counters


def forget_change_counters() -> None:
    """Drop the cached counters (tests, and right after a write in this process)."""
    global _cached
    _cached = None


def etag(counters: dict[str, int]) -> str:
    return '"' + ".".join(f"{topic[0]}{value}" for topic, value in counters.items()) + '"'


def record_version(obj: models.Model) -> int:
    """What a page showing ``obj`` remembers, to notice later changes by
    someone else (read with the row if the view annotated it)."""
    version = getattr(obj, "history_version", None)
    return latest_event_id(obj) if version is None else version


@dataclass(frozen=True)
class ForeignChange:
    who: str
    when: timezone.datetime


def changes_since(obj: models.Model, version: int, tab: str) -> tuple[int, ForeignChange | None]:
    """The record's newest version, and the newest change after ``version``
    made anywhere but in the browser tab ``tab`` (None if there is none)."""
    later = obj.events.filter(pgh_id__gt=version)
    latest = later.aggregate(newest=Max("pgh_id"))["newest"] or version
    if latest == version:
        return version, None
    others = later.exclude(pgh_context__metadata__tab=tab) if tab else later
    newest = others.select_related("pgh_context").order_by("-pgh_id").first()
    if newest is None:
        return latest, None
    context = newest.pgh_context.metadata if newest.pgh_context else {}
    return latest, ForeignChange(who=who_changed(context), when=newest.pgh_created_at)
