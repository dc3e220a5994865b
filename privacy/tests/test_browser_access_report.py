"""The access report in a real browser (issue 27): an optician opens a
customer's page, finds the section "Datenschutz" and downloads the report
as PDF and JSON. Screenshots: test-artifacts/access-report-*.png."""

import json
from pathlib import Path

import pytest
from playwright.sync_api import expect

from customers.tests import factories
from customers.tests.test_browser_address import login
from prescriptions.tests.factories import refraction
from privacy.models import AccessReport

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_optician_downloads_the_access_report(page, live_server, optician, password, artifacts):
    customer = factories.customer(first_name="Grete", last_name="Öztürk")
    refraction(customer, optician)
    login(page, live_server, optician, password)
    page.goto(f"{live_server.url}/customers/{customer.pk}/")
    section = page.locator("#customer-privacy")
    expect(section).to_contain_text("Datenschutz")
    for width, height in ((1280, 900), (390, 844)):
        page.set_viewport_size({"width": width, "height": height})
        section.scroll_into_view_if_needed()
        page.screenshot(path=str(artifacts / f"access-report-{width}.png"))
    with page.expect_download() as info:
        section.locator("[data-access-report=pdf]").click()
    assert info.value.suggested_filename.startswith(f"datenauskunft-{customer.pk}-")
    assert Path(info.value.path()).read_bytes().startswith(b"%PDF")
    with page.expect_download() as info:
        section.locator("[data-access-report=json]").click()
    data = json.loads(Path(info.value.path()).read_text(encoding="utf-8"))
    assert data["parts"]["master_data"]["records"][0]["fields"]["last_name"]["value"] == "Öztürk"
    assert AccessReport.objects.count() == 2
