"""The grid layout, without Django or a database."""

import datetime
import zoneinfo
from types import SimpleNamespace

from appointments.calendar import layout, slot_times, visible_hours

BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")
DAY = datetime.date(2027, 3, 1)


def at(hour, minute=0):
    return datetime.datetime.combine(DAY, datetime.time(hour, minute), tzinfo=BERLIN)


def item(start, end):
    return SimpleNamespace(start=start, end=end)


def blocks(*items):
    """(top, height, lane, lanes) of each item on a 09:00–19:00 grid."""
    return [
        (b.top, b.height, b.lane, b.lanes) for b in layout(items, grid_start=at(9), grid_end=at(19))
    ]


def test_visible_hours_from_opening_hours():
    opening = [(datetime.time(9), datetime.time(13)), (datetime.time(14), datetime.time(18, 30))]
    assert visible_hours(opening, []) == (datetime.time(9), datetime.time(19))


def test_visible_hours_grow_for_appointments_outside_opening():
    opening = [(datetime.time(9), datetime.time(18))]
    assert visible_hours(opening, [(at(7, 30), at(8))]) == (datetime.time(7), datetime.time(18))
    assert visible_hours(opening, [(at(18), at(19, 15))]) == (datetime.time(9), datetime.time(20))


def test_visible_hours_of_a_closed_day():
    assert visible_hours([], []) == (datetime.time(8), datetime.time(19))


def test_slots_are_quarter_hours():
    slots = slot_times(DAY, datetime.time(9), datetime.time(10), BERLIN)
    assert [s.strftime("%H:%M") for s in slots] == ["09:00", "09:15", "09:30", "09:45"]


def test_blocks_are_measured_in_slots():
    assert blocks(item(at(10), at(10, 30))) == [(4.0, 2.0, 0, 1)]


def test_touching_blocks_share_no_lane_count():
    assert blocks(item(at(10), at(10, 30)), item(at(10, 30), at(11))) == [
        (4.0, 2.0, 0, 1),
        (6.0, 2.0, 0, 1),
    ]


def test_overlapping_blocks_get_lanes():
    result = blocks(
        item(at(10), at(11)), item(at(10, 15), at(10, 45)), item(at(10, 45), at(11, 15))
    )
    assert [(lane, lanes) for _top, _height, lane, lanes in result] == [(0, 2), (1, 2), (1, 2)]


def test_blocks_are_clipped_to_the_grid():
    assert blocks(item(at(8), at(9, 30)), item(at(20), at(21))) == [(0.0, 2.0, 0, 1)]
