"""The access report of DSGVO Art. 15 ("Datenauskunft", issue 27): from the
customer page, as PDF and JSON, with everything stored about the person —
master data, consents, messages, appointments, refractions and fittings
with every value (corrected versions too) and the change history — only
for those who may see health data, and logged."""

import io
import json
from decimal import Decimal

import pytest
from django.utils import timezone
from pypdf import PdfReader

from appointments.tests.factories import appointment, at, calendar_for
from customers import services as customer_services
from customers.tests import factories
from messaging import services as messaging_services
from messaging.models import Channel, Kind, Message, Purpose, State
from prescriptions import services as prescription_services
from prescriptions.tests.factories import fitting, refraction, refraction_data
from privacy.models import AccessReport

pytestmark = pytest.mark.django_db


def url(customer, file_format: str) -> str:
    return f"/privacy/customers/{customer.pk}/access-report.{file_format}"


@pytest.fixture
def person(optician, staff):
    customer = factories.customer(
        first_name="Grete", last_name="Öztürk", email="grete@example.de", phone="0151 23456789"
    )
    customer_services.customer_update(
        customer_id=customer.pk, data={"notes": "Bevorzugt Termine am Vormittag"}, user=staff
    )
    messaging_services.consent_give(
        customer_id=customer.pk,
        channel=Channel.EMAIL,
        purpose=Purpose.MARKETING,
        method="in_store",
        text="Ja, ich möchte an Sehtests erinnert werden.",
        user=staff,
    )
    Message.objects.create(
        customer=customer,
        kind=Kind.RECALL_EYE_TEST,
        channel=Channel.EMAIL,
        purpose=Purpose.MARKETING,
        recipient="grete@example.de",
        subject="Zeit für Ihren Sehtest",
        text="Guten Tag Frau Öztürk, ...",
        send_at=timezone.now(),
        state=State.SENT,
    )
    calendar_for(staff)
    appointment(staff=staff, customer=customer, notes="Gleitsichtberatung")
    first = refraction(customer, optician, right_sphere=Decimal("-1.75"))
    prescription_services.refraction_correct(
        refraction_id=first.pk,
        data=refraction_data(optician, right_sphere=Decimal("-2.00")),
        user=optician,
    )
    fitting(customer, optician)
    return customer


def test_json_holds_everything_with_every_value(optician_client, optician, person):
    response = optician_client.post(url(person, "json"))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert response["Content-Disposition"].startswith(
        f'attachment; filename="datenauskunft-{person.pk}-'
    )
    data = json.loads(response.content)
    assert data["customer_number"] == person.pk
    parts = data["parts"]
    master = parts["master_data"]["records"][0]["fields"]
    assert master["last_name"] == {"label": "Nachname", "value": "Öztürk"}
    assert master["notes"]["value"] == "Bevorzugt Termine am Vormittag"
    # The change history says who changed the notes.
    changes = parts["master_data"]["records"][0]["history"]
    assert any(
        field["label"] == "Notizen" and field["after"] == "Bevorzugt Termine am Vormittag"
        for change in changes
        for field in change["fields"]
    )
    consent = parts["consents"]["records"][0]["fields"]
    assert consent["text"]["value"] == "Ja, ich möchte an Sehtests erinnert werden."
    assert parts["messages"]["records"][0]["fields"]["subject"]["value"] == "Zeit für Ihren Sehtest"
    assert parts["appointments"]["records"][0]["fields"]["notes"]["value"] == "Gleitsichtberatung"
    # Both versions of the corrected refraction, with their values.
    spheres = sorted(r["fields"]["right_sphere"]["value"] for r in parts["refractions"]["records"])
    assert spheres == ["-1.75", "-2.00"]
    assert len(parts["contact_lens_fittings"]["records"]) == 1
    assert (
        parts["contact_lens_fittings"]["records"][0]["fields"]["right_base_curve"]["value"]
        == "8.60"
    )


def test_pdf_reads_in_german_with_the_values(optician_client, person):
    response = optician_client.post(url(person, "pdf"))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    assert "Datenauskunft nach Art. 15 DSGVO" in text
    assert "Grete Öztürk" in text
    assert "Ja, ich möchte an Sehtests erinnert werden." in text
    assert "−2,00" in text or "-2,00" in text
    assert "Gleitsichtberatung" in text
    assert "Beschwerde" in text  # the rights, Art. 77 included


def test_each_report_is_logged_without_personal_data(optician_client, optician, person):
    optician_client.post(url(person, "pdf"))
    optician_client.post(url(person, "json"))
    logged = list(AccessReport.objects.values_list("customer_number", "file_format", "created_by"))
    assert sorted(logged) == [(person.pk, "json", optician.pk), (person.pk, "pdf", optician.pk)]


def test_a_deleted_customer_gets_a_report_too(optician_client, person):
    customer_services.customer_soft_delete(customer_id=person.pk)
    assert optician_client.post(url(person, "json")).status_code == 200


def test_only_with_the_health_data_right(client, staff, optician_client, person):
    client.force_login(staff)
    assert client.post(url(person, "pdf")).status_code == 403
    assert 'id="customer-privacy"' not in client.get(f"/customers/{person.pk}/").content.decode()
    page = optician_client.get(f"/customers/{person.pk}/").content.decode()
    assert 'id="customer-privacy"' in page
    assert f'action="/privacy/customers/{person.pk}/access-report.pdf"' in page
    assert not AccessReport.objects.exists()


def test_get_unknown_customer_and_format(optician_client, person):
    assert optician_client.get(url(person, "pdf")).status_code == 405
    assert optician_client.post("/privacy/customers/999999/access-report.pdf").status_code == 404
    assert optician_client.post(url(person, "xml")).status_code == 404


def test_needs_csrf(optician, person):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(optician)
    assert client.post(url(person, "pdf")).status_code == 403


def test_an_appointment_moved_from_another_customer_does_not_name_them(
    optician_client, staff, person
):
    """Rebooked from Anton to Grete: Grete's report tells only what
    happened since it was hers, without Anton's name or his notes."""
    from appointments import services as appointment_services

    anton = factories.customer(first_name="Anton", last_name="Vorbesitzer")
    moved = appointment(staff=staff, customer=anton, notes="Antons Notiz", start=at(14))
    appointment_services.appointment_update(
        appointment_id=moved.pk,
        data={"customer": person, "notes": "Für Grete umgebucht"},
        user=staff,
    )
    text = optician_client.post(url(person, "json")).content.decode()
    assert "Für Grete umgebucht" in text
    assert "Vorbesitzer" not in text
    assert "Antons Notiz" not in text


def test_only_with_the_health_data_rights_too(client, django_user_model, person):
    """The report's permission alone (given in the admin to the front desk)
    is not enough: it holds every measurement value."""
    from django.contrib.auth.models import Permission

    user = django_user_model.objects.create_user(username="nur-auskunft")
    user.user_permissions.add(
        Permission.objects.get(codename="add_accessreport"),
        Permission.objects.get(codename="view_customer"),
    )
    client.force_login(user)
    assert client.post(url(person, "pdf")).status_code == 403
    assert 'id="customer-privacy"' not in client.get(f"/customers/{person.pk}/").content.decode()


def test_a_photo_is_named_as_kept_not_where(optician_client, person):
    from customers.models import Customer

    Customer.objects.filter(pk=person.pk).update(photo="3f/3f9a1c0de5b24b7e8d2c1a0b9e8f7d6c.jpg")
    response = optician_client.post(url(person, "json"))
    master = json.loads(response.content)["parts"]["master_data"]["records"][0]["fields"]
    assert master["photo"]["value"] is True
    assert "3f9a1c0de5b2" not in response.content.decode()
    pdf = optician_client.post(url(person, "pdf")).content
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    assert "gespeichert (Kopie auf der Kundenseite)" in text.replace("\n", " ")
    assert "3f9a1c0de5b2" not in text
