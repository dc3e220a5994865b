"""Access to health data is logged (issue 27): who opened which customer's
refractions and fittings, when and where (the customer page, the
Brillenpass, an access report). Front-desk staff cannot see them, so their
views never appear; the owner reads the log in the admin."""

import datetime

import pytest
from django.utils import timezone

from customers.tests import factories
from prescriptions.models import HealthDataAccess
from prescriptions.tests.factories import refraction

pytestmark = pytest.mark.django_db


@pytest.fixture
def measured(optician):
    customer = factories.customer(last_name="Hansen")
    return customer, refraction(customer, optician)


def logged() -> list[tuple]:
    return list(
        HealthDataAccess.objects.order_by("id").values_list(
            "customer_number", "user__username", "where"
        )
    )


def test_an_optician_opening_the_customer_page_is_logged(optician_client, optician, measured):
    customer, _refraction = measured
    assert optician_client.get(f"/customers/{customer.pk}/").status_code == 200
    assert logged() == [(customer.pk, optician.username, "customer_page")]
    entry = HealthDataAccess.objects.get()
    assert timezone.now() - entry.at < datetime.timedelta(minutes=1)


def test_reloading_within_minutes_is_one_entry(optician_client, measured):
    customer, _refraction = measured
    for _ in range(3):
        optician_client.get(f"/customers/{customer.pk}/")
    assert len(logged()) == 1
    HealthDataAccess.objects.update(at=timezone.now() - datetime.timedelta(minutes=11))
    optician_client.get(f"/customers/{customer.pk}/")
    assert len(logged()) == 2


def test_front_desk_views_are_not_health_data_access(staff_client, measured):
    customer, _refraction = measured
    assert staff_client.get(f"/customers/{customer.pk}/").status_code == 200
    assert staff_client.get("/customers/").status_code == 200
    assert logged() == []


def test_the_brillenpass_is_logged(optician_client, optician, measured):
    customer, record = measured
    assert optician_client.get(f"/prescriptions/refractions/{record.pk}/card/").status_code == 200
    assert (
        optician_client.get(f"/prescriptions/refractions/{record.pk}/card.pdf").status_code == 200
    )
    assert logged() == [(customer.pk, optician.username, "card")]


def test_the_owner_reads_the_log_in_the_admin(admin_client, optician_client, measured):
    customer, _record = measured
    optician_client.get(f"/customers/{customer.pk}/")
    page = admin_client.get("/admin/prescriptions/healthdataaccess/").content.decode()
    assert "Kundenseite" in page
    assert str(customer.pk) in page
    assert admin_client.get("/admin/prescriptions/healthdataaccess/add/").status_code == 403


def test_the_correction_form_and_the_admin_page_are_logged(
    optician_client, admin_client, admin_user, optician, measured
):
    customer, record = measured
    assert (
        optician_client.get(f"/prescriptions/refractions/{record.pk}/correct/").status_code == 200
    )
    assert (
        admin_client.get(f"/admin/prescriptions/refraction/{record.pk}/change/").status_code == 200
    )
    assert logged() == [
        (customer.pk, optician.username, "form"),
        (customer.pk, admin_user.username, "admin"),
    ]
