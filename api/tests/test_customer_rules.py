"""Issue 24 in the API: the duplicate question, the version rule and the
next appointment, as the customer pages have them."""

import datetime
import json

import pytest
from django.utils import timezone

from api import services as api_services
from appointments.tests.factories import TUESDAY, appointment, at
from customers import services
from customers.models import Customer
from customers.tests import factories

pytestmark = pytest.mark.django_db
URL = "/api/v1/customers"


@pytest.fixture
def auth() -> dict:
    key = api_services.api_key_create(name="Online-Terminbuchung")[1]
    return {"HTTP_AUTHORIZATION": f"Bearer {key}"}


def send(client, auth, method: str, url: str, body: dict, **headers):
    return getattr(client, method)(
        url, data=json.dumps(body), content_type="application/json", **auth, **headers
    )


BODY = {"first_name": "Käthe", "last_name": "Straßburger", "date_of_birth": "1965-03-12"}


def test_a_possible_duplicate_answers_409_with_the_ids_unless_confirmed(client, auth):
    existing = factories.customer(
        first_name="Käthe", last_name="Straßburger", date_of_birth=datetime.date(1965, 3, 12)
    )
    refused = send(client, auth, "post", URL, BODY)
    assert refused.status_code == 409
    assert refused.json()["duplicates"] == [existing.pk]
    assert str(existing.pk) in refused.json()["detail"]
    assert Customer.objects.count() == 1
    created = send(client, auth, "post", URL, {**BODY, "confirm_duplicates": True})
    assert created.status_code == 201, created.content
    assert Customer.objects.count() == 2


def test_a_change_that_makes_a_duplicate_answers_409(client, auth):
    factories.customer(email="kaethe@example.de")
    other = factories.customer(last_name="Berg")
    url = f"{URL}/{other.pk}"
    refused = send(client, auth, "put", url, {"email": "kaethe@example.de"})
    assert refused.status_code == 409 and len(refused.json()["duplicates"]) == 1
    unrelated = send(client, auth, "put", url, {"last_name": "Bergmann"})
    assert unrelated.status_code == 200
    confirmed = send(
        client, auth, "put", url, {"email": "kaethe@example.de", "confirm_duplicates": True}
    )
    assert confirmed.status_code == 200
    assert confirmed.json()["email"] == "kaethe@example.de"


def test_the_schema_documents_the_duplicate_question(client):
    schemas = client.get("/api/v1/openapi.json").json()["components"]["schemas"]
    assert "duplicates" in schemas["CustomerIn"]["properties"]["confirm_duplicates"]["description"]


def test_if_match_and_updated_at_are_the_customers_version(client, auth):
    customer = factories.customer(first_name="Anna")
    loaded = client.get(f"{URL}/{customer.pk}", **auth)
    assert loaded["ETag"] == '"1"'
    updated_at = loaded.json()["updated_at"]
    ok = send(client, auth, "put", f"{URL}/{customer.pk}", {"first_name": "Anne"},
              HTTP_IF_MATCH='"1"')  # fmt: skip
    assert ok.status_code == 200 and ok["ETag"] == '"2"'
    # The compatible path: the time read before the change above is outdated.
    stale = send(
        client,
        auth,
        "put",
        f"{URL}/{customer.pk}",
        {"first_name": "Annika", "updated_at": updated_at},
    )
    assert stale.status_code == 409
    current = client.get(f"{URL}/{customer.pk}", **auth).json()["updated_at"]
    fresh = send(
        client, auth, "put", f"{URL}/{customer.pk}", {"first_name": "Annika", "updated_at": current}
    )
    assert fresh.status_code == 200
    # An outdated ETag is 409 even with invalid input: the version comes first.
    invalid = send(
        client, auth, "put", f"{URL}/{customer.pk}", {"email": "kaputt"}, HTTP_IF_MATCH='"1"'
    )
    assert invalid.status_code == 409
    customer.refresh_from_db()
    assert (customer.first_name, customer.version) == ("Annika", 3)


def test_the_api_reads_the_next_appointment_as_the_list_shows_it(client, auth, staff):
    customer = factories.customer()
    appointment(staff=staff, customer=customer, start=at(10, day=TUESDAY))
    # As the clock leaves it: the stored appointment has begun.
    Customer.objects.filter(pk=customer.pk).update(
        next_appointment_at=timezone.now() - datetime.timedelta(minutes=5)
    )
    one = client.get(f"{URL}/{customer.pk}", **auth).json()
    assert datetime.datetime.fromisoformat(one["next_appointment"]) == at(10, day=TUESDAY)
    listed = client.get(URL, **auth).json()["items"]
    assert datetime.datetime.fromisoformat(listed[0]["next_appointment"]) == at(10, day=TUESDAY)
    services.refresh_passed_next_appointments()
    assert Customer.objects.get(pk=customer.pk).next_appointment_at == at(10, day=TUESDAY)
