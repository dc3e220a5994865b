"""Issue 27 in a real browser: the owner finds "Alle Daten exportieren" on
the import page, starts the export, watches the page notice by itself that
the worker has finished (run in the test: run_queued_exports) and
downloads the ZIP. Screenshots: test-artifacts/full-export-*.png."""

import io
import zipfile
from pathlib import Path

import pytest
from playwright.sync_api import expect

from customers.tests import factories
from customers.tests.test_browser_address import login
from privacy.models import DataExport
from privacy.tests.test_full_export import csv_rows, run_queued_exports

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def media(settings, tmp_path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def shoot(page, artifacts: Path, name: str) -> None:
    for width, height in ((1280, 900), (390, 844)):
        page.set_viewport_size({"width": width, "height": height})
        page.evaluate("window.scrollTo(0, 0)")
        page.screenshot(path=str(artifacts / f"full-export-{name}-{width}.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})


def test_the_owner_exports_all_data_and_downloads_the_zip(
    page, live_server, owner, password, artifacts
):
    factories.customer(first_name="Grete", last_name="Öztürk", town="Köln")
    login(page, live_server, owner, password)
    page.goto(f"{live_server.url}/imports/")
    page.click("[data-export-all]")
    expect(page.locator("[data-start-export]")).to_be_visible()
    shoot(page, artifacts, "page")

    page.click("[data-start-export]")
    expect(page.locator("[data-export-active]")).to_be_visible()
    expect(page.locator("[data-start-export]")).to_have_count(0)
    expect(page.locator("tr[data-state=queued]")).to_have_count(1)
    shoot(page, artifacts, "running")
    assert run_queued_exports() == 1
    # The page notices by itself that the file is ready.
    expect(page.locator("[data-download]")).to_be_visible(timeout=10_000)
    expect(page.locator("[data-start-export]")).to_be_visible()
    shoot(page, artifacts, "ready")

    export = DataExport.objects.get()
    with page.expect_download() as info:
        page.click("[data-download]")
    assert info.value.suggested_filename == export.filename
    content = Path(info.value.path()).read_bytes()
    zip_file = zipfile.ZipFile(io.BytesIO(content))
    assert "LIESMICH.txt" in zip_file.namelist()
    (customer,) = csv_rows(zip_file, "customers_customer")
    assert (customer["last_name"], customer["town"]) == ("Öztürk", "Köln")
