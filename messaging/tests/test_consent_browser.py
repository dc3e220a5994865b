"""Consents in a real browser: record one in the modal on the customer
page (the wording follows the purpose), the second one refused at its
field, withdraw it. Screenshots at 1280 and 390 px go to ``artifacts`` as
``consent-*.png``. Locators use ids and hrefs, not German labels, so the
test does not depend on the catalog being compiled."""

import pytest
from playwright.sync_api import Page, expect

from customers.tests import factories as customer_factories
from messaging import selectors
from messaging.models import Consent

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


def settled(page: Page) -> None:
    """htmx has swapped and set up the new content (its listeners too)."""
    expect(page.locator(".htmx-request, .htmx-swapping, .htmx-settling")).to_have_count(0)


def choose(page: Page, select: str, value: str) -> None:
    """Choose in a select of the modal; the form comes back with the wording."""
    settled(page)
    page.locator(f"dialog#modal {select}").select_option(value)
    page.wait_for_timeout(50)  # (the request starts on the change event)
    settled(page)


@pytest.fixture
def customer():
    return customer_factories.customer(
        first_name="Greta", last_name="Öztürk", email="greta@example.de", phone="0151 23456789"
    )


def test_record_and_withdraw_a_consent(logged_in_page: Page, live_server, customer, artifacts):
    page = logged_in_page
    page.goto(f"{live_server.url}/customers/{customer.pk}/")
    section = page.locator("#customer-consents")
    expect(section).to_be_visible()
    section.locator(f'a[href="/messaging/customers/{customer.pk}/consents/new/"]').click()
    dialog = page.locator("dialog#modal")
    expect(dialog).to_be_visible()
    text = dialog.locator("#id_text")
    expect(text).to_have_value(str(selectors.default_text("email", "marketing")))
    # Another channel and purpose: the wording follows.
    choose(page, "#id_channel", "sms")
    expect(text).to_have_value(str(selectors.default_text("sms", "marketing")))
    choose(page, "#id_purpose", "service")
    expect(text).to_have_value(str(selectors.default_text("sms", "service")))
    dialog.locator("#id_method").select_option("written")
    page.screenshot(path=artifacts / "consent-modal-desktop.png")
    dialog.locator("button[type=submit]").click()
    expect(dialog).to_be_hidden()
    expect(section.locator("tr.consent-active")).to_have_count(1)
    consent = Consent.objects.get()
    assert (consent.channel, consent.purpose, consent.method) == ("sms", "service", "written")

    # The same again: refused at the purpose, in the modal.
    section.locator(f'a[href="/messaging/customers/{customer.pk}/consents/new/"]').click()
    expect(dialog).to_be_visible()
    choose(page, "#id_channel", "sms")
    choose(page, "#id_purpose", "service")
    expect(text).to_have_value(str(selectors.default_text("sms", "service")))
    dialog.locator("button[type=submit]").click()
    expect(dialog.locator("#id_purpose_error")).to_be_visible()
    page.screenshot(path=artifacts / "consent-modal-error-desktop.png")
    # An email consent for recall is another one.
    choose(page, "#id_channel", "email")
    choose(page, "#id_purpose", "marketing")
    expect(text).to_have_value(str(selectors.default_text("email", "marketing")))
    dialog.locator("button[type=submit]").click()
    expect(dialog).to_be_hidden()
    expect(section.locator("tr.consent-active")).to_have_count(2)
    page.screenshot(path=artifacts / "consent-section-desktop.png", full_page=True)

    # Withdraw the SMS one.
    section.locator(f'a[href="/messaging/consents/{consent.pk}/withdraw/"]').click()
    expect(dialog).to_be_visible()
    dialog.locator("#id_withdrawal_method").select_option("phone")
    page.screenshot(path=artifacts / "consent-withdraw-desktop.png")
    dialog.locator("button[type=submit]").click()
    expect(dialog).to_be_hidden()
    expect(section.locator("tr.consent-active")).to_have_count(1)
    expect(section.locator("tr.consent-withdrawn")).to_have_count(1)
    consent.refresh_from_db()
    assert (consent.is_active, consent.withdrawal_method) == (False, "phone")
    section.locator("tr.consent-text-row details summary").first.click()
    page.screenshot(path=artifacts / "consent-section-wording-desktop.png", full_page=True)

    page.set_viewport_size(PHONE)
    page.reload()
    section = page.locator("#customer-consents")
    expect(section).to_be_visible()
    # Nothing sticks out sideways at phone width.
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], width
    section.scroll_into_view_if_needed()
    page.screenshot(path=artifacts / "consent-section-phone.png", full_page=True)
    section.locator(f'a[href="/messaging/customers/{customer.pk}/consents/new/"]').click()
    expect(dialog).to_be_visible()
    page.screenshot(path=artifacts / "consent-modal-phone.png")
