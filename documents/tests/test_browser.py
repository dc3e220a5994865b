"""The documents section in a real browser: two files chosen in the file
picker at once, uploaded, listed with a thumbnail and a PDF icon, one
deleted through its modal. Screenshots: test-artifacts/documents-*.png."""

import pytest
from playwright.sync_api import expect

from customers.tests import factories
from customers.tests.test_browser_address import login
from documents.models import CustomerDocument
from documents.tests import files

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def shoot(page, artifacts, name: str) -> None:
    for width, height in ((1280, 900), (390, 844)):
        page.set_viewport_size({"width": width, "height": height})
        page.evaluate("window.scrollTo(0, 0)")
        page.screenshot(path=str(artifacts / f"documents-{name}-{width}.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})


def test_staff_upload_two_files_through_the_picker(
    page, live_server, staff, password, artifacts, tmp_path, stored
):
    customer = factories.customer(first_name="Greta", last_name="Brillenträger")
    photo = tmp_path / "Fassung Rot.jpg"
    photo.write_bytes(files.jpeg(size=(800, 600), gps=True))
    scan = tmp_path / "Einwilligung.pdf"
    scan.write_bytes(files.pdf())
    login(page, live_server, staff, password)
    page.goto(f"{live_server.url}/customers/{customer.pk}/")
    section = page.locator("#customer-documents")
    expect(section.locator(".document-upload")).to_be_visible()  # loaded by htmx

    section.locator(".document-upload summary").click()
    with page.expect_file_chooser() as chooser:
        section.locator("input[type=file]").click()
    assert chooser.value.is_multiple()
    chooser.value.set_files([photo, scan])
    section.locator("select[name=document-kind]").select_option("frame_photo")
    section.locator("input[name=document-note]").fill("Rote Fassung, Kundin unsicher")
    section.locator("button[type=submit]").click()

    rows = page.locator("#customer-documents .document-row")
    expect(rows).to_have_count(2)
    expect(page.locator("#customer-documents")).to_contain_text("Fassung Rot.jpg")
    expect(page.locator("#customer-documents")).to_contain_text("Einwilligung.pdf")
    thumbnail = page.locator("#customer-documents .document-thumb img")
    expect(thumbnail).to_have_count(1)
    # The thumbnail loads through its checked view: 800 × 600 made 320 wide.
    expect(thumbnail).to_have_js_property("complete", True)
    expect(thumbnail).to_have_js_property("naturalWidth", 320)
    expect(page.locator("#messages")).not_to_be_empty()
    assert CustomerDocument.objects.filter(customer=customer).count() == 2
    assert len(stored()) == 3
    shoot(page, artifacts, "list")

    # The upload form with an error: a file that is no photo.
    fake = tmp_path / "rechnung.jpg"
    fake.write_bytes(files.HTML)
    section = page.locator("#customer-documents")
    section.locator(".document-upload summary").click()
    section.locator("input[type=file]").set_input_files([fake])
    section.locator("button[type=submit]").click()
    expect(page.locator("#customer-documents .field-error")).to_contain_text("rechnung.jpg")
    shoot(page, artifacts, "error")

    # Delete one through its modal.
    page.locator("#customer-documents .document-row", has_text="Einwilligung.pdf").locator(
        "[data-opens-modal]"
    ).click()
    modal = page.locator("#modal-content")
    expect(modal).to_contain_text("Einwilligung.pdf")
    modal.locator("button[type=submit]").click()
    expect(page.locator("#customer-documents .document-row")).to_have_count(1)
    assert CustomerDocument.objects.alive().filter(customer=customer).count() == 1
