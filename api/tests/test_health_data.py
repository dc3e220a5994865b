"""The customers' "prescription" field (their notes, once the old system's
free-text prescription) is health data: only keys granted health data see
or change it, and only people who may see prescriptions grant that."""

import json

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command

from api import services
from api.models import ApiKey
from customers.models import Customer
from customers.tests import factories

pytestmark = pytest.mark.django_db
URL = "/api/v1/customers"


def call(client, secret, method, url, body=None):
    extra = {"HTTP_AUTHORIZATION": f"Bearer {secret}"}
    if body is not None:
        extra.update(data=json.dumps(body), content_type="application/json")
    return getattr(client, method)(url, **extra)


@pytest.fixture
def notes_customer():
    return factories.customer(last_name="Weber", notes="R -2,25 L -2,00 (alt)")


def test_a_plain_key_sees_null_and_may_not_change_the_field(client, notes_customer):
    _, secret = services.api_key_create(name="Website")
    one = call(client, secret, "get", f"{URL}/{notes_customer.pk}").json()
    assert one["prescription"] is None and one["last_name"] == "Weber"
    listed = call(client, secret, "get", URL).json()["items"]
    assert [item["prescription"] for item in listed] == [None]
    refused = call(client, secret, "put", f"{URL}/{notes_customer.pk}", {"prescription": "x"})
    assert refused.status_code == 403
    assert "Gesundheitsdaten" in refused.json()["detail"]
    created = call(
        client, secret, "post", URL, {"first_name": "A", "last_name": "B", "prescription": "x"}
    )
    assert created.status_code == 403
    # Other changes keep the notes as they are.
    saved = call(client, secret, "put", f"{URL}/{notes_customer.pk}", {"last_name": "Weiß"})
    assert saved.status_code == 200 and saved.json()["prescription"] is None
    notes_customer.refresh_from_db()
    assert (notes_customer.last_name, notes_customer.notes) == ("Weiß", "R -2,25 L -2,00 (alt)")
    assert Customer.objects.count() == 1


def test_a_health_data_key_reads_and_writes_it(client, notes_customer):
    _, secret = services.api_key_create(name="Altsystem", health_data=True)
    assert call(client, secret, "get", f"{URL}/{notes_customer.pk}").json()["prescription"] == (
        "R -2,25 L -2,00 (alt)"
    )
    saved = call(client, secret, "put", f"{URL}/{notes_customer.pk}", {"prescription": "neu"})
    assert saved.status_code == 200 and saved.json()["prescription"] == "neu"


def test_only_people_who_may_see_prescriptions_grant_health_data(staff, optician):
    with pytest.raises(ValidationError):
        services.api_key_create(name="Zugriff", health_data=True, user=staff)
    key, _ = services.api_key_create(name="Zugriff", health_data=True, user=optician)
    assert key.health_data


def test_the_admin_offers_the_grant_only_to_those_who_may(client, owner, staff):
    from django.contrib.auth.models import Permission

    staff.user_permissions.add(*Permission.objects.filter(codename__endswith="apikey"))
    staff.is_staff = True
    staff.save()
    client.force_login(staff)
    assert "health_data" not in client.get("/admin/api/apikey/add/").content.decode()
    client.force_login(owner)
    assert 'name="health_data"' in client.get("/admin/api/apikey/add/").content.decode()
    client.post("/admin/api/apikey/add/", {"name": "Altsystem", "health_data": "on"})
    assert ApiKey.objects.get(name="Altsystem").health_data


def test_the_command_grants_it_on_request(capsys):
    call_command("create_api_key", "Altsystem", "--health-data")
    assert "health-data API key" in capsys.readouterr().out
    assert ApiKey.objects.get(name="Altsystem").health_data
