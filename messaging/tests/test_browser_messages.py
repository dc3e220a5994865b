"""Messages in a real browser: "Erneut senden" in the list "Fehlgeschlagene
Nachrichten" takes the row out without a page load; the customer page's
message log cancels and sends again in place; "Abholbereit melden" in the
appointment modal, twice. Screenshots at 1280 and 390 px go to
``artifacts`` as ``messages-*.png``. Locators use ids, hrefs and data
attributes, not German labels, so the test does not depend on the catalog."""

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from appointments.models import AppointmentType
from appointments.tests.factories import TUESDAY, appointment, at
from customers.tests import factories as customer_factories
from messaging.models import Channel, Kind, Message, MessageSettings, Purpose, State
from messaging.tests.conftest import quiet_hours_away_from
from messaging.tests.test_consent_services import give

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


def settled(page: Page) -> None:
    """htmx has swapped and set up the new content (its listeners too)."""
    expect(page.locator(".htmx-request, .htmx-swapping, .htmx-settling")).to_have_count(0)


def mark_page(page: Page) -> None:
    """A mark that a page load would wipe out."""
    page.evaluate("window.__notReloaded = true")


def assert_not_reloaded(page: Page) -> None:
    assert page.evaluate("window.__notReloaded === true")


def assert_fits(page: Page, width: int) -> None:
    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    assert scroll_width <= width, scroll_width


@pytest.fixture(autouse=True)
def daytime():
    """Quiet hours far from now: what is sent again goes to the queue."""
    quiet_from, quiet_until = quiet_hours_away_from(timezone.now())
    MessageSettings.objects.update_or_create(
        pk=1, defaults={"quiet_from": quiet_from, "quiet_until": quiet_until}
    )


@pytest.fixture(autouse=True)
def pickup_type():
    """The seeded "Brillenabholung" is the pick-up type (migration
    appointments 0008); the reference data a transactional test puts back
    comes from 0002 only, without that mark."""
    AppointmentType.objects.filter(name="Brillenabholung").update(is_pickup=True)


@pytest.fixture
def customer(staff):
    customer = customer_factories.customer(
        first_name="Greta", last_name="Öztürk", email="greta@example.de", phone="0151 23456789"
    )
    give(customer, staff, channel=Channel.EMAIL, purpose=Purpose.SERVICE)
    return customer


def failed_message(customer, **fields) -> Message:
    data = {
        "customer": customer,
        "kind": Kind.REMINDER,
        "channel": Channel.EMAIL,
        "purpose": Purpose.SERVICE,
        "recipient": customer.email,
        "state": State.FAILED,
        "send_at": timezone.now(),
        "attempts": 3,
        "reason": "550 5.1.1 Mailbox unavailable: the recipient's address does not exist",
    }
    return Message.objects.create(**(data | fields))


def test_send_again_from_the_failed_list(logged_in_page: Page, live_server, customer, artifacts):
    page = logged_in_page
    other = customer_factories.customer(
        first_name="Hans-Joachim", last_name="Müller-Lüdenscheidt", email="hj.mueller@example.de"
    )
    first = failed_message(customer)
    second = failed_message(
        other, kind=Kind.READY, channel=Channel.SMS, recipient="+4915199999999", reason="Timeout"
    )
    page.goto(f"{live_server.url}/messaging/failed/")
    table = page.locator("#failed-table")
    expect(table.locator("tr.failed-row")).to_have_count(2)
    # The nav link (behind "Mehr") is there and marked as the current page.
    page.get_by_role("button", name="Mehr").click()
    expect(
        page.locator('.mainnav a[href="/messaging/failed/"][aria-current="page"]')
    ).to_be_visible()
    page.keyboard.press("Escape")
    page.screenshot(path=artifacts / "messages-failed-desktop.png", full_page=True)

    mark_page(page)
    page.locator(f"#message-{first.pk} button[data-retry]").click()
    expect(page.locator(f"#message-{first.pk}")).to_have_count(0)
    expect(page.locator("#messages .alert-success")).to_be_visible()
    expect(table.locator("tr.failed-row")).to_have_count(1)
    settled(page)
    assert_not_reloaded(page)
    first.refresh_from_db()
    assert first.state == State.QUEUED
    page.screenshot(path=artifacts / "messages-failed-after-retry-desktop.png", full_page=True)

    page.set_viewport_size(PHONE)
    page.reload()
    expect(page.locator(f"#message-{second.pk}")).to_be_visible()
    assert_fits(page, PHONE["width"])
    page.screenshot(path=artifacts / "messages-failed-phone.png", full_page=True)

    # The last one: the empty state.
    page.locator(f"#message-{second.pk} button[data-retry]").click()
    expect(page.locator("#failed-table .empty-row")).to_be_visible()
    page.screenshot(path=artifacts / "messages-failed-empty-phone.png", full_page=True)


def test_the_customer_pages_message_log(
    logged_in_page: Page, live_server, customer, staff, artifacts
):
    page = logged_in_page
    booked = appointment(staff=staff, customer=customer, start=at(10, day=TUESDAY))
    planned = Message.objects.get(appointment=booked, kind=Kind.REMINDER)
    failed = failed_message(customer)
    Message.objects.create(
        customer=customer,
        kind=Kind.CONFIRMATION,
        channel=Channel.EMAIL,
        purpose=Purpose.SERVICE,
        recipient=customer.email,
        state=State.DELIVERED,
        send_at=timezone.now(),
        sent_at=timezone.now(),
        subject="Ihr Termin",
        text="Guten Tag Frau Öztürk,\nIhr Termin ist bestätigt.",
    )
    page.goto(f"{live_server.url}/customers/{customer.pk}/")
    section = page.locator("#customer-messages")
    expect(section).to_be_visible()
    section.scroll_into_view_if_needed()
    section.screenshot(path=artifacts / "messages-section-desktop.png")

    mark_page(page)
    section.locator(f"#customer-message-{planned.pk} button[data-cancel-message]").click()
    expect(page.locator(f"#customer-message-{planned.pk} .badge-message-cancelled")).to_be_visible()
    expect(page.locator("#messages .alert-success")).to_be_visible()
    settled(page)
    page.locator(f"#customer-message-{failed.pk} button[data-retry]").click()
    expect(page.locator(f"#customer-message-{failed.pk} .badge-message-queued")).to_be_visible()
    settled(page)
    assert_not_reloaded(page)
    page.locator("#customer-messages").screenshot(
        path=artifacts / "messages-section-after-desktop.png"
    )

    # One more to send again: the button at phone width.
    another = failed_message(customer, reason="Timeout")
    page.set_viewport_size(PHONE)
    page.reload()
    section = page.locator("#customer-messages")
    expect(section.locator(f"#customer-message-{another.pk} button[data-retry]")).to_be_visible()
    expect(section).to_be_visible()
    assert_fits(page, PHONE["width"])
    section.scroll_into_view_if_needed()
    section.screenshot(path=artifacts / "messages-section-phone.png")


def test_ready_for_collection_from_the_appointment_modal(
    logged_in_page: Page, live_server, customer, staff, artifacts
):
    page = logged_in_page
    pickup = appointment(
        staff=staff, customer=customer, type_name="Brillenabholung", start=at(11, day=TUESDAY)
    )
    page.goto(f"{live_server.url}/customers/{customer.pk}/")
    edit = f'#customer-appointments a[href="/appointments/{pickup.pk}/edit/"]'
    page.locator(edit).click()
    dialog = page.locator("dialog#modal")
    button = dialog.locator("button[data-ready]")
    expect(button).to_be_visible()
    settled(page)
    page.screenshot(path=artifacts / "messages-ready-modal-desktop.png")

    mark_page(page)
    button.click()
    expect(dialog).to_be_hidden()
    expect(page.locator("#messages .alert-success")).to_be_visible()
    ready = Message.objects.get(appointment=pickup, kind=Kind.READY)
    assert ready.state == State.QUEUED
    # The customer page refreshed its sections: the message is in the log.
    expect(page.locator(f"#customer-message-{ready.pk}")).to_be_visible()
    settled(page)
    page.screenshot(path=artifacts / "messages-ready-done-desktop.png")

    # A second click sends nothing and says so.
    page.locator(edit).click()
    expect(button).to_be_visible()
    settled(page)
    button.click()
    expect(dialog).to_be_hidden()
    expect(page.locator("#messages .alert-info")).to_be_visible()
    assert_not_reloaded(page)
    assert Message.objects.filter(appointment=pickup, kind=Kind.READY).count() == 1

    page.set_viewport_size(PHONE)
    page.locator(edit).click()
    expect(button).to_be_visible()
    settled(page)
    page.screenshot(path=artifacts / "messages-ready-modal-phone.png")


def test_ready_without_consent_shows_why(logged_in_page: Page, live_server, staff):
    page = logged_in_page
    unreachable = customer_factories.customer(
        first_name="Paul", last_name="Ohnemail", phone="089 1234567"
    )
    pickup = appointment(
        staff=staff, customer=unreachable, type_name="Brillenabholung", start=at(11, day=TUESDAY)
    )
    page.goto(f"{live_server.url}/appointments/?date_from=")
    page.locator(f"#appointment-{pickup.pk} button[data-ready]").click()
    error = page.locator("#messages .alert-error")
    expect(error).to_be_visible()
    expect(error).to_contain_text("089 1234567")  # as staff dial it
    assert not Message.objects.filter(appointment=pickup, kind=Kind.READY).exists()
