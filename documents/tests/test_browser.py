"""The documents section in a real browser: two files chosen in the file
picker at once, uploaded, listed with their thumbnails (the PDF's first
page), one deleted through its modal and restored; files dropped on the
section, the frame worn named and corrected in the edit modal, the try-on
photos compared; the plain form without JavaScript. Screenshots:
test-artifacts/documents-*.png and /tmp/shots_docs/."""

import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from customers.tests import factories
from customers.tests.test_browser_address import login
from documents import services
from documents.models import CustomerDocument
from documents.tests import files
from products.tests.factories import product as make_product

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
        section.locator("input[name=document-files]").click()
    assert chooser.value.is_multiple()
    chooser.value.set_files([photo, scan])
    section.locator("select[name=document-kind]").select_option("frame_photo")
    section.locator("input[name=document-note]").fill("Rote Fassung, Kundin unsicher")
    section.locator(".document-upload button[type=submit]").click()

    rows = page.locator("#customer-documents .document-row")
    expect(rows).to_have_count(2)
    expect(page.locator("#customer-documents")).to_contain_text("Fassung Rot.jpg")
    expect(page.locator("#customer-documents")).to_contain_text("Einwilligung.pdf")
    thumbnails = page.locator("#customer-documents .document-thumb img")
    expect(thumbnails).to_have_count(2)  # the photo's and the PDF's first page
    # The thumbnail loads through its checked view: 800 × 600 made 320 wide.
    thumbnail = page.locator(".document-row", has_text="Fassung Rot.jpg").locator("img")
    expect(thumbnail).to_have_js_property("complete", True)
    expect(thumbnail).to_have_js_property("naturalWidth", 320)
    expect(page.locator("#messages")).not_to_be_empty()
    assert CustomerDocument.objects.filter(customer=customer).count() == 2
    assert len(stored()) == 4  # two files, two thumbnails
    shoot(page, artifacts, "list")

    # The upload form with an error: a file that is no photo.
    fake = tmp_path / "rechnung.jpg"
    fake.write_bytes(files.HTML)
    section = page.locator("#customer-documents")
    section.locator(".document-upload summary").click()
    section.locator("input[name=document-files]").set_input_files([fake])
    section.locator(".document-upload button[type=submit]").click()
    expect(page.locator("#customer-documents .field-error")).to_contain_text("rechnung.jpg")
    shoot(page, artifacts, "error")

    # Delete one through its modal.
    page.locator("#customer-documents .document-row", has_text="Einwilligung.pdf").locator(
        ".btn-danger-outline[data-opens-modal]"
    ).click()
    modal = page.locator("#modal-content")
    expect(modal).to_contain_text("Einwilligung.pdf")
    modal.locator("button[type=submit]").click()
    expect(page.locator("#customer-documents .document-row")).to_have_count(1)
    assert CustomerDocument.objects.alive().filter(customer=customer).count() == 1


SHOTS = Path("/tmp/shots_docs")


def shoot_both(page, name: str, *, full_page: bool = True) -> None:
    """Screenshots at a desk's and a phone's width, for people to look at."""
    SHOTS.mkdir(exist_ok=True)
    for width, height in ((1280, 900), (390, 844)):
        page.set_viewport_size({"width": width, "height": height})
        page.evaluate("window.scrollTo(0, 0)")
        page.screenshot(path=str(SHOTS / f"{name}-{width}.png"), full_page=full_page)
    page.set_viewport_size({"width": 1280, "height": 900})


def drop(page, target, named: dict[str, bytes]) -> None:
    """Files dropped onto ``target`` as a file manager drops them."""
    transfer = page.evaluate_handle(
        """(named) => {
            const transfer = new DataTransfer();
            for (const [name, bytes] of Object.entries(named)) {
                const type = name.endsWith(".pdf") ? "application/pdf" : "image/jpeg";
                transfer.items.add(new File([new Uint8Array(bytes)], name, { type }));
            }
            return transfer;
        }""",
        {name: list(data) for name, data in named.items()},
    )
    target.dispatch_event("dragover", {"dataTransfer": transfer})
    expect(page.locator("#customer-documents")).to_have_class(re.compile("is-dragover"))
    target.dispatch_event("drop", {"dataTransfer": transfer})


def test_drop_files_name_the_frames_and_compare(page, live_server, optician, password, stored):
    customer = factories.customer(first_name="Greta", last_name="Brillenträger")
    red = make_product(name="Air Titanium Rim", brand="Lindberg", sale_price=Decimal("389.00"))
    round_ = make_product(
        name="Mini Round", brand="Silhouette", sale_price=Decimal("199.00"), ean="4006381333931"
    )
    login(page, live_server, optician, password)
    page.goto(f"{live_server.url}/customers/{customer.pk}/")
    section = page.locator("#customer-documents")
    expect(section.locator(".document-upload")).to_be_visible()  # loaded by htmx

    # Two photos dropped on the section: the form opens with them chosen.
    drop(
        page,
        section.locator(".card-header"),
        {"rot.jpg": files.jpeg(size=(900, 600)), "rund.jpg": files.jpeg(size=(600, 900))},
    )
    upload = page.locator("#customer-documents .document-upload")
    expect(upload).to_have_attribute("open", "")
    expect(upload.locator("[data-drop-chosen]")).to_have_text("rot.jpg, rund.jpg")
    shoot_both(page, "documents-dropped")
    upload.locator("select[name=document-kind]").select_option("frame_photo")
    # The frame found by its name (a chain has thousands: a search, no list).
    upload.locator("input[name=frame_q]").fill("Air Tit")
    upload.get_by_label("Lindberg Air Titanium Rim").check()
    upload.locator("button[type=submit]").click()
    rows = page.locator("#customer-documents .document-row")
    expect(rows).to_have_count(2)
    expect(page.locator("#customer-documents")).to_contain_text("Lindberg Air Titanium Rim")
    assert CustomerDocument.objects.filter(customer=customer, product=red).count() == 2

    # The second photo showed the round frame: corrected in the edit modal.
    rows.filter(has_text="rund.jpg").get_by_role("link", name="Bearbeiten").click()
    modal = page.locator("#modal-content")
    # The frame named before is shown chosen; another found by scanning its EAN.
    expect(modal.get_by_label("Lindberg Air Titanium Rim")).to_be_checked()
    modal.locator("input[name=frame_q]").fill(round_.ean)
    modal.get_by_label("Silhouette Mini Round").check()
    modal.locator("input[name=edit-note]").fill("Kundin lächelt")
    shoot_both(page, "documents-edit-modal", full_page=False)
    modal.locator("button[type=submit]").click()
    expect(page.locator("#modal")).not_to_be_visible()
    expect(page.locator("#customer-documents")).to_contain_text("Silhouette Mini Round")
    expect(page.locator("#customer-documents")).to_contain_text("Kundin lächelt")
    shoot_both(page, "documents-list")

    # Both ticked and compared side by side, each with its frame and price.
    for box in page.locator("#customer-documents .document-pick input").all():
        box.check()
    page.locator("#documents-compare button[type=submit]").click()
    expect(page.locator(".try-on")).to_have_count(2)
    expect(page.locator(".try-on").first).to_contain_text("389,00")
    expect(page.locator(".try-on").last).to_contain_text("199,00")
    for image in page.locator(".try-on img").all():
        image.scroll_into_view_if_needed()
        expect(image).to_have_js_property("complete", True)
        assert image.evaluate("img => img.naturalWidth") > 0
    # Side by side on a desk; one at a time, swiped, on a phone.
    boxes = [figure.bounding_box() for figure in page.locator(".try-on").all()]
    assert boxes[0]["y"] == boxes[1]["y"] and boxes[0]["x"] < boxes[1]["x"]
    shoot_both(page, "documents-compare", full_page=False)
    page.set_viewport_size({"width": 390, "height": 844})
    grid = page.locator(".try-on-grid")
    assert grid.evaluate("g => g.scrollWidth > g.clientWidth")
    page.set_viewport_size({"width": 1280, "height": 900})


def test_delete_then_restore(page, live_server, staff, password, stored):
    customer = factories.customer(first_name="Rudi", last_name="Rückgängig")
    [document] = services.document_upload(
        customer_id=customer.pk,
        uploads=[services.Upload("einwilligung.pdf", files.pdf())],
        kind=CustomerDocument.Kind.CONSENT,
        document_date=timezone.localdate(),
    )
    login(page, live_server, staff, password)
    page.goto(f"{live_server.url}/customers/{customer.pk}/")
    row = page.locator("#customer-documents .document-row")
    expect(row).to_have_count(1)
    # The PDF's first page as its thumbnail.
    thumbnail = row.locator(".document-thumb img")
    expect(thumbnail).to_have_js_property("complete", True)
    expect(thumbnail).to_have_js_property("naturalHeight", 320)
    row.locator("[data-opens-modal]", has_text="Löschen").click()
    page.locator("#modal-content button[type=submit]").click()
    expect(page.locator("#customer-documents .document-row")).to_have_count(0)
    deleted = page.locator("#customer-documents .document-deleted")
    deleted.locator("summary").click()
    shoot_both(page, "documents-deleted")
    deleted.get_by_role("button", name="Wiederherstellen").click()
    expect(page.locator("#customer-documents .document-row")).to_have_count(1)
    expect(page.locator("#customer-documents .document-deleted")).to_have_count(0)
    document.refresh_from_db()
    assert document.deleted_at is None


def test_without_javascript_the_form_still_uploads(
    browser, live_server, staff, password, stored, tmp_path
):
    customer = factories.customer(first_name="Nora", last_name="Ohnescript")
    context = browser.new_context(java_script_enabled=False, locale="de-DE")
    page = context.new_page()
    try:
        page.goto(f"{live_server.url}/login/")
        page.fill("#id_username", staff.username)
        page.fill("#id_password", password)
        page.click("button[type=submit]")
        page.goto(f"{live_server.url}/documents/customers/{customer.pk}/")
        photo = tmp_path / "ohne.jpg"
        photo.write_bytes(files.jpeg())
        page.locator(".document-upload summary").click()
        page.locator("input[name=document-files]").set_input_files([photo])
        page.locator("select[name=document-kind]").select_option("other")
        page.locator(".document-upload button[type=submit]").click()
        expect(page.locator(".document-row")).to_have_count(1)
        expect(page.locator(".document-row")).to_contain_text("ohne.jpg")
    finally:
        context.close()


def test_the_placeholder_turns_into_the_thumbnail_the_worker_drew(
    page, live_server, staff, password, stored, settings, tmp_path
):
    settings.DOCUMENTS_THUMBNAIL_INLINE_MB = 0  # every PDF goes to the worker
    customer = factories.customer(first_name="Paula", last_name="Platzhalter")
    scan = tmp_path / "Scan gross.pdf"
    scan.write_bytes(files.pdf())
    login(page, live_server, staff, password)
    page.goto(f"{live_server.url}/customers/{customer.pk}/")
    section = page.locator("#customer-documents")
    section.locator(".document-upload summary").click()
    section.locator("input[name=document-files]").set_input_files([scan])
    section.locator("select[name=document-kind]").select_option("consent")
    section.locator(".document-upload button[type=submit]").click()
    expect(page.locator("#customer-documents .document-thumb-pending")).to_have_count(1)
    shoot_both(page, "documents-pending")
    # The worker draws the first page; the open page picks it up by itself.
    from django_tasks_db.models import DBTaskResult

    from documents.tasks import make_thumbnail

    for result in DBTaskResult.objects.filter(task_path__endswith=".make_thumbnail"):
        make_thumbnail.call(**result.args_kwargs["kwargs"])
    thumbnail = page.locator("#customer-documents .document-thumb img")
    expect(thumbnail).to_have_count(1, timeout=10_000)
    expect(thumbnail).to_have_js_property("complete", True)
    expect(thumbnail).to_have_js_property("naturalHeight", 320)
    expect(page.locator("#customer-documents .document-thumb-pending")).to_have_count(0)


def test_on_a_phone_the_camera_is_offered(browser, live_server, staff, password, stored):
    customer = factories.customer(first_name="Hanna", last_name="Handy")
    context = browser.new_context(
        locale="de-DE",
        timezone_id="Europe/Berlin",
        viewport={"width": 390, "height": 844},
        has_touch=True,
        is_mobile=True,
    )
    page = context.new_page()
    try:
        page.goto(f"{live_server.url}/login/")
        page.fill("#id_username", staff.username)
        page.fill("#id_password", password)
        page.click("button[type=submit]")
        page.wait_for_url(f"{live_server.url}/")
        page.goto(f"{live_server.url}/customers/{customer.pk}/")
        section = page.locator("#customer-documents")
        section.locator(".document-upload summary").click()
        camera = section.locator("input[name=document-camera]")
        expect(camera).to_be_visible()
        expect(camera).to_have_attribute("capture", "environment")
        expect(camera).to_have_attribute("accept", "image/*")
        section.scroll_into_view_if_needed()
        SHOTS.mkdir(exist_ok=True)
        page.screenshot(path=str(SHOTS / "documents-phone-camera-390.png"))
    finally:
        context.close()
