"""iCalendar (RFC 5545) text, written by hand and free of Django.

Only what appointments need: one VCALENDAR with VEVENTs whose times are in
UTC, TEXT values escaped (3.3.11) and content lines folded at 75 octets
(3.1) without splitting a UTF-8 character, every line ending in CRLF.
"""

import datetime
from collections.abc import Iterable
from dataclasses import dataclass

CRLF = "\r\n"
LINE_LIMIT = 75  # octets, without the line break
PRODID = "-//OptiCRM//OptiCRM//DE"


@dataclass(frozen=True)
class Event:
    uid: str
    start: datetime.datetime
    end: datetime.datetime
    summary: str
    stamp: datetime.datetime
    location: str = ""
    description: str = ""
    # TENTATIVE, CONFIRMED or CANCELLED (RFC 5545 3.8.1.11); empty for none.
    status: str = ""
    # Grows with every change, so calendars replace the old copy.
    sequence: int = 0
    modified: datetime.datetime | None = None


def escape_text(value: str) -> str:
    """A TEXT value: backslash, semicolon and comma escaped, line breaks as \\n."""
    value = value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
    return value.replace("\r\n", "\\n").replace("\r", "\\n").replace("\n", "\\n")


def format_utc(moment: datetime.datetime) -> str:
    """A DATE-TIME in UTC ("form #2"): 20270301T090000Z."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("iCalendar times need a time zone.")
    return moment.astimezone(datetime.UTC).strftime("%Y%m%dT%H%M%SZ")


def fold(line: str) -> str:
    """Split a content line into lines of at most 75 octets; each
    continuation line starts with a space, which counts towards its 75."""
    if len(line.encode()) <= LINE_LIMIT:
        return line
    parts: list[str] = []
    current, size, limit = [], 0, LINE_LIMIT
    for char in line:
        width = len(char.encode())
        if size + width > limit:
            parts.append("".join(current))
            current, size, limit = [], 0, LINE_LIMIT - 1
        current.append(char)
        size += width
    parts.append("".join(current))
    return (CRLF + " ").join(parts)


def _event_lines(event: Event) -> list[str]:
    if event.end <= event.start:
        raise ValueError("An event must end after it starts.")
    lines = [
        "BEGIN:VEVENT",
        f"UID:{escape_text(event.uid)}",
        f"DTSTAMP:{format_utc(event.stamp)}",
        f"DTSTART:{format_utc(event.start)}",
        f"DTEND:{format_utc(event.end)}",
        f"SEQUENCE:{event.sequence}",
        f"SUMMARY:{escape_text(event.summary)}",
    ]
    if event.modified:
        lines.append(f"LAST-MODIFIED:{format_utc(event.modified)}")
    if event.status:
        lines.append(f"STATUS:{event.status}")
    if event.location:
        lines.append(f"LOCATION:{escape_text(event.location)}")
    if event.description:
        lines.append(f"DESCRIPTION:{escape_text(event.description)}")
    lines.append("END:VEVENT")
    return lines


def calendar(events: Iterable[Event], *, name: str = "", prodid: str = PRODID) -> str:
    """A whole iCalendar object: text to serve as text/calendar in UTF-8."""
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:{prodid}",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
    ]
    if name:
        lines.append(f"X-WR-CALNAME:{escape_text(name)}")
    for event in events:
        lines.extend(_event_lines(event))
    lines.append("END:VCALENDAR")
    return "".join(fold(line) + CRLF for line in lines)
