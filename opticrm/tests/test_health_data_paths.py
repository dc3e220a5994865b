"""Health data (DSGVO Art. 9): refraction and fitting values, remarks and
prescribers reach nobody without the prescription permission, by any path.
The exam date and who examined are appointment data (shared/DOMAIN.md) and
may show. A front-desk user walks every path a page, a poll, a search, an
export, the API and the admin offer."""

import datetime
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission

from api import services as api_services
from appointments.tests.factories import appointment, at, calendar_for
from customers.tests import factories
from prescriptions.tests.factories import fitting, refraction

pytestmark = pytest.mark.django_db

SECRETS = ("Qwertzuiop", "Dr. Augenarzt Asdfgh", "Prismenbrille Yxcvb", "7,75", "+7.75", "Lnmkj")


@pytest.fixture
def measured(optician, staff):
    calendar_for(staff)
    customer = factories.customer(last_name="Hansen")
    appointment(staff=staff, customer=customer, start=at(10))
    refraction(
        customer,
        optician,
        date=datetime.date.today() - datetime.timedelta(days=1),
        prescriber="Dr. Augenarzt Asdfgh",
        remarks="Achse nachgemessen Qwertzuiop",
        binocular_notes="Prismenbrille Yxcvb",
        right_sphere=Decimal("7.75"),
        left_sphere=Decimal("7.75"),
    )
    fitting(customer, optician, wearing_notes="Trägt nachts Lnmkj")
    return customer


def assert_clean(text: str, path: str) -> None:
    for secret in SECRETS:
        assert secret not in text, (path, secret)


def test_front_desk_sees_no_health_data_on_any_path(staff_client, client, measured, staff):
    paths = [
        "/",
        f"/customers/{measured.pk}/",
        "/customers/",
        "/customers/?q=Hansen",
        "/customers/?refraction_due=1",
        f"/live/record/customer/{measured.pk}/?since=0",
        "/appointments/",
        "/appointments/day/",
        "/products/reorder.csv",
    ]
    for path in paths:
        response = staff_client.get(path)
        assert response.status_code in (200, 204), path
        assert_clean(response.content.decode("utf-8-sig"), path)
    # The list exports (issue 27): the appointments' file is clean, the
    # customer file and the access report are refused.
    for path in ("/appointments/export.csv", "/products/export.csv"):
        response = staff_client.get(path)
        assert response.status_code == 200, path
        assert_clean(b"".join(response.streaming_content).decode("utf-8-sig"), path)
    assert staff_client.get("/customers/export.csv").status_code == 403
    report = f"/privacy/customers/{measured.pk}/access-report.json"
    assert staff_client.post(report).status_code == 403
    # Searching for health text finds nobody: it is not searched.
    for words in ("Qwertzuiop", "Asdfgh", "Lnmkj"):
        assert "Hansen" not in staff_client.get("/customers/", {"q": words}).content.decode()
    # Prescription pages themselves are refused.
    refraction_id = measured.refractions.get().pk
    for path in (
        f"/prescriptions/refractions/{refraction_id}/card/",
        f"/prescriptions/refractions/{refraction_id}/card.pdf",
        f"/prescriptions/refractions/{refraction_id}/correct/",
        f"/prescriptions/customers/{measured.pk}/refractions/new/",
    ):
        assert staff_client.get(path).status_code in (403, 404), path
    # The API, with an ordinary key.
    auth = {"HTTP_AUTHORIZATION": f"Bearer {api_services.api_key_create(name='Web')[1]}"}
    for path in (
        f"/api/v1/customers/{measured.pk}",
        "/api/v1/customers?search=Hansen",
        "/api/v1/appointments",
    ):
        assert_clean(client.get(path, **auth).content.decode(), path)


def test_an_admin_user_without_the_permission_sees_no_health_data(client, staff, measured):
    staff.is_staff = True
    staff.save()
    staff.user_permissions.add(
        *Permission.objects.filter(content_type__app_label__in=["customers", "appointments"])
    )
    client.force_login(staff)
    for path in (
        f"/admin/customers/customer/{measured.pk}/change/",
        "/admin/customers/customer/?q=Hansen",
        "/admin/",
    ):
        response = client.get(path)
        assert response.status_code == 200, path
        assert_clean(response.content.decode(), path)
    assert client.get("/admin/prescriptions/refraction/").status_code == 403


def test_the_optician_does_see_it(optician_client, measured):
    page = optician_client.get(f"/customers/{measured.pk}/").content.decode()
    assert "Qwertzuiop" in page and "Dr. Augenarzt Asdfgh" in page
