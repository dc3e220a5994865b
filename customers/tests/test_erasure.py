"""The right to erasure: purging a customer leaves nothing of the person."""

import datetime

import pytest
from django.contrib.admin.models import CHANGE, LogEntry
from django.db import connection
from django.urls import reverse

from appointments import services as appointment_services
from appointments.models import Appointment
from appointments.tests import factories as appointment_factories
from customers import services
from customers.models import Customer
from customers.tests import factories
from prescriptions.tests.factories import fitting, refraction

pytestmark = pytest.mark.django_db

NAME = "Quellenbrunn"
EMAIL = "xaver.quellenbrunn@example.de"


def tables_mentioning(*needles: str) -> dict[str, int]:
    """Every table whose rows, read as text, contain one of the needles."""
    found = {}
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            quoted = connection.ops.quote_name(table)
            where = " OR ".join([f"{quoted}::text ILIKE %s"] * len(needles))
            cursor.execute(
                f"SELECT count(*) FROM {quoted} WHERE {where}",  # noqa: S608
                [f"%{needle}%" for needle in needles],
            )
            (count,) = cursor.fetchone()
            if count:
                found[table] = count
    return found


@pytest.fixture
def person(owner):
    appointment_factories.calendar_for(owner)
    customer = factories.customer(
        first_name="Xaver", last_name=NAME, email=EMAIL, phone="+49 89 1234567"
    )
    services.customer_update(
        customer_id=customer.pk, data={"notes": f"{NAME} mag runde Fassungen"}, user=owner
    )
    today = datetime.date.today()
    booked = [
        appointment_services.appointment_book(
            data={
                "customer": customer,
                "staff": owner,
                "type": appointment_factories.appointment_type(),
                "start": appointment_factories.at(10, day=today + datetime.timedelta(days=days)),
                "notes": f"Herr {NAME} kommt mit Sohn",
            },
            user=owner,
            allow_outside_hours=True,
        )
        for days in (-400, 400)
    ]
    refraction(customer, owner, remarks=f"{NAME}: Achse nachgemessen")
    fitting(customer, owner)
    LogEntry.objects.log_actions(
        user_id=owner.pk, queryset=[customer, booked[0]], action_flag=CHANGE, change_message="[]"
    )
    return customer


def test_purging_a_customer_with_appointments_leaves_nothing_of_the_person(owner_client, person):
    assert set(tables_mentioning(NAME, EMAIL)) >= {
        "customers_customer",
        "customers_customerevent",
        "appointments_appointment",
        "appointments_appointmentevent",
        "prescriptions_refraction",
        "django_admin_log",
    }
    owner_client.post(reverse("customers:delete", args=[person.pk]))
    response = owner_client.post(reverse("customers:purge", args=[person.pk]), follow=True)

    assert response.status_code == 200
    assert "endgültig gelöscht" in response.content.decode()
    assert not Customer.objects.filter(pk=person.pk).exists()
    assert not Appointment.objects.filter(customer_id=person.pk).exists()
    assert tables_mentioning(NAME, EMAIL, "1234567") == {}
    # The admin log keeps that something was done, not to whom.
    assert LogEntry.objects.filter(object_id=str(person.pk), action_flag=CHANGE).exists()


def test_purging_in_the_admin_also_takes_the_appointments(owner_client, person):
    services.customer_soft_delete(customer_id=person.pk)
    url = reverse("admin:customers_customer_delete", args=[person.pk])
    response = owner_client.post(url, {"post": "yes"}, follow=True)
    assert response.status_code == 200
    assert not Customer.objects.filter(pk=person.pk).exists()
    assert tables_mentioning(NAME, EMAIL) == {}
