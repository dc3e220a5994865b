"""The erasure (DSGVO Art. 17) in a real browser: the owner opens the
customer's page, "Daten löschen" explains what goes and what the law
keeps, the confirmation is asked for, and the customer is gone.
Screenshots: test-artifacts/erasure-*.png."""

import datetime

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from customers.models import Customer, Erasure
from customers.tests import factories
from customers.tests.test_browser_address import login
from customers.tests.test_retention import run_queued_reviews
from prescriptions.tests.factories import refraction

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_owner_erases_a_customer_from_the_customer_page(
    page, live_server, owner, password, artifacts
):
    customer = factories.customer(first_name="Grete", last_name="Öztürk")
    refraction(customer, owner)
    login(page, live_server, owner, password)
    page.goto(f"{live_server.url}/customers/{customer.pk}/")
    page.locator("#customer-privacy [data-erase]").click()
    modal = page.locator("#modal-content")
    expect(modal).to_contain_text("Daten löschen (DSGVO Art. 17)")
    expect(modal.locator("[data-erased]")).to_contain_text("Refraktionen: 1")
    expect(modal.locator("[data-kept]")).to_contain_text("§ 147 AO")
    for width, height in ((1280, 900), (390, 844)):
        page.set_viewport_size({"width": width, "height": height})
        page.screenshot(path=str(artifacts / f"erasure-{width}.png"))

    modal.get_by_role("button", name="Endgültig löschen").click()
    expect(modal).to_contain_text("Bitte bestätigen Sie die Löschung zuerst.")
    assert Customer.objects.filter(pk=customer.pk).exists()

    modal.get_by_label("Ich habe die Löschung geprüft").check()
    modal.get_by_role("button", name="Endgültig löschen").click()
    expect(page.locator("#messages")).to_contain_text(
        f"Die Daten von Kunde {customer.pk} wurden gelöscht."
    )
    expect(page).to_have_url(f"{live_server.url}/customers/")
    assert not Customer.objects.filter(pk=customer.pk).exists()
    assert Erasure.objects.get().customer_number == customer.pk


def test_the_owner_reviews_the_retention_list_and_erases_from_it(
    page, live_server, owner, password, artifacts
):
    long_ago = timezone.now() - datetime.timedelta(days=365 * 12)
    people = [factories.customer(first_name="Alt", last_name=name) for name in ("Abel", "Berg")]
    Customer.objects.update(created_at=long_ago)
    login(page, live_server, owner, password)
    page.goto(f"{live_server.url}/customers/deleted/")
    page.locator("[data-retention-link]").click()
    expect(page.locator("[data-retention-summary]")).to_contain_text("Noch keine Liste")
    page.locator("[data-retention-make]").click()
    expect(page.locator("#messages")).to_contain_text("im Hintergrund neu erstellt")
    assert run_queued_reviews() == 1  # the worker's part
    page.reload()
    expect(page.locator("[data-retention-summary]")).to_contain_text("2 Kunden ohne jeden Kontakt")
    table = page.locator("#retention-table")
    expect(table.locator("[data-customer]")).to_have_count(2)
    for width, height in ((1280, 900), (390, 844)):
        page.set_viewport_size({"width": width, "height": height})
        page.screenshot(path=str(artifacts / f"retention-{width}.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})

    table.locator(f"[data-customer='{people[0].pk}'] [data-erase]").click()
    modal = page.locator("#modal-content")
    modal.get_by_label("Ich habe die Löschung geprüft").check()
    modal.get_by_role("button", name="Endgültig löschen").click()
    expect(table.locator("[data-customer]")).to_have_count(1)
    expect(table).to_contain_text("Alt Berg")
    assert not Customer.objects.filter(pk=people[0].pk).exists()
