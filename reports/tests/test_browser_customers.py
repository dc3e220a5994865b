"""The customer report in a browser: reached by its tab, the bars of the
new customers, the pies with their tables, the period changed by htmx, a
download; at 1280 and 390 px."""

import datetime
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from customers.models import Customer, InsuranceProvider
from customers.tests import factories as customer_factories
from reports import services
from reports.tests.test_browser import owner_page, shot  # noqa: F401 (a fixture)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_customer_report_in_a_browser(owner_page, live_server, artifacts):  # noqa: F811
    page = owner_page
    kinds = list(InsuranceProvider.Kind)
    insurers = [
        InsuranceProvider.objects.get_or_create(name=name, defaults={"kind": kinds[n % 3]})[0]
        for n, name in enumerate(
            ["AOK Bayern", "Techniker Krankenkasse", "Allianz Privat", "BARMER"]
        )
    ]
    now = timezone.now()
    for number in range(24):
        customer = customer_factories.customer(
            last_name=f"Kunde{number}",
            date_of_birth=datetime.date(1940 + number * 3, 3, 1),
            insurance_provider=insurers[number % 5] if number % 5 < 4 else None,
            status=[Customer.Status.ACTIVE, Customer.Status.INACTIVE, Customer.Status.PROSPECT][
                number % 3
            ],
        )
        Customer.objects.filter(pk=customer.pk).update(
            created_at=now - datetime.timedelta(days=number * 17)
        )
    services.customer_figures_refresh()

    page.goto(live_server.url + reverse("reports:revenue"))
    page.locator("[data-report=customers]").click()
    page.wait_for_url(live_server.url + reverse("reports:customers"))
    expect(page.locator("[data-report=customers]")).to_have_attribute("aria-current", "page")
    expect(page.locator("svg.bar-chart >> visible=true")).to_be_visible()
    expect(page.locator("svg.pie-chart")).to_have_count(3)
    expect(page.locator("#customers-insurers")).to_contain_text("AOK Bayern")
    expect(page.locator("#total-customers")).to_have_text("24")
    new_this_month = page.locator("#total-new strong").inner_text()
    shot(page, artifacts, "reports-customers-1280")

    page.locator("[data-period=this_year]").click()
    expect(page.locator("[data-period=this_year]")).to_have_attribute("aria-current", "page")
    assert "period=this_year" in page.url
    expect(page.locator("#total-new strong")).not_to_have_text(new_this_month)
    shot(page, artifacts, "reports-customers-year-1280")

    with page.expect_download() as download:
        page.locator("[data-download=csv]").click()
    assert download.value.suggested_filename.endswith(".csv")
    content = Path(download.value.path()).read_text(encoding="utf-8-sig")
    assert ";" in content and "AOK Bayern" in content

    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(live_server.url + reverse("reports:customers") + "?period=this_year")
    expect(page.locator("h1")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    shot(page, artifacts, "reports-customers-390")
