"""Periods of a report and their parts (days, weeks, months, years), with
no Django in them: the presets of the period picker, the same period a
year before (the comparison) and the buckets of a chart."""

import calendar
import datetime
from dataclasses import dataclass

TODAY, THIS_WEEK, THIS_MONTH, LAST_QUARTER, THIS_YEAR, CUSTOM = (
    "today",
    "this_week",
    "this_month",
    "last_quarter",
    "this_year",
    "custom",
)
PRESETS = (TODAY, THIS_WEEK, THIS_MONTH, LAST_QUARTER, THIS_YEAR)
DAY, WEEK, MONTH, YEAR = "day", "week", "month", "year"
GROUPINGS = (DAY, WEEK, MONTH, YEAR)
# The grouping a preset shows unless another is chosen.
DEFAULT_GROUPING = {
    TODAY: DAY,
    THIS_WEEK: DAY,
    THIS_MONTH: DAY,
    LAST_QUARTER: WEEK,
    THIS_YEAR: MONTH,
}
# A chart has at most this many bars: a longer period by day goes by week.
MAX_BUCKETS = 400
# The longest free period (ten years, by month 120 bars).
MAX_DAYS = 3653


@dataclass(frozen=True)
class Period:
    since: datetime.date
    until: datetime.date

    @property
    def days(self) -> int:
        return (self.until - self.since).days + 1

    def year_before(self) -> "Period":
        return Period(year_before(self.since), year_before(self.until))


def year_before(day: datetime.date) -> datetime.date:
    """The same day a year earlier; 29 February becomes the 28th."""
    try:
        return day.replace(year=day.year - 1)
    except ValueError:
        return day.replace(year=day.year - 1, day=28)


def preset(name: str, today: datetime.date) -> Period:
    """A preset's period; the running ones (week, month, year) up to today,
    so that the year before compares the same days."""
    if name == TODAY:
        return Period(today, today)
    if name == THIS_WEEK:
        return Period(today - datetime.timedelta(days=today.weekday()), today)
    if name == THIS_MONTH:
        return Period(today.replace(day=1), today)
    if name == LAST_QUARTER:
        first_month = (today.month - 1) // 3 * 3 + 1  # of this quarter
        end = today.replace(month=first_month, day=1) - datetime.timedelta(days=1)
        return Period(end.replace(month=end.month - 2, day=1), end)
    if name == THIS_YEAR:
        return Period(today.replace(month=1, day=1), today)
    raise ValueError(f"unknown preset {name!r}")


def default_grouping(period: Period) -> str:
    """For a free period: days up to a month and a half, weeks up to half a
    year, months up to three years, then years."""
    if period.days <= 45:
        return DAY
    if period.days <= 186:
        return WEEK
    if period.days <= 3 * 366:
        return MONTH
    return YEAR


def start_of(day: datetime.date, grouping: str) -> datetime.date:
    """The first day of the bucket ``day`` falls in (weeks start on Monday,
    as PostgreSQL's date_trunc('week') and ISO 8601)."""
    if grouping == DAY:
        return day
    if grouping == WEEK:
        return day - datetime.timedelta(days=day.weekday())
    if grouping == MONTH:
        return day.replace(day=1)
    if grouping == YEAR:
        return day.replace(month=1, day=1)
    raise ValueError(f"unknown grouping {grouping!r}")


def _next(day: datetime.date, grouping: str) -> datetime.date:
    if grouping == DAY:
        return day + datetime.timedelta(days=1)
    if grouping == WEEK:
        return day + datetime.timedelta(days=7)
    if grouping == MONTH:
        return day + datetime.timedelta(days=calendar.monthrange(day.year, day.month)[1])
    return day.replace(year=day.year + 1)


def bucket_count(period: Period, grouping: str) -> int:
    if grouping == DAY:
        return period.days
    if grouping == WEEK:
        return (start_of(period.until, WEEK) - start_of(period.since, WEEK)).days // 7 + 1
    if grouping == MONTH:
        months = (period.until.year - period.since.year) * 12
        return months + period.until.month - period.since.month + 1
    return period.until.year - period.since.year + 1


def fitting_grouping(period: Period, grouping: str) -> str:
    """``grouping``, or the next coarser one if it would make too many bars."""
    index = GROUPINGS.index(grouping)
    while index < len(GROUPINGS) - 1 and bucket_count(period, GROUPINGS[index]) > MAX_BUCKETS:
        index += 1
    return GROUPINGS[index]


def buckets(period: Period, grouping: str) -> list[datetime.date]:
    """The first days of the buckets the period touches, in order (the
    first and last may reach beyond the period: only its days count)."""
    result, day = [], start_of(period.since, grouping)
    while day <= period.until:
        result.append(day)
        if day.year == datetime.MAXYEAR and grouping != DAY:
            break
        day = _next(day, grouping)
    return result
