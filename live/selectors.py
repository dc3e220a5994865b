"""Reads behind live updates: the change counters every open page polls, and
who changed one record since a page showed it."""

import time
from dataclasses import dataclass

from django.conf import settings
from django.db import models
from django.utils import timezone

from live.models import ChangeCounter
from live.topics import TOPICS
from opticrm.lib.history import latest_event_id, who_changed

# Monotonic seconds; a test may replace it to let a minute pass at once.
clock = time.monotonic

_cached: tuple[float, dict[str, int]] | None = None


def change_counters() -> dict[str, int]:
    """The counters, read from the database at most once per
    ``LIVE_COUNTER_MAX_AGE`` seconds per process: fifty open tabs polling
    every second cost the database two tiny reads a second, not fifty."""
    global _cached
    now = clock()
    if _cached is not None and now - _cached[0] < settings.LIVE_COUNTER_MAX_AGE:
        return _cached[1]
    row = ChangeCounter.objects.filter(pk=1).values(*TOPICS).first()
    counters = row or dict.fromkeys(TOPICS, 0)
    # Stamped with the time before the read: the value is never older than it claims.
    _cached = (now, counters)
    return counters


def forget_change_counters() -> None:
    """Drop the cached counters (tests, and right after a write in this process)."""
    global _cached
    _cached = None


def etag(counters: dict[str, int]) -> str:
    return '"' + ".".join(str(counters[topic]) for topic in TOPICS) + '"'


def record_version(obj: models.Model) -> int:
    """What a page showing ``obj`` remembers, to notice later changes by someone else."""
    return latest_event_id(obj)


@dataclass(frozen=True)
class ForeignChange:
    who: str
    when: timezone.datetime


def changes_since(obj: models.Model, version: int, tab: str) -> tuple[int, ForeignChange | None]:
    """The record's newest version, and the newest change after ``version``
    made anywhere but in the browser tab ``tab`` (None if there is none)."""
    events = obj.events.filter(pgh_id__gt=version).select_related("pgh_context")
    newest = None
    latest = version
    for event in events.order_by("-pgh_id")[:20]:
        latest = max(latest, event.pgh_id)
        context = event.pgh_context.metadata if event.pgh_context else {}
        if newest is None and (not tab or context.get("tab") != tab):
            newest = event
    if newest is None:
        return latest, None
    context = newest.pgh_context.metadata if newest.pgh_context else {}
    return latest, ForeignChange(who=who_changed(context), when=newest.pgh_created_at)
