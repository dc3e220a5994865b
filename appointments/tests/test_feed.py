"""The private calendar subscription of a staff member."""

import datetime

import pytest
from django.utils import timezone

from appointments.models import StaffCalendar
from appointments.tests.factories import appointment, calendar_for

pytestmark = pytest.mark.django_db


def soon(hours: int) -> datetime.datetime:
    """A slot within opening hours a few days ahead (booked outside-hours-proof)."""
    day = timezone.localdate() + datetime.timedelta(days=3)
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hours)))


def book(staff, hour, **fields):
    from appointments import services
    from appointments.models import AppointmentType
    from customers.tests import factories

    return services.appointment_book(
        data={
            "customer": fields.pop("customer", None) or factories.customer(),
            "staff": staff,
            "type": AppointmentType.objects.get(name="Sehtest"),
            "start": soon(hour),
        },
        allow_outside_hours=True,
    )


def test_feed_needs_no_login_and_lists_only_own_appointments(client, staff, owner):
    calendar = calendar_for(staff)
    mine = book(staff, 10)
    theirs = book(owner, 11)
    response = client.get(f"/appointments/feed/{calendar.feed_token}.ics")
    body = response.content.decode()
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    assert body.startswith("BEGIN:VCALENDAR\r\n")
    assert f"UID:appointment-{mine.pk}@testserver" in body
    assert f"appointment-{theirs.pk}@" not in body
    assert mine.customer.full_name in body


def test_unknown_token_is_404(client, staff):
    calendar_for(staff)
    assert client.get("/appointments/feed/not-a-token.ics").status_code == 404


def test_renewing_revokes_the_old_address(staff_client, staff):
    old = calendar_for(staff).feed_token
    page = staff_client.get("/appointments/subscription/")
    assert f"/appointments/feed/{old}.ics" in page.content.decode()
    response = staff_client.post("/appointments/subscription/", follow=True)
    assert "Neue Abo-Adresse erstellt" in response.content.decode()
    new = StaffCalendar.objects.get(staff=staff).feed_token
    assert new != old
    assert staff_client.get(f"/appointments/feed/{old}.ics").status_code == 404
    assert staff_client.get(f"/appointments/feed/{new}.ics").status_code == 200


def test_subscription_page_without_calendar(outsider_client):
    body = outsider_client.get("/appointments/subscription/").content.decode()
    assert "keine Termine" in body
    assert outsider_client.post("/appointments/subscription/").status_code == 404


def test_old_and_far_future_appointments_are_left_out(client, staff):
    calendar = calendar_for(staff)
    from appointments.tests.factories import at

    old = appointment(staff=staff, start=at(10, day=datetime.date(2025, 1, 7)))
    body = client.get(f"/appointments/feed/{calendar.feed_token}.ics").content.decode()
    assert f"appointment-{old.pk}@" not in body
