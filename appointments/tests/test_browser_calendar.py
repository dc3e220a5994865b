"""The day calendar in a real browser: book from an empty slot, see the
double-booking error, move the appointment, mark it done."""

import datetime
import re

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from appointments import schedule
from appointments.tests.factories import appointment, at, calendar_for
from appointments.tests.test_browser_list import settled
from customers.models import Customer
from customers.tests import factories as customer_factories

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def recent_working_day() -> datetime.date:
    """A past weekday the shop was open: completing an eye test there counts."""
    day = timezone.localdate() - datetime.timedelta(days=7)
    while day.weekday() > 4 or schedule.closed_reason(day):
        day -= datetime.timedelta(days=1)
    return day


def open_day(page: Page, live_server, day: datetime.date) -> None:
    page.goto(f"{live_server.url}/appointments/day/?date={day.isoformat()}")
    expect(page.locator("#calendar")).to_be_visible()
    page.evaluate("window.__marker = 1")


def block(page: Page, text: str):
    return page.locator("#calendar a.appointment").filter(has_text=text)


def save(page: Page) -> None:
    settled(page)
    page.locator("#modal").get_by_role("button", name="Speichern").click()


def test_book_from_slot_move_and_complete(logged_in_page, live_server, staff, artifacts):
    page = logged_in_page
    day = recent_working_day()
    calendar_for(staff)
    other = appointment(staff=staff, start=at(10, day=day))
    kaethe = customer_factories.customer(first_name="Käthe", last_name="Straßburger")
    open_day(page, live_server, day)
    page.screenshot(path=artifacts / "calendar-day-1280.png", full_page=True)

    # An empty slot opens the modal with staff member and time filled in.
    page.locator(f'a.slot[href*="T11:00&staff={staff.pk}"]').click()
    dialog = page.locator("#modal")
    expect(dialog).to_be_visible()
    expect(dialog.locator("#id_start_time")).to_have_value("11:00")
    expect(dialog.locator("#id_staff")).to_have_value(str(staff.pk))
    settled(page)  # the search box typed into before htmx wired it up would not search

    dialog.locator("#customer-search").fill("strassburger")
    found = dialog.locator("[data-customer-option]").filter(has_text="Straßburger")
    expect(found).to_be_visible()
    settled(page)
    found.click()
    expect(dialog.locator("[data-chosen-customer]")).to_have_text("Käthe Straßburger")
    dialog.locator("#id_type").select_option(label="Sehtest")
    page.screenshot(path=artifacts / "calendar-new-appointment-1280.png")
    save(page)
    # The day is past: booked there only once confirmed (issue 23).
    dialog.locator("#id_confirm_past").check()
    save(page)

    expect(dialog).to_be_hidden()
    expect(block(page, "Käthe Straßburger")).to_contain_text("11:00–11:30")
    assert page.evaluate("window.__marker") == 1, "the page was reloaded"

    # Moving it onto the other appointment is refused, naming that one.
    block(page, "Käthe Straßburger").click()
    expect(dialog).to_be_visible()
    dialog.locator("#id_start_time").fill("10:15")
    dialog.locator("#id_end_time").fill("")
    save(page)
    expect(dialog).to_contain_text("Doppelbuchung")
    expect(dialog).to_contain_text(other.customer.full_name)

    dialog.locator("#id_start_time").fill("12:00")
    save(page)
    dialog.locator("#id_confirm_past").check()
    save(page)
    expect(dialog).to_be_hidden()
    expect(block(page, "Käthe Straßburger")).to_contain_text("12:00–12:30")

    # Done in one click: the eye test becomes the customer's last exam.
    block(page, "Käthe Straßburger").click()
    expect(dialog.locator('button[data-status="done"]')).to_be_visible()
    settled(page)
    dialog.locator('button[data-status="done"]').click()
    expect(dialog).to_be_hidden()
    expect(block(page, "Käthe Straßburger")).to_contain_text("✓")
    kaethe = Customer.objects.get(pk=kaethe.pk)
    assert kaethe.last_exam_date == day
    page.goto(f"{live_server.url}/customers/{kaethe.pk}/")
    expect(page.locator("#customer-details")).to_contain_text(day.strftime("%d.%m.%Y"))


def test_week_view_and_phone_width(logged_in_page, live_server, staff, artifacts):
    page = logged_in_page
    day = recent_working_day()
    calendar_for(staff)
    appointment(staff=staff, start=at(10, day=day))
    page.goto(f"{live_server.url}/appointments/week/?date={day.isoformat()}")
    expect(page.locator("#calendar a.appointment")).to_have_count(1)
    page.screenshot(path=artifacts / "calendar-week-1280.png", full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    open_day(page, live_server, day)
    page.screenshot(path=artifacts / "calendar-day-390.png")
    page.locator("#calendar a.appointment").click()
    expect(page.locator("#modal")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/appointments/day/"))
