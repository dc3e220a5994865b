"""The appointment list in a real browser: booking in the modal with the
customer picker, double-booking errors, one-click status changes.

Screenshots for people to look at go to the ``artifacts`` folder.
"""

import datetime
import re

import pytest
from django.utils import timezone
from playwright.sync_api import Locator, Page, expect

from appointments.models import Appointment
from appointments.tests.factories import (
    MONDAY,
    appointment,
    appointment_type,
    at,
    calendar_for,
    german,
)
from customers.tests import factories as customer_factories

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]

PHONE = {"width": 390, "height": 844}
# The factories' Monday, as the list and the modal show and take it.
DAY = german(MONDAY)


@pytest.fixture
def customers(db):
    make = customer_factories.customer
    return {
        "juergen": make(
            first_name="Jürgen",
            last_name="Müller-Lüdenscheidt",
            phone="0151 23456789",
            date_of_birth=datetime.date(1965, 3, 12),
        ),
        "erika": make(first_name="Erika", last_name="Mustermann", phone="030 1234567"),
        "hans": make(first_name="Hans", last_name="Müller"),
    }


# --- Helpers ---------------------------------------------------------------------


def open_list(page: Page, live_server, query: str = f"date_from={DAY}") -> None:
    page.goto(f"{live_server.url}/appointments/?{query}")
    expect(page.get_by_role("heading", name="Termine", exact=True)).to_be_visible()
    page.evaluate("window.__marker = 1")


def assert_no_navigation(page: Page) -> None:
    assert page.evaluate("window.__marker") == 1, "the page was reloaded"


def settled(page: Page) -> None:
    """Wait until htmx has wired up what it swapped in: it attaches hx-*
    behaviour a moment after the swap, faster than a person but not than Playwright."""
    busy = ".htmx-request, .htmx-swapping, .htmx-settling, .htmx-added"
    page.wait_for_function(f"() => !document.querySelector('{busy}')")


def modal(page: Page) -> Locator:
    return page.locator("dialog#modal")


def table_rows(page: Page) -> Locator:
    return page.locator("#appointment-table tbody tr:not(.empty-row)")


def row_for(page: Page, text: str) -> Locator:
    return table_rows(page).filter(has_text=text)


def open_new_appointment(page: Page) -> Locator:
    page.locator(".page-header a[data-opens-modal]").click()
    dialog = modal(page)
    expect(dialog).to_be_visible()
    expect(dialog.locator("#customer-search")).to_be_focused()
    settled(page)
    return dialog


def open_edit(page: Page, row_text: str) -> Locator:
    row_for(page, row_text).get_by_role("link", name="Bearbeiten").click()
    dialog = modal(page)
    expect(dialog).to_be_visible()
    settled(page)
    return dialog


def options(dialog: Locator) -> Locator:
    return dialog.locator("[data-customer-option]")


def search_customer(dialog: Locator, query: str, *, found: int | None = None) -> None:
    """Type into the picker; with ``found``, wait for that many results, ready to pick."""
    dialog.locator("#customer-search").fill(query)
    if found is not None:
        expect(options(dialog)).to_have_count(found)
        settled(dialog.page)


def pick(dialog: Locator, text: str) -> None:
    options(dialog).filter(has_text=text).click()
    expect(chosen(dialog)).to_be_visible()
    settled(dialog.page)


def chosen(dialog: Locator) -> Locator:
    return dialog.locator("[data-chosen-customer]")


def fill_when(dialog: Locator, *, staff, type_name="Sehtest", day=DAY, start="10:00"):
    dialog.locator("#id_staff").select_option(str(staff.pk))
    dialog.locator("#id_type").select_option(label=type_name)
    dialog.locator("#id_date").fill(day)
    dialog.locator("#id_start_time").fill(start)


def save(dialog: Locator) -> None:
    dialog.get_by_role("button", name="Speichern").click()


# --- Booking --------------------------------------------------------------------------


def test_book_with_the_picker_then_refuse_a_double_booking_then_mark_done(
    logged_in_page, live_server, staff, customers, artifacts
):
    page = logged_in_page
    open_list(page, live_server)
    expect(table_rows(page)).to_have_count(0)

    dialog = open_new_appointment(page)
    page.screenshot(path=artifacts / "appointment-modal-new-1280.png")
    # Accent-free spelling, chosen with the keyboard.
    search_customer(dialog, "mueller lued", found=1)
    expect(options(dialog)).to_contain_text("Müller-Lüdenscheidt, Jürgen")
    expect(options(dialog)).to_contain_text("12.03.1965")
    expect(options(dialog)).to_contain_text("01512 3456789")
    dialog.locator("#customer-search").press("ArrowDown")
    expect(options(dialog).first).to_be_focused()
    page.keyboard.press("Enter")
    expect(chosen(dialog)).to_have_text("Jürgen Müller-Lüdenscheidt")
    expect(dialog.locator("#id_customer")).to_have_value(str(customers["juergen"].pk))
    expect(dialog.locator("#customer-search")).to_have_count(0)

    fill_when(dialog, staff=staff, start="10:00")
    save(dialog)

    expect(dialog).to_be_hidden()
    row = row_for(page, "Müller-Lüdenscheidt")
    expect(row).to_be_visible()
    expect(row).to_contain_text(DAY)
    expect(row).to_contain_text("10:00–10:30")
    expect(row).to_contain_text("Anna Schmidt")
    expect(row).to_contain_text("Sehtest")
    expect(row.locator(".badge")).to_have_text("Geplant")
    expect(page.locator("#messages .alert-success")).to_be_visible()
    assert_no_navigation(page)
    booked = Appointment.objects.get()
    assert (booked.start, booked.end) == (at(10), at(10, 30))

    # Overlapping booking for another customer: refused in the modal.
    dialog = open_new_appointment(page)
    search_customer(dialog, "mustermann", found=1)
    pick(dialog, "Mustermann, Erika")
    expect(chosen(dialog)).to_have_text("Erika Mustermann")
    fill_when(dialog, staff=staff, start="10:15")
    save(dialog)

    error = dialog.locator("#id_start_time_error")
    expect(error).to_contain_text("Doppelbuchung")
    expect(error).to_contain_text("Jürgen Müller-Lüdenscheidt")
    expect(error).to_contain_text("10:00")
    expect(dialog).to_be_visible()
    expect(dialog.locator("#id_start_time")).to_be_focused()
    expect(chosen(dialog)).to_have_text("Erika Mustermann")  # input kept
    expect(dialog.locator("#id_start_time")).to_have_value("10:15")
    assert Appointment.objects.count() == 1
    page.screenshot(path=artifacts / "appointment-modal-double-booking-1280.png")

    # The refused draft is thrown away only after a yes.
    questions = []
    page.once("dialog", lambda question: (questions.append(question.message), question.accept()))
    dialog.locator("[data-close-modal].btn").click()
    expect(dialog).to_be_hidden()
    assert questions == ["Änderungen verwerfen? Ihre Eingaben gehen verloren."]
    page.screenshot(path=artifacts / "appointments-list-1280.png", full_page=True)

    # One click in the row marks it done.
    settled(page)
    row.locator("button[data-status='done']").click()
    expect(row.locator(".badge")).to_have_text("Erledigt")
    expect(row.locator("button[data-status]")).to_have_count(0)
    assert_no_navigation(page)
    booked.refresh_from_db()
    assert booked.status == Appointment.Status.DONE


def test_outside_hours_needs_the_override(logged_in_page, live_server, staff, customers):
    page = logged_in_page
    open_list(page, live_server)
    dialog = open_new_appointment(page)
    search_customer(dialog, "erika", found=1)
    pick(dialog, "Mustermann, Erika")
    fill_when(dialog, staff=staff, start="19:00")
    save(dialog)

    expect(dialog.locator("#id_start_time_error")).to_have_text(
        "Außerhalb der Öffnungszeiten (09:00–18:30)."
    )
    expect(dialog.locator(".field-check-suggested")).to_be_visible()
    dialog.locator("#id_allow_outside_hours").check()
    save(dialog)

    expect(dialog).to_be_hidden()
    expect(row_for(page, "Mustermann")).to_contain_text("19:00–19:30")


def test_move_an_appointment_by_editing_its_time(logged_in_page, live_server, staff, customers):
    page = logged_in_page
    appointment(staff=staff, start=at(10), customer=customers["erika"])
    open_list(page, live_server)

    dialog = open_edit(page, "Mustermann")
    expect(chosen(dialog)).to_have_text("Erika Mustermann")
    expect(dialog.locator("#id_staff")).to_be_focused()  # the first field, not a status button
    expect(dialog.locator("#id_start_time")).to_have_value("10:00")
    dialog.locator("#id_start_time").fill("11:30")
    dialog.locator("#id_end_time").fill("12:15")
    save(dialog)

    expect(dialog).to_be_hidden()
    expect(row_for(page, "Mustermann")).to_contain_text("11:30–12:15")
    assert_no_navigation(page)


def test_status_bar_in_the_modal_records_the_eye_exam(
    logged_in_page, live_server, staff, customers, artifacts
):
    page = logged_in_page
    erika = customers["erika"]
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    Appointment.objects.create(
        customer=erika,
        staff=staff,
        type=appointment_type("Sehtest"),
        start=at(10, day=yesterday),
        end=at(10, 30, day=yesterday),
    )
    open_list(page, live_server, query="date_from=")

    dialog = open_edit(page, "Mustermann")
    expect(dialog.locator(".status-group button[data-status]")).to_have_count(4)
    page.screenshot(path=artifacts / "appointment-modal-edit-1280.png")
    dialog.locator(".status-group button[data-status='done']").click()

    expect(dialog).to_be_hidden()
    expect(row_for(page, "Mustermann").locator(".badge")).to_have_text("Erledigt")
    erika.refresh_from_db()
    assert erika.last_exam_date == yesterday
    assert_no_navigation(page)


# --- Picker behaviour ---------------------------------------------------------------------


def test_picker_opened_with_a_customer_can_be_changed(logged_in_page, live_server, customers):
    page = logged_in_page
    open_list(page, live_server)
    juergen, hans = customers["juergen"], customers["hans"]
    # As the customer page's "Termin vereinbaren" button opens it.
    page.evaluate(
        "url => htmx.ajax('GET', url, {target: '#modal-content'})",
        f"/appointments/new/?customer={juergen.pk}",
    )
    dialog = modal(page)
    expect(dialog).to_be_visible()
    expect(chosen(dialog)).to_have_text("Jürgen Müller-Lüdenscheidt")
    expect(dialog.locator("#id_customer")).to_have_value(str(juergen.pk))

    settled(page)
    dialog.get_by_role("button", name="Ändern").click()
    expect(dialog.locator("#customer-search")).to_be_focused()
    settled(page)
    expect(dialog.locator("#id_customer")).to_have_value("")
    search_customer(dialog, "muller", found=2)
    # Enter in the search box takes the first result instead of saving the form.
    search_customer(dialog, "hans muller", found=1)
    dialog.locator("#customer-search").press("Enter")
    expect(chosen(dialog)).to_have_text("Hans Müller")
    expect(dialog.locator("#id_customer")).to_have_value(str(hans.pk))
    expect(dialog.get_by_role("button", name="Ändern")).to_be_focused()
    assert not Appointment.objects.exists()


def test_picker_finds_by_birth_date_and_escape_clears_first(logged_in_page, live_server, customers):
    page = logged_in_page
    open_list(page, live_server)
    dialog = open_new_appointment(page)
    search_customer(dialog, "12.03.1965", found=1)
    expect(options(dialog)).to_contain_text("Müller-Lüdenscheidt, Jürgen")

    search_customer(dialog, "niemand")
    expect(dialog.locator("#customer-results")).to_contain_text("Keine Kunden gefunden.")

    dialog.locator("#customer-search").press("Escape")
    expect(dialog).to_be_visible()
    expect(dialog.locator("#customer-search")).to_have_value("")
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()


def test_modal_fields_have_their_own_ids(logged_in_page, live_server, staff):
    page = logged_in_page
    open_list(page, live_server)
    open_new_appointment(page)
    duplicate_ids = page.evaluate(
        """() => {
            const ids = [...document.querySelectorAll("[id]")].map((element) => element.id);
            return [...new Set(ids.filter((id, index) => ids.indexOf(id) !== index))];
        }"""
    )
    assert duplicate_ids == []


# --- Filters and sorting ----------------------------------------------------------------------


def test_filter_and_sort_keep_url_state(logged_in_page, live_server, staff, owner, customers):
    page = logged_in_page
    calendar_for(owner)
    appointment(staff=staff, start=at(10), customer=customers["erika"])
    appointment(staff=owner, start=at(9), customer=customers["juergen"])
    appointment(staff=staff, start=at(11), customer=customers["hans"], type_name="Brillenabholung")
    open_list(page, live_server)
    names = table_rows(page).locator("td.cell-name")
    expect(names).to_have_text(["Müller-Lüdenscheidt, Jürgen", "Mustermann, Erika", "Müller, Hans"])

    page.locator("#filter_staff").select_option(str(staff.pk))
    expect(names).to_have_text(["Mustermann, Erika", "Müller, Hans"])
    expect(page).to_have_url(re.compile(rf"[?&]staff={staff.pk}(&|$)"))

    page.locator("#appointment-table thead a.sort").nth(1).click()  # the customer column
    expect(names).to_have_text(["Müller, Hans", "Mustermann, Erika"])
    expect(page).to_have_url(re.compile(r"[?&]sort=customer(&|$)"))

    page.reload()
    expect(names).to_have_text(["Müller, Hans", "Mustermann, Erika"])
    expect(page.locator("#filter_staff")).to_have_value(str(staff.pk))

    # A new filter keeps the sort order.
    page.locator("#filter_type").select_option(label="Brillenabholung")
    expect(names).to_have_text(["Müller, Hans"])
    expect(page).to_have_url(re.compile(r"[?&]sort=customer(&|$)"))


# --- Phone width ----------------------------------------------------------------------------------


def test_list_and_modal_at_phone_width(logged_in_page, live_server, staff, customers, artifacts):
    page = logged_in_page
    appointment(staff=staff, start=at(10), customer=customers["erika"])
    appointment(staff=staff, start=at(11), customer=customers["juergen"], notes="Gleitsicht")
    page.set_viewport_size(PHONE)
    open_list(page, live_server)
    expect(table_rows(page)).to_have_count(2)
    page.screenshot(path=artifacts / "appointments-list-390.png", full_page=True)

    dialog = open_new_appointment(page)
    search_customer(dialog, "muller", found=2)
    page.screenshot(path=artifacts / "appointment-modal-new-390.png")
    pick(dialog, "Müller, Hans")
    fill_when(dialog, staff=staff, start="10:15")
    save(dialog)
    expect(dialog.locator("#id_start_time_error")).to_contain_text("Doppelbuchung")
    dialog.locator("#id_start_time_error").scroll_into_view_if_needed()
    page.screenshot(path=artifacts / "appointment-modal-errors-390.png")

    dialog.locator("#id_start_time").fill("12:00")
    save(dialog)
    expect(dialog).to_be_hidden()
    expect(table_rows(page)).to_have_count(3)
    assert_no_navigation(page)

    dialog = open_edit(page, "Mustermann")
    expect(dialog.locator(".status-group")).to_be_visible()
    page.screenshot(path=artifacts / "appointment-modal-edit-390.png")


def test_the_edit_form_shows_the_history(logged_in_page, live_server, staff, customers, artifacts):
    page = logged_in_page
    calendar_for(staff)
    booked = appointment(staff=staff, start=at(10), customer=customers["erika"])
    open_list(page, live_server)
    dialog = open_edit(page, "Mustermann")
    dialog.get_by_label("Notizen").fill("Bringt die alte Brille mit")
    dialog.get_by_role("button", name="Speichern").click()
    expect(dialog).to_be_hidden()

    dialog = open_edit(page, "Mustermann")
    history = dialog.locator("#appointment-history")
    history.get_by_text("Änderungsprotokoll").click()
    expect(history).to_contain_text("Notizen: — → Bringt die alte Brille mit")
    expect(history).to_contain_text("Anna Schmidt")
    page.screenshot(path=artifacts / "appointment-modal-history-1280.png")
    page.set_viewport_size(PHONE)
    history.scroll_into_view_if_needed()
    page.screenshot(path=artifacts / "appointment-modal-history-390.png")
    assert Appointment.objects.get(pk=booked.pk).notes == "Bringt die alte Brille mit"
