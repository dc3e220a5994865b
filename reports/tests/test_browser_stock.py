"""The stock report in a browser: reached by its tab, its charts and
tables, the period and the months changed by htmx, a download; at 1280
and 390 px."""

from decimal import Decimal as D
from pathlib import Path

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from customers.tests import factories as customer_factories
from invoices.tests.factories import ADDRESS
from products.models import Category
from reports.tests.factories import issued, stocked
from reports.tests.test_browser import owner_page, shot  # noqa: F401 (a fixture)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_stock_report_in_a_browser(owner_page, live_server, owner, artifacts):  # noqa: F811
    page = owner_page
    buyer = customer_factories.customer(**ADDRESS)
    made = [
        stocked(category=category, name=f"{label} {number}", purchase_price=D(price),
                sale_price=D(price) * 3, minimum_stock=minimum)
        for number, (category, label, price, minimum) in enumerate([
            (Category.FRAME, "Lindberg Air", "80.00", 2),
            (Category.FRAME, "Silhouette Titan", "120.00", 60),
            (Category.CONTACT_LENS, "Dailies", "12.34", 0),
            (Category.CARE, "AOSept Plus", "3.33", 100),
            (Category.SUNGLASSES, "Ray-Ban Wayfarer", "55.55", 0),
            (Category.ACCESSORY, "Etui", "1.11", 0),
        ])
    ]  # fmt: skip
    for ago, index, quantity in [(0, 0, 2), (0, 3, 5), (3, 1, 1), (40, 4, 1), (100, 3, 9)]:
        issued([{"product": made[index], "quantity": quantity}], user=owner, ago=ago,
               customer=buyer)  # fmt: skip

    page.goto(live_server.url + reverse("reports:revenue"))
    page.locator("[data-report=stock]").click()
    page.wait_for_url(live_server.url + reverse("reports:stock"))
    expect(page.locator("[data-report=stock]")).to_have_attribute("aria-current", "page")
    expect(page.locator("svg.bar-chart >> visible=true").first).to_be_visible()
    expect(page.locator("#stock-categories")).to_contain_text("Fassung")
    expect(page.locator("#stock-reorder")).to_contain_text("AOSept Plus")
    products_month = page.locator("#stock-abc-classes .report-total [data-cell=net]").inner_text()
    shot(page, artifacts, "reports-stock-1280")

    page.locator("[data-period=this_year]").click()
    expect(page.locator("[data-period=this_year]")).to_have_attribute("aria-current", "page")
    assert "period=this_year" in page.url
    expect(page.locator("#stock-abc-classes .report-total [data-cell=net]")).not_to_have_text(
        products_month
    )
    page.locator("[data-months='3']").click()
    expect(page.locator("[data-months='3']")).to_have_attribute("aria-current", "page")
    assert "months=3" in page.url and "period=this_year" in page.url
    shot(page, artifacts, "reports-stock-year-1280")

    with page.expect_download() as download:
        page.locator("[data-download=csv]").click()
    assert download.value.suggested_filename.endswith(".csv")
    content = Path(download.value.path()).read_text(encoding="utf-8-sig")
    assert ";" in content and "AOSept Plus" in content

    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(live_server.url + reverse("reports:stock") + "?period=this_year")
    expect(page.locator("h1")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    shot(page, artifacts, "reports-stock-390")
