"""The revenue report in a browser: opened from the menu, its chart and
tables, the period changed by htmx, a download; at 1280 and 390 px."""

from pathlib import Path

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from appointments.tests.test_browser_list import settled
from reports.tests.factories import issued, products

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def owner_page(page, live_server, owner, password):
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", owner.username)
    page.fill("#id_password", password)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")
    return page


def shot(page, artifacts, name: str) -> None:
    settled(page)
    page.screenshot(path=artifacts / f"{name}.png", full_page=True)


def test_the_revenue_report_in_a_browser(owner_page, live_server, owner, staff, artifacts):
    page = owner_page
    stock = products()
    for ago, item, user in [
        (0, "frame", owner), (0, "care", staff), (1, "sunglasses", staff),
        (3, "contact_lens", owner), (40, "frame", staff), (100, "accessory", owner),
        (365, "frame", owner), (370, "sunglasses", staff),
    ]:  # fmt: skip
        issued([{"product": stock[item]}], user=user, ago=ago)

    page.locator("[data-nav-more-toggle]").click()
    page.locator("[data-nav=reports]").click()
    page.wait_for_url(live_server.url + reverse("reports:revenue"))
    expect(page.locator("svg.bar-chart >> visible=true")).to_be_visible()
    expect(page.locator("#revenue-groups")).to_contain_text("209,24")
    month_net = page.locator("#total-net").inner_text()
    shot(page, artifacts, "reports-revenue-1280")

    page.locator("[data-period=this_year]").click()
    expect(page.locator("[data-period=this_year]")).to_have_attribute("aria-current", "page")
    expect(page.locator("[data-group=month]")).to_have_attribute("aria-current", "page")
    assert "period=this_year" in page.url
    expect(page.locator("#total-net")).not_to_have_text(month_net)
    expect(page.locator("#revenue-staff tbody tr")).to_have_count(3)  # two and the total
    shot(page, artifacts, "reports-revenue-year-1280")

    settled(page)
    page.locator("#id_since").fill("1.1.2000")
    page.locator("#id_until").fill("31.02.2000")
    page.locator("#id_until").press("Enter")
    expect(page.locator("#range-error")).to_be_visible()

    with page.expect_download() as download:
        page.locator("[data-download=csv]").click()
    assert download.value.suggested_filename.endswith(".csv")
    content = Path(download.value.path()).read_text(encoding="utf-8-sig")
    assert ";" in content and "209,24" in content

    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(live_server.url + reverse("reports:revenue") + "?period=this_year")
    expect(page.locator("h1")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    shot(page, artifacts, "reports-revenue-390")
