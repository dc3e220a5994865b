"""The recall list in a real browser: a filter change swaps the table in
place (and the URL follows), "E-Mails/SMS senden" asks for confirmation in
the modal and hands the list to the background worker. Screenshots at 1280
and 390 px go to ``artifacts`` as ``recall-*.png``."""

import datetime

import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult
from playwright.sync_api import Page, expect

from customers.tests import factories
from customers.validators import years_before
from messaging import services
from messaging.models import Channel, Message, Purpose

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
ROWS = "#recall-table tbody tr[id^=recall-]"


def settled(page: Page) -> None:
    """htmx has swapped and set up the new content (its listeners too)."""
    expect(page.locator(".htmx-request, .htmx-swapping, .htmx-settling")).to_have_count(0)


def give(customer, channel: str) -> None:
    services.consent_give(
        customer_id=customer.pk,
        channel=channel,
        purpose=Purpose.MARKETING,
        method="in_store",
        text="Einverstanden mit Erinnerungen",
        user=None,
    )


@pytest.fixture
def due():
    exam = years_before(timezone.localdate(), 3) - datetime.timedelta(days=1)
    mail = factories.customer(
        first_name="Greta", last_name="Öztürk", email="greta@example.de", last_exam_date=exam
    )
    give(mail, Channel.EMAIL)
    sms = factories.customer(
        first_name="Jürgen",
        last_name="Schmidt-Leutheusser",
        phone="0151 23456789",
        last_exam_date=exam,
    )
    give(sms, Channel.SMS)
    letter = factories.customer(
        first_name="Hildegard",
        last_name="Brandt",
        street="Hauptstraße 12",
        postcode="80331",
        town="München",
        last_exam_date=exam,
    )
    give(letter, Channel.LETTER)
    factories.customer(
        first_name="Karl",
        last_name="Ohnezustimmung",
        phone="089 1234567",
        date_of_birth=years_before(timezone.localdate(), 72),
        last_exam_date=exam,
    )
    return {"mail": mail, "sms": sms}


@pytest.fixture
def optician_page(page, live_server, optician, password):
    """Logged in through the real form as an optician: the list reads health data."""
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", optician.username)
    page.fill("#id_password", password)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")  # the start page (Heute)
    page.goto(f"{live_server.url}/customers/")
    return page


def choose_filter(page: Page, select: str, value: str) -> None:
    """Choose a filter and wait for the table the change asked for."""
    settled(page)
    with page.expect_response(lambda response: "/recall/?" in response.url) as answer:
        page.locator(select).select_option(value)
    assert answer.value.ok
    settled(page)


def test_filter_swaps_the_table_and_sending_asks_first(
    optician_page: Page, live_server, due, artifacts
):
    page = optician_page
    page.goto(f"{live_server.url}/recall/")
    expect(page.locator(ROWS)).to_have_count(4)
    page.screenshot(path=artifacts / "recall-list-1280.png", full_page=True)

    # A filter swaps the table in place: the page (and its header) stays.
    marker = page.evaluate("() => (document.querySelector('h1').dataset.kept = 'yes')")
    choose_filter(page, "#filter_reach", "email")
    expect(page.locator(ROWS)).to_have_count(1)
    expect(page.locator(f"#recall-{due['mail'].pk}")).to_be_visible()
    expect(page.locator(f"#recall-{due['mail'].pk} .badge-channel-email")).to_be_visible()
    assert page.evaluate("() => document.querySelector('h1').dataset.kept") == marker
    assert "reach=email" in page.url
    choose_filter(page, "#filter_reach", "none")
    expect(page.locator(ROWS)).to_have_count(1)
    expect(page.locator(ROWS).locator("a[href^='tel:']")).to_have_attribute(
        "href", "tel:+49891234567"
    )
    page.screenshot(path=artifacts / "recall-unreachable-1280.png", full_page=True)
    choose_filter(page, "#filter_reach", "")
    expect(page.locator(ROWS)).to_have_count(4)

    # Send: the modal asks, then the worker gets the list; the message shows.
    page.locator("[data-send-recall]").click()
    dialog = page.locator("dialog#modal")
    expect(dialog).to_be_visible()
    expect(dialog.locator(".modal-body")).to_contain_text("2")
    page.screenshot(path=artifacts / "recall-confirm-1280.png")
    assert not DBTaskResult.objects.exists()
    dialog.locator("[data-confirm-send]").click()
    expect(dialog).to_be_hidden()
    expect(page.locator("#messages .alert-success")).to_contain_text("im Hintergrund versendet")
    page.screenshot(path=artifacts / "recall-sent-1280.png")
    task = DBTaskResult.objects.get()
    assert task.task_path.endswith("queue_recall")
    assert not Message.objects.exists()  # planned by the worker, not the request

    # Phone width: rows as cards, nothing sticks out sideways.
    page.set_viewport_size(PHONE)
    page.goto(f"{live_server.url}/recall/")
    expect(page.locator(ROWS)).to_have_count(4)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], width
    page.screenshot(path=artifacts / "recall-list-390.png", full_page=True)
    page.locator("[data-send-recall]").click()
    expect(dialog).to_be_visible()
    page.screenshot(path=artifacts / "recall-confirm-390.png")
    dialog.locator("[data-close-modal]").first.click()
    expect(dialog).to_be_hidden()
    page.set_viewport_size(DESKTOP)
