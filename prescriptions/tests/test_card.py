"""The Brillenpass: print page and PDF, permissions, odd names."""

import datetime
import re
from decimal import Decimal

import pytest

from customers import services as customer_services
from customers.tests import factories as customer_factories
from prescriptions import services
from prescriptions.tests.factories import refraction, refraction_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def customer():
    return customer_factories.customer(
        first_name="Jürgen", last_name="Weiß", date_of_birth=datetime.date(1962, 4, 3)
    )


@pytest.fixture
def measured(customer, optician):
    return refraction(
        customer,
        optician,
        right_addition=Decimal("2"),
        left_addition=Decimal("2"),
        right_prism_horizontal=Decimal("1"),
        right_prism_horizontal_base="in",
        vertex_distance=Decimal("12"),
        prescriber="Dr. Öztürk",
        remarks="Gleitsicht für den Alltag",
    )


def test_print_page_shows_the_card_in_german_notation(optician_client, measured, settings):
    settings.SHOP_NAME = "Optik Sonnenschein"
    body = optician_client.get(f"/prescriptions/refractions/{measured.pk}/card/").content.decode()
    assert "<h1>Brillenpass</h1>" in body
    assert "Optik Sonnenschein" in body
    assert "Jürgen Weiß" in body and "03.04.1962" in body and "12.03.2026" in body
    assert "Subjektive Refraktion" in body and "Dr. Öztürk" in body and "12,0 mm" in body
    row = "<td>+1,25</td><td>−0,50</td><td>90°</td><td>2,00</td><td>1,00 Basis innen</td>"
    assert f'<th scope="row">R</th>{row}' in body
    # The remark is the shop's own note: not on the customer's card.
    assert "Gleitsicht für den Alltag" not in body and "Bemerkung" not in body
    assert "Datum, Unterschrift" in body
    assert "/card.pdf" in body and "data-print" in body
    assert "card-superseded" not in body


def test_pdf_download(optician_client, measured):
    response = optician_client.get(f"/prescriptions/refractions/{measured.pk}/card.pdf")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert (
        response["Content-Disposition"] == 'attachment; filename="brillenpass-weiss-2026-03-12.pdf"'
    )
    assert response.content.startswith(b"%PDF-")
    assert len(re.findall(rb"/Type /Page\b", response.content)) == 1


def test_pdf_survives_any_name(optician_client, optician):
    person = customer_factories.customer(first_name="Łucja 🙂", last_name="Yılmaz-Ğül")
    record = refraction(person, optician, remarks="Ø 50 — «bitte» ✓")
    response = optician_client.get(f"/prescriptions/refractions/{record.pk}/card.pdf")
    assert response.status_code == 200 and response.content.startswith(b"%PDF-")
    assert 'filename="brillenpass-yilmaz-gul-2026-03-12.pdf"' in response["Content-Disposition"]


def test_superseded_card_says_so(optician_client, optician, measured):
    services.refraction_correct(
        refraction_id=measured.pk, data=refraction_data(optician), user=optician
    )
    body = optician_client.get(f"/prescriptions/refractions/{measured.pk}/card/").content.decode()
    assert "card-superseded" in body
    assert "Ersetzt am" in body and "Otto Optiker" in body
    pdf = optician_client.get(f"/prescriptions/refractions/{measured.pk}/card.pdf")
    assert pdf.status_code == 200


def test_only_with_permission(staff_client, outsider, measured):
    from django.test import Client

    outsider_client = Client()
    outsider_client.force_login(outsider)
    for url in (
        f"/prescriptions/refractions/{measured.pk}/card/",
        f"/prescriptions/refractions/{measured.pk}/card.pdf",
    ):
        assert staff_client.get(url).status_code == 403
        assert outsider_client.get(url).status_code == 403
        anonymous = Client().get(url)
        assert anonymous.status_code == 302 and "/login/" in anonymous["Location"]


def test_unknown_and_deleted_customers_are_404(optician_client, measured, customer):
    assert optician_client.get("/prescriptions/refractions/999999/card/").status_code == 404
    customer_services.customer_soft_delete(customer_id=customer.pk)
    assert optician_client.get(f"/prescriptions/refractions/{measured.pk}/card/").status_code == 404
    assert (
        optician_client.get(f"/prescriptions/refractions/{measured.pk}/card.pdf").status_code == 404
    )
