"""The admin is the shop's, in German, and every page has the shop's icon."""

import pytest

pytestmark = pytest.mark.django_db
ICON = 'rel="icon" href="/static/img/favicon.svg"'


def test_the_admin_is_branded_and_german(owner_client):
    page = owner_client.get("/admin/").content.decode()
    assert "OptiCRM Verwaltung" in page and "Django" not in page
    assert ICON in page
    assert "Hinzufügen" in page
    assert ICON in owner_client.get("/admin/customers/customer/").content.decode()


def test_the_favicon_is_found_everywhere(owner_client, optician):
    from customers.tests import factories
    from prescriptions.tests.factories import refraction

    icon = owner_client.get("/favicon.ico")
    assert icon.status_code == 301 and icon["Location"] == "/static/img/favicon.svg"
    assert owner_client.get("/static/img/favicon.svg").status_code == 200
    card = refraction(factories.customer(), optician)
    assert ICON in owner_client.get(f"/prescriptions/refractions/{card.pk}/card/").content.decode()
    from django.test import Client

    assert ICON in Client().get("/login/").content.decode()
