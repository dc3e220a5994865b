"""Issue 27 in a real browser: the owner filters the customer list, takes
it as CSV (the file holds what the list shows) and is told when a list is
too long for an Excel file. Screenshots: test-artifacts/export-*.png."""

import csv
import io
from pathlib import Path

import pytest
from playwright.sync_api import expect

from customers.tests import factories
from customers.tests.test_browser_address import login
from opticrm.lib import export

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def owner_page(page, live_server, admin_user):
    for n in range(3):
        factories.customer(first_name="Grete", last_name=f"Müller{n}", town="München")
    factories.customer(first_name="Hans", last_name="Anders", town="Hamburg")
    return login(page, live_server, admin_user, "password")


def test_the_filtered_list_downloads_as_csv(owner_page, artifacts):
    page = owner_page
    page.fill("#filter_q", "müller")
    expect(page.locator("#customer-table tbody tr")).to_have_count(3)
    links = page.locator(".export-links")
    expect(links).to_contain_text("Exportieren:")
    for width, height in ((1280, 800), (390, 844)):
        page.set_viewport_size({"width": width, "height": height})
        page.screenshot(path=str(artifacts / f"export-links-{width}.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 800})
    with page.expect_download() as info:
        page.click("[data-export=csv]")
    download = info.value
    assert download.suggested_filename.startswith("kunden-")
    text = Path(download.path()).read_text(encoding="utf-8-sig")
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert sorted(row[4] for row in rows[1:]) == ["Müller0", "Müller1", "Müller2"]


def test_too_long_for_excel_says_so_on_the_list(owner_page, monkeypatch):
    monkeypatch.setattr(export, "XLSX_MAX_ROWS", 2)
    page = owner_page
    page.click("[data-export=xlsx]")
    expect(page.locator("#messages .alert-error")).to_contain_text("zu viele für eine Excel-Datei")
    expect(page.locator("#customer-table")).to_be_visible()
