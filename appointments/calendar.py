"""Laying out a day of appointments on a grid of time slots. Pure Python: the
views feed it local datetimes, the templates place what it returns."""

import datetime
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

SLOT = datetime.timedelta(minutes=15)


@dataclass(frozen=True)
class Block:
    """One appointment on the grid: rows counted in slots from the top, and a
    lane when appointments in the same column overlap (only cancelled ones,
    or several staff members in one column, can)."""

    item: Any
    top: float
    height: float
    lane: int
    lanes: int


def visible_hours(
    opening: Sequence[tuple[datetime.time, datetime.time]],
    appointments: Iterable[tuple[datetime.datetime, datetime.datetime]],
    default: tuple[datetime.time, datetime.time] = (datetime.time(8), datetime.time(19)),
) -> tuple[datetime.time, datetime.time]:
    """From the first opening (or earliest appointment) to the last closing
    (or latest appointment end), widened to whole hours."""
    starts = [opens for opens, _closes in opening]
    ends = [closes for _opens, closes in opening]
    for start, end in appointments:
        starts.append(start.time())
        ends.append(end.time() if end.date() == start.date() else datetime.time(23, 59))
    if not starts:
        starts, ends = [default[0]], [default[1]]
    first = min(starts)
    last = max(ends)
    last_hour = last.hour + (1 if (last.minute or last.second) and last.hour < 23 else 0)
    return datetime.time(first.hour), datetime.time(
        min(last_hour, 23), 59 if last_hour >= 23 else 0
    )


def slot_times(
    day: datetime.date, start: datetime.time, end: datetime.time, tzinfo
) -> list[datetime.datetime]:
    """The start of every slot from start (inclusive) to end (exclusive)."""
    current = datetime.datetime.combine(day, start, tzinfo=tzinfo)
    stop = datetime.datetime.combine(day, end, tzinfo=tzinfo)
    times = []
    while current < stop:
        times.append(current)
        current += SLOT
    return times


def layout(
    items: Iterable[Any],
    *,
    grid_start: datetime.datetime,
    grid_end: datetime.datetime,
    interval=lambda item: (item.start, item.end),
) -> list[Block]:
    """Place items (anything with a start and end) in lanes so that no two
    overlapping items share one; clusters of overlapping items share the
    column width equally."""
    placed: list[tuple[Any, datetime.datetime, datetime.datetime, int]] = []
    cluster: list[int] = []  # indexes into placed of the current overlap cluster
    cluster_end: datetime.datetime | None = None
    lanes_of: dict[int, int] = {}

    def close_cluster():
        width = max((placed[i][3] for i in cluster), default=-1) + 1
        for i in cluster:
            lanes_of[i] = width

    ordered = sorted(items, key=lambda item: (interval(item)[0], interval(item)[1]))
    for item in ordered:
        start, end = interval(item)
        start, end = max(start, grid_start), min(end, grid_end)
        if end <= start:
            continue
        if cluster_end is not None and start >= cluster_end:
            close_cluster()
            cluster = []
            cluster_end = None
        busy = {placed[i][3] for i in cluster if placed[i][2] > start}
        lane = next(lane for lane in range(len(cluster) + 1) if lane not in busy)
        placed.append((item, start, end, lane))
        cluster.append(len(placed) - 1)
        cluster_end = end if cluster_end is None else max(cluster_end, end)
    close_cluster()

    return [
        Block(
            item=item,
            top=(start - grid_start) / SLOT,
            height=(end - start) / SLOT,
            lane=lane,
            lanes=lanes_of[index],
        )
        for index, (item, start, end, lane) in enumerate(placed)
    ]
