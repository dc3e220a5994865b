"""Dates users may type or put in a URL, and where the shop's days begin."""

import datetime

from django.utils import timezone

# What every date field and date parameter accepts: German first, ISO second.
DATE_INPUT_FORMATS = ["%d.%m.%Y", "%Y-%m-%d"]
# Far enough for any birth date or booking, near enough that adding a day or a
# time zone offset can never leave what Python and PostgreSQL can represent.
EARLIEST = datetime.date(1900, 1, 1)
LATEST = datetime.date(2199, 12, 31)


def is_plausible(day: datetime.date) -> bool:
    return EARLIEST <= day <= LATEST


def parse_iso_day(value: str) -> datetime.date | None:
    """YYYY-MM-DD from a URL, or None if it is garbled or implausible."""
    try:
        day = datetime.date.fromisoformat(value)
    except ValueError:
        return None
    return day if is_plausible(day) else None


def start_of_day(day: datetime.date) -> datetime.datetime:
    """Midnight at the start of a day in the shop's time zone."""
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))
