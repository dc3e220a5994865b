"""Hostile text typed into any record is shown as text on every page,
including the HTML that Python builds (the customer, product and history
tables, the calendar grid, the form renderer): never as markup."""

import datetime
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model

from appointments.tests.factories import appointment, calendar_for
from customers.tests import factories as customer_factories
from invoices import services as invoice_services
from opticrm.tests.test_hostile_input import _urls
from orders import services as order_services
from prescriptions.tests.factories import fitting, refraction
from products.tests.factories import product

pytestmark = pytest.mark.django_db

# Markup that would run or break out of an attribute if it were not escaped.
HOSTILE = '"><script>alert(1)</script><img src=x onerror=alert(2)>'
MARKS = ("<script>alert(1)", "<img src=x onerror")


@pytest.fixture
def hostile_records(owner):
    owner.first_name, owner.last_name = HOSTILE[:30], HOSTILE[:30]
    owner.save()
    calendar_for(owner)
    customer = customer_factories.customer(
        first_name=HOSTILE[:60],
        last_name=HOSTILE[:60],
        notes=HOSTILE,
        insurance_provider=customer_factories.insurance(HOSTILE[:60]),
        last_exam_date=datetime.date(2024, 3, 1),
    )
    today = datetime.date.today()
    return {
        "customer": customer,
        "appointment": appointment(staff=owner, customer=customer, notes=HOSTILE),
        "product": product(
            name=HOSTILE[:60],
            brand=HOSTILE[:60],
            model=HOSTILE[:60],
            colour=HOSTILE[:60],
            minimum_stock=5,
            sale_price=Decimal("1.00"),
        ),
        "refraction": refraction(customer, owner, remarks=HOSTILE, date=today),
        "fitting": fitting(customer, owner, wearing_notes=HOSTILE, date=today),
        "token": calendar_for(owner).feed_token,
        "order": _hostile_order(customer, owner),
        "invoice": _hostile_invoice(customer, owner),
    }


def _hostile_invoice(customer, owner):
    """A draft invoice of the hostile customer with hostile positions."""
    invoice = invoice_services.invoice_create(customer_id=customer.pk, user=owner)
    invoice_services.invoice_line_add(
        invoice_id=invoice.pk,
        data={
            "description": HOSTILE[:200],
            "unit_price": Decimal("20"),
            "discount_percent": Decimal("10"),
            "discount_reason": HOSTILE[:200],
        },
    )
    return invoice


def _hostile_order(customer, owner):
    order = order_services.order_create(customer_id=customer.pk, user=owner)
    order_services.order_update(
        order_id=order.pk, data={"notes": HOSTILE, "own_frame": HOSTILE[:60]}, version=None
    )
    order.line = order_services.line_save(
        order_id=order.pk,
        data={
            "kind": "service",
            "description": HOSTILE,
            "unit_price": Decimal("20"),
            "discount_percent": Decimal("10"),
            "discount_reason": HOSTILE,
        },
        version=None,
    )
    return order


def test_no_page_shows_hostile_text_as_markup(owner_client, hostile_records):
    customer = hostile_records["customer"]
    urls = _urls(hostile_records) + [
        f"/customers/?q={customer.last_name[:10]}",
        "/customers/?sort=-name",
        "/products/?below_minimum=on",
        "/appointments/week/",
        "/appointments/list/",
        "/orders/",
        f"/admin/customers/customer/{customer.pk}/history/",
    ]
    shown, failures = 0, []
    for url in urls:
        for headers in ({}, {"HX-Request": "true"}):
            response = owner_client.get(url, headers=headers)
            if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
                continue
            body = response.content.decode()
            if "&lt;script&gt;alert(1)" in body or "&lt;script&gt;" in body:
                shown += 1
            failures += [(url, bool(headers), mark) for mark in MARKS if mark in body]
    assert failures == []
    # The hostile text did appear (escaped) on the pages that show it.
    assert shown >= 15


def test_the_hostile_user_name_and_insurer_are_escaped_in_the_tables(owner_client, hostile_records):
    assert get_user_model().objects.filter(first_name=HOSTILE[:30]).exists()
    for url in ("/customers/", "/appointments/", "/appointments/list/", "/products/"):
        body = owner_client.get(url, follow=True).content.decode()
        assert not [mark for mark in MARKS if mark in body], url
