"""The Content-Security-Policy forbids inline script: every screen, the
admin and the API docs work under it without a single violation."""

import pytest

from appointments.tests.factories import appointment, at, calendar_for
from customers.tests import factories
from prescriptions.tests.factories import refraction
from products.tests.factories import product

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_no_screen_breaks_the_content_security_policy(page, live_server, owner, password):
    violations = []
    page.on(
        "console",
        lambda message: (
            violations.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    calendar_for(owner)
    customer = factories.customer(last_name="Weber")
    appointment(staff=owner, customer=customer, start=at(10))
    frame = product()
    card = refraction(customer, owner)
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", owner.username)
    page.fill("#id_password", password)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")  # the start page (Heute)
    page.goto(f"{live_server.url}/customers/")
    # The filter bar still filters without eval: a select's change.
    page.select_option("#filter_status", "inactive")
    page.wait_for_url("**status=inactive**")
    for path in (
        f"/customers/{customer.pk}/",
        "/appointments/",
        "/appointments/day/?date=2027-03-01",
        "/appointments/week/?date=2027-03-01",
        "/appointments/subscription/",
        "/products/",
        f"/products/{frame.pk}/",
        "/products/reorder/",
        f"/prescriptions/refractions/{card.pk}/card/",
        "/password/change/",
        "/admin/",
        "/admin/customers/customer/",
        f"/admin/customers/customer/{customer.pk}/change/",
        "/admin/appointments/appointment/add/",
        "/api/v1/docs",
    ):
        response = page.goto(f"{live_server.url}{path}")
        assert response.status == 200, path
        assert "script-src 'self'" in response.headers["content-security-policy"], path
        page.wait_for_load_state("networkidle")
    # The calendar's date field submits by itself (an inline handler before).
    page.goto(f"{live_server.url}/appointments/day/?date=2027-03-01")
    page.fill("#calendar-date", "2027-03-02")
    page.dispatch_event("#calendar-date", "change")
    page.wait_for_url("**date=2027-03-02**")
    assert violations == []
