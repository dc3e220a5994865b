"""The consents on the customer page through Django's test client: the
section, the modals as page and htmx partial, permissions, the refusal of a
second active consent at its field, and constant queries."""

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext

from customers import services as customer_services
from customers.tests import factories
from messaging import selectors, services
from messaging.models import ALREADY_GIVEN, Consent, Method
from messaging.tests.test_consent_services import give

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def customer():
    return factories.customer(first_name="Greta", last_name="Öztürk", email="greta@example.de")


@pytest.fixture
def viewer(django_user_model):
    """May see customers, not change them."""
    user = django_user_model.objects.create_user(username="leser", password="x")
    user.user_permissions.add(Permission.objects.get(codename="view_customer"))
    return user


def new_url(customer) -> str:
    return f"/messaging/customers/{customer.pk}/consents/new/"


def withdraw_url(consent) -> str:
    return f"/messaging/consents/{consent.pk}/withdraw/"


def data(**values) -> dict:
    return {
        "channel": "email",
        "purpose": "marketing",
        "method": "in_store",
        "text": selectors.default_text("email", "marketing"),
    } | values


def test_the_section_shows_consents_and_buttons(staff_client, staff, customer):
    page = staff_client.get(f"/customers/{customer.pk}/").content.decode()
    assert 'id="customer-consents"' in page and new_url(customer) in page
    consent = give(customer, staff)
    withdrawn = give(customer, staff, channel="sms")
    services.consent_withdraw(consent_id=withdrawn.pk, user=staff, method=Method.PHONE)
    page = staff_client.get(f"/customers/{customer.pk}/").content.decode()
    assert withdraw_url(consent) in page
    assert withdraw_url(withdrawn) not in page  # withdrawn: nothing left to withdraw
    assert "Anna Schmidt" in page  # recorded by
    assert page.index("consent-active") < page.index("consent-withdrawn")


def test_a_viewer_sees_the_section_without_buttons(customer, staff, viewer, client):
    consent = give(customer, staff)
    client.force_login(viewer)
    page = client.get(f"/customers/{customer.pk}/").content.decode()
    assert 'id="customer-consents"' in page
    assert new_url(customer) not in page and withdraw_url(consent) not in page
    assert client.get(new_url(customer)).status_code == 403
    assert client.post(new_url(customer), data()).status_code == 403
    assert client.get(withdraw_url(consent)).status_code == 403
    assert client.post(withdraw_url(consent), {"withdrawal_method": "phone"}).status_code == 403
    assert Consent.objects.active().count() == 1


def test_anonymous_is_sent_to_log_in(client, customer):
    response = client.get(new_url(customer))
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_the_modal_opens_as_partial_and_as_page(staff_client, customer):
    partial = staff_client.get(new_url(customer), **HTMX).content.decode()
    assert "<html" not in partial and 'name="text"' in partial
    assert selectors.default_text("email", "marketing") in partial
    page = staff_client.get(new_url(customer)).content.decode()
    assert "<html" in page and 'name="text"' in page


def test_changing_the_purpose_offers_its_wording_but_keeps_an_own_text(staff_client, customer):
    query = data(purpose="service", channel="sms", prefill="1")
    partial = staff_client.get(new_url(customer), query, **HTMX).content.decode()
    assert selectors.default_text("sms", "service") in partial
    own = data(purpose="service", text="Mein eigener Text", prefill="1")
    partial = staff_client.get(new_url(customer), own, **HTMX).content.decode()
    assert "Mein eigener Text" in partial


def test_a_valid_htmx_post_closes_the_modal(staff_client, staff, customer):
    response = staff_client.post(new_url(customer), data(method="written"), **HTMX)
    assert response.status_code == 200
    assert "closeModal" in response["HX-Trigger"] and "customerSaved" in response["HX-Trigger"]
    consent = Consent.objects.get()
    assert (consent.customer, consent.method, consent.recorded_by) == (customer, "written", staff)


def test_a_plain_post_redirects_to_the_customer(staff_client, customer):
    response = staff_client.post(new_url(customer), data())
    assert response.status_code == 302 and response["Location"] == f"/customers/{customer.pk}/"


def test_a_second_active_consent_is_an_error_at_the_field_not_a_500(staff_client, staff, customer):
    give(customer, staff)
    response = staff_client.post(new_url(customer), data(method="phone"), **HTMX)
    assert response.status_code == 200 and "HX-Trigger" not in response
    body = response.content.decode()
    assert 'id="id_purpose_error"' in body
    assert str(ALREADY_GIVEN).replace("'", "&#x27;") in body
    assert Consent.objects.count() == 1


def test_invalid_input_is_shown_in_the_form(staff_client, customer):
    response = staff_client.post(new_url(customer), data(text="  ", channel="fax"), **HTMX)
    body = response.content.decode()
    assert 'id="id_text_error"' in body and 'id="id_channel_error"' in body
    assert not Consent.objects.exists()


def test_a_deleted_customer_has_no_consent_modal(staff_client, staff, customer):
    consent = give(customer, staff)
    customer_services.customer_soft_delete(customer_id=customer.pk, user=staff)
    assert staff_client.get(new_url(customer)).status_code == 404
    assert staff_client.get(withdraw_url(consent)).status_code == 404


def test_withdraw_asks_how_and_keeps_the_record(staff_client, staff, customer):
    consent = give(customer, staff)
    partial = staff_client.get(withdraw_url(consent), **HTMX).content.decode()
    assert 'name="withdrawal_method"' in partial and "<html" not in partial
    response = staff_client.post(withdraw_url(consent), {"withdrawal_method": "phone"}, **HTMX)
    assert "closeModal" in response["HX-Trigger"]
    consent.refresh_from_db()
    assert (consent.is_active, consent.withdrawal_method, consent.withdrawn_by) == (
        False,
        "phone",
        staff,
    )
    # A second click changes nothing.
    response = staff_client.post(withdraw_url(consent), {"withdrawal_method": "written"})
    assert response.status_code == 302
    consent.refresh_from_db()
    assert consent.withdrawal_method == "phone"


def test_withdraw_without_a_method_is_an_error(staff_client, staff, customer):
    consent = give(customer, staff)
    response = staff_client.post(withdraw_url(consent), {"withdrawal_method": ""}, **HTMX)
    assert 'id="id_withdrawal_method_error"' in response.content.decode()
    consent.refresh_from_db()
    assert consent.is_active


def test_csrf_is_checked(staff, customer):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(staff)
    assert client.post(new_url(customer), data()).status_code == 403
    assert not Consent.objects.exists()


def test_customer_page_queries_do_not_grow_with_consents(staff_client, staff, customer):
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            response = staff_client.get(f"/customers/{customer.pk}/")
        assert response.status_code == 200
        return len(captured)

    give(customer, staff)
    few = queries()
    for channel in ("sms", "letter"):
        for purpose in ("service", "marketing"):
            consent = give(customer, staff, channel=channel, purpose=purpose)
            services.consent_withdraw(consent_id=consent.pk, user=staff, method=Method.PHONE)
            give(customer, staff, channel=channel, purpose=purpose)
    assert Consent.objects.count() == 9
    assert queries() == few
    with CaptureQueriesContext(connection) as captured:
        staff_client.get(f"/customers/{customer.pk}/")
    reads = [q for q in captured if 'FROM "messaging_consent"' in q["sql"]]
    assert len(reads) == 1


HOSTILE = '"><script>alert(1)</script><img src=x onerror=alert(2)>'
MARKS = ("<script>alert(1)", "<img src=x onerror")


def test_hostile_wording_and_names_are_shown_as_text(owner_client, owner):
    owner.first_name = HOSTILE[:30]
    owner.save()
    customer = factories.customer(first_name=HOSTILE[:60], last_name=HOSTILE[:60])
    consent = give(customer, owner, text=HOSTILE)
    other = give(customer, owner, channel="sms", text=HOSTILE)
    services.consent_withdraw(consent_id=other.pk, user=owner, method=Method.PHONE)
    urls = [
        f"/customers/{customer.pk}/",
        new_url(customer),
        withdraw_url(consent),
        withdraw_url(other),
        "/admin/messaging/consent/",
        f"/admin/messaging/consent/{consent.pk}/change/",
        f"/admin/messaging/consent/{consent.pk}/history/",
        "/customers/?without_consent=on",
    ]
    for url in urls:
        for headers in ({}, HTMX):
            response = owner_client.get(url, **headers)
            assert response.status_code == 200, url
            body = response.content.decode()
            assert not any(mark in body for mark in MARKS), url
    assert (
        "&lt;script&gt;alert(1)" in owner_client.get(f"/customers/{customer.pk}/").content.decode()
    )


def test_the_admin_is_read_only(owner_client, owner, customer):
    consent = give(customer, owner)
    assert owner_client.get("/admin/messaging/consent/").status_code == 200
    assert owner_client.get("/admin/messaging/consent/add/").status_code == 403
    page = owner_client.get(f"/admin/messaging/consent/{consent.pk}/change/")
    assert page.status_code == 200 and 'name="text"' not in page.content.decode()
    owner_client.post(f"/admin/messaging/consent/{consent.pk}/change/", {"text": "anders"})
    consent.refresh_from_db()
    assert consent.text != "anders"
    assert owner_client.get(f"/admin/messaging/consent/{consent.pk}/delete/").status_code == 403
    history = owner_client.get(f"/admin/messaging/consent/{consent.pk}/history/")
    assert history.status_code == 200
    assert owner_client.get("/admin/messaging/consent/?withdrawn_at__isempty=1").status_code == 200


def test_an_sms_consent_for_a_landline_is_noted_on_the_customer_page(staff_client, staff):
    landline = factories.customer(last_name="Festnetz", phone="089 1234567")
    mobile = factories.customer(last_name="Handy", phone="0151 23456789")
    for customer in (landline, mobile):
        give(customer, staff, channel="sms", purpose="service")

    note = "Das ist eine Festnetznummer"
    assert note in staff_client.get(f"/customers/{landline.pk}/").content.decode()
    assert (
        "consent-sms-problem" not in staff_client.get(f"/customers/{mobile.pk}/").content.decode()
    )
