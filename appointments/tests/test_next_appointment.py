"""Each customer's stored next appointment, which the customer table sorts
by (issue 8): kept by a trigger on every appointment write, moved on by the
table once it has begun."""

import datetime
import threading

import pytest
from django.db import connection, connections, transaction
from django.urls import reverse
from django.utils import timezone

from appointments import services
from appointments.models import Appointment
from appointments.tests.factories import TUESDAY, appointment, appointment_type, at
from customers import services as customer_services
from customers.models import Customer, CustomerEvent
from customers.tests import factories as customer_factories

pytestmark = pytest.mark.django_db


def stored(customer: Customer) -> datetime.datetime | None:
    return Customer.objects.values_list("next_appointment_at", flat=True).get(pk=customer.pk)


def test_booking_cancelling_and_moving_keep_the_next_appointment(staff):
    customer = customer_factories.customer()
    assert stored(customer) is None
    later = appointment(staff=staff, customer=customer, start=at(10, day=TUESDAY))
    assert stored(customer) == at(10, day=TUESDAY)
    sooner = appointment(staff=staff, customer=customer, start=at(9))
    assert stored(customer) == at(9)

    services.appointment_set_status(appointment_id=sooner.pk, status="cancelled")
    assert stored(customer) == at(10, day=TUESDAY)
    services.appointment_update(appointment_id=later.pk, data={"start": at(15), "end": at(15, 30)})
    assert stored(customer) == at(15)
    services.appointment_set_status(appointment_id=later.pk, status="confirmed")
    assert stored(customer) == at(15)
    services.appointment_set_status(appointment_id=later.pk, status="no_show")
    assert stored(customer) is None


def test_an_appointment_given_to_another_customer_moves_with_it(staff):
    first, second = customer_factories.customer(), customer_factories.customer()
    booked = appointment(staff=staff, customer=first, start=at(11))
    services.appointment_update(appointment_id=booked.pk, data={"customer": second})
    assert (stored(first), stored(second)) == (None, at(11))
    Appointment.objects.filter(pk=booked.pk).delete()
    assert stored(second) is None


def test_past_and_finished_appointments_are_not_next(staff):
    customer = customer_factories.customer()
    yesterday = timezone.now() - datetime.timedelta(days=1)
    Appointment.objects.create(
        customer=customer,
        staff=staff,
        type=appointment_type(),
        start=yesterday,
        end=yesterday + datetime.timedelta(minutes=30),
    )
    assert stored(customer) is None


def test_saving_a_customer_does_not_write_back_the_next_appointment_it_read(staff):
    customer = customer_factories.customer()
    editing = Customer.objects.get(pk=customer.pk)  # read before the booking
    appointment(staff=staff, customer=customer, start=at(10))
    editing.notes = "Gleitsichtbrille gewünscht"
    editing.save()
    customer_services.customer_update(customer_id=customer.pk, data={"status": "inactive"})
    assert stored(customer) == at(10)


def test_the_trigger_leaves_no_history_entry(staff):
    customer = customer_factories.customer()
    events = CustomerEvent.objects.filter(pgh_obj=customer).count()
    appointment(staff=staff, customer=customer, start=at(10))
    assert CustomerEvent.objects.filter(pgh_obj=customer).count() == events


def test_a_next_appointment_that_has_begun_moves_on_to_the_following_one(staff):
    customer = customer_factories.customer()
    appointment(staff=staff, customer=customer, start=at(10))
    began = timezone.now() - datetime.timedelta(minutes=5)
    # As the clock leaves it: the stored appointment has begun.
    Customer.objects.filter(pk=customer.pk).update(next_appointment_at=began)
    assert customer_services.refresh_passed_next_appointments() == 1
    assert stored(customer) == at(10)
    assert customer_services.refresh_passed_next_appointments() == 0


def test_a_deleted_customers_passed_appointment_moves_on_when_the_deleted_are_listed(
    staff, staff_client
):
    customer = customer_factories.customer()
    appointment(staff=staff, customer=customer, start=at(10))
    customer_services.customer_soft_delete(customer_id=customer.pk)
    Customer.objects.filter(pk=customer.pk).update(
        next_appointment_at=timezone.now() - datetime.timedelta(minutes=5)
    )
    assert customer_services.refresh_passed_next_appointments() == 0  # the alive ones
    response = staff_client.get(reverse("customers:deleted"), {"sort": "next_appointment"})
    assert response.status_code == 200
    assert stored(customer) == at(10)


def test_the_customer_table_sorts_by_the_next_appointment_also_once_one_has_begun(
    staff_client, staff
):
    soon, later, none = (
        customer_factories.customer(last_name=name) for name in ("Bald", "Später", "Ohne")
    )
    appointment(staff=staff, customer=soon, start=at(9))
    appointment(staff=staff, customer=later, start=at(10))
    appointment(staff=staff, customer=later, start=at(10, day=TUESDAY))
    # Später's 10:00 appointment has begun: Tuesday's is next, after Bald's.
    Customer.objects.filter(pk=later.pk).update(
        next_appointment_at=timezone.now() - datetime.timedelta(minutes=1)
    )
    Appointment.objects.filter(customer=later, start=at(10)).update(status="done")

    def names(sort: str) -> list[str]:
        response = staff_client.get(reverse("customers:list"), {"sort": sort})
        return [customer.last_name for customer in response.context["page"].object_list]

    assert names("next_appointment") == ["Bald", "Später", "Ohne"]
    assert names("-next_appointment") == ["Später", "Bald", "Ohne"]


@pytest.mark.django_db(transaction=True)
def test_a_cancellation_and_a_booking_at_once_leave_the_right_next_appointment(staff, colleague):
    """The booking waits for the cancellation's lock on the customer, then
    sees it: without the lock it would keep the cancelled appointment's
    successor and miss its own, earlier one."""
    customer = customer_factories.customer()
    first = appointment(staff=staff, customer=customer, start=at(9))
    appointment(staff=staff, customer=customer, start=at(16))
    cancelled = threading.Event()
    outcome: list[str] = []

    def book_in_between():
        cancelled.wait()
        try:
            appointment(staff=colleague, customer=customer, start=at(12))
            outcome.append("booked")
        except Exception as error:  # noqa: BLE001 - reported in the assertion below
            outcome.append(repr(error))
        finally:
            connections.close_all()

    booking = threading.Thread(target=book_in_between)
    booking.start()
    with transaction.atomic():
        services.appointment_set_status(appointment_id=first.pk, status="cancelled")
        cancelled.set()
        booking.join(timeout=0.5)  # it waits for this transaction's lock
        assert booking.is_alive()
    booking.join()
    assert outcome == ["booked"]
    assert stored(customer) == at(12)
    connection.close()
