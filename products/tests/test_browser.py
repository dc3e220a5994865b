"""The product screens in a real browser: the modal, stock movements updating
the page in place, scanning a barcode into the search box.

Screenshots for people to look at go to the ``artifacts`` folder. Buttons are
found by their links where their labels are not translated yet.
"""

import re
from decimal import Decimal

import pytest
from django.urls import reverse
from playwright.sync_api import Locator, Page, expect

from products import services
from products.demo import demo_ean
from products.models import Category, Product, StockMovement, Supplier
from products.tests.factories import product

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]

PHONE = {"width": 390, "height": 844}
LIST = reverse("products:list")
EAN = demo_ean(4711)


# --- Helpers -------------------------------------------------------------------------


def modal(page: Page) -> Locator:
    return page.locator("dialog#modal")


def field(dialog: Locator, label: str) -> Locator:
    """A form field in the modal by its German label; required ones end in " *"."""
    return dialog.get_by_label(re.compile(rf"^{re.escape(label)}( \*)?$"))


def mark_page(page: Page) -> None:
    """Leave a marker in the window; a page load would wipe it."""
    page.evaluate("window.__marker = 1")


def assert_no_navigation(page: Page) -> None:
    assert page.evaluate("window.__marker") == 1, "the page was reloaded"


def table_rows(page: Page) -> Locator:
    return page.locator("#product-table tbody tr:not(.empty-row)")


def open_products(page: Page, live_server) -> None:
    page.goto(f"{live_server.url}{LIST}")
    expect(page.locator("#product-table")).to_be_visible()


def open_new_product_modal(page: Page) -> Locator:
    page.locator(f'.page-header a[href="{reverse("products:create")}"]').click()
    dialog = modal(page)
    expect(dialog).to_be_visible()
    expect(field(dialog, "Kategorie")).to_be_focused()
    return dialog


def scan(page: Page, code: str) -> None:
    """What a barcode scanner does: type the code into the focused box, then Enter."""
    search = page.get_by_role("searchbox", name="Suche")
    expect(search).to_be_focused()
    search.fill(code)
    search.press("Enter")


# --- The whole life of a frame ------------------------------------------------------------


def test_create_frame_receive_scan_and_deactivate(logged_in_page, live_server, artifacts):
    page = logged_in_page
    Supplier.objects.create(name="Lindberg Deutschland")
    product(article_number="KL-1", category=Category.CONTACT_LENS, name="Dailies Total1")
    open_products(page, live_server)
    expect(table_rows(page)).to_have_count(1)
    mark_page(page)

    # Create a frame through the modal; the frame size appears for frames only.
    dialog = open_new_product_modal(page)
    frame_fields = dialog.locator("[data-frame-only]")
    field(dialog, "Kategorie").select_option(label="Kontaktlinse")
    expect(frame_fields).to_be_hidden()
    field(dialog, "Kategorie").select_option(label="Fassung")
    expect(frame_fields).to_be_visible()
    field(dialog, "Artikelnummer").fill("F-4711")
    field(dialog, "EAN/GTIN").fill(EAN)
    # Count submits and htmx requests in the page itself: Enter's implicit
    # submission would fire them synchronously, within the key press.
    page.evaluate(
        """() => {
          window.__sent = 0;
          const count = () => { window.__sent += 1; };
          document.addEventListener("submit", count, true);
          document.addEventListener("htmx:beforeRequest", count, true);
        }"""
    )
    field(dialog, "EAN/GTIN").press("Enter")  # as a scanner does: the form is not sent yet
    assert page.evaluate("() => window.__sent") == 0
    field(dialog, "Name").fill("Lindberg Strip Titanium 9704")
    field(dialog, "Marke").fill("Lindberg")
    field(dialog, "Glasbreite (mm)").fill("52")
    field(dialog, "Steg (mm)").fill("18")
    field(dialog, "Bügellänge (mm)").fill("140")
    field(dialog, "Lieferant").select_option(label="Lindberg Deutschland")
    field(dialog, "Einkaufspreis (brutto)").fill("190,00")
    field(dialog, "Verkaufspreis (brutto)").fill("1.234,50")
    # The margin follows the typed prices.
    expect(dialog.locator("#product-margin")).to_contain_text("1.044,50 €")
    expect(dialog.locator("#product-margin")).to_contain_text("84,6 %")
    field(dialog, "Mindestbestand").fill("2")
    page.screenshot(path=artifacts / "product-modal-1280.png")
    dialog.get_by_role("button", name="Speichern").click()

    expect(dialog).to_be_hidden()
    row = table_rows(page).filter(has_text="F-4711")
    expect(row).to_contain_text("Lindberg Strip Titanium 9704")
    expect(row).to_contain_text("52□18 140")
    expect(row).to_contain_text("1.234,50 €")
    expect(row.locator(".stock-low")).to_have_text("0")  # below its minimum of 2
    expect(table_rows(page)).to_have_count(2)
    assert_no_navigation(page)
    page.screenshot(path=artifacts / "products-list-1280.png", full_page=True)
    frame = Product.objects.get(article_number="F-4711")
    assert (frame.sale_price, frame.frame_size, frame.ean) == (
        Decimal("1234.50"),
        "52□18 140",
        EAN,
    )

    # Book a Wareneingang of 5 on its page: the stock changes in place.
    row.get_by_role("link", name="Lindberg Strip Titanium 9704").click()
    expect(page).to_have_url(re.compile(rf"/products/{frame.pk}/$"))
    expect(page.locator("#product-stock")).to_have_text("0")
    mark_page(page)
    page.get_by_role("link", name="Wareneingang").click()
    dialog = modal(page)
    expect(dialog.get_by_role("heading", name="Wareneingang")).to_be_visible()
    quantity = dialog.locator("input[name=quantity]")
    expect(quantity).to_be_focused()
    quantity.fill("5")
    dialog.locator("input[name=note]").fill("Lieferung 4711")
    dialog.locator("button[type=submit]").click()

    expect(dialog).to_be_hidden()
    expect(page.locator("#product-stock")).to_have_text("5")
    expect(page.locator("#product-stock")).not_to_have_class(re.compile("stock-low"))
    ledger = page.locator("#product-ledger tbody tr")
    expect(ledger).to_have_count(1)
    expect(ledger.first).to_contain_text("Wareneingang")
    expect(ledger.first).to_contain_text("+5")
    expect(ledger.first).to_contain_text("Lieferung 4711")
    expect(ledger.first).to_contain_text("Anna Schmidt")
    expect(page.locator("#messages")).to_contain_text("Wareneingang")
    assert_no_navigation(page)
    page.screenshot(path=artifacts / "product-detail-1280.png", full_page=True)

    # Find it again by scanning its EAN into the list's search box.
    open_products(page, live_server)
    scan(page, EAN)
    expect(page).to_have_url(re.compile(rf"/products/{frame.pk}/$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("Lindberg Strip Titanium 9704")

    # Deactivate it: it has a movement, so it is kept, but inactive.
    page.locator(f'.page-actions a[href="{reverse("products:delete", args=[frame.pk])}"]').click()
    dialog = modal(page)
    expect(dialog).to_contain_text("Lindberg Strip Titanium 9704")
    dialog.locator("button[type=submit]").click()
    expect(dialog).to_be_hidden()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Inaktiv")
    frame.refresh_from_db()
    assert not frame.active and frame.movements.count() == 1

    open_products(page, live_server)
    expect(table_rows(page)).to_have_count(1)  # active products only
    page.get_by_label("Status").select_option(label="Inaktiv")
    expect(table_rows(page)).to_have_count(1)
    expect(table_rows(page).first).to_contain_text("F-4711")
    expect(page).to_have_url(re.compile(r"[?&]active=no(&|$)"))


# --- Searching and scanning ---------------------------------------------------------------


def test_article_number_and_enter_opens_the_product(logged_in_page, live_server):
    page = logged_in_page
    wanted = product(article_number="F-10", name="Tom Tailor 60618")
    product(article_number="F-100", name="Tom Tailor 60626")
    open_products(page, live_server)
    mark_page(page)

    # Typing alone only searches: "F-10" may be on its way to "F-100".
    search = page.get_by_role("searchbox", name="Suche")
    search.fill("f-10")
    expect(page).to_have_url(re.compile(r"[?&]q=f-10(&|$)"))
    expect(table_rows(page)).to_have_count(2)
    assert_no_navigation(page)

    search.press("Enter")
    expect(page).to_have_url(re.compile(rf"/products/{wanted.pk}/$"))


def test_unknown_code_shows_nothing_found(logged_in_page, live_server):
    page = logged_in_page
    product()
    open_products(page, live_server)
    mark_page(page)
    scan(page, "4006381333931")
    expect(table_rows(page)).to_have_count(0)
    expect(page).to_have_url(re.compile(r"[?&]q=4006381333931(&|$)"))
    assert_no_navigation(page)


def test_invalid_input_and_refused_sale_stay_in_the_modal(logged_in_page, live_server):
    page = logged_in_page
    item = product(article_number="P-1", category=Category.CARE, name="Biotrue 300 ml")
    services.stock_move(product_id=item.pk, kind=StockMovement.Kind.RECEIPT, quantity=2)
    page.goto(f"{live_server.url}{reverse('products:detail', args=[item.pk])}")
    mark_page(page)

    page.get_by_role("link", name="Verkauf").click()
    dialog = modal(page)
    dialog.locator("input[name=quantity]").fill("3")
    dialog.locator("button[type=submit]").click()
    expect(dialog.locator(".field-error")).to_have_text(
        ["Nicht genug Bestand: 2 vorrätig, 3 angefordert."]
    )
    expect(dialog.locator("input[name=quantity]")).to_be_focused()
    expect(page.locator("#product-stock")).to_have_text("2")
    dialog.locator("input[name=quantity]").fill("2")
    dialog.locator("button[type=submit]").click()
    expect(dialog).to_be_hidden()
    expect(page.locator("#product-stock")).to_have_text("0")
    assert_no_navigation(page)

    # A frame size is refused for care products, shown even though hidden before.
    page.get_by_role("link", name="Bearbeiten").click()
    dialog = modal(page)
    expect(dialog.locator("[data-frame-only]")).to_be_hidden()
    dialog.locator("[data-frame-only] input[name=lens_width]").evaluate("el => el.value = '52'")
    field(dialog, "Verkaufspreis (brutto)").fill("14,999")
    dialog.get_by_role("button", name="Speichern").click()
    expect(dialog.locator("[data-frame-only]")).to_be_visible()
    expect(dialog).to_contain_text("Eine Fassungsgröße gibt es nur bei Fassungen.")
    expect(field(dialog, "Verkaufspreis (brutto)")).to_have_value("14,999")


# --- Phone width --------------------------------------------------------------------------


def test_screens_at_phone_width(logged_in_page, live_server, artifacts):
    page = logged_in_page
    frame = product(
        article_number="F-1",
        ean=EAN,
        name="Silhouette Momentum 5529",
        brand="Silhouette",
        colour="Titan matt",
        lens_width=53,
        bridge_width=17,
        temple_length=140,
        minimum_stock=3,
    )
    services.stock_move(product_id=frame.pk, kind=StockMovement.Kind.RECEIPT, quantity=2)
    product(article_number="KL-2", category=Category.CONTACT_LENS, name="Biofinity, 6 Stück")
    page.set_viewport_size(PHONE)
    open_products(page, live_server)
    expect(table_rows(page)).to_have_count(2)
    page.screenshot(path=artifacts / "products-list-390.png", full_page=True)

    dialog = open_new_product_modal(page)
    field(dialog, "Kategorie").select_option(label="Fassung")
    page.screenshot(path=artifacts / "product-modal-390.png")
    # A changed field: Escape asks before the draft goes.
    page.once("dialog", lambda question: question.accept())
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()

    page.goto(f"{live_server.url}{reverse('products:detail', args=[frame.pk])}")
    expect(page.locator("#product-stock")).to_have_text("2")
    page.screenshot(path=artifacts / "product-detail-390.png", full_page=True)
    page.get_by_role("link", name="Korrektur").click()
    expect(modal(page).locator("input[name=quantity]")).to_be_focused()
    page.screenshot(path=artifacts / "product-stock-modal-390.png")

    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{live_server.url}{reverse('products:reorder')}")
    expect(page.locator("#reorder")).to_contain_text("Silhouette Momentum 5529")
    page.screenshot(path=artifacts / "products-reorder-1280.png", full_page=True)


def test_an_unknown_scanned_ean_offers_a_new_product_with_it(
    logged_in_page, live_server, artifacts
):
    page = logged_in_page
    open_products(page, live_server)
    product(article_number="F-1")
    search = page.locator("#filter_q")
    search.fill(EAN)
    search.press("Enter")
    offer = page.get_by_role("link", name=f"Neuen Artikel mit EAN {EAN} anlegen")
    expect(offer).to_be_visible()
    page.screenshot(path=artifacts / "products-unknown-ean-1280.png")
    offer.click()
    dialog = page.locator("dialog#modal")
    expect(dialog.get_by_role("heading", name="Neuer Artikel")).to_be_visible()
    expect(field(dialog, "EAN/GTIN")).to_have_value(EAN)
