"""Issue 24: the appointments' version rule (service, admin, API) and the
last exam recorded by the customers' own service."""

import pytest
from django.utils import timezone, translation

from appointments import services
from appointments.models import Appointment
from appointments.tests.factories import BERLIN, appointment, appointment_type, at
from customers import services as customer_services
from customers.models import Customer
from customers.tests import factories as customer_factories

pytestmark = pytest.mark.django_db


def outdated() -> str:
    """The admin's refusal, as the shop's language has it."""
    from appointments.admin import OUTDATED

    with translation.override("de"):
        return str(OUTDATED)


def past_eye_test(staff) -> Appointment:
    start = timezone.localtime().replace(hour=8, minute=0, second=0, microsecond=0)
    data = {
        "customer": customer_factories.customer(),
        "staff": staff,
        "type": appointment_type("Sehtest"),
        "start": start - timezone.timedelta(days=2),
    }
    return services.appointment_book(data=data, allow_outside_hours=True)


def test_a_completed_eye_test_is_recorded_as_every_exam_is(staff):
    booked = past_eye_test(staff)
    customer = Customer.objects.get(pk=booked.customer_id)
    services.appointment_set_status(appointment_id=booked.pk, status="done", user=staff)
    customer.refresh_from_db()
    assert customer.last_exam_date == timezone.localtime(booked.start).date()
    assert customer.updated_by == staff  # customer_record_exam sets who
    assert customer.version == 2


def test_a_deleted_customers_eye_test_can_be_completed_without_touching_the_customer(staff):
    booked = past_eye_test(staff)
    customer_services.customer_soft_delete(customer_id=booked.customer_id)
    services.appointment_set_status(appointment_id=booked.pk, status="done", user=staff)
    customer = Customer.objects.get(pk=booked.customer_id)
    assert customer.last_exam_date is None
    assert Appointment.objects.get(pk=booked.pk).status == "done"


def test_the_version_rule(staff):
    booked = appointment(staff=staff, start=at(10))
    services.appointment_check_version(booked, None)
    services.appointment_check_version(booked, 1)
    with pytest.raises(services.AppointmentConflict):
        services.appointment_check_version(booked, 2)


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


def test_the_admin_form_carries_the_loaded_version(owner_client, staff):
    booked = appointment(staff=staff, start=at(10))
    url = f"/admin/appointments/appointment/{booked.pk}/change/"
    assert 'name="loaded_version" value="1"' in owner_client.get(url).content.decode()


def test_a_stale_admin_save_is_refused_in_german_and_saves_nothing(owner_client, staff):
    booked = appointment(staff=staff, start=at(10))
    services.appointment_update(appointment_id=booked.pk, data={"notes": "ruft an"})
    response = admin_post(owner_client, booked, notes="von mir", loaded_version=1)
    assert response.status_code == 200
    assert outdated() in response.content.decode()
    booked.refresh_from_db()
    assert (booked.notes, booked.version) == ("ruft an", 2)


def test_an_admin_save_with_the_current_version_saves(owner_client, owner, staff):
    booked = appointment(staff=staff, start=at(10))
    response = admin_post(owner_client, booked, notes="von mir")
    assert response.status_code == 302
    booked.refresh_from_db()
    assert (booked.notes, booked.version, booked.updated_by) == ("von mir", 2, owner)


def test_a_save_in_the_admin_racing_another_is_no_500(owner_client, staff, monkeypatch):
    from appointments.admin import AppointmentAdminForm

    booked = appointment(staff=staff, start=at(10))
    checked = AppointmentAdminForm.clean

    def check_then_someone_saves(form):
        cleaned = checked(form)
        Appointment.objects.filter(pk=booked.pk).update(version=5)
        return cleaned

    monkeypatch.setattr(AppointmentAdminForm, "clean", check_then_someone_saves)
    response = admin_post(owner_client, booked, notes="von mir")
    assert response.status_code == 302
    page = owner_client.get(response["Location"])
    assert outdated() in page.content.decode()
    booked.refresh_from_db()
    assert booked.notes == ""
