"""What an independent security test found in the API: optimistic locking by
``updated_at`` that could never succeed, 500s from huge dates and nulls,
``true`` taken as id 1, and errors answered as HTML."""

import json

import pytest

from api import services as api_services
from appointments.tests.factories import appointment, calendar_for
from customers.tests import factories as customer_factories
from products.tests.factories import product

pytestmark = pytest.mark.django_db


@pytest.fixture
def auth() -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {api_services.api_key_create(name='Kasse')[1]}"}


def put(client, auth, url, body):
    return client.put(url, data=json.dumps(body), content_type="application/json", **auth)


@pytest.fixture
def booked(staff):
    calendar_for(staff)
    return appointment(staff=staff)


@pytest.mark.parametrize("resource", ["customers", "products", "appointments"])
def test_sending_back_the_updated_at_just_read_saves(client, auth, resource, booked):
    record = {
        "customers": lambda: customer_factories.customer(),
        "products": lambda: product(),
        "appointments": lambda: booked,
    }[resource]()
    url = f"/api/v1/{resource}/{record.pk}"
    loaded = client.get(url, **auth).json()
    change = {
        "customers": {"notes": "Ruft zurück"},
        "products": {"name": "Neu benannt"},
        "appointments": {"notes": "Bringt alte Brille mit"},
    }[resource]
    if resource == "products":
        change = {k: v for k, v in loaded.items() if k not in ("id", "stock", "updated_at")}
        change["name"] = "Neu benannt"
    saved = put(client, auth, url, {**change, "updated_at": loaded["updated_at"]})
    assert saved.status_code == 200, saved.content
    # The value read before that save is now outdated.
    stale = put(client, auth, url, {**change, "updated_at": loaded["updated_at"]})
    assert stale.status_code == 409


def test_a_huge_date_filter_is_a_field_error(client, auth):
    response = client.get("/api/v1/appointments", {"date_to": "9999-12-31"}, **auth)
    assert response.status_code == 422
    assert response.json() == {
        "detail": [
            {"field": "date_to", "message": "Bitte ein Datum zwischen 1900 und 2999 eingeben."}
        ]
    }


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"start": None}, "start"),
        ({"end": None}, "end"),
        ({"customer": None}, "customer"),
        ({"start": "9999-12-31T23:30:00+01:00", "allow_outside_hours": True}, "start"),
        ({"end": "9999-12-31T23:59:00-12:00"}, "end"),
        ({"start": "0001-01-01T00:00:00+14:00"}, "start"),
    ],
)
def test_nulls_and_huge_times_in_an_appointment_update_are_field_errors(
    client, auth, booked, body, field
):
    response = put(client, auth, f"/api/v1/appointments/{booked.pk}", body)
    assert response.status_code == 422, response.content
    assert [error["field"] for error in response.json()["detail"]] == [field]
    booked.refresh_from_db()
    assert booked.version == 1


@pytest.mark.parametrize("field", ["customer", "staff", "type"])
@pytest.mark.parametrize("value", [True, False, "1", 1.0])
def test_ids_are_whole_numbers_only(client, auth, booked, owner, field, value):
    calendar_for(owner)
    response = put(client, auth, f"/api/v1/appointments/{booked.pk}", {field: value})
    assert response.status_code == 422, response.content
    assert response.json()["detail"][0]["field"] == field
    booked.refresh_from_db()
    assert booked.version == 1


def test_booleans_are_no_numbers_anywhere(client, auth):
    frame = product()
    body = client.get(f"/api/v1/products/{frame.pk}", **auth).json()
    body.update(lens_width=True, bridge_width=18)
    response = put(client, auth, f"/api/v1/products/{frame.pk}", body)
    assert response.status_code == 422
    assert {error["field"] for error in response.json()["detail"]} == {"lens_width"}


def test_an_unexpected_error_answers_in_json_and_is_logged(client, auth, monkeypatch, caplog):
    def broken(*args, **kwargs):
        raise RuntimeError("kaputt")

    monkeypatch.setattr("api.customers._read", broken)
    customer = customer_factories.customer()
    response = client.get(f"/api/v1/customers/{customer.pk}", **auth)
    assert response.status_code == 500
    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert response.json() == {
        "detail": "Ein interner Fehler ist aufgetreten; er wurde protokolliert."
    }
    assert "kaputt" in caplog.text


def test_an_unknown_address_under_the_api_with_a_nul_answers_json(client, auth):
    response = client.get("/api/v1/customers/%00", **auth)
    assert response.status_code == 404
    assert response.json() == {"detail": "Nicht gefunden."}


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_a_write_to_an_unknown_api_address_is_a_json_404(auth, method):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    response = getattr(client, method)(
        "/api/v1/customers/null,null", data="{}", content_type="application/json", **auth
    )
    assert response.status_code == 404
    assert response.json() == {"detail": "Nicht gefunden."}


def test_a_database_outage_answers_503_with_retry_after(client, auth, monkeypatch, caplog):
    from django.db import OperationalError

    def away(*args, **kwargs):
        raise OperationalError("connection to server on socket failed: No such file")

    monkeypatch.setattr("api.customers._read", away)
    customer = customer_factories.customer()
    response = client.get(f"/api/v1/customers/{customer.pk}", **auth)
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert response.json() == {
        "detail": "Die Datenbank ist kurz nicht erreichbar; bitte gleich noch einmal versuchen."
    }
    assert "Database unavailable" in caplog.text and "Traceback" not in caplog.text
