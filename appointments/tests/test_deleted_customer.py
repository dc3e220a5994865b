"""A soft-deleted customer keeps the calendar's slots but shows nothing
personal anywhere an appointment is shown: calendar, list, modal, iCalendar
files and feeds, the API."""

import pytest

from api import services as api_services
from appointments.tests.factories import MONDAY, appointment, at, calendar_for
from customers import services as customer_services
from customers.tests import factories

pytestmark = pytest.mark.django_db
HIDDEN = ("Quellenbrunn", "Xaver", "1234567", "1961")


@pytest.fixture
def booked(staff):
    calendar_for(staff)
    customer = factories.customer(
        first_name="Xaver",
        last_name="Quellenbrunn",
        phone="+49 89 1234567",
        date_of_birth=MONDAY.replace(year=1961),
    )
    booking = appointment(staff=staff, customer=customer, start=at(10))
    customer_services.customer_soft_delete(customer_id=customer.pk)
    return booking


def assert_anonymous(text: str) -> None:
    assert "gelöschter Kunde" in text
    for hidden in HIDDEN:
        assert hidden not in text


def test_calendar_list_and_modal_show_a_deleted_customer(staff_client, booked):
    day = staff_client.get("/appointments/day/", {"date": MONDAY.isoformat()})
    assert f'id="appointment-{booked.pk}"' in day.content.decode()
    assert_anonymous(day.content.decode())
    week = staff_client.get("/appointments/week/", {"date": MONDAY.isoformat()})
    assert_anonymous(week.content.decode())
    listed = staff_client.get("/appointments/", {"date_from": MONDAY.strftime("%d.%m.%Y")})
    assert_anonymous(listed.content.decode())
    assert f"/customers/{booked.customer_id}/" not in listed.content.decode()
    modal = staff_client.get(f"/appointments/{booked.pk}/edit/", headers={"HX-Request": "true"})
    assert modal.status_code == 200
    for hidden in HIDDEN:
        assert hidden not in modal.content.decode()


def test_ics_files_and_the_feed_show_a_deleted_customer(client, staff_client, staff, booked):
    single = staff_client.get(f"/appointments/{booked.pk}/ics/").content.decode()
    assert_anonymous(single)
    feed = client.get(f"/appointments/feed/{calendar_for(staff).feed_token}.ics")
    assert f"appointment-{booked.pk}@" in feed.content.decode()
    assert_anonymous(feed.content.decode())


def test_the_api_shows_a_deleted_customer(client, booked):
    auth = {"HTTP_AUTHORIZATION": f"Bearer {api_services.api_key_create(name='Web')[1]}"}
    one = client.get(f"/api/v1/appointments/{booked.pk}", **auth).json()
    assert one["customer_name"] == "gelöschter Kunde"
    listed = client.get("/api/v1/appointments", **auth)
    assert [item["customer_name"] for item in listed.json()["items"]] == ["gelöschter Kunde"]
    assert_anonymous(listed.content.decode().replace("\\u00f6", "ö"))


def test_restored_the_name_is_back(staff_client, booked):
    customer_services.customer_restore(customer_id=booked.customer_id)
    day = staff_client.get("/appointments/day/", {"date": MONDAY.isoformat()}).content.decode()
    assert "Xaver Quellenbrunn" in day
