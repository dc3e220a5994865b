"""Issue 23 in a real browser: a customer with salutation and postal
address made in the modal, found by postcode and town in the list, shown
as an address block on their page; the recall list with the date it filters
by. Screenshots (1280 and 390 px wide) go to test-artifacts/issue23-*.png.

Fields are found by their ids, not their labels: the labels' German
arrives with the next translation round."""

import datetime
import re

import pytest
from playwright.sync_api import Page, expect

from customers.models import Customer
from customers.selectors import recall_cutoff
from customers.tests import factories
from customers.tests.test_browser import (
    PHONE,
    click_save,
    modal,
    open_new_customer_modal,
    row_for,
    search,
    table_rows,
)
from prescriptions.tests.factories import refraction

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ERIKA = {
    "#id_title": "Dr.",
    "#id_first_name": "Erika",
    "#id_last_name": "Mustermann",
    "#id_street": "Musterstraße 12",
    "#id_postcode": "12345",
    "#id_town": "Musterstadt",
    "#id_date_of_birth": "3.4.61",
}


def fill(dialog, values: dict[str, str]) -> None:
    for selector, value in values.items():
        dialog.locator(selector).fill(value)


def login(page: Page, live_server, user, password) -> Page:
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", user.username)
    page.fill("#id_password", password)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")  # the start page (Heute)
    page.goto(f"{live_server.url}/customers/")
    return page


def test_a_customer_with_an_address_is_made_in_the_modal_and_found_by_postcode(
    logged_in_page, live_server, artifacts
):
    page = logged_in_page
    factories.customer(first_name="Hans", last_name="Anders", postcode="54321", town="Anderswo")
    page.reload()

    dialog = open_new_customer_modal(page)
    expect(dialog.locator("#id_country")).to_have_value("DE")
    dialog.locator("#id_salutation").select_option("ms")
    fill(dialog, {**ERIKA, "#id_postcode": "1234"})
    click_save(dialog)
    # A German postcode has five digits: said at the field, the input kept.
    expect(dialog.locator("#id_postcode_error")).to_be_visible()
    expect(dialog.locator("#id_postcode")).to_be_focused()
    expect(dialog.locator("#id_street")).to_have_value("Musterstraße 12")
    dialog.locator("#id_postcode").fill("12345")
    page.screenshot(path=artifacts / "issue23-customer-modal-1280.png")
    click_save(dialog)
    expect(dialog).to_be_hidden()

    erika = Customer.objects.get(last_name="Mustermann")
    assert (erika.salutation, erika.title, erika.postcode) == ("ms", "Dr.", "12345")
    assert erika.date_of_birth == datetime.date(1961, 4, 3)

    search(page, "12345")
    expect(table_rows(page)).to_have_count(1)
    expect(row_for(page, "Mustermann, Erika")).to_be_visible()
    search(page, "Musterstadt")
    expect(table_rows(page)).to_have_count(1)
    search(page, "54321")
    expect(row_for(page, "Anders, Hans")).to_be_visible()
    expect(table_rows(page)).to_have_count(1)

    search(page, "12345")
    row_for(page, "Mustermann, Erika").get_by_role("link", name="Mustermann, Erika").click()
    expect(page).to_have_url(re.compile(rf"/customers/{erika.pk}/$"))
    address = page.locator("address.postal-address")
    expect(address).to_contain_text("Dr. Erika Mustermann")
    expect(address).to_contain_text("Musterstraße 12")
    expect(address).to_contain_text("12345 Musterstadt")
    expect(page.locator("#customer-details")).to_contain_text("03.04.1961")
    page.screenshot(path=artifacts / "issue23-customer-page-1280.png", full_page=True)


def test_the_modal_and_the_page_on_a_phone(logged_in_page, live_server, artifacts):
    page = logged_in_page
    erika = factories.customer(
        first_name="Erika",
        last_name="Mustermann",
        salutation="ms",
        title="Dr.",
        street="Musterstraße 12",
        postcode="12345",
        town="Musterstadt",
        email="erika.mustermann@example.de",
        phone="0151 23456789",
        last_exam_date=datetime.date.today() - datetime.timedelta(days=3),
        notes="Gleitsichtbrille",
    )
    page.set_viewport_size(PHONE)
    page.goto(f"{live_server.url}/customers/{erika.pk}/")
    expect(page.locator("address.postal-address")).to_contain_text("12345 Musterstadt")
    page.screenshot(path=artifacts / "issue23-customer-page-390.png", full_page=True)

    page.get_by_role("link", name="Bearbeiten").click()
    dialog = modal(page)
    expect(dialog).to_be_visible()
    expect(dialog.locator("#id_street")).to_have_value("Musterstraße 12")
    # Everything fits the phone's width: no field sticks out sideways.
    overflow = page.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0
    dialog.locator("#id_town").fill("Neustadt")
    dialog.locator("#id_notes").scroll_into_view_if_needed()
    page.screenshot(path=artifacts / "issue23-customer-modal-390.png")
    # A changed modal asks before it throws the change away.
    page.once("dialog", lambda question: question.accept())
    dialog.get_by_role("link", name="Abbrechen").click()
    expect(dialog).to_be_hidden()
    assert Customer.objects.get(pk=erika.pk).town == "Musterstadt"


def test_the_recall_list_shows_the_refraction_date_it_filters_by(
    page, live_server, optician, password, artifacts
):
    today = datetime.date.today()
    old = recall_cutoff(today) - datetime.timedelta(days=40)
    seen = factories.customer(first_name="Gerda", last_name="Gestern", town="München")
    refraction(seen, optician, date=old)
    Customer.objects.filter(pk=seen.pk).update(last_exam_date=today - datetime.timedelta(days=1))
    login(page, live_server, optician, password)
    page.locator("#filter_recall").check()
    expect(page).to_have_url(re.compile(r"recall=on"))
    row = row_for(page, "Gestern, Gerda")
    expect(row).to_contain_text(old.strftime("%d.%m.%Y"))
    expect(row).to_contain_text((today - datetime.timedelta(days=1)).strftime("%d.%m.%Y"))
    page.screenshot(path=artifacts / "issue23-customer-recall-list-1280.png", full_page=True)
    # The customer's page says which date is which.
    row.get_by_role("link", name="Gestern, Gerda").click()
    details = page.locator("#customer-details")
    expect(details).to_contain_text(old.strftime("%d.%m.%Y"))
    page.screenshot(path=artifacts / "issue23-customer-page-dates-1280.png", full_page=True)
    page.go_back()
    page.set_viewport_size(PHONE)
    expect(row_for(page, "Gestern, Gerda")).to_be_visible()
    page.screenshot(path=artifacts / "issue23-customer-recall-list-390.png", full_page=True)
