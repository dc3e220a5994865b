"""/api/v1/appointments: booking rules, 409 for double bookings, filters."""

import datetime
import json

import pytest

from api import services as api_services
from appointments.models import Appointment
from appointments.tests.factories import MONDAY, appointment, appointment_type, at, calendar_for
from customers.tests import factories as customer_factories

pytestmark = pytest.mark.django_db
URL = "/api/v1/appointments"


@pytest.fixture
def auth() -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {api_services.api_key_create(name='Website')[1]}"}


@pytest.fixture
def staff(staff):
    calendar_for(staff)
    return staff


@pytest.fixture
def colleague(owner):
    calendar_for(owner)
    return owner


def post(client, auth, body, url=URL, method="post"):
    return getattr(client, method)(
        url, data=json.dumps(body), content_type="application/json", **auth
    )


def booking(member, person, **values) -> dict:
    body = {
        "customer": person.pk,
        "staff": member.pk,
        "type": appointment_type("Sehtest").pk,
        "start": at(10).isoformat(),
    }
    body.update(values)
    return body


def test_book_with_the_types_duration(client, auth, staff):
    customer = customer_factories.customer(last_name="Adler")
    response = post(client, auth, booking(staff, customer))
    assert response.status_code == 201, response.content
    data = response.json()
    start = datetime.datetime.fromisoformat(data["start"])
    end = datetime.datetime.fromisoformat(data["end"])
    assert start == at(10) and end - start == datetime.timedelta(minutes=30)
    assert (data["customer"], data["customer_name"], data["type_name"]) == (
        customer.pk, customer.full_name, "Sehtest",
    )  # fmt: skip
    assert data["status"] == "planned"


def test_double_booking_answers_409_with_the_conflicting_id(client, auth, staff):
    first = appointment(staff=staff, start=at(10))
    response = post(
        client, auth, booking(staff, customer_factories.customer(), start=at(10, 15).isoformat())
    )
    assert response.status_code == 409
    assert response.json()["conflicting_appointment"] == first.pk
    assert "Doppelbuchung" in response.json()["detail"]
    assert Appointment.objects.count() == 1


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"customer": 999999}, "customer"),
        ({"staff": 999999}, "staff"),
        ({"type": 999999}, "type"),
        ({"start": "morgen"}, "start"),
        ({"start": at(22).isoformat()}, "start"),  # the shop is closed
        ({"status": "erledigt"}, "status"),
    ],
)
def test_bad_bookings_answer_422(client, auth, staff, values, field):
    response = post(client, auth, booking(staff, customer_factories.customer(), **values))
    assert response.status_code == 422, response.content
    assert field in {error["field"] for error in response.json()["detail"]}
    assert not Appointment.objects.exists()


def test_outside_hours_only_when_asked(client, auth, staff):
    body = booking(
        staff, customer_factories.customer(), start=at(19).isoformat(), allow_outside_hours=True
    )
    assert post(client, auth, body).status_code == 201


def test_filters_and_pages(client, auth, staff, colleague):
    customer = customer_factories.customer()
    appointment(staff=staff, start=at(9), customer=customer)
    appointment(staff=colleague, start=at(9))
    appointment(staff=staff, start=at(11), status="cancelled")
    appointment(staff=staff, start=at(10, day=MONDAY + datetime.timedelta(days=1)))

    def total(**query):
        return client.get(URL, query, **auth).json()["total"]

    assert total() == 4
    assert total(staff=staff.pk) == 3
    assert total(customer=customer.pk) == 1
    assert total(status="cancelled") == 1
    assert total(date_from=MONDAY.isoformat(), date_to=MONDAY.isoformat()) == 3
    page = client.get(URL, {"page_size": 2, "page": 2}, **auth).json()
    assert (page["page"], page["page_size"], len(page["items"])) == (2, 2, 2)
    assert client.get(URL, {"date_from": "gestern"}, **auth).status_code == 422


def test_move_keeps_the_length_and_checks_conflicts(client, auth, staff):
    first = appointment(staff=staff, start=at(10))
    second = appointment(staff=staff, start=at(14), type_name="Brillenberatung")
    length = second.end - second.start
    moved = post(client, auth, {"start": at(15).isoformat()}, f"{URL}/{second.pk}", "put")
    assert moved.status_code == 200, moved.content
    second.refresh_from_db()
    assert (second.start, second.end - second.start) == (at(15), length)
    clash = post(client, auth, {"start": at(10).isoformat()}, f"{URL}/{second.pk}", "put")
    assert clash.status_code == 409 and clash.json()["conflicting_appointment"] == first.pk
    cancelled = post(client, auth, {"status": "cancelled"}, f"{URL}/{first.pk}", "put")
    assert cancelled.json()["status"] == "cancelled"


def test_outdated_change_answers_409(client, auth, staff):
    booked = appointment(staff=staff, start=at(10))
    etag = client.get(f"{URL}/{booked.pk}", **auth)["ETag"]
    assert post(client, auth, {"notes": "a"}, f"{URL}/{booked.pk}", "put").status_code == 200
    stale = post(
        client,
        auth,
        {"notes": "b"},
        f"{URL}/{booked.pk}",
        "put",
    )
    assert stale.status_code == 200  # without If-Match the newest wins
    stale = client.put(
        f"{URL}/{booked.pk}", data=json.dumps({"notes": "c"}), content_type="application/json",
        HTTP_IF_MATCH=etag, **auth,
    )  # fmt: skip
    assert stale.status_code == 409
    booked.refresh_from_db()
    assert booked.notes == "b"
    assert client.get(f"{URL}/999999", **auth).status_code == 404


def test_times_are_local_with_offset_and_naive_input_is_local(client, auth, staff):
    customer = customer_factories.customer()
    naive = at(10).replace(tzinfo=None).isoformat()  # e.g. "2027-03-01T10:00:00"
    created = post(client, auth, booking(staff, customer, start=naive))
    assert created.status_code == 201, created.content
    assert created.json()["start"] == at(10).isoformat()  # "2027-03-01T10:00:00+01:00"
    assert created.json()["created_at"].endswith(("+01:00", "+02:00"))
