"""The template preview in a real browser: the owner edits the SMS
reminder in the admin and the preview follows the typing (the customer's
name, one SMS becoming two past 160 characters, an unknown placeholder
shown as an error), nothing saved. Screenshots at 1280 and 390 px go to
``artifacts`` as ``template-preview-*.png``. Locators use ids, not German
labels, so the test does not depend on the catalog being compiled."""

import pytest
from playwright.sync_api import Page, expect

from appointments.tests import factories as appointment_factories
from customers.tests import factories as customer_factories
from messaging.models import Kind, MessageTemplate

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
SHORT = "Hallo {vorname}, bis {termin_datum} um {termin_uhrzeit}. {filiale}, Tel. {telefon}"


@pytest.fixture
def reminder(settings) -> MessageTemplate:
    """The seeded SMS reminder (conftest's reference_data seeds it again for
    transactional tests)."""
    settings.SHOP_NAME = "Augenoptik Sehgut"
    settings.SHOP_PHONE = "089 1234567"
    return MessageTemplate.objects.get(kind=Kind.REMINDER, channel="sms")


@pytest.fixture
def customer(owner):
    customer = customer_factories.customer(first_name="Greta", last_name="Öztürk")
    appointment_factories.appointment(staff=owner, customer=customer)
    return customer


@pytest.fixture
def owner_page(page: Page, live_server, owner, password) -> Page:
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", owner.username)
    page.fill("#id_password", password)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")  # the start page (Heute)
    page.goto(f"{live_server.url}/customers/")
    return page


def settled(page: Page) -> None:
    """htmx has answered and swapped the preview."""
    expect(page.locator(".htmx-request, .htmx-swapping, .htmx-settling")).to_have_count(0)


def test_the_preview_follows_the_typing(
    owner_page: Page, live_server, reminder, customer, artifacts
):
    page = owner_page
    errors: list[str] = []
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    page.goto(f"{live_server.url}/admin/messaging/messagetemplate/{reminder.pk}/change/")
    preview = page.locator("#template-preview")
    sms = preview.locator("#template-preview-sms")
    expect(page.locator("#id_preview_customer")).to_have_value(str(customer.pk))
    expect(sms).to_have_attribute("data-parts", "1")

    body = page.locator("#id_body")
    body.fill("")
    body.press_sequentially(SHORT)
    expect(preview.locator("#template-preview-text")).to_contain_text("Hallo Greta, bis ")
    expect(preview.locator("#template-preview-text")).to_contain_text("Augenoptik Sehgut")
    expect(sms).to_have_attribute("data-parts", "1")
    settled(page)
    page.screenshot(path=artifacts / "template-preview-desktop.png", full_page=True)

    # Past 160 characters: two SMS.
    characters = int(sms.get_attribute("data-characters"))
    body.press_sequentially(" " + "x" * (160 - characters))
    expect(sms).to_have_attribute("data-characters", "161")
    expect(sms).to_have_attribute("data-parts", "2")
    settled(page)
    page.screenshot(path=artifacts / "template-preview-two-sms-desktop.png", full_page=True)

    # An unknown placeholder: the error instead of a preview.
    body.press_sequentially(" {foo}")
    error = preview.locator("#template-preview-errors")
    expect(error).to_contain_text("{foo}")
    expect(preview.locator("#template-preview-output")).to_have_count(0)
    settled(page)
    page.screenshot(path=artifacts / "template-preview-error-desktop.png", full_page=True)

    # Another customer: the preview follows the choice.
    other = customer_factories.customer(first_name="Karl", last_name="Bäcker")
    body.fill(SHORT)
    expect(preview.locator("#template-preview-text")).to_contain_text("Hallo Greta")
    page.reload()
    page.locator("#id_body").fill(SHORT)
    page.locator("#id_preview_customer").select_option(str(other.pk))
    expect(preview.locator("#template-preview-text")).to_contain_text("Hallo Karl")

    # Nothing of it was saved.
    reminder.refresh_from_db()
    assert "{vorname}" not in reminder.body

    page.set_viewport_size(PHONE)
    # A long word (a link) and an emoji: UCS-2, in parts of 67.
    page.locator("#id_body").fill(SHORT + " 👓 https://example.invalid/" + "a" * 120)
    expect(sms).to_have_attribute("data-encoding", "UCS-2")
    expect(sms).to_have_attribute("data-parts", "4")
    settled(page)
    # Nothing sticks out sideways at phone width.
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], width
    box = preview.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], box
    preview.scroll_into_view_if_needed()
    page.screenshot(path=artifacts / "template-preview-phone.png", full_page=True)
    assert not errors, errors


def test_the_preview_of_a_recall_email(
    owner_page: Page, live_server, reminder, customer, artifacts
):
    recall = MessageTemplate.objects.get(kind=Kind.RECALL_EYE_TEST, channel="email")
    page = owner_page
    page.set_viewport_size(PHONE)
    page.goto(f"{live_server.url}/admin/messaging/messagetemplate/{recall.pk}/change/")
    text = page.locator("#template-preview-text")
    expect(text).to_contain_text("/messaging/abmelden/")
    expect(page.locator("#template-preview-subject")).to_be_visible()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], width
    page.screenshot(path=artifacts / "template-preview-recall-phone.png", full_page=True)
    page.set_viewport_size(DESKTOP)
    page.screenshot(path=artifacts / "template-preview-recall-desktop.png", full_page=True)
