"""Sortable table columns backed by indexes that match their ORDER BY exactly."""

from collections.abc import Mapping, Sequence

from django.db import models
from django.db.models import F, Q


def ordering(keys: Sequence, *, descending: bool) -> list:
    """ORDER BY expressions for a column's sort keys, ties broken by id; blanks
    (NULL) last in both directions."""
    keys = [*keys, F("id")]
    if descending:
        return [key.desc(nulls_last=True) for key in keys]
    return [key.asc(nulls_last=True) for key in keys]


def indexes(
    sort_keys: Mapping[str, Sequence],
    short_names: Mapping[str, str],
    *,
    prefix: str,
    condition: Q | None = None,
) -> list[models.Index]:
    """One index per column in ``short_names`` and direction, so that a sorted
    page is read from the index (names stay within PostgreSQL's 30 characters)."""
    return [
        models.Index(
            *ordering(sort_keys[column], descending=descending),
            name=f"{prefix}_{short}_{'d' if descending else 'a'}",
            condition=condition,
        )
        for column, short in short_names.items()
        for descending in (False, True)
    ]
