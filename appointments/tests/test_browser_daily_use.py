"""Issue 23 in a real browser: "New appointment" on the day shown with the
next free slots, the past-date confirmation, the week of all staff on a
phone and the printable day schedule. Dates are derived from today.

Screenshots go to test-artifacts/issue23-appointments-*.png."""

import datetime
import re

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from appointments.models import Appointment
from appointments.tests.factories import appointment, at, calendar_for, open_today, working_day
from appointments.tests.test_browser_list import settled
from customers.tests import factories as customer_factories

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
DESK = {"width": 1280, "height": 900}


def shot(page: Page, artifacts, name: str, **options) -> None:
    page.screenshot(path=artifacts / f"issue23-appointments-{name}.png", **options)


def open_calendar(page: Page, live_server, view: str, day: datetime.date | None = None) -> None:
    query = f"?date={day.isoformat()}" if day else ""
    page.goto(f"{live_server.url}/appointments/{view}/{query}")
    expect(page.locator("#calendar")).to_be_visible()
    page.evaluate("window.__marker = 1")


def new_appointment(page: Page):
    page.locator(".page-header a[data-opens-modal]").click()
    dialog = page.locator("#modal")
    expect(dialog).to_be_visible()
    settled(page)
    return dialog


def pick_customer(page: Page, dialog, query: str, name: str) -> None:
    dialog.locator("#customer-search").fill(query)
    found = dialog.locator("[data-customer-option]").filter(has_text=name)
    expect(found).to_be_visible()
    settled(page)
    found.click()
    expect(dialog.locator("[data-chosen-customer]")).to_contain_text(name.split(",")[0])


def save(page: Page, dialog) -> None:
    settled(page)
    dialog.get_by_role("button", name="Speichern").click()


@pytest.fixture
def kaethe(db):
    return customer_factories.customer(
        first_name="Käthe", last_name="Straßburger", phone="0151 23456789"
    )


def test_new_appointment_on_the_day_shown_with_free_slots(
    logged_in_page, live_server, staff, colleague, kaethe, artifacts
):
    page = logged_in_page
    day = working_day()
    appointment(staff=staff, start=at(9, day=day))
    open_calendar(page, live_server, "day", day)

    dialog = new_appointment(page)
    # The day on screen, no time yet; the user takes appointments: their name.
    expect(dialog.locator("#id_date")).to_have_value(day.strftime("%d.%m.%Y"))
    expect(dialog.locator("#id_start_time")).to_have_value("")
    expect(dialog.locator("#id_staff")).to_have_value(str(staff.pk))
    slots = dialog.locator("#free-slots [data-free-slot]")
    expect(slots).to_have_count(0)

    pick_customer(page, dialog, "strassburger", "Straßburger")
    dialog.locator("#id_type").select_option(label="Sehtest")
    expect(slots).to_have_count(5)
    # Anna's 09:00 is taken: her first free eye test is at 09:30.
    expect(slots.first).to_contain_text("09:30")
    expect(slots.first).to_have_attribute("title", re.compile(r"09:30–10:00 · Anna Schmidt$"))

    # Anyone: the colleague is free at 09:00.
    dialog.locator("#id_staff").select_option(label="— bitte wählen —")
    expect(slots.first).to_contain_text("Ines Inhaber")
    expect(slots.first).to_contain_text("09:00")
    settled(page)
    shot(page, artifacts, "free-slots-1280")

    slots.nth(1).click()
    expect(slots.nth(1)).to_have_attribute("aria-pressed", "true")
    expect(dialog.locator("#id_date")).to_have_value(day.strftime("%d.%m.%Y"))
    expect(dialog.locator("#id_start_time")).to_have_value("09:15")
    expect(dialog.locator("#id_staff")).to_have_value(str(colleague.pk))
    save(page, dialog)

    expect(dialog).to_be_hidden()
    block = page.locator(f'#calendar .calendar-col[data-staff="{colleague.pk}"] a.appointment')
    expect(block.filter(has_text="Käthe Straßburger")).to_contain_text("09:15–09:45")
    assert page.evaluate("window.__marker") == 1, "the page was reloaded"
    booked = Appointment.objects.get(customer=kaethe)
    assert (booked.staff, timezone.localtime(booked.start).date()) == (colleague, day)


def test_free_slots_at_phone_width(logged_in_page, live_server, staff, kaethe, artifacts):
    page = logged_in_page
    page.set_viewport_size(PHONE)
    page.goto(f"{live_server.url}/customers/{kaethe.pk}/")
    page.locator(".page-header a[data-opens-modal]").first.click()
    dialog = page.locator("#modal")
    expect(dialog).to_be_visible()
    settled(page)
    dialog.locator("#id_type").select_option(label="Brillenabholung")
    slots = dialog.locator("#free-slots [data-free-slot]")
    expect(slots).to_have_count(5)
    settled(page)
    # Every slot within the screen's width.
    widths = page.evaluate(
        "() => [...document.querySelectorAll('[data-free-slot]')]"
        ".map((b) => b.getBoundingClientRect().right)"
    )
    assert max(widths) <= PHONE["width"]
    shot(page, artifacts, "free-slots-390")
    slots.first.click()
    expect(dialog.locator("#id_start_time")).not_to_have_value("")


def test_past_date_is_saved_only_when_confirmed(
    logged_in_page, live_server, staff, kaethe, artifacts
):
    page = logged_in_page
    # A typo in the year: the same weekday of last year.
    day = working_day()
    typo = working_day(start=day - datetime.timedelta(days=364))
    open_calendar(page, live_server, "day", day)
    dialog = new_appointment(page)
    pick_customer(page, dialog, "strassburger", "Straßburger")
    dialog.locator("#id_type").select_option(label="Sehtest")
    dialog.locator("#id_date").fill(typo.strftime("%d.%m.%Y"))
    dialog.locator("#id_start_time").fill("10:00")
    save(page, dialog)

    error = dialog.locator("#id_start_time_error")
    expect(error).to_contain_text(typo.strftime("%d.%m.%Y"))
    confirm = dialog.locator("#id_confirm_past")
    expect(confirm).to_be_visible()
    expect(confirm).not_to_be_checked()
    assert not Appointment.objects.exists()
    shot(page, artifacts, "past-warning-1280")
    page.set_viewport_size(PHONE)
    shot(page, artifacts, "past-warning-390")
    page.set_viewport_size(DESK)

    # The typo fixed: saved without asking.
    dialog.locator("#id_date").fill(day.strftime("%d.%m.%Y"))
    save(page, dialog)
    expect(dialog).to_be_hidden()
    assert timezone.localtime(Appointment.objects.get().start).date() == day

    # Recorded afterwards on purpose: confirmed, then saved.
    dialog = new_appointment(page)
    pick_customer(page, dialog, "strassburger", "Straßburger")
    dialog.locator("#id_type").select_option(label="Brillenabholung")
    yesterday = working_day(start=timezone.localdate() - datetime.timedelta(days=1), step=-1)
    dialog.locator("#id_date").fill(yesterday.strftime("%d.%m.%Y"))
    dialog.locator("#id_start_time").fill("11:00")
    save(page, dialog)
    expect(dialog.locator("#id_confirm_past")).to_be_visible()
    dialog.locator("#id_confirm_past").check()
    save(page, dialog)
    expect(dialog).to_be_hidden()
    assert Appointment.objects.count() == 2


@pytest.fixture
def busy_week(staff, colleague, django_user_model, kaethe):
    """Four people, three of them booked at the same times, every weekday this week."""
    felix = django_user_model.objects.create_user(
        username="felix", first_name="Felix", last_name="Brandtner-Wiesenhofer"
    )
    jana = django_user_model.objects.create_user(
        username="jana", first_name="Jana", last_name="Krüger"
    )
    for member in (felix, jana):
        calendar_for(member)
    today = timezone.localdate()
    monday = today - datetime.timedelta(days=today.weekday())
    surnames = ["Straßburger", "Müller-Lüdenscheidt", "Öztürk", "Wagner", "Schneider"]
    for offset in range(5):
        day = monday + datetime.timedelta(days=offset)
        if day != working_day(start=day):
            continue  # a holiday
        for number, member in enumerate((felix, staff, colleague, jana)):
            customer = customer_factories.customer(
                first_name="Kim", last_name=surnames[(offset + number) % 5]
            )
            appointment(staff=member, customer=customer, start=at(10, day=day))
            appointment(
                staff=member,
                customer=customer_factories.customer(last_name=surnames[number]),
                start=at(11 + number, day=day),
                type_name="Brillenabholung",
            )
    return monday


def test_week_of_all_staff_readable_and_today_in_view_on_a_phone(
    logged_in_page, live_server, busy_week, artifacts
):
    page = logged_in_page
    open_calendar(page, live_server, "week")
    blocks = page.locator("#calendar a.appointment.is-week-all")
    expect(blocks.first).to_be_visible()
    expect(page.locator(".calendar-legend")).to_contain_text("Felix Brandtner-Wiesenhofer")
    # Initials and a surname, never "Felix…": the full text is the title.
    first = blocks.filter(has_text="FB").first
    expect(first.locator(".appointment-initials")).to_have_text("FB")
    assert "Felix Brandtner-Wiesenhofer" in first.get_attribute("title")
    shot(page, artifacts, "week-all-staff-1280", full_page=True)

    open_today()  # (a Sunday has a column only with opening hours)
    page.set_viewport_size(PHONE)
    open_calendar(page, live_server, "week")
    today = page.locator(".calendar-col[data-today]")
    expect(today.first).to_be_attached()
    page.wait_for_function(
        "() => document.querySelector('#calendar .calendar').scrollLeft > 0"
        " || new Date().getDay() === 1"
    )
    box = today.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] / 2 <= PHONE["width"]
    shot(page, artifacts, "week-all-staff-390")


def test_calendar_date_field_is_german(logged_in_page, live_server, staff, artifacts):
    page = logged_in_page
    day = working_day()
    open_calendar(page, live_server, "day")
    field = page.locator("#calendar-date")
    expect(field).to_have_value(timezone.localdate().strftime("%d.%m.%Y"))
    field.fill(f"{day.day}.{day.month}.{day:%y}")
    field.press("Enter")
    expect(page.locator("#calendar-date")).to_have_value(day.strftime("%d.%m.%Y"))
    expect(page.locator("h1")).to_contain_text(day.strftime("%d.%m.%Y"))

    page.locator("#calendar-date").fill("32.13.2026")
    page.locator("#calendar-date").press("Enter")
    expect(page.locator("#calendar-date-error")).to_be_visible()
    expect(page.locator("#calendar-date")).to_have_value(timezone.localdate().strftime("%d.%m.%Y"))
    shot(page, artifacts, "date-field-error-1280")
    page.set_viewport_size(PHONE)
    shot(page, artifacts, "date-field-error-390")


def test_print_the_day_schedule(logged_in_page, live_server, staff, colleague, kaethe, artifacts):
    page = logged_in_page
    day = working_day()
    appointment(
        staff=staff, customer=kaethe, start=at(14, day=day), notes="Gleitsicht, Etui mitgeben"
    )
    appointment(staff=staff, start=at(9, 30, day=day), type_name="Brillenabholung")
    appointment(staff=colleague, start=at(11, day=day))
    open_calendar(page, live_server, "day", day)
    shot(page, artifacts, "day-1280", full_page=True)

    page.locator(f'.calendar-col-head a[href$="staff={staff.pk}"]').click()
    expect(page.locator(".print-page")).to_have_count(1)
    expect(page.locator(".print-page h1")).to_contain_text("Anna Schmidt")
    rows = page.locator(".print-table tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_contain_text("09:30–09:45")
    expect(rows.nth(1)).to_contain_text("Käthe Straßburger")
    expect(rows.nth(1)).to_contain_text("01512 3456789")
    expect(rows.nth(1)).to_contain_text("Gleitsicht, Etui mitgeben")
    expect(page.locator("[data-print]")).to_be_visible()
    shot(page, artifacts, "print-1280", full_page=True)
    page.emulate_media(media="print")
    expect(page.locator(".topbar")).to_be_hidden()
    expect(page.locator("[data-print]")).to_be_hidden()
    shot(page, artifacts, "print-media-1280", full_page=True)
    page.emulate_media(media="screen")
    page.set_viewport_size(PHONE)
    shot(page, artifacts, "print-390", full_page=True)

    # All staff: one page each.
    page.set_viewport_size(DESK)
    open_calendar(page, live_server, "day", day)
    page.locator(".page-header a[href*='/day/print/']").click()
    expect(page.locator(".print-page")).to_have_count(2)
    pdf = page.pdf(format="A4")
    assert pdf.startswith(b"%PDF")
