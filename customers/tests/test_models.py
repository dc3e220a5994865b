"""Every validation rule of a customer, each failing and passing, through the
service the whole app uses."""

import datetime

import pytest
from django.core.exceptions import ValidationError

from customers import services
from customers.models import Customer
from customers.tests import factories

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2026, 11, 24)


@pytest.fixture(autouse=True)
def fixed_today(monkeypatch):
    monkeypatch.setattr("django.utils.timezone.localdate", lambda *args, **kwargs: TODAY)


def errors_of(**fields) -> dict:
    with pytest.raises(ValidationError) as caught:
        factories.customer(**fields)
    return caught.value.message_dict


@pytest.mark.parametrize("name", ["", "   ", "\t"])
def test_first_and_last_name_must_not_be_blank_after_trimming(name):
    assert errors_of(first_name=name)["first_name"] == ["Bitte geben Sie einen Namen ein."]
    assert errors_of(last_name=name)["last_name"] == ["Bitte geben Sie einen Namen ein."]


def test_names_are_stored_trimmed():
    customer = factories.customer(first_name="  Jürgen ", last_name=" Groß  ")
    customer.refresh_from_db()
    assert (customer.first_name, customer.last_name) == ("Jürgen", "Groß")


def test_email_must_be_valid_and_is_stored_lower_case():
    assert "email" in errors_of(email="erika@")
    assert factories.customer(email=" Erika@Example.DE ").email == "erika@example.de"


@pytest.mark.parametrize("phone", ["12", "abc", "+49 30", "0000"])
def test_phone_must_be_a_real_number(phone):
    assert "phone" in errors_of(phone=phone)


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("030 1234567", "+49301234567"),
        ("0151 23456789", "+4915123456789"),
        ("+33 1 23 45 67 89", "+33123456789"),
    ],
)
def test_phone_is_stored_as_e164(typed, stored):
    customer = factories.customer(phone=typed)
    customer.refresh_from_db()
    assert str(customer.phone) == stored


def test_date_of_birth_not_in_future():
    assert errors_of(date_of_birth=TODAY + datetime.timedelta(days=1))["date_of_birth"] == [
        "Das Datum darf nicht in der Zukunft liegen."
    ]
    assert factories.customer(date_of_birth=TODAY).date_of_birth == TODAY


def test_date_of_birth_not_more_than_120_years_ago():
    assert errors_of(date_of_birth=datetime.date(1906, 11, 23))["date_of_birth"] == [
        "Das Geburtsdatum darf nicht mehr als 120 Jahre zurückliegen."
    ]
    assert factories.customer(date_of_birth=datetime.date(1906, 11, 24)).pk


def test_last_exam_not_in_future():
    assert "last_exam_date" in errors_of(last_exam_date=TODAY + datetime.timedelta(days=1))
    assert factories.customer(last_exam_date=TODAY).last_exam_date == TODAY


def test_last_exam_not_before_birth():
    errors = errors_of(
        date_of_birth=datetime.date(2000, 1, 2), last_exam_date=datetime.date(2000, 1, 1)
    )
    assert errors["last_exam_date"] == [
        "Die letzte Untersuchung kann nicht vor dem Geburtsdatum liegen."
    ]
    customer = factories.customer(
        date_of_birth=datetime.date(2000, 1, 2), last_exam_date=datetime.date(2000, 1, 2)
    )
    assert customer.pk


def test_nothing_is_saved_when_validation_fails():
    with pytest.raises(ValidationError):
        factories.customer(email="broken")
    assert not Customer.objects.exists()


def test_update_with_outdated_version_is_refused():
    customer = factories.customer()
    services.customer_update(
        customer_id=customer.pk, data={"first_name": "Erste"}, expected_version=1
    )
    with pytest.raises(services.CustomerConflict) as conflict:
        services.customer_update(
            customer_id=customer.pk, data={"first_name": "Zweite"}, expected_version=1
        )
    assert conflict.value.current.first_name == "Erste"
    customer.refresh_from_db()
    assert (customer.first_name, customer.version) == ("Erste", 2)


def test_soft_delete_and_restore():
    customer = factories.customer()
    services.customer_soft_delete(customer_id=customer.pk)
    assert not Customer.objects.alive().filter(pk=customer.pk).exists()
    assert Customer.objects.deleted().filter(pk=customer.pk).exists()
    services.customer_restore(customer_id=customer.pk)
    assert Customer.objects.alive().filter(pk=customer.pk).exists()


def test_purge_only_removes_soft_deleted_customers():
    customer = factories.customer()
    with pytest.raises(Customer.DoesNotExist):
        services.customer_purge(customer_id=customer.pk)
    services.customer_soft_delete(customer_id=customer.pk)
    services.customer_purge(customer_id=customer.pk)
    assert not Customer.objects.filter(pk=customer.pk).exists()


def test_renaming_an_insurer_moves_its_customers_in_the_insurer_sort():
    from customers.models import insurance_sort_name

    provider = factories.insurance("Techniker Krankenkasse")
    customer = factories.customer(insurance_provider=provider)
    assert Customer.objects.get(pk=customer.pk).insurance_sort == "techniker krankenkasse"
    provider.name = "Ärztliche Kasse"
    provider.save()
    assert Customer.objects.get(pk=customer.pk).insurance_sort == insurance_sort_name(
        "Ärztliche Kasse"
    )
    # No history entry: the customer's own data did not change.
    assert customer.events.count() == 1
