"""Day and week calendars through Django's test client."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from appointments import services
from appointments.models import Appointment
from appointments.tests.factories import (
    MONDAY,
    SUNDAY,
    WEDNESDAY,
    appointment,
    at,
    calendar_for,
    christmas,
    german,
)

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}
DAY = "/appointments/day/"
WEEK = "/appointments/week/"


@pytest.fixture
def calendars(staff, owner):
    """Owner first, then the front-desk staff member, as the day view orders them."""
    calendar_for(owner)
    calendar_for(staff).__class__.objects.filter(staff=staff).update(position=1)
    return [owner, staff]


def test_permission_required(outsider_client):
    assert outsider_client.get(DAY).status_code == 403
    assert outsider_client.get(WEEK).status_code == 403


def test_anonymous_goes_to_login(client):
    response = client.get(WEEK)
    assert response.status_code == 302 and response.url.startswith("/login/")


def test_day_view_shows_staff_columns_and_blocks(staff_client, staff, calendars):
    booked = appointment(staff=staff, start=at(10))
    response = staff_client.get(DAY, {"date": MONDAY.isoformat()})
    body = response.content.decode()
    assert response.status_code == 200 and "<html" in body
    assert [c.staff_id for c in response.context["columns"]] == [c.pk for c in calendars]
    assert f'id="appointment-{booked.pk}"' in body
    assert booked.customer.full_name in body and "10:00–10:30" in body
    # Opening at 09:00: 10:00 is four quarter-hour rows down, written with a point.
    assert "--top: 4.0; --height: 2.0;" in body
    assert f"?start={MONDAY.isoformat()}T09:15&amp;staff={staff.pk}" in body
    assert f"Montag, {german(MONDAY)}" in body


def test_day_view_htmx_renders_only_the_grid(staff_client, calendars):
    body = staff_client.get(DAY, {"date": MONDAY.isoformat()}, **HTMX).content.decode()
    assert body.lstrip().startswith('<div id="calendar"') and "<html" not in body


def test_cancelled_appointments_are_listed_not_drawn(staff_client, staff, calendars):
    booked = appointment(staff=staff, start=at(10))
    services.appointment_set_status(appointment_id=booked.pk, status=Appointment.Status.CANCELLED)
    response = staff_client.get(DAY, {"date": MONDAY.isoformat()})
    assert all(not column.blocks for column in response.context["columns"])
    assert "Abgesagt und nicht erschienen" in response.content.decode()


def test_public_holiday_is_marked_closed(staff_client, calendars):
    day = christmas()
    body = staff_client.get(DAY, {"date": day.isoformat()}).content.decode()
    assert "Geschlossen: Erster Weihnachtstag" in body
    week = staff_client.get(WEEK, {"date": day.isoformat()}).content.decode()
    assert "geschlossen: Erster Weihnachtstag" in week
    sunday = staff_client.get(DAY, {"date": SUNDAY.isoformat()}).content.decode()
    assert '<div class="alert alert-info calendar-closed">Geschlossen</div>' in sunday


@pytest.mark.parametrize("date", ["", "gestern", "2026-02-30", "9999-99-99"])
def test_bad_dates_show_today(staff_client, calendars, date):
    from django.utils import timezone

    response = staff_client.get(DAY, {"date": date})
    assert response.status_code == 200
    assert response.context["day"] == timezone.localdate()


def test_day_query_count_does_not_grow(staff_client, staff, owner, calendars):
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            staff_client.get(DAY, {"date": MONDAY.isoformat()})
        return len(captured)

    appointment(staff=staff, start=at(9))
    few = queries()
    for hour in range(10, 18):
        appointment(staff=staff, start=at(hour))
        appointment(staff=owner, start=at(hour, 30))
    assert queries() == few


def test_week_view_all_staff_and_one(staff_client, staff, owner, calendars):
    mine = appointment(staff=staff, start=at(10))
    theirs = appointment(staff=owner, start=at(10, day=WEDNESDAY))
    response = staff_client.get(WEEK, {"date": WEDNESDAY.isoformat()})
    body = response.content.decode()
    days = [column.day for column in response.context["columns"]]
    assert days == [MONDAY + datetime.timedelta(days=n) for n in range(6)]  # no Sunday
    assert f"appointment-{mine.pk}" in body and f"appointment-{theirs.pk}" in body
    only_mine = staff_client.get(WEEK, {"date": WEDNESDAY.isoformat(), "staff": staff.pk})
    body = only_mine.content.decode()
    assert f"appointment-{mine.pk}" in body and f"appointment-{theirs.pk}" not in body
    assert f"Woche {MONDAY.isocalendar().week}" in body


def test_week_query_count_does_not_grow(staff_client, staff, owner, calendars):
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            staff_client.get(WEEK, {"date": MONDAY.isoformat()})
        return len(captured)

    appointment(staff=staff, start=at(9))
    few = queries()
    for offset in range(5):
        day = MONDAY + datetime.timedelta(days=offset)
        for hour in (10, 12, 14):
            appointment(staff=staff, start=at(hour, day=day))
            appointment(staff=owner, start=at(hour, day=day))
    assert queries() == few


@pytest.mark.parametrize("url", [DAY, WEEK])
def test_the_calendar_feed_link_is_for_those_with_a_calendar_switched_on_or_off(
    client, staff, optician, url
):
    feed_link = 'class="calendar-feed-link"'
    client.force_login(staff)  # a calendar (appointments' conftest)
    assert feed_link in client.get(url).content.decode()
    staff.calendar.active = False
    staff.calendar.save()
    assert feed_link in client.get(url).content.decode()
    client.force_login(optician)  # no calendar
    assert feed_link not in client.get(url).content.decode()
