"""The printable day schedule per staff member (issue 23)."""

import datetime

import pytest
from django.contrib.auth.models import Group, Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from appointments import services
from appointments.models import Appointment
from appointments.tests.factories import appointment, at, working_day
from customers import services as customer_services
from customers.tests import factories as customer_factories

pytestmark = pytest.mark.django_db

URL = reverse("appointments:day_print")


@pytest.fixture
def day(staff, colleague):
    """A day with two staff members' appointments, booked out of order."""
    day = working_day()
    juergen = customer_factories.customer(
        first_name="Jürgen", last_name="Müller-Lüdenscheidt", phone="0151 23456789"
    )
    erika = customer_factories.customer(first_name="Erika", last_name="Mustermann")
    appointment(staff=staff, customer=erika, start=at(14, day=day), notes="Gleitsicht <neu>")
    appointment(
        staff=staff, customer=juergen, start=at(9, 30, day=day), type_name="Brillenabholung"
    )
    appointment(staff=colleague, start=at(11, day=day))
    cancelled = appointment(staff=staff, start=at(16, day=day))
    services.appointment_set_status(
        appointment_id=cancelled.pk, status=Appointment.Status.CANCELLED
    )
    return day


def test_login_required(client):
    response = client.get(URL)
    assert response.status_code == 302 and response.url.startswith("/login/?next=")


def test_permission_required(outsider_client):
    assert outsider_client.get(URL).status_code == 403


def test_view_permission_is_enough(client, django_user_model, day):
    viewer = django_user_model.objects.create_user(username="lesend")
    group = Group.objects.create(name="Nur lesen")
    group.permissions.set(Permission.objects.filter(codename="view_appointment"))
    viewer.groups.add(group)
    client.force_login(viewer)
    assert client.get(URL, {"date": day.isoformat()}).status_code == 200


def test_one_staff_member_in_time_order(staff_client, staff, day):
    response = staff_client.get(URL, {"date": day.isoformat(), "staff": staff.pk})
    body = response.content.decode()
    assert response.status_code == 200
    [page] = response.context["pages"]
    assert page["staff"] == staff
    assert [f"{timezone.localtime(a.start):%H:%M}" for a in page["appointments"]] == [
        "09:30",
        "14:00",
    ]  # cancelled ones are left out
    assert body.index("Müller-Lüdenscheidt") < body.index("Mustermann")
    assert "09:30–09:45" in body and "Brillenabholung" in body
    assert "01512 3456789" in body  # the phone, as the app writes it
    assert "Gleitsicht &lt;neu&gt;" in body  # notes, escaped
    assert day.strftime("%d.%m.%Y") in body
    assert "Ines Inhaber" not in body


def test_all_staff_one_page_each(staff_client, staff, colleague, day):
    response = staff_client.get(URL, {"date": day.isoformat()})
    pages = response.context["pages"]
    assert {page["staff"] for page in pages} == {staff, colleague}
    assert response.content.decode().count('class="print-page"') == 2


def test_a_deleted_customer_is_printed_without_name_or_phone(staff_client, staff, day):
    juergen = Appointment.objects.get(customer__last_name="Müller-Lüdenscheidt").customer
    customer_services.customer_soft_delete(customer_id=juergen.pk)
    body = staff_client.get(URL, {"date": day.isoformat(), "staff": staff.pk}).content.decode()
    assert "Müller-Lüdenscheidt" not in body and "01512 3456789" not in body


def test_a_free_day_says_so(staff_client, staff):
    later = working_day(start=working_day() + datetime.timedelta(days=30))
    body = staff_client.get(URL, {"date": later.isoformat(), "staff": staff.pk}).content.decode()
    assert 'class="print-empty"' in body


@pytest.mark.parametrize("date", ["gestern", "2027-02-30", "31.02.2027", "1.1.1850"])
def test_a_mistyped_date_is_explained_and_today_shown(staff_client, staff, date):
    response = staff_client.get(URL, {"date": date})
    assert response.status_code == 200
    assert response.context["day"] == timezone.localdate() and response.context["date_error"]
    assert 'class="alert alert-error print-toolbar" role="alert"' in response.content.decode()


@pytest.mark.parametrize("wanted", ["abc", "999999", "-1"])
def test_an_unknown_staff_member_is_explained(staff_client, staff, wanted):
    response = staff_client.get(URL, {"staff": wanted})
    assert response.status_code == 200
    assert response.context["unknown_staff"] and not response.context["pages"]


def test_german_date_is_understood(staff_client, staff, day):
    response = staff_client.get(URL, {"date": day.strftime("%d.%m.%Y")})
    assert response.context["day"] == day


def test_queries_do_not_grow(staff_client, staff, colleague, day):
    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            staff_client.get(URL, {"date": day.isoformat()})
        return len(queries)

    before = count()
    for hour in (10, 11, 12, 13, 15):
        appointment(staff=colleague, start=at(hour, 30, day=day))
    assert count() == before <= 10


def test_day_view_links_to_the_print_page(staff_client, staff, colleague, day):
    body = staff_client.get(reverse("appointments:day"), {"date": day.isoformat()}).content.decode()
    assert f'href="{URL}?date={day.isoformat()}"' in body
    assert f'href="{URL}?date={day.isoformat()}&amp;staff={staff.pk}"' in body
    assert f'href="{URL}?date={day.isoformat()}&amp;staff={colleague.pk}"' in body
