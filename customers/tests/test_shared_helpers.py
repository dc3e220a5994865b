"""opticrm.lib.display.display_value and opticrm.lib.htmx.htmx_current_path:
one home for what the customer, appointment and product views shared as
copies (issue 24). Tested here, with the models they serve."""

import datetime
from decimal import Decimal

import pytest
from django.test import RequestFactory
from django.urls import reverse
from django.utils import translation
from django_htmx.middleware import HtmxDetails

from customers import services
from customers.tests import factories
from opticrm.lib.display import display_value
from opticrm.lib.htmx import htmx_current_path

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


def test_customer_values_as_the_pages_show_them():
    provider = factories.insurance("BARMER")
    customer = factories.customer(
        phone="+4915123456789",
        insurance_provider=provider,
        date_of_birth=datetime.date(1965, 3, 12),
        status="inactive",
    )
    with translation.override("de"):
        assert display_value(customer, "phone") == "01512 3456789"
        assert display_value(customer, "insurance_provider") == "BARMER"
        assert display_value(customer, "date_of_birth") == "12.03.1965"
        assert display_value(customer, "status") == "Inaktiv"
        assert display_value(customer, "notes") == "—"
        assert display_value(customer, "email") == "—"
        assert display_value(customer, "last_name") == customer.last_name


def test_appointment_values_name_people_and_show_times(staff):
    from appointments.models import staff_display_name
    from appointments.tests.factories import appointment, at

    booked = appointment(staff=staff, start=at(10))
    services.customer_soft_delete(customer_id=booked.customer_id)
    booked.refresh_from_db()
    with translation.override("de"):
        assert display_value(booked, "customer", booked.customer_id) == "gelöschter Kunde"
        assert display_value(booked, "staff") == staff_display_name(staff)
        assert display_value(booked, "type") == "Sehtest"
        assert display_value(booked, "status") == "Geplant"
        assert display_value(booked, "start", datetime.time(9, 5)) == "09:05"
        assert display_value(booked, "start", datetime.date(2030, 1, 2)) == "02.01.2030"
        assert display_value(booked, "start").endswith("10:00")
        assert display_value(booked, "notes") == "—"


def test_product_values_money_and_yes_no():
    from products.models import Product

    product = Product(
        name="Brille", sale_price=Decimal("1234.5"), purchase_price=None, active=False
    )
    with translation.override("de"):
        assert display_value(product, "sale_price") == "1.234,50\u00a0€"
        assert display_value(product, "purchase_price") == "—"
        assert display_value(product, "active") == "nein"


def request_from(current_url: str | None):
    headers = {"HTTP_HX_REQUEST": "true"}
    if current_url is not None:
        headers["HTTP_HX_CURRENT_URL"] = current_url
    request = RequestFactory().post("/", **headers)
    request.htmx = HtmxDetails(request)
    return request


def test_htmx_current_path():
    assert (
        htmx_current_path(request_from("http://testserver/customers/7/?tab=1")) == "/customers/7/"
    )
    assert htmx_current_path(request_from("http://[::1")) == ""  # garbled
    assert htmx_current_path(request_from(None)) == ""
    plain = RequestFactory().get("/")
    assert htmx_current_path(plain) == ""


def test_deleting_from_the_customers_page_takes_the_browser_to_the_list(staff_client):
    customer = factories.customer()
    detail = reverse("customers:detail", args=[customer.pk])
    response = staff_client.post(
        reverse("customers:delete", args=[customer.pk]),
        HTTP_HX_CURRENT_URL=f"http://testserver{detail}",
        **HTMX,
    )
    assert response["HX-Redirect"] == reverse("customers:list")
    other = factories.customer()
    response = staff_client.post(
        reverse("customers:delete", args=[other.pk]),
        HTTP_HX_CURRENT_URL="http://testserver/customers/",
        **HTMX,
    )
    assert "closeModal" in response["HX-Trigger"]


def test_a_conflict_names_the_saved_value_as_the_page_shows_it(staff_client):
    customer = factories.customer(phone="")
    url = reverse("customers:update", args=[customer.pk])
    form = {
        "first_name": customer.first_name,
        "last_name": customer.last_name,
        "email": "",
        "phone": "030 1234567",
        "date_of_birth": "17.05.1980",
        "insurance_provider": "",
        "last_exam_date": "",
        "notes": "",
        "status": "active",
        "version": "1",
        "initial-phone": "",
    }
    services.customer_update(customer_id=customer.pk, data={"phone": "+4940123456"})
    response = staff_client.post(url, form, **HTMX)
    assert response.status_code == 200
    assert response.context["form"].conflict_display["phone"] == "040 123456"
