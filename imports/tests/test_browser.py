"""Issue 27 in a real browser: the owner uploads the old system's export,
checks the assignment, watches the test run, imports and downloads the
report. The worker's part runs in the test (run_queued_imports) while the
page polls. Screenshots: test-artifacts/import-*.png."""

import csv
import datetime
import io
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from customers.models import Customer
from customers.tests.test_browser_address import login
from imports.models import ImportJob
from imports.tests.helpers import HEADER, csv_bytes, run_queued_imports

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ROWS = [
    ["4711", "Frau", "Erika", "Mustermann", "03.04.1961", "030 1234567", "e@example.org", "Köln"],
    ["4712", "Herr", "Max", "Fehler", "31.02.1970", "", "", ""],
    ["4713", "Herr", "Hans", "Schmidt", "1.2.55", "", "", "Bonn"],
]


def shoot(page, artifacts: Path, name: str) -> None:
    for width, height in ((1280, 800), (390, 844)):
        page.set_viewport_size({"width": width, "height": height})
        page.evaluate("window.scrollTo(0, 0)")
        page.screenshot(path=str(artifacts / f"import-{name}-{width}.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 800})


def test_upload_assign_test_run_import_and_report(
    page, live_server, owner, password, artifacts, tmp_path
):
    login(page, live_server, owner, password)
    page.get_by_role("button", name="Mehr").click()
    page.click("nav >> text=Import")
    expect(page.locator("h1")).to_have_text("Import")
    bad = tmp_path / "bild.csv"
    bad.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00")
    page.set_input_files("#id_file", str(bad))
    page.click("[data-upload]")
    expect(page.locator(".field-error")).to_contain_text("weder eine CSV-Textdatei")
    shoot(page, artifacts, "upload")

    good = tmp_path / "optiplan-export.csv"
    good.write_bytes(csv_bytes([HEADER, *ROWS], encoding="cp1252"))
    page.set_input_files("#id_file", str(good))
    page.click("[data-upload]")
    expect(page.locator("h1")).to_have_text("optiplan-export.csv")
    expect(page.locator(".page-intro")).to_contain_text("Kunden · 3 Zeilen")
    # The guess took "Ort"; the owner leaves the town out.
    expect(page.locator("#id_column_7")).to_have_value("town")
    page.select_option("#id_column_7", "")
    page.fill("#id_save_as", "Optiplan")
    shoot(page, artifacts, "mapping")
    page.click("[data-test-run]")

    expect(page.locator(".import-progress h2")).to_have_text("Probelauf läuft")
    job = ImportJob.objects.get()
    ImportJob.objects.filter(pk=job.pk).update(
        rows_done=1, started_at=timezone.now() - datetime.timedelta(seconds=20)
    )
    expect(page.locator(".import-progress")).to_contain_text("1 von 3 Zeilen")
    shoot(page, artifacts, "progress")
    ImportJob.objects.filter(pk=job.pk).update(rows_done=0)
    run_queued_imports()
    # The page notices by itself that the run is over.
    expect(page.locator(".import-result h2")).to_have_text("Probelauf fertig", timeout=10_000)
    expect(page.locator("[data-outcome=new]")).to_have_text("neu: 2")
    expect(page.locator("[data-outcome=error]")).to_have_text("Fehler: 1")
    expect(page.locator("tr[data-row='3']")).to_contain_text(
        "Geburtsdatum: Bitte ein gültiges Datum eingeben."
    )
    shoot(page, artifacts, "checked")
    assert not Customer.objects.exists()

    page.click("[data-outcome=error]")
    expect(page.locator(".import-report tbody tr")).to_have_count(1)
    page.click("[data-start-import]")
    expect(page.locator(".import-progress h2")).to_have_text("Import läuft")
    run_queued_imports()
    expect(page.locator(".import-result h2")).to_have_text("Import fertig", timeout=10_000)
    shoot(page, artifacts, "done")
    assert sorted(Customer.objects.values_list("last_name", "town")) == [
        ("Mustermann", ""),
        ("Schmidt", ""),
    ]

    with page.expect_download() as info:
        page.click("[data-export=csv]")
    download = info.value
    assert download.suggested_filename.startswith("importbericht-")
    rows = list(
        csv.reader(io.StringIO(Path(download.path()).read_text("utf-8-sig")), delimiter=";")
    )
    assert [row[:2] for row in rows] == [
        ["Zeile", "Ergebnis"],
        ["2", "neu"],
        ["3", "Fehler"],
        ["4", "neu"],
    ]
    page.click("a:has-text('Mustermann'), .import-report tbody tr[data-row='2'] a")
    expect(page.locator("h1")).to_contain_text("Erika Mustermann")
