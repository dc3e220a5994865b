"""Edge cases: odd input, clock changes, deleted customers, switched-off staff."""

import datetime
import zoneinfo

import pytest
from django.contrib.auth.models import Permission
from django.core.exceptions import ValidationError
from django.utils import timezone

from appointments import services
from appointments.models import Appointment, OpeningHours, StaffCalendar
from appointments.tests.factories import (
    MONDAY,
    appointment,
    appointment_type,
    at,
    calendar_for,
    german,
)
from customers import services as customer_services
from customers.tests import factories as customer_factories

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}
BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")


@pytest.mark.parametrize(
    "url",
    [
        "/appointments/day/?date=9999-12-31",
        "/appointments/day/?date=0001-01-01",
        "/appointments/week/?date=0001-01-03",
        "/appointments/?date_to=31.12.9999",
        "/appointments/?date_from=01.01.0001",
        "/appointments/new/?start=0001-01-01T00:00%2B14:00",
        "/appointments/new/?customer=%C2%B2&staff=%C2%B2",
    ],
)
def test_odd_urls_do_not_fail(staff_client, url):
    assert staff_client.get(url).status_code == 200


@pytest.mark.parametrize(
    "url", ["/appointments/customer-picker/search/?customer_query=%00", "/customers/?q=%00"]
)
def test_a_nul_in_a_search_is_bad_input(staff_client, url):
    # opticrm.lib.middleware.NullCharacterMiddleware, before any view
    assert staff_client.get(url).status_code == 400


@pytest.mark.parametrize(("day", "time"), [("31.12.9999", "23:45"), ("01.01.0001", "00:15")])
def test_far_away_dates_are_refused_in_the_form(staff_client, staff, day, time):
    customer = customer_factories.customer()
    response = staff_client.post(
        "/appointments/new/",
        {
            "customer": customer.pk,
            "staff": staff.pk,
            "type": appointment_type().pk,
            "date": day,
            "start_time": time,
            "status": "planned",
            "allow_outside_hours": "on",
        },
        **HTMX,
    )
    assert "zwischen 1900 und 2199" in response.content.decode()
    assert not Appointment.objects.exists()


def test_deleted_customers_appointment_can_still_be_cancelled(staff):
    booked = appointment(staff=staff, start=at(10))
    customer_services.customer_soft_delete(customer_id=booked.customer_id)
    services.appointment_set_status(appointment_id=booked.pk, status=Appointment.Status.CANCELLED)
    appointment(staff=staff, start=at(10))  # the slot is free again


def test_booking_for_a_deleted_customer_is_refused(staff):
    customer = customer_factories.customer()
    customer_services.customer_soft_delete(customer_id=customer.pk)
    with pytest.raises(ValidationError):
        appointment(staff=staff, customer=customer)


def test_feed_stops_for_switched_off_staff(client, staff):
    calendar = calendar_for(staff)
    url = f"/appointments/feed/{calendar.feed_token}.ics"
    assert client.get(url).status_code == 200
    StaffCalendar.objects.filter(pk=calendar.pk).update(active=False)
    assert client.get(url).status_code == 404
    StaffCalendar.objects.filter(pk=calendar.pk).update(active=True)
    staff.is_active = False
    staff.save()
    assert client.get(url).status_code == 404


def test_booking_an_eye_test_as_done_records_the_exam(staff):
    day = datetime.date(2026, 11, 23)
    booked = appointment(staff=staff, start=at(10, day=day), status=Appointment.Status.DONE)
    booked.customer.refresh_from_db()
    assert booked.customer.last_exam_date == day


def test_editing_notes_keeps_a_deliberate_out_of_hours_booking(staff):
    data = {
        "customer": customer_factories.customer(),
        "staff": staff,
        "type": appointment_type(),
        "start": at(8, 30),
    }
    booked = services.appointment_book(data=data, allow_outside_hours=True)
    services.appointment_update(appointment_id=booked.pk, data={"notes": "kommt früher"})
    with pytest.raises(ValidationError):
        services.appointment_update(appointment_id=booked.pk, data={"start": at(8, 0), "end": None})


def test_clock_going_back_keeps_real_durations(staff):
    night = datetime.datetime(2026, 10, 25, 2, 30, tzinfo=BERLIN)
    booked = services.appointment_book(
        data={
            "customer": customer_factories.customer(),
            "staff": staff,
            "type": appointment_type(),
            "start": night,
        },
        allow_outside_hours=True,
    )
    assert booked.end - booked.start == datetime.timedelta(minutes=30)


def test_a_time_the_clock_skips_is_refused(staff_client, staff):
    # Next spring's change to summer time: the last Sunday in March, 02:00 → 03:00.
    march_31 = datetime.date(timezone.localdate().year + 1, 3, 31)
    spring_forward = march_31 - datetime.timedelta(days=(march_31.weekday() + 1) % 7)
    response = staff_client.post(
        "/appointments/new/",
        {
            "customer": customer_factories.customer().pk,
            "staff": staff.pk,
            "type": appointment_type().pk,
            "date": german(spring_forward),
            "start_time": "02:30",
            "status": "planned",
            "allow_outside_hours": "on",
        },
        **HTMX,
    )
    assert "wegen der Zeitumstellung" in response.content.decode()
    assert not Appointment.objects.exists()


def test_touching_opening_intervals_count_as_one(staff):
    OpeningHours.objects.filter(weekday=0).delete()
    OpeningHours.objects.create(weekday=0, opens=datetime.time(9), closes=datetime.time(12))
    OpeningHours.objects.create(weekday=0, opens=datetime.time(12), closes=datetime.time(18))
    assert appointment(staff=staff, start=at(11, 45)).end == at(12, 15)


def test_day_view_keeps_a_column_for_switched_off_staff(staff_client, staff, owner):
    calendar_for(staff)
    calendar_for(owner)
    booked = appointment(staff=owner, start=at(10))
    StaffCalendar.objects.filter(staff=owner).update(active=False)
    body = staff_client.get("/appointments/day/", {"date": MONDAY.isoformat()}).content.decode()
    assert f'id="appointment-{booked.pk}"' in body


def test_next_appointment_needs_the_appointment_permission(client, django_user_model, staff):
    appointment(staff=staff, start=at(10))
    reader = django_user_model.objects.create_user("leser")
    reader.user_permissions.set(Permission.objects.filter(codename="view_customer"))
    client.force_login(reader)
    body = client.get("/customers/").content.decode()
    assert "Nächster Termin" not in body and german(MONDAY) not in body


def test_week_view_reads_the_schedule_in_a_few_queries(
    staff_client, staff, django_assert_max_num_queries
):
    calendar_for(staff)
    with django_assert_max_num_queries(12):
        staff_client.get("/appointments/week/", {"date": MONDAY.isoformat()})


def admin_post(client, booked, **changes):
    local_start = booked.start.astimezone(BERLIN)
    local_end = booked.end.astimezone(BERLIN)
    data = {
        "customer": booked.customer_id,
        "staff": booked.staff_id,
        "type": booked.type_id,
        "start_0": local_start.strftime("%d.%m.%Y"),
        "start_1": local_start.strftime("%H:%M:%S"),
        "end_0": local_end.strftime("%d.%m.%Y"),
        "end_1": local_end.strftime("%H:%M:%S"),
        "status": booked.status,
        "notes": "",
        "loaded_version": booked.version,
        **changes,
    }
    return client.post(f"/admin/appointments/appointment/{booked.pk}/change/", data)


def test_admin_cancels_a_deleted_customers_appointment(owner_client, staff):
    booked = appointment(staff=staff, start=at(10))
    customer_services.customer_soft_delete(customer_id=booked.customer_id)
    response = admin_post(owner_client, booked, status="cancelled")
    assert response.status_code == 302
    booked.refresh_from_db()
    assert booked.status == "cancelled"


def test_admin_refuses_a_double_booking_as_a_form_error(owner_client, staff):
    appointment(staff=staff, start=at(10))
    later = appointment(staff=staff, start=at(11))
    response = admin_post(owner_client, later, start_1="10:15:00", end_1="10:45:00")
    assert response.status_code == 200
    assert "bereits" in response.content.decode()  # the constraint's or the service's message
    later.refresh_from_db()
    assert later.start == at(11)
