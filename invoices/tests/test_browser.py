"""An invoice in a real browser, as the shop makes it: from the order page
to a draft, issued after the confirmation modal, the rest paid in the
payment modal, and cancelled with a reason in its modal, which leads to the
cancellation invoice. Buttons are found by their data attributes, so the
test holds before and after the German translation."""

import os
from decimal import Decimal
from pathlib import Path

import pytest
from django.urls import reverse
from playwright.sync_api import Page, expect

from appointments.tests.test_browser_list import settled
from customers.tests import factories as customer_factories
from invoices.models import Invoice, InvoiceDocument, Kind, Payment, State
from invoices.tests.factories import repair_order, run_queued_drawings

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = Path("/tmp/invoice_shots")


def shot(page: Page, name: str) -> None:
    """A screenshot for people to judge the layout, only when asked for."""
    if os.environ.get("SCREENSHOTS") != "1":
        return
    SHOTS.mkdir(parents=True, exist_ok=True)
    settled(page)
    page.screenshot(path=SHOTS / f"{name}.png", full_page=True)


def modal(page: Page):
    return page.locator("dialog#modal")


def badge(page: Page):
    return page.locator("#invoice-state")


def test_from_the_order_to_a_paid_and_then_cancelled_invoice(logged_in_page, live_server):
    page = logged_in_page
    customer = customer_factories.customer(
        first_name="Erika",
        last_name="Muster",
        street="Lindenweg 3",
        postcode="80331",
        town="München",
    )
    order = repair_order(customer, deposit=Decimal("100.00"))

    page.goto(live_server.url + reverse("orders:detail", args=[order.pk]))
    page.locator("[data-create-invoice]").click()
    invoice = Invoice.objects.get(order=order)
    page.wait_for_url(live_server.url + reverse("invoices:detail", args=[invoice.pk]))
    expect(badge(page)).to_have_text(str(State.DRAFT.label))
    expect(page.locator("#invoice-payments")).to_contain_text("100,00")

    page.locator("[data-issue]").click()
    expect(modal(page)).to_be_visible()
    settled(page)
    modal(page).locator("button[type=submit]").click()
    expect(modal(page)).to_be_hidden()
    expect(badge(page)).to_have_text(str(State.PARTLY_PAID.label))
    invoice.refresh_from_db()
    expect(page.locator("h1")).to_contain_text(invoice.number)
    assert run_queued_drawings() == 1  # the worker's part
    assert InvoiceDocument.objects.filter(invoice=invoice).exists()
    expect(page.locator("#invoice-pdf")).to_be_visible()
    shot(page, "issued")

    page.locator("[data-pay]").click()
    expect(modal(page)).to_be_visible()
    settled(page)
    dialog = modal(page)
    expect(dialog.locator("#payment-till-note")).to_be_visible()
    # The open amount is offered; cash asks for the till's receipt first.
    expect(dialog.locator("#id_amount")).to_have_value("189,00")
    dialog.locator("#id_method").select_option("cash")
    dialog.locator("button[type=submit]").click()
    expect(dialog.locator(".field-error")).to_be_visible()
    shot(page, "payment-modal")
    settled(page)
    dialog.locator("#id_receipt_number").fill("K-4711")
    dialog.locator("button[type=submit]").click()
    expect(modal(page)).to_be_hidden()
    expect(badge(page)).to_have_text(str(State.PAID.label))
    assert Payment.objects.get(invoice=invoice, method="cash").receipt_number == "K-4711"

    page.locator("[data-cancel]").click()
    expect(modal(page)).to_be_visible()
    settled(page)
    modal(page).locator("#id_reason").fill("Falscher Preis")
    modal(page).locator("button[type=submit]").click()
    page.wait_for_url(lambda url: "/invoices/" in url and f"/{invoice.pk}/" not in url)
    cancellation = Invoice.objects.get(cancels=invoice)
    assert cancellation.kind == Kind.CANCELLATION
    expect(page.locator("h1")).to_contain_text(cancellation.number)
    expect(badge(page)).to_have_text(str(State.CANCELLED.label))
    shot(page, "cancellation")
    page.goto(live_server.url + reverse("orders:detail", args=[order.pk]))
    expect(page.locator("#order-invoices")).to_contain_text(cancellation.number)
    page.goto(live_server.url + reverse("invoices:list"))
    expect(page.locator("#invoice-table")).to_contain_text(invoice.number)
    shot(page, "list")
    # At phone width the filters stack and nothing runs off the screen.
    page.set_viewport_size({"width": 390, "height": 844})
    for url, name in (
        (reverse("invoices:list"), "list-390"),
        (reverse("invoices:detail", args=[invoice.pk]), "issued-390"),
    ):
        page.goto(live_server.url + url)
        expect(page.locator("h1")).to_be_visible()
        assert page.evaluate("document.documentElement.scrollWidth") <= 390, name
        shot(page, name)


def test_a_counter_sale_by_scanning_the_ean(logged_in_page, live_server):
    """What a scanner does: types the EAN into the focused field and presses
    Enter; the page shows the position, scanned again one more; a product
    found by its name is clicked; then issued and paid by card."""
    from products import services as product_services
    from products.models import Category, StockMovement
    from products.tests.factories import product

    page = logged_in_page
    care = product(
        category=Category.CARE,
        name="All-in-one Lösung 360 ml",
        ean="4006209050309",
        sale_price=Decimal("12.95"),
    )
    case = product(
        category=Category.ACCESSORY, name="Brillenetui Leder", sale_price=Decimal("19.90")
    )
    for item in (care, case):
        product_services.stock_move(product_id=item.pk, kind=StockMovement.Kind.RECEIPT, quantity=3)

    page.goto(live_server.url + reverse("invoices:list"))
    page.locator("[data-new-sale]").click()
    sale = Invoice.objects.get()
    page.wait_for_url(live_server.url + reverse("invoices:detail", args=[sale.pk]))
    scan = page.locator("#invoice-scan")
    expect(scan).to_be_focused()
    for _ in range(2):
        scan.fill("4006209050309")
        scan.press("Enter")
        expect(page.locator("#invoice-lines")).to_contain_text("All-in-one Lösung 360 ml")
        settled(page)
        scan = page.locator("#invoice-scan")
        expect(scan).to_be_focused()
    expect(page.locator("#invoice-gross")).to_contain_text("25,90")

    scan.press_sequentially("etui")
    option = page.locator(f"[data-product-option='{case.pk}']")
    expect(option).to_be_visible()
    shot(page, "counter-sale-search")
    option.click()
    expect(page.locator("#invoice-gross")).to_contain_text("45,80")
    shot(page, "counter-sale")

    page.locator("[data-issue]").click()
    expect(modal(page)).to_be_visible()
    settled(page)
    modal(page).locator("button[type=submit]").click()
    expect(modal(page)).to_be_hidden()
    expect(badge(page)).to_have_text(str(State.OPEN.label))
    care.refresh_from_db()
    assert care.stock == 1

    page.locator("[data-pay]").click()
    expect(modal(page)).to_be_visible()
    settled(page)
    modal(page).locator("button[type=submit]").click()
    expect(modal(page)).to_be_hidden()
    expect(badge(page)).to_have_text(str(State.PAID.label))

    page.set_viewport_size({"width": 390, "height": 844})
    second = page.context.new_page()
    second.set_viewport_size({"width": 390, "height": 844})
    second.goto(live_server.url + reverse("invoices:list"))
    second.locator("[data-new-sale]").click()
    second.wait_for_url(
        lambda url: "/invoices/" in url and url.rstrip("/").split("/")[-1].isdigit()
    )
    second.locator("#invoice-scan").fill("4006209050309")
    second.locator("#invoice-scan").press("Enter")
    expect(second.locator("#invoice-lines")).to_contain_text("All-in-one")
    assert second.evaluate("document.documentElement.scrollWidth") <= 390
    shot(second, "counter-sale-390")


def test_a_company_is_entered_in_the_drafts_modal_and_the_invoice_is_an_e_invoice(
    logged_in_page, live_server
):
    """The business recipient (issue 29): a wrong VAT ID is refused inside
    the modal, the right one saved; the page then says it is an e-invoice."""
    page = logged_in_page
    customer = customer_factories.customer(
        first_name="Erika",
        last_name="Muster",
        street="Lindenweg 3",
        postcode="80331",
        town="München",
    )
    order = repair_order(customer)
    page.goto(live_server.url + reverse("orders:detail", args=[order.pk]))
    page.locator("[data-create-invoice]").click()
    invoice = Invoice.objects.get(order=order)
    page.wait_for_url(live_server.url + reverse("invoices:detail", args=[invoice.pk]))
    expect(page.locator("#invoice-e-invoice")).to_have_count(0)

    page.locator("[data-edit]").click()
    expect(modal(page)).to_be_visible()
    settled(page)
    dialog = modal(page)
    dialog.locator("#id_company_name").fill("Muster Versicherungs GmbH")
    dialog.locator("#id_company_vat_id").fill("DE12345678")
    dialog.locator("#id_company_address").fill("Industriestraße 5\n80939 München")
    dialog.locator("button[type=submit]").click()
    expect(dialog.locator("#id_company_vat_id_error")).to_be_visible()
    settled(page)
    shot(page, "e-invoice-modal-error")
    dialog.locator("#id_company_vat_id").fill("DE 136 695 976")
    dialog.locator("button[type=submit]").click()
    expect(modal(page)).to_be_hidden()
    expect(page.locator("#invoice-e-invoice")).to_be_visible()
    expect(page.locator("#invoice-company")).to_contain_text("DE136695976")
    shot(page, "e-invoice-draft")
    # On a phone: the company's details stay inside the width.
    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    expect(page.locator("#invoice-e-invoice")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    shot(page, "e-invoice-draft-390")
    page.locator("[data-edit]").click()
    expect(modal(page)).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    shot(page, "e-invoice-modal-390")
