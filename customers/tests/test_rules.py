"""Issue 24: each customer rule has one home that pages, admin and API call:
the version rule, the duplicate question and the next appointment."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from customers import selectors, services
from customers.models import Customer
from customers.tests import factories

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}
BORN = datetime.date(1965, 3, 12)


def outdated() -> str:
    """The admin's refusal, as the shop's language has it."""
    from customers.admin import OUTDATED

    with translation.override("de"):
        return str(OUTDATED)


def person(**values) -> dict:
    data = {"first_name": "Käthe", "last_name": "Straßburger", "date_of_birth": BORN}
    data.update(values)
    return data


# --- The duplicate question (customers.services) -------------------------------


def test_a_possible_duplicate_is_created_only_when_confirmed():
    existing = factories.customer(**person())
    with pytest.raises(services.PossibleDuplicates) as refused:
        services.customer_create(data=person(first_name="KÄTHE"))
    assert refused.value.duplicates == [existing]
    assert str(existing.pk) in str(refused.value)
    assert Customer.objects.count() == 1
    services.customer_create(data=person(), confirm_duplicates=True)
    assert Customer.objects.count() == 2


def test_the_same_email_is_a_possible_duplicate():
    factories.customer(email="kaethe@example.de")
    with pytest.raises(services.PossibleDuplicates):
        services.customer_create(data=person(email=" Kaethe@Example.de "))


def test_an_edit_asks_only_when_it_changes_who_the_customer_is():
    factories.customer(**person())
    twin = factories.customer(**person(first_name="Käte"))
    # Unrelated changes of a look-alike saved before: no question.
    services.customer_update(customer_id=twin.pk, data={"notes": "neue Brille"})
    with pytest.raises(services.PossibleDuplicates):
        services.customer_update(customer_id=twin.pk, data={"first_name": "Käthe"})
    twin.refresh_from_db()
    assert (twin.first_name, twin.version) == ("Käte", 2)
    services.customer_update(
        customer_id=twin.pk, data={"first_name": "Käthe"}, confirm_duplicates=True
    )
    twin.refresh_from_db()
    assert twin.first_name == "Käthe"


def test_a_deleted_customer_is_no_duplicate():
    gone = factories.customer(**person())
    services.customer_soft_delete(customer_id=gone.pk)
    services.customer_create(data=person())


def test_the_edit_form_asks_through_the_service_and_saves_when_confirmed(staff_client):
    factories.customer(**person())
    other = factories.customer(first_name="Erika", last_name="Berg")
    url = reverse("customers:update", args=[other.pk])
    data = {
        "first_name": "Käthe",
        "last_name": "Straßburger",
        "email": "",
        "phone": "",
        "date_of_birth": "12.03.1965",
        "insurance_provider": "",
        "last_exam_date": "",
        "notes": "",
        "status": "active",
        "version": "1",
    }
    warned = staff_client.post(url, data, **HTMX)
    body = warned.content.decode()
    assert warned.status_code == 200 and "HX-Trigger" not in warned
    assert "data-duplicate-warning" in body and 'name="confirm_duplicates"' in body
    assert "<html" not in body  # the modal partial
    other.refresh_from_db()
    assert other.first_name == "Erika"
    saved = staff_client.post(url, {**data, "confirm_duplicates": "1"}, **HTMX)
    assert "closeModal" in saved["HX-Trigger"]
    other.refresh_from_db()
    assert other.first_name == "Käthe"


# --- The version rule --------------------------------------------------------


def test_the_version_rule():
    customer = factories.customer()
    services.customer_check_version(customer, None)
    services.customer_check_version(customer, 1)
    with pytest.raises(services.CustomerConflict):
        services.customer_check_version(customer, 2)
    with pytest.raises(services.CustomerConflict):
        services.customer_update(customer_id=customer.pk, data={"notes": "x"}, expected_version=0)


def admin_data(customer: Customer, **changes) -> dict:
    data = {
        "first_name": customer.first_name,
        "last_name": customer.last_name,
        "status": customer.status,
        "email": customer.email,
        "phone": "",
        "date_of_birth": "",
        "insurance_provider": "",
        "last_exam_date": "",
        "notes": "",
        "salutation": "",
        "title": "",
        "street": "",
        "postcode": "",
        "town": "",
        "country": "DE",
        "loaded_version": customer.version,
    }
    data.update(changes)
    return data


def test_the_admin_form_carries_the_loaded_version(owner_client):
    customer = factories.customer()
    body = owner_client.get(f"/admin/customers/customer/{customer.pk}/change/").content.decode()
    assert 'name="loaded_version" value="1"' in body


def test_a_stale_admin_save_is_refused_in_german_and_saves_nothing(owner_client):
    customer = factories.customer(first_name="Anna")
    services.customer_update(customer_id=customer.pk, data={"notes": "am Telefon"})
    url = f"/admin/customers/customer/{customer.pk}/change/"
    response = owner_client.post(url, admin_data(customer, first_name="Annika", loaded_version=1))
    assert response.status_code == 200
    assert outdated() in response.content.decode()
    customer.refresh_from_db()
    assert (customer.first_name, customer.notes, customer.version) == ("Anna", "am Telefon", 2)


def test_an_admin_save_without_a_version_is_refused(owner_client):
    customer = factories.customer(first_name="Anna")
    data = admin_data(customer, first_name="Annika")
    del data["loaded_version"]
    response = owner_client.post(f"/admin/customers/customer/{customer.pk}/change/", data)
    assert response.status_code == 200
    customer.refresh_from_db()
    assert customer.first_name == "Anna"


def test_a_save_in_the_admin_racing_another_is_no_500(owner_client, monkeypatch):
    """Saved by someone else after the form's check: the service refuses,
    the admin answers with its message, nothing is saved."""
    from customers.admin import CustomerAdminForm

    customer = factories.customer(first_name="Anna")
    checked = CustomerAdminForm.clean

    def check_then_someone_saves(form):
        cleaned = checked(form)
        Customer.objects.filter(pk=customer.pk).update(version=5)
        return cleaned

    monkeypatch.setattr(CustomerAdminForm, "clean", check_then_someone_saves)
    url = f"/admin/customers/customer/{customer.pk}/change/"
    response = owner_client.post(url, admin_data(customer, first_name="Annika"), follow=True)
    assert response.status_code == 200
    assert outdated() in response.content.decode()
    customer.refresh_from_db()
    assert customer.first_name == "Anna"


def test_an_admin_save_with_the_current_version_goes_through_the_service(owner_client, owner):
    customer = factories.customer(first_name="Anna")
    url = f"/admin/customers/customer/{customer.pk}/change/"
    response = owner_client.post(url, admin_data(customer, first_name="Annika"))
    assert response.status_code == 302
    customer.refresh_from_db()
    assert (customer.first_name, customer.version, customer.updated_by) == ("Annika", 2, owner)


# --- The last exam -------------------------------------------------------------


def test_recording_an_exam_leaves_a_deleted_customer_alone(owner):
    customer = factories.customer()
    services.customer_soft_delete(customer_id=customer.pk)
    services.customer_record_exam(customer_id=customer.pk, day=timezone.localdate(), user=owner)
    customer.refresh_from_db()
    assert customer.last_exam_date is None


# --- The next appointment ------------------------------------------------------


def test_the_next_appointment_is_the_stored_one_or_the_functions_once_begun(staff):
    from appointments.tests.factories import TUESDAY, appointment, at

    customer = factories.customer()
    appointment(staff=staff, customer=customer, start=at(10, day=TUESDAY))

    def read() -> datetime.datetime | None:
        return selectors.customers_with_next_appointment().get(pk=customer.pk).next_appointment

    assert read() == at(10, day=TUESDAY)
    begun = timezone.now() - datetime.timedelta(minutes=5)
    Customer.objects.filter(pk=customer.pk).update(next_appointment_at=begun)
    assert read() == at(10, day=TUESDAY)  # appointments_next_start(), not the stale value
    row = selectors.table_rows(deleted=False).get(pk=customer.pk)
    assert row.next_appointment == at(10, day=TUESDAY)
    assert factories.customer().next_appointment_at is None
