"""Refractions in a real browser: typing both eyes with Tab and decimal
commas, the axis error, transposing, saving into the history, the card.

Screenshots for people to look at go to the ``artifacts`` folder."""

import datetime
import re
from decimal import Decimal

import pytest
from playwright.sync_api import Locator, Page, expect

from customers.tests import factories as customer_factories
from prescriptions.tests.factories import refraction

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}


@pytest.fixture
def optician_page(page, live_server, optician, password) -> Page:
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", optician.username)
    page.fill("#id_password", password)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")  # the start page (Heute)
    page.goto(f"{live_server.url}/customers/")
    return page


@pytest.fixture
def customer():
    return customer_factories.customer(
        first_name="Jürgen", last_name="Weiß", date_of_birth=datetime.date(1962, 4, 3)
    )


def modal(page: Page) -> Locator:
    return page.locator("dialog#modal")


def eye(dialog: Locator, label: str) -> Locator:
    return dialog.get_by_label(label, exact=True)


def type_row(page: Page, values: list[str]) -> None:
    """Type a row of values, Tab after each: the way an optician fills the form."""
    for value in values:
        if value:
            page.keyboard.type(value)
        page.keyboard.press("Tab")


def test_enter_both_eyes_fix_the_axis_and_see_history_and_card(
    optician_page, live_server, customer, artifacts
):
    page = optician_page
    page.goto(f"{live_server.url}/customers/{customer.pk}/")
    expect(page.locator("#customer-refractions")).to_contain_text("Noch keine Refraktion erfasst.")
    page.get_by_role("link", name="Neue Refraktion").click()
    dialog = modal(page)
    expect(dialog).to_be_visible()
    expect(dialog.get_by_role("heading", name="Neue Refraktion")).to_be_visible()

    eye(dialog, "R Sph").click()
    # R: Sph, Zyl, A (forgotten), Add, Prisma H, Basis, Prisma V, Basis, Visus sc, Visus cc, PD
    type_row(page, ["+1,25", "-0,50", "", "2,00", "", "", "", "", "0,6", "1,0", "31,5"])
    expect(eye(dialog, "L Sph")).to_be_focused()
    type_row(page, ["1.00", "", "", "2", "", "", "", "", "0,8", "1,25", "32"])
    expect(dialog.locator("#se-right")).to_have_text("+1,00")
    page.screenshot(path=artifacts / "refraction-modal-desktop.png")
    dialog.get_by_role("button", name="Speichern").click()

    expect(dialog.locator(".eye-errors")).to_contain_text(
        "R A: Bitte die Achse des Zylinders angeben."
    )
    expect(eye(dialog, "R A")).to_have_attribute("aria-invalid", "true")
    expect(eye(dialog, "R A")).to_be_focused()
    # What was typed is kept, in German notation.
    expect(eye(dialog, "R Sph")).to_have_value("+1,25")
    expect(eye(dialog, "L Visus cc")).to_have_value("1,25")
    page.keyboard.type("90")

    dialog.get_by_role("button", name="Zylinder transponieren").click()
    expect(eye(dialog, "R Sph")).to_have_value("+0,75")
    expect(eye(dialog, "R Zyl")).to_have_value("+0,50")
    expect(eye(dialog, "R A")).to_have_value("180")
    dialog.get_by_role("button", name="Speichern").click()

    expect(dialog).to_be_hidden()
    refractions = page.locator("#customer-refractions")
    # Stored in minus cylinder, whatever notation was entered.
    expect(refractions.locator(".compact-notation")).to_contain_text(
        "R: Sph +1,25 Zyl −0,50 A 90° Add 2,00"
    )
    expect(refractions.locator(".compact-notation")).to_contain_text("L: Sph +1,00 Add 2,00")
    expect(refractions.locator(".history-record")).to_have_count(1)
    expect(page.locator(".messages")).to_contain_text("Refraktion gespeichert.")
    page.screenshot(path=artifacts / "refraction-customer-desktop.png", full_page=True)

    refractions.get_by_role("link", name="Brillenpass (drucken)").click()
    expect(page.get_by_text("Weiß", exact=False).first).to_be_visible()
    expect(page.locator("body")).to_contain_text("+1,25")
    expect(page.locator("body")).to_contain_text("−0,50")
    page.screenshot(path=artifacts / "refraction-card-desktop.png", full_page=True)
    page.set_viewport_size(PHONE)
    page.screenshot(path=artifacts / "refraction-card-phone.png", full_page=True)
    page.emulate_media(media="print")
    page.screenshot(path=artifacts / "refraction-card-print.png", full_page=True)


def test_correction_and_phone_layout(optician_page, live_server, optician, customer, artifacts):
    refraction(customer, optician, date=datetime.date(2024, 5, 2))
    refraction(customer, optician, right_sphere=Decimal("1.5"), date=datetime.date(2026, 3, 12))
    page = optician_page
    page.set_viewport_size(PHONE)
    page.goto(f"{live_server.url}/customers/{customer.pk}/")
    history = page.locator("#customer-refractions .history-record")
    expect(history).to_have_count(2)
    changed = history.first.locator("td.changed")
    expect(changed).to_have_count(1)
    expect(changed).to_have_attribute("title", "vorher: +1,25")
    expect(changed).to_contain_text("+1,50")

    history.first.get_by_role("link", name="Korrigieren").click()
    dialog = modal(page)
    expect(dialog.get_by_role("heading", name="Refraktion korrigieren")).to_be_visible()
    expect(eye(dialog, "R Sph")).to_have_value("+1,50")
    page.screenshot(path=artifacts / "refraction-modal-phone.png")
    eye(dialog, "R Sph").fill("+1,75")
    dialog.get_by_role("button", name="Speichern").click()
    expect(dialog).to_be_hidden()
    expect(history).to_have_count(3)
    expect(page.locator("#customer-refractions .superseded")).to_contain_text("ersetzt am")
    expect(page.locator("#customer-refractions .compact-notation")).to_contain_text("Sph +1,75")
    page.screenshot(path=artifacts / "refraction-customer-phone.png", full_page=True)


def test_take_over_values_keeps_what_was_chosen(optician_page, live_server, optician, customer):
    refraction(
        customer,
        optician,
        right_sphere=Decimal("-3.5"),
        right_cylinder=Decimal("-1"),
        right_axis=15,
    )
    page = optician_page
    page.goto(f"{live_server.url}/customers/{customer.pk}/")
    page.get_by_role("link", name="Neue Refraktion").click()
    dialog = modal(page)
    dialog.get_by_label("Art").select_option(label="Objektive Refraktion (Autorefraktometer)")
    dialog.get_by_role("button", name="Werte von letzter Refraktion übernehmen").click()
    expect(eye(dialog, "R Sph")).to_have_value("−3,50")
    expect(eye(dialog, "R A")).to_have_value("15")
    expect(dialog.get_by_label("Art")).to_have_value("objective")


def test_contact_lens_fitting(optician_page, live_server, customer, artifacts):
    from products.models import Category
    from products.tests.factories import product

    product(category=Category.CONTACT_LENS, name="Biofinity toric")
    page = optician_page
    page.goto(f"{live_server.url}/customers/{customer.pk}/")
    page.get_by_role("link", name="Neue Kontaktlinsenanpassung").click()
    dialog = modal(page)
    expect(dialog.get_by_role("heading", name="Neue Kontaktlinsenanpassung")).to_be_visible()
    # Lenses are listed with their article number.
    expect(eye(dialog, "R Linse").locator("option").nth(1)).to_contain_text("Biofinity toric (")
    eye(dialog, "R Linse").select_option(index=1)
    eye(dialog, "R Linse").press("Tab")
    type_row(page, ["8,7", "14,5", "-2,25", "-0,75", "", "", ""])
    eye(dialog, "R Tauschrhythmus").select_option(label="Monatslinse")
    dialog.get_by_role("button", name="Speichern").click()
    expect(dialog.locator(".eye-errors")).to_contain_text(
        "R A: Bitte die Achse des Zylinders angeben."
    )
    eye(dialog, "R A").fill("170")
    page.screenshot(path=artifacts / "fitting-modal-desktop.png")
    dialog.get_by_role("button", name="Speichern").click()
    expect(dialog).to_be_hidden()
    fittings = page.locator("#customer-fittings")
    expect(fittings.locator(".history-record")).to_have_count(1)
    expect(fittings).to_contain_text("Biofinity toric")
    expect(fittings).to_contain_text("Monatslinse")
    expect(fittings).to_contain_text("170°")


def test_recall_filter_in_the_customer_list(optician_page, live_server, optician, artifacts):
    from django.utils import timezone

    from customers.validators import years_before

    due = customer_factories.customer(last_name="Fällig")
    recent = customer_factories.customer(last_name="Frisch")
    refraction(due, optician, date=years_before(timezone.localdate(), 3))
    refraction(recent, optician, date=timezone.localdate())
    page = optician_page
    page.goto(f"{live_server.url}/customers/")
    rows = page.locator("#customer-table tbody tr:not(.empty-row)")
    expect(rows).to_have_count(2)
    page.get_by_label("Refraktion älter als 2 Jahre").check()
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Fällig")
    # The filter is in the address, so a reload or a shared link keeps it.
    expect(page).to_have_url(re.compile(r"/customers/\?.*recall=on"))
    page.screenshot(path=artifacts / "customers-recall-filter.png")
