"""Booking rules, enforced by the service and by PostgreSQL itself."""

import datetime
import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, connections

from appointments import services
from appointments.models import Appointment, ClosedDay
from appointments.tests.factories import (
    MONDAY,
    SUNDAY,
    appointment,
    appointment_type,
    at,
    christmas,
    german,
)
from customers.tests import factories as customer_factories

pytestmark = pytest.mark.django_db


def booking_error(**kwargs) -> list[str]:
    with pytest.raises(ValidationError) as caught:
        appointment(**kwargs)
    return caught.value.messages


def test_end_defaults_to_the_type_duration(staff):
    booked = appointment(staff=staff, start=at(10), type_name="Kontaktlinsenanpassung")
    assert booked.end == at(10, 45)


def test_overlap_is_refused_naming_the_other_appointment(staff):
    first = appointment(staff=staff, start=at(10))
    messages = booking_error(staff=staff, start=at(10, 15))
    assert len(messages) == 1
    assert "Doppelbuchung" in messages[0]
    assert first.customer.full_name in messages[0]
    assert "10:00" in messages[0] and "10:30" in messages[0]
    assert Appointment.objects.count() == 1


def test_touching_appointments_are_allowed(staff):
    appointment(staff=staff, start=at(10))
    appointment(staff=staff, start=at(10, 30))
    appointment(staff=staff, start=at(9, 30))
    assert Appointment.objects.count() == 3


def test_other_staff_member_may_have_the_same_slot(staff, owner):
    appointment(staff=staff, start=at(10))
    appointment(staff=owner, start=at(10))
    assert Appointment.objects.count() == 2


@pytest.mark.parametrize("status", [Appointment.Status.CANCELLED, Appointment.Status.NO_SHOW])
def test_cancelled_and_no_show_do_not_block(staff, status):
    first = appointment(staff=staff, start=at(10))
    services.appointment_set_status(appointment_id=first.pk, status=status)
    appointment(staff=staff, start=at(10))
    assert Appointment.objects.filter(start=at(10)).count() == 2


def test_database_refuses_overlap_even_without_the_service(staff):
    from django.db import IntegrityError

    first = appointment(staff=staff, start=at(10))
    with pytest.raises(IntegrityError):
        Appointment.objects.create(
            customer=first.customer, staff=staff, type=first.type, start=at(10, 10), end=at(10, 40)
        )


def test_end_must_be_after_start(staff):
    messages = booking_error(staff=staff, start=at(10), end=at(9))
    assert any("nach dem Beginn" in message for message in messages)


@pytest.mark.parametrize(
    ("start", "end"),
    [(at(8, 30), None), (at(18, 15), None), (at(18, 0), at(19, 0))],
)
def test_outside_opening_hours_is_refused(staff, start, end):
    fields = {"end": end} if end else {}
    messages = booking_error(staff=staff, start=start, **fields)
    assert "Außerhalb der Öffnungszeiten (09:00–18:30)." in messages


def test_sunday_is_closed(staff):
    assert booking_error(staff=staff, start=at(10, day=SUNDAY)) == [
        f"Am {german(SUNDAY)} ist geschlossen."
    ]


def test_public_holiday_is_closed(staff):
    assert booking_error(staff=staff, start=at(10, day=christmas())) == [
        f"Am {german(christmas())} ist geschlossen (Erster Weihnachtstag)."
    ]


def test_closed_day_from_the_admin(staff):
    ClosedDay.objects.create(first_day=MONDAY, last_day=MONDAY, reason="Inventur")
    assert booking_error(staff=staff, start=at(10)) == [
        f"Am {german(MONDAY)} ist geschlossen (Inventur)."
    ]


def test_override_books_outside_hours(staff):
    data = {
        "customer": customer_factories.customer(),
        "staff": staff,
        "type": appointment_type(),
        "start": at(19),
    }
    booked = services.appointment_book(data=data, allow_outside_hours=True)
    assert booked.end == at(19, 30)


def test_done_eye_test_sets_last_exam_date(staff):
    customer = customer_factories.customer()
    past_day = datetime.date(2026, 11, 23)  # a Monday long gone
    eye_test = appointment(staff=staff, start=at(10, day=past_day), customer=customer)
    services.appointment_set_status(appointment_id=eye_test.pk, status=Appointment.Status.DONE)
    customer.refresh_from_db()
    assert customer.last_exam_date == past_day
    assert customer.version == 2


def test_done_pick_up_does_not_touch_last_exam_date(staff):
    customer = customer_factories.customer()
    past_day = datetime.date(2026, 11, 23)  # a Monday long gone
    pick_up = appointment(
        staff=staff, start=at(10, day=past_day), customer=customer, type_name="Brillenabholung"
    )
    services.appointment_set_status(appointment_id=pick_up.pk, status=Appointment.Status.DONE)
    customer.refresh_from_db()
    assert customer.last_exam_date is None


def test_update_with_outdated_version_is_refused(staff):
    booked = appointment(staff=staff)
    services.appointment_update(appointment_id=booked.pk, data={"notes": "a"}, expected_version=1)
    with pytest.raises(services.AppointmentConflict):
        services.appointment_update(
            appointment_id=booked.pk, data={"notes": "b"}, expected_version=1
        )


def test_moving_an_appointment_onto_another_is_refused(staff):
    appointment(staff=staff, start=at(10))
    second = appointment(staff=staff, start=at(11))
    with pytest.raises(ValidationError):
        services.appointment_update(
            appointment_id=second.pk, data={"start": at(10, 15), "end": at(10, 45)}
        )
    second.refresh_from_db()
    assert second.start == at(11)


@pytest.mark.django_db(transaction=True)
def test_fifty_concurrent_bookings_of_one_slot_leave_exactly_one(staff):
    customers = [customer_factories.customer() for _ in range(50)]
    eye_test = appointment_type()
    barrier = threading.Barrier(50)
    outcomes: list[str] = []
    lock = threading.Lock()

    def book(customer):
        try:
            barrier.wait()
            services.appointment_book(
                data={"customer": customer, "staff": staff, "type": eye_test, "start": at(10)}
            )
            result = "booked"
        except ValidationError as error:
            result = "refused" if "Doppelbuchung" in str(error) else f"other: {error}"
        except Exception as error:  # noqa: BLE001 - reported in the assertion below
            result = f"error: {error!r}"
        finally:
            connections.close_all()
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=book, args=(customer,)) for customer in customers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcomes) == ["booked"] + ["refused"] * 49, outcomes
    assert Appointment.objects.filter(staff=staff).count() == 1
    connection.close()
