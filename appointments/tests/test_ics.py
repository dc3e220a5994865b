"""The hand-written iCalendar text (RFC 5545), without Django or a database."""

import datetime
import zoneinfo

import pytest

from appointments import ics

BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")
STAMP = datetime.datetime(2026, 11, 24, 12, 0, tzinfo=datetime.UTC)


def event(**fields) -> ics.Event:
    data = {
        "uid": "appointment-7@crm.example.de",
        "start": datetime.datetime(2027, 3, 1, 10, 0, tzinfo=BERLIN),
        "end": datetime.datetime(2027, 3, 1, 10, 30, tzinfo=BERLIN),
        "summary": "Sehtest – Erika Mustermann",
        "stamp": STAMP,
    }
    data.update(fields)
    return ics.Event(**data)


def unfold(text: str) -> list[str]:
    """Content lines as a calendar reads them back (RFC 5545 3.1)."""
    return text.replace("\r\n ", "").split("\r\n")


def test_calendar_with_one_event():
    text = ics.calendar([event(status="TENTATIVE", sequence=3, location="Laden")])
    assert text == (
        "BEGIN:VCALENDAR\r\n"
        "VERSION:2.0\r\n"
        "PRODID:-//OptiCRM//OptiCRM//DE\r\n"
        "CALSCALE:GREGORIAN\r\n"
        "METHOD:PUBLISH\r\n"
        "BEGIN:VEVENT\r\n"
        "UID:appointment-7@crm.example.de\r\n"
        "DTSTAMP:20261124T120000Z\r\n"
        "DTSTART:20270301T090000Z\r\n"
        "DTEND:20270301T093000Z\r\n"
        "SEQUENCE:3\r\n"
        "SUMMARY:Sehtest – Erika Mustermann\r\n"
        "STATUS:TENTATIVE\r\n"
        "LOCATION:Laden\r\n"
        "END:VEVENT\r\n"
        "END:VCALENDAR\r\n"
    )


def test_times_are_utc_in_summer_and_winter():
    summer = event(
        start=datetime.datetime(2027, 7, 5, 10, 0, tzinfo=BERLIN),
        end=datetime.datetime(2027, 7, 5, 10, 30, tzinfo=BERLIN),
    )
    lines = unfold(ics.calendar([summer]))
    assert "DTSTART:20270705T080000Z" in lines and "DTEND:20270705T083000Z" in lines


def test_naive_times_are_refused():
    with pytest.raises(ValueError):
        ics.format_utc(datetime.datetime(2027, 3, 1, 10, 0))


def test_an_event_must_end_after_it_starts():
    with pytest.raises(ValueError):
        ics.calendar([event(end=event().start)])


@pytest.mark.parametrize(
    ("value", "escaped"),
    [
        ("Müller, Hans; Sehtest", "Müller\\, Hans\\; Sehtest"),
        ("C:\\Pfad", "C:\\\\Pfad"),
        ("Zeile 1\nZeile 2\r\nZeile 3", "Zeile 1\\nZeile 2\\nZeile 3"),
        ("Doppelpunkt: bleibt", "Doppelpunkt: bleibt"),
    ],
)
def test_text_escaping(value, escaped):
    assert ics.escape_text(value) == escaped


def test_summary_is_escaped_in_the_event():
    lines = unfold(ics.calendar([event(summary="Sehtest, Beratung; mit Notiz\nzweite Zeile")]))
    assert "SUMMARY:Sehtest\\, Beratung\\; mit Notiz\\nzweite Zeile" in lines


def test_short_lines_are_not_folded():
    assert ics.fold("SUMMARY:kurz") == "SUMMARY:kurz"
    line = "X" * 75
    assert ics.fold(line) == line


def test_long_lines_fold_at_75_octets():
    line = "DESCRIPTION:" + "a" * 200
    folded = ics.fold(line)
    parts = folded.split("\r\n")
    assert len(parts[0].encode()) == 75
    assert all(part.startswith(" ") for part in parts[1:])
    assert all(len(part.encode()) <= 75 for part in parts)
    assert folded.replace("\r\n ", "") == line


def test_folding_never_splits_a_character():
    line = "SUMMARY:" + "Größe ü ß € " * 20
    folded = ics.fold(line)
    for part in folded.split("\r\n"):
        assert len(part.encode()) <= 75
        part.encode().decode()  # each physical line is valid UTF-8 on its own
    assert folded.replace("\r\n ", "") == line


def test_every_line_of_a_long_calendar_is_short_and_ends_in_crlf():
    long_name = "Kontaktlinsenanpassung – Jürgen Müller-Lüdenscheidt von und zu Großhennersdorf"
    text = ics.calendar(
        [event(summary=long_name, description="Notiz " * 40)], name="Anna Schmidt, OptiCRM"
    )
    assert text.endswith("\r\n")
    assert "\n" not in text.replace("\r\n", "")
    assert all(len(line.encode()) <= 75 for line in text.split("\r\n"))
    lines = unfold(text)
    assert f"SUMMARY:{long_name}" in lines
    assert "X-WR-CALNAME:Anna Schmidt\\, OptiCRM" in lines


def test_optional_properties():
    modified = datetime.datetime(2026, 11, 20, 8, 15, tzinfo=datetime.UTC)
    lines = unfold(ics.calendar([event(modified=modified, description="Bitte Brille mitbringen")]))
    assert "LAST-MODIFIED:20261120T081500Z" in lines
    assert "DESCRIPTION:Bitte Brille mitbringen" in lines
    plain = unfold(ics.calendar([event()]))
    assert not any(line.startswith(("STATUS", "LOCATION", "DESCRIPTION")) for line in plain)


def test_several_events():
    text = ics.calendar([event(uid="a@x"), event(uid="b@x")])
    assert text.count("BEGIN:VEVENT") == 2 and "UID:a@x" in text and "UID:b@x" in text
