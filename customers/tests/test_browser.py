"""The customer list in a real browser: modals, live table updates, search and sorting.

Screenshots for people to look at go to the ``artifacts`` folder.
"""

import datetime
import re
from contextlib import contextmanager

import pytest
from playwright.sync_api import Locator, Page, expect

from customers import services
from customers.models import Customer
from customers.tests import factories

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]

PHONE = {"width": 390, "height": 844}
NEW_CUSTOMER = {
    "Vorname": "Jürgen",
    "Nachname": "Müller-Lüdenscheidt",
    "E-Mail": "juergen@",
    "Telefon": "030 1234567",
    "Geburtsdatum": "12.03.1965",
}


# --- Helpers ---------------------------------------------------------------


def modal(page: Page) -> Locator:
    return page.locator("dialog#modal")


def table_rows(page: Page) -> Locator:
    return page.locator("#customer-table tbody tr:not(.empty-row)")


def row_for(page: Page, text: str) -> Locator:
    return table_rows(page).filter(has_text=text)


def messages(page: Page) -> Locator:
    return page.locator("#messages")


def new_customer_button(page: Page) -> Locator:
    return page.get_by_role("link", name="Neuer Kunde")


def open_new_customer_modal(page: Page) -> Locator:
    new_customer_button(page).click()
    dialog = modal(page)
    expect(dialog).to_be_visible()
    expect(dialog.get_by_role("heading", name="Neuer Kunde")).to_be_visible()
    return dialog


def open_row_modal(page: Page, row_text: str, button: str) -> Locator:
    row_for(page, row_text).get_by_role("link", name=button).click()
    dialog = modal(page)
    expect(dialog).to_be_visible()
    return dialog


def field(dialog: Locator, label: str) -> Locator:
    """A form field in the modal by its German label; required ones end in " *"."""
    return dialog.get_by_label(re.compile(rf"^{re.escape(label)}( \*)?$"))


def fill_customer_form(dialog: Locator, fields: dict[str, str]) -> None:
    """Fill the modal's fields, given as {German label: value}."""
    for label, value in fields.items():
        field(dialog, label).fill(value)


def click_save(dialog: Locator) -> None:
    dialog.get_by_role("button", name="Speichern").click()


def mark_page(page: Page) -> None:
    """Leave a marker in the window; a page load would wipe it."""
    page.evaluate("window.__marker = 1")


def assert_no_navigation(page: Page) -> None:
    assert page.evaluate("window.__marker") == 1, "the page was reloaded"


@contextmanager
def table_swap(page: Page):
    """Wait until htmx has replaced the customer table after the block ran."""
    page.locator("#customer-table").evaluate("table => { table.dataset.stale = '1'; }")
    yield
    expect(page.locator("#customer-table[data-stale]")).to_have_count(0)
    expect(page.locator("#customer-table")).to_be_visible()


def search(page: Page, query: str) -> None:
    """Type into the search box and wait for the debounced htmx swap."""
    with table_swap(page):
        page.get_by_role("searchbox", name="Suche").fill(query)
    expect(page).to_have_url(re.compile(rf"[?&]q={re.escape(query)}(&|$)"))


def first_column(page: Page) -> Locator:
    return table_rows(page).locator("td.cell-name")


def go_to(page: Page, link: str) -> None:
    nav = page.get_by_role("navigation", name="Hauptnavigation")
    entry = nav.get_by_role("link", name=link, exact=True)
    if not entry.is_visible():  # one of the entries behind "Mehr"
        nav.get_by_role("button", name="Mehr").click()
    entry.click()
    expect(page.get_by_role("heading", name=link, exact=True)).to_be_visible()


def make_juergen(**fields):
    return factories.customer(first_name="Jürgen", last_name="Müller-Lüdenscheidt", **fields)


# --- Login -------------------------------------------------------------------


def test_login_with_wrong_password_shows_german_error(page, live_server, staff):
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("Benutzername").fill(staff.username)
    page.get_by_label("Passwort").fill("wrong password")
    page.get_by_role("button", name="Anmelden").click()

    expect(page.get_by_role("alert")).to_contain_text("Benutzername oder Passwort ist falsch")
    expect(page).to_have_url(re.compile(r"/login/"))
    expect(page.get_by_label("Benutzername")).to_have_value(staff.username)


def test_the_customer_list_after_login(logged_in_page):
    expect(logged_in_page.get_by_role("heading", name="Kunden", exact=True)).to_be_visible()
    logged_in_page.get_by_role("button", name="Mehr").click()
    expect(logged_in_page.get_by_role("link", name="Gelöschte Kunden")).to_be_visible()


# --- Create, edit, search, delete ------------------------------------------------


def test_create_customer_in_modal_keeps_input_on_error(logged_in_page, artifacts):
    page = logged_in_page
    factories.insurance("AOK Bayern")
    factories.customer(first_name="Erika", last_name="Mustermann")
    page.reload()
    mark_page(page)

    dialog = open_new_customer_modal(page)
    fill_customer_form(dialog, NEW_CUSTOMER)
    field(dialog, "Krankenkasse").select_option(label="AOK Bayern")
    click_save(dialog)

    expect(dialog.locator(".field-error")).to_have_text(
        ["Bitte geben Sie eine gültige E-Mail-Adresse ein."]
    )
    expect(dialog).to_be_visible()
    expect(field(dialog, "E-Mail")).to_be_focused()
    for label in ("Vorname", "Nachname", "Telefon", "Geburtsdatum"):
        expect(field(dialog, label)).to_have_value(NEW_CUSTOMER[label])
    expect(field(dialog, "Krankenkasse")).to_have_value(str(factories.insurance("AOK Bayern").pk))
    page.screenshot(path=artifacts / "customer-modal-errors-1280.png")

    fill_customer_form(dialog, {"E-Mail": "juergen@example.de"})
    click_save(dialog)

    expect(dialog).to_be_hidden()
    expect(messages(page)).to_contain_text("Kunde Jürgen Müller-Lüdenscheidt angelegt.")
    open_customer = messages(page).get_by_role("link", name="Zum Kunden")
    expect(open_customer).to_have_attribute(
        "href", f"/customers/{Customer.objects.get(last_name='Müller-Lüdenscheidt').pk}/"
    )
    row = row_for(page, "Müller-Lüdenscheidt, Jürgen")
    expect(row).to_contain_text("juergen@example.de")
    expect(row).to_contain_text("030 1234567")
    expect(row).to_contain_text("12.03.1965")
    expect(row).to_contain_text("AOK Bayern")
    expect(table_rows(page)).to_have_count(2)
    assert_no_navigation(page)
    page.screenshot(path=artifacts / "customers-list-1280.png", full_page=True)


def test_edit_customer_in_modal(logged_in_page):
    page = logged_in_page
    make_juergen(email="juergen@example.de", phone="+49301234567")
    page.reload()
    mark_page(page)

    dialog = open_row_modal(page, "Müller-Lüdenscheidt", "Bearbeiten")
    expect(dialog.get_by_role("heading", name="Kunde bearbeiten")).to_be_visible()
    expect(field(dialog, "Vorname")).to_have_value("Jürgen")
    expect(field(dialog, "Nachname")).to_have_value("Müller-Lüdenscheidt")
    expect(field(dialog, "E-Mail")).to_have_value("juergen@example.de")
    expect(field(dialog, "Telefon")).to_have_value("030 1234567")
    expect(field(dialog, "Geburtsdatum")).to_have_value("17.05.1980")
    fill_customer_form(dialog, {"Telefon": "0170 9876543"})
    click_save(dialog)

    expect(dialog).to_be_hidden()
    expect(messages(page)).to_contain_text("Kunde erfolgreich gespeichert.")
    expect(row_for(page, "Müller-Lüdenscheidt")).to_contain_text("0170 9876543")
    assert_no_navigation(page)


def test_detail_page_from_list(logged_in_page, artifacts):
    page = logged_in_page
    make_juergen(email="juergen@example.de", phone="+49301234567")
    page.reload()

    row_for(page, "Müller-Lüdenscheidt").get_by_role("link", name="Müller-Lüdenscheidt").click()

    expect(page.get_by_role("heading", name="Jürgen Müller-Lüdenscheidt")).to_be_visible()
    details = page.locator("#customer-details")
    expect(details).to_contain_text("juergen@example.de")
    expect(details).to_contain_text("030 1234567")
    expect(details).to_contain_text("17.05.1980")
    page.screenshot(path=artifacts / "customer-detail-1280.png", full_page=True)


def test_row_actions_are_visible_at_desktop_width(logged_in_page):
    page = logged_in_page
    make_juergen(
        email="juergen@example.de",
        phone="+49301234567",
        insurance_provider=factories.insurance("AOK Bayern"),
        last_exam_date=datetime.date(2024, 3, 1),
    )
    page.reload()

    row = row_for(page, "Müller-Lüdenscheidt")
    for action in ("Bearbeiten", "Löschen"):
        expect(row.get_by_role("link", name=action)).to_be_in_viewport(ratio=1)


def test_search_ignores_accents_and_updates_url(logged_in_page):
    page = logged_in_page
    make_juergen()
    factories.customer(first_name="Erika", last_name="Mustermann")
    factories.customer(first_name="Hans", last_name="Lüdtke")
    page.reload()
    expect(table_rows(page)).to_have_count(3)
    mark_page(page)

    for query in ("mueller", "luedenscheidt", "ludenscheidt"):
        search(page, query)
        expect(table_rows(page)).to_have_count(1)
        expect(first_column(page)).to_contain_text(["Müller-Lüdenscheidt, Jürgen"])

    search(page, "schmidt")
    expect(table_rows(page)).to_have_count(0)
    expect(page.locator("#customer-table")).to_contain_text("Keine Kunden gefunden.")
    assert_no_navigation(page)


def test_delete_customer_with_confirmation(logged_in_page):
    page = logged_in_page
    make_juergen()
    factories.customer(first_name="Erika", last_name="Mustermann")
    page.reload()
    mark_page(page)

    dialog = open_row_modal(page, "Müller-Lüdenscheidt", "Löschen")
    expect(dialog.get_by_role("heading", name="Kunde löschen")).to_be_visible()
    expect(dialog).to_contain_text("Jürgen Müller-Lüdenscheidt")
    dialog.get_by_role("button", name="Löschen").click()

    expect(dialog).to_be_hidden()
    expect(row_for(page, "Müller-Lüdenscheidt")).to_have_count(0)
    expect(table_rows(page)).to_have_count(1)
    expect(messages(page)).to_contain_text("Kunde Jürgen Müller-Lüdenscheidt gelöscht.")
    assert_no_navigation(page)

    go_to(page, "Gelöschte Kunden")
    expect(row_for(page, "Müller-Lüdenscheidt, Jürgen")).to_be_visible()


def test_restore_deleted_customer(logged_in_page, artifacts):
    page = logged_in_page
    juergen = make_juergen()
    services.customer_soft_delete(customer_id=juergen.pk)
    factories.customer(first_name="Erika", last_name="Mustermann")

    go_to(page, "Gelöschte Kunden")
    expect(page.get_by_role("heading", name="Gelöschte Kunden")).to_be_visible()
    expect(first_column(page)).to_contain_text(["Müller-Lüdenscheidt, Jürgen"])
    page.screenshot(path=artifacts / "customers-deleted-1280.png", full_page=True)
    mark_page(page)

    row_for(page, "Müller-Lüdenscheidt").get_by_role("button", name="Wiederherstellen").click()

    expect(messages(page)).to_contain_text("Kunde Jürgen Müller-Lüdenscheidt wiederhergestellt.")
    expect(table_rows(page)).to_have_count(0)
    expect(page.locator("#customer-table")).to_contain_text("keine gelöschten Kunden")
    assert_no_navigation(page)

    go_to(page, "Kunden")
    expect(row_for(page, "Müller-Lüdenscheidt, Jürgen")).to_be_visible()
    expect(table_rows(page)).to_have_count(2)


# --- Modal behaviour -------------------------------------------------------------


def _press_escape(page: Page) -> None:
    page.keyboard.press("Escape")


def _click_backdrop(page: Page) -> None:
    page.mouse.click(5, 5)


def _click_cancel(page: Page) -> None:
    modal(page).get_by_role("link", name="Abbrechen").click()


def _click_close_button(page: Page) -> None:
    modal(page).get_by_role("button", name="Schließen").click()


@pytest.mark.parametrize(
    "close", [_press_escape, _click_backdrop, _click_cancel, _click_close_button]
)
def test_modal_closes_and_returns_focus(logged_in_page, close):
    page = logged_in_page
    mark_page(page)

    dialog = open_new_customer_modal(page)
    # The first field, the salutation (Anrede) as on every German form (issue 23).
    expect(dialog.locator("#id_salutation")).to_be_focused()
    close(page)

    expect(dialog).to_be_hidden()
    expect(new_customer_button(page)).to_be_focused()
    expect(page.locator("#modal-content")).to_be_empty()
    expect(table_rows(page)).to_have_count(0)
    assert_no_navigation(page)


@pytest.mark.parametrize("size", [None, PHONE])
def test_a_typed_draft_is_never_thrown_away_unasked(logged_in_page, artifacts, size):
    page = logged_in_page
    if size:
        page.set_viewport_size(size)
    dialog = open_new_customer_modal(page)
    fill_customer_form(dialog, {"Vorname": "Jürgen", "Nachname": "Müller", "E-Mail": "j@"})
    questions, reply = [], {"discard": False}

    def answer(question):
        questions.append(question.message)
        question.accept() if reply["discard"] else question.dismiss()

    page.on("dialog", answer)
    # The backdrop never discards typed input, and asks nothing.
    _click_backdrop(page)
    expect(dialog).to_be_visible()
    assert questions == []
    # Escape, × and Abbrechen ask; "no" keeps everything.
    for close in (_press_escape, _click_close_button, _click_cancel):
        close(page)
        expect(dialog).to_be_visible()
    expect(field(dialog, "Nachname")).to_have_value("Müller")
    assert questions == ["Änderungen verwerfen? Ihre Eingaben gehen verloren."] * 3
    page.screenshot(path=artifacts / f"modal-draft-{size['width'] if size else 1280}.png")
    # Sent back with an error it is still a draft: nothing is saved yet.
    click_save(dialog)
    expect(dialog.locator(".field-error").first).to_be_visible()
    _click_backdrop(page)
    expect(dialog).to_be_visible()
    reply["discard"] = True
    _press_escape(page)
    expect(dialog).to_be_hidden()
    assert len(questions) == 4
    expect(table_rows(page)).to_have_count(0)


def test_modal_fields_have_their_own_labels(logged_in_page):
    """The modal sits on the list page next to the filter form; its fields
    must not share an id with the filters, or their labels point elsewhere."""
    page = logged_in_page
    dialog = open_new_customer_modal(page)

    duplicate_ids = page.evaluate(
        """() => {
            const ids = [...document.querySelectorAll("[id]")].map((element) => element.id);
            return [...new Set(ids.filter((id, index) => ids.indexOf(id) !== index))];
        }"""
    )
    assert duplicate_ids == []
    field(dialog, "Status").select_option(label="Interessent")
    expect(field(dialog, "Status")).to_have_value("prospect")


def test_click_inside_modal_does_not_close_it(logged_in_page):
    page = logged_in_page
    dialog = open_new_customer_modal(page)
    dialog.get_by_role("heading", name="Neuer Kunde").click()
    dialog.locator(".modal-body").click(position={"x": 5, "y": 5})
    expect(dialog).to_be_visible()


# --- Sorting -----------------------------------------------------------------------


def test_sorting_keeps_search_and_survives_reload(logged_in_page):
    page = logged_in_page
    factories.customer(
        first_name="Anton", last_name="Müller", date_of_birth=datetime.date(1990, 1, 1)
    )
    factories.customer(
        first_name="Zoe", last_name="Müller", date_of_birth=datetime.date(1970, 1, 1)
    )
    factories.customer(first_name="Max", last_name="Mustermann")
    page.reload()
    search(page, "mueller")
    expect(first_column(page)).to_have_text(["Müller, Anton", "Müller, Zoe"])

    # The cursor is still in the search box, as after typing.
    with table_swap(page):
        page.get_by_role("link", name="Geburtsdatum", exact=True).click()

    expected_order = ["Müller, Zoe", "Müller, Anton"]
    expect(first_column(page)).to_have_text(expected_order)
    expect(page.get_by_role("columnheader", name="Geburtsdatum")).to_have_attribute(
        "aria-sort", "ascending"
    )
    expect(page).to_have_url(re.compile(r"[?&]sort=date_of_birth(&|$)"))
    expect(page).to_have_url(re.compile(r"[?&]q=mueller(&|$)"))

    page.reload()
    expect(first_column(page)).to_have_text(expected_order)
    expect(page.get_by_role("searchbox", name="Suche")).to_have_value("mueller")
    expect(page.get_by_role("columnheader", name="Geburtsdatum")).to_have_attribute(
        "aria-sort", "ascending"
    )

    # A new search after sorting keeps the sort order.
    search(page, "muller")
    expect(first_column(page)).to_have_text(expected_order)
    expect(page).to_have_url(re.compile(r"[?&]sort=date_of_birth(&|$)"))


# --- Phone width -------------------------------------------------------------------


def test_create_customer_at_phone_width(logged_in_page, artifacts):
    page = logged_in_page
    factories.customer(first_name="Erika", last_name="Mustermann", phone="+49301234567")
    page.set_viewport_size(PHONE)
    page.reload()
    mark_page(page)
    page.screenshot(path=artifacts / "customers-list-390.png", full_page=True)

    dialog = open_new_customer_modal(page)
    fill_customer_form(dialog, NEW_CUSTOMER)
    click_save(dialog)
    expect(dialog.get_by_text("Bitte geben Sie eine gültige E-Mail-Adresse ein.")).to_be_visible()
    page.screenshot(path=artifacts / "customer-modal-errors-390.png")

    fill_customer_form(dialog, {"E-Mail": "juergen@example.de"})
    click_save(dialog)

    expect(dialog).to_be_hidden()
    expect(messages(page)).to_contain_text("Kunde Jürgen Müller-Lüdenscheidt angelegt.")
    expect(row_for(page, "Müller-Lüdenscheidt, Jürgen")).to_be_visible()
    expect(table_rows(page)).to_have_count(2)
    assert_no_navigation(page)


def test_focus_returns_to_the_edit_button_after_saving(logged_in_page):
    page = logged_in_page
    make_juergen()
    page.reload()

    dialog = open_row_modal(page, "Müller-Lüdenscheidt", "Bearbeiten")
    fill_customer_form(dialog, {"Vorname": "Jürgen Karl"})
    with table_swap(page):
        click_save(dialog)

    expect(dialog).to_be_hidden()
    expect(row_for(page, "Jürgen Karl").get_by_role("link", name="Bearbeiten")).to_be_focused()


@pytest.mark.parametrize("failure", ["server_error", "connection_lost"])
def test_failed_save_keeps_modal_and_input(logged_in_page, failure):
    page = logged_in_page
    dialog = open_new_customer_modal(page)
    fill_customer_form(dialog, {**NEW_CUSTOMER, "E-Mail": "juergen@example.de"})

    def fail(route):
        if failure == "server_error":
            route.fulfill(status=500, body="Internal Server Error")
        else:
            route.abort("connectionreset")

    page.route("**/customers/new/", fail)
    click_save(dialog)

    expect(dialog.get_by_role("alert")).to_contain_text("Fehler beim Speichern")
    expect(dialog).to_be_visible()
    expect(field(dialog, "Nachname")).to_have_value("Müller-Lüdenscheidt")
    assert not Customer.objects.exists()

    page.unroute("**/customers/new/")
    click_save(dialog)
    expect(dialog).to_be_hidden()
    expect(row_for(page, "Müller-Lüdenscheidt")).to_be_visible()


def test_concurrent_edit_shows_conflict_and_loses_nothing(logged_in_page):
    page = logged_in_page
    juergen = make_juergen(email="alt@example.de")
    page.reload()

    dialog = open_row_modal(page, "Müller-Lüdenscheidt", "Bearbeiten")
    # A colleague saves while the modal is open.
    services.customer_update(
        customer_id=juergen.pk, data={"email": "kollegin@example.de"}, expected_version=1
    )
    fill_customer_form(dialog, {"E-Mail": "meine@example.de"})
    click_save(dialog)

    expect(dialog.get_by_role("alert")).to_contain_text("zwischenzeitlich")
    expect(dialog).to_contain_text("kollegin@example.de")
    expect(field(dialog, "E-Mail")).to_have_value("meine@example.de")

    click_save(dialog)
    expect(dialog).to_be_hidden()
    expect(row_for(page, "Müller-Lüdenscheidt")).to_contain_text("meine@example.de")


def test_selecting_text_and_releasing_over_backdrop_keeps_modal_open(logged_in_page):
    page = logged_in_page
    dialog = open_new_customer_modal(page)
    first_name = field(dialog, "Vorname")
    first_name.fill("Jürgen")
    box = first_name.bounding_box()
    page.mouse.move(box["x"] + 5, box["y"] + box["height"] / 2)
    page.mouse.down()
    page.mouse.move(5, 5)  # over the backdrop
    page.mouse.up()
    expect(dialog).to_be_visible()
    expect(first_name).to_have_value("Jürgen")


def test_editing_on_the_detail_page_updates_its_heading(logged_in_page, live_server):
    page = logged_in_page
    juergen = make_juergen()
    page.goto(f"{live_server.url}/customers/{juergen.pk}/")
    page.get_by_role("link", name="Bearbeiten").click()
    dialog = modal(page)
    fill_customer_form(dialog, {"Nachname": "Lüdenscheidt"})
    click_save(dialog)
    expect(dialog).to_be_hidden()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Jürgen Lüdenscheidt")
    expect(page.locator(".breadcrumbs")).to_contain_text("Jürgen Lüdenscheidt")
