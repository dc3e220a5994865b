"""When the shop is open: opening hours, closed days and public holidays."""

import datetime
from functools import lru_cache

import holidays
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from appointments.models import ClosedDay, OpeningHours


@lru_cache(maxsize=32)
def _public_holidays(state: str, year: int) -> dict[datetime.date, str]:
    return dict(holidays.country_holidays("DE", subdiv=state, years=year, language="de"))


def public_holiday(day: datetime.date) -> str | None:
    """The name of the public holiday in the shop's federal state, if any."""
    return _public_holidays(settings.SHOP_FEDERAL_STATE, day.year).get(day)


def closed_reason(day: datetime.date) -> str | None:
    """Why the shop is closed all day, or None when it is not."""
    holiday = public_holiday(day)
    if holiday:
        return holiday
    closed = ClosedDay.objects.filter(first_day__lte=day, last_day__gte=day).first()
    return closed.reason if closed else None


Interval = tuple[datetime.time, datetime.time]


def _merged(intervals: list[Interval]) -> list[Interval]:
    """Touching or overlapping intervals as one: 09–12 and 12–18:30 is 09–18:30."""
    merged: list[Interval] = []
    for opens, closes in sorted(intervals):
        if merged and opens <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(closes, merged[-1][1]))
        else:
            merged.append((opens, closes))
    return merged


def opening_intervals(day: datetime.date) -> list[Interval]:
    return _merged(
        [(h.opens, h.closes) for h in OpeningHours.objects.filter(weekday=day.weekday())]
    )


def days_schedule(
    days: list[datetime.date],
) -> tuple[dict[datetime.date, list[Interval]], dict[datetime.date, str | None]]:
    """Opening intervals and closed reasons for several days in two queries."""
    by_weekday: dict[int, list[Interval]] = {}
    for hours in OpeningHours.objects.all():
        by_weekday.setdefault(hours.weekday, []).append((hours.opens, hours.closes))
    closed_days = list(ClosedDay.objects.filter(first_day__lte=max(days), last_day__gte=min(days)))
    opening = {day: _merged(by_weekday.get(day.weekday(), [])) for day in days}
    closed = {}
    for day in days:
        reason = public_holiday(day)
        if not reason:
            reason = next((c.reason for c in closed_days if c.first_day <= day <= c.last_day), None)
        closed[day] = reason
    return opening, closed


def within_opening(
    start: datetime.datetime, end: datetime.datetime, intervals: list[Interval]
) -> bool:
    """Whether [start, end), local times of one day, lies in one of the day's
    (merged) opening intervals: the rule bookings and free slots share."""
    day = start.date()
    if end.date() != day and end.time() != datetime.time(0):
        return False
    end_time = end.time() if end.date() == day else datetime.time.max
    return any(opens <= start.time() and end_time <= closes for opens, closes in intervals)


def outside_hours_reason(start: datetime.datetime, end: datetime.datetime) -> str | None:
    """A German sentence saying why [start, end) is outside opening hours, or None."""
    start, end = timezone.localtime(start), timezone.localtime(end)
    day = start.date()
    reason = closed_reason(day)
    if reason:
        return _("The shop is closed on %(day)s (%(reason)s).") % {
            "day": day.strftime("%d.%m.%Y"),
            "reason": reason,
        }
    intervals = opening_intervals(day)
    if not intervals:
        return _("The shop is closed on %(day)s.") % {"day": day.strftime("%d.%m.%Y")}
    if within_opening(start, end, intervals):
        return None
    hours = ", ".join(f"{opens:%H:%M}–{closes:%H:%M}" for opens, closes in intervals)
    return _("Outside opening hours (%(hours)s).") % {"hours": hours}
