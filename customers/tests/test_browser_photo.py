"""The customer photo in a real browser: chosen in the file picker with the
square moved and made smaller, taken with the camera (Chromium's fake
camera) on a phone's width, refused when it is no photo, removed; then
shown in the list's photo column and the appointment modal. Screenshots:
test-artifacts/photo-*.png (and PHOTO_SHOTS, if set)."""

import io
import os
import re
import shutil
from pathlib import Path

import pytest
from PIL import Image
from playwright.sync_api import expect

from appointments.tests.factories import appointment, at, calendar_for, working_day
from customers.models import Customer
from customers.tests import factories
from customers.tests.test_browser_address import login
from customers.tests.test_photo import jpeg

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
DESK = {"width": 1280, "height": 900}


@pytest.fixture(autouse=True)
def stored(settings, tmp_path):
    location = tmp_path / "documents"
    settings.STORAGES = {
        **settings.STORAGES,
        "documents": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": location, "base_url": "/no-public-url/"},
        },
    }

    def names() -> list[str]:
        if not location.exists():
            return []
        return sorted(str(p.relative_to(location)) for p in location.rglob("*") if p.is_file())

    return names


@pytest.fixture(scope="module")
def camera_browser(browser):
    """A Chromium of its own with a fake camera that needs no permission
    click: the other tests' browser stays as it is."""
    launched = browser.browser_type.launch(
        executable_path=os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"),
        args=[
            "--no-sandbox",
            "--disable-gpu",
            "--lang=de-DE",
            "--use-fake-device-for-media-stream",
            "--use-fake-ui-for-media-stream",
        ],
    )
    yield launched
    launched.close()


@pytest.fixture
def phone_page(camera_browser):
    context = camera_browser.new_context(
        locale="de-DE", timezone_id="Europe/Berlin", viewport=PHONE, has_touch=True
    )
    context.set_default_timeout(10_000)
    yield context.new_page()
    context.close()


def shoot(page, artifacts, name: str, *, full_page=True) -> None:
    """Both widths; the viewport is put back as it was."""
    before = page.viewport_size
    extra = os.environ.get("PHOTO_SHOTS")
    for size in (DESK, PHONE):
        page.set_viewport_size(size)
        page.wait_for_timeout(0)
        path = artifacts / f"photo-{name}-{size['width']}.png"
        page.screenshot(path=str(path), full_page=full_page)
        if extra:
            Path(extra).mkdir(parents=True, exist_ok=True)
            shutil.copy(path, Path(extra) / path.name)
    page.set_viewport_size(before)


def loaded_width(locator) -> int:
    expect(locator).to_have_js_property("complete", True)
    return locator.evaluate("image => image.naturalWidth")


def test_photo_chosen_in_the_picker_cropped_and_removed(
    page, live_server, staff, password, artifacts, tmp_path, stored
):
    customer = factories.customer(first_name="Greta", last_name="Brillenträger")
    login(page, live_server, staff, password)
    page.goto(f"{live_server.url}/customers/{customer.pk}/")
    expect(page.locator(".customer-photo-none")).to_have_text("GB")

    page.locator("[data-photo-upload]").click()
    modal = page.locator("#modal-content")
    expect(modal.locator("[data-photo-form]")).to_be_visible()
    # A landscape photo, left half red, right half green.
    file = tmp_path / "Kundin.jpg"
    file.write_bytes(jpeg(size=(800, 600), gps=True))
    modal.locator("[data-photo-input]").set_input_files(file)
    expect(modal.locator("[data-photo-crop]")).to_be_visible()
    # The middle square first, then half as large, dragged to the left edge.
    expect(modal.locator("[name=crop_size]")).to_have_value("600")
    modal.locator("[data-crop-zoom]").fill("50")
    expect(modal.locator("[name=crop_size]")).to_have_value("300")
    frame = modal.locator("[data-crop-frame]").bounding_box()
    middle = (frame["x"] + frame["width"] / 2, frame["y"] + frame["height"] / 2)
    page.mouse.move(*middle)
    page.mouse.down()
    page.mouse.move(middle[0] - frame["width"], middle[1], steps=5)
    page.mouse.up()
    expect(modal.locator("[name=crop_x]")).to_have_value("0")
    # The keyboard moves it too: down by a tenth of its side, and back.
    modal.locator("[data-crop-frame]").focus()
    before = int(modal.locator("[name=crop_y]").input_value())
    page.keyboard.press("ArrowDown")
    expect(modal.locator("[name=crop_y]")).to_have_value(str(before + 30))
    page.keyboard.press("ArrowUp")
    expect(modal.locator("[name=crop_y]")).to_have_value(str(before))
    shoot(page, artifacts, "crop", full_page=False)

    modal.locator("button[type=submit]").click()
    expect(page.locator("#modal")).not_to_be_visible()
    photo = page.locator("img.customer-photo")
    expect(photo).to_be_visible()
    assert loaded_width(photo) == 512
    # (German once the catalogue has it: either says the photo was saved.)
    expect(page.locator("#messages")).to_contain_text(re.compile("Foto|Photo"))
    customer.refresh_from_db()
    assert len(stored()) == 2
    # The square cut at the left: red only.
    with open(stored_path(tmp_path, customer.photo), "rb") as handle:
        kept = Image.open(io.BytesIO(handle.read()))
        assert kept.getpixel((500, 256))[0] > 200
        assert not kept.getexif()
    shoot(page, artifacts, "page")

    # No photo: a page pretending to be one is refused in the modal.
    page.locator("[data-photo-upload]").click()
    fake = tmp_path / "bild.jpg"
    fake.write_bytes(b"<!DOCTYPE html><html><script>alert(1)</script></html>")
    modal.locator("[data-photo-input]").set_input_files(fake)
    modal.locator("button[type=submit]").click()
    expect(modal.locator(".field-error")).to_be_visible()
    shoot(page, artifacts, "error", full_page=False)
    modal.locator("[data-close-modal]").first.click()
    expect(page.locator("#modal")).not_to_be_visible()
    assert len(stored()) == 2

    page.locator("[data-photo-remove]").click()
    modal.locator("button[type=submit]").click()
    expect(page.locator(".customer-photo-none")).to_be_visible()
    assert Customer.objects.get(pk=customer.pk).photo == ""
    assert stored() == []


def stored_path(tmp_path, key: str) -> Path:
    return tmp_path / "documents" / key


def test_photo_taken_with_the_camera_on_a_phone(
    phone_page, live_server, staff, password, artifacts, stored
):
    page = phone_page
    customer = factories.customer(first_name="Kai", last_name="Kamera")
    login(page, live_server, staff, password)
    page.goto(f"{live_server.url}/customers/{customer.pk}/")
    page.locator("[data-photo-camera-open]").click()
    modal = page.locator("#modal-content")
    video = modal.locator("[data-camera-video]")
    expect(video).to_be_visible()
    page.wait_for_function("() => document.querySelector('[data-camera-video]').videoWidth > 0")
    shoot(page, artifacts, "camera", full_page=False)
    modal.locator("[data-camera-take]").click()
    # The frame is encoded as a JPEG, read back as a data URL and decoded
    # in the browser before the crop shows: seconds on a loaded CI machine
    # (once over the default 5 s while both cores ran the other tests).
    expect(modal.locator("[data-photo-crop]")).to_be_visible(timeout=20_000)
    expect(video).not_to_be_visible()
    assert modal.locator("[data-photo-input]").evaluate("input => input.files.length") == 1
    shoot(page, artifacts, "camera-crop", full_page=False)
    modal.locator("button[type=submit]").click()
    expect(page.locator("#modal")).not_to_be_visible()
    photo = page.locator("img.customer-photo")
    expect(photo).to_be_visible()
    assert loaded_width(photo) == 512
    assert len(stored()) == 2
    shoot(page, artifacts, "camera-page")


def test_without_a_camera_a_message_and_the_upload_still_works(
    page, live_server, staff, password, artifacts, tmp_path, stored
):
    """The default browser has no camera device: a German message."""
    customer = factories.customer(first_name="Ohne", last_name="Kamera")
    login(page, live_server, staff, password)
    page.goto(f"{live_server.url}/customers/{customer.pk}/")
    page.locator("[data-photo-camera-open]").click()
    modal = page.locator("#modal-content")
    expect(modal.locator("[data-photo-message]")).to_contain_text(re.compile("[Kk]amera|camera"))
    file = tmp_path / "k.png"
    out = io.BytesIO()
    Image.new("RGB", (300, 200), "blue").save(out, "PNG")
    file.write_bytes(out.getvalue())
    modal.locator("[data-photo-input]").set_input_files(file)
    modal.locator("button[type=submit]").click()
    expect(page.locator("img.customer-photo")).to_be_visible()
    assert len(stored()) == 2


def test_photos_in_the_list_and_the_appointment_modal(
    page, live_server, staff, password, artifacts, stored
):
    from customers import services

    calendar_for(staff)
    with_photo = factories.customer(first_name="Paula", last_name="Abbild")
    factories.customer(first_name="Otto", last_name="Ohnebild")
    services.customer_photo_set(customer_id=with_photo.pk, data=jpeg(size=(400, 300)))
    day = working_day()
    booked = appointment(staff=staff, customer=with_photo, start=at(10, day=day))
    login(page, live_server, staff, password)
    expect(page.locator("img.photo-thumb")).to_have_count(0)
    page.locator("#filter_photos").check()
    thumb = page.locator("img.photo-thumb")
    expect(thumb).to_have_count(1)
    assert loaded_width(thumb) == 96
    expect(page.locator(".photo-thumb-none")).to_have_text("OO")
    assert "photos=1" in page.url
    shoot(page, artifacts, "list")

    page.goto(f"{live_server.url}/appointments/day/?date={day:%Y-%m-%d}")
    block = page.locator(f"#appointment-{booked.pk}")
    expect(block.locator("img.appointment-thumb")).to_have_count(1)
    assert loaded_width(block.locator("img.appointment-thumb")) == 96
    shoot(page, artifacts, "calendar", full_page=False)
    block.click()
    modal_photo = page.locator("#modal-content img[data-customer-photo]")
    expect(modal_photo).to_be_visible()
    assert loaded_width(modal_photo) == 96
    shoot(page, artifacts, "appointment", full_page=False)
