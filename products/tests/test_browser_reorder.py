"""The reorder list in a real browser: recording an order, receiving its goods
in two deliveries, the list refreshing in place; the contact lens parameters
in the product form. Screenshots for people to look at go to the
``artifacts`` folder as issue23-products-*.png.

Buttons are found by their links where their labels are not translated yet."""

import re
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.translation import gettext
from playwright.sync_api import Locator, Page, expect

from products import services
from products.demo import demo_ean
from products.models import Category, Product, ReorderLine, StockMovement, Supplier
from products.tests.factories import product

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
REORDER = reverse("products:reorder")
Kind = StockMovement.Kind


def de(text: str) -> str:
    with translation.override("de"):
        return gettext(text)


def modal(page: Page) -> Locator:
    return page.locator("dialog#modal")


def row(page: Page, item: Product) -> Locator:
    return page.locator(f"#reorder-product-{item.pk}")


def mark_page(page: Page) -> None:
    page.evaluate("window.__marker = 1")


def assert_no_navigation(page: Page) -> None:
    assert page.evaluate("() => window.__marker") == 1, "the page was reloaded"


def stocked(minimum: int, stock: int, **fields) -> Product:
    item = product(minimum_stock=minimum, **fields)
    if stock:
        services.stock_move(product_id=item.pk, kind=Kind.RECEIPT, quantity=stock)
    return item


@pytest.fixture
def shop(staff):
    alcon = Supplier.objects.create(
        name="Alcon Deutschland",
        customer_number="AL-660231",
        email="kontaktlinsen@alcon.example",
        phone="089 123456",
    )
    items = {
        "aqua": stocked(
            10,
            2,
            article_number="KL-3002",
            category=Category.CONTACT_LENS,
            name="Dailies AquaComfort Plus, 90 Tageslinsen, Multipack",
            brand="Alcon",
            ean=demo_ean(3002),
            supplier=alcon,
        ),
        "toric": stocked(
            3,
            0,
            article_number="KL-3006",
            category=Category.CONTACT_LENS,
            name="Biofinity toric, 3 Monatslinsen",
            brand="CooperVision",
            supplier=alcon,
        ),
        "wipes": stocked(
            20,
            6,
            article_number="Z-6003",
            category=Category.ACCESSORY,
            name="Mikrofasertuch 18 × 18 cm mit Logo-Druck, Großpackung",
            brand="",
        ),
    }
    # An order placed earlier, partly delivered already.
    line = services.reorder_line_order(
        product_id=items["toric"].pk, quantity=6, reference="Bestellnr. 88213", user=staff
    )
    services.reorder_line_receive(line_id=line.pk, quantity=2, user=staff)
    items["toric_line"] = line
    return items


def test_order_then_receive_the_goods_in_two_deliveries(
    logged_in_page, live_server, shop, artifacts
):
    page = logged_in_page
    aqua = shop["aqua"]
    page.goto(f"{live_server.url}{REORDER}")
    expect(row(page, aqua)).to_contain_text("Dailies AquaComfort Plus")
    expect(row(page, aqua).locator(".missing")).to_have_text("8")
    expect(row(page, shop["toric"])).to_contain_text("Bestellnr. 88213")
    mark_page(page)
    page.screenshot(path=artifacts / "issue23-products-reorder-1280.png", full_page=True)

    # Record the order: the missing quantity is suggested, the date is today.
    row(page, aqua).locator(
        f'a[href="{reverse("products:reorder_order", args=[aqua.pk])}"]'
    ).click()
    dialog = modal(page)
    quantity = dialog.locator("input[name=quantity]")
    expect(quantity).to_be_focused()
    expect(quantity).to_have_value("8")
    today = timezone.localdate()
    expect(dialog.locator("input[name=ordered_at]")).to_have_value(today.strftime("%d.%m.%Y"))
    quantity.fill("0")
    dialog.locator("button[type=submit]").click()
    expect(dialog.locator(".field-error")).to_have_text(
        ["Bitte geben Sie eine Menge von mindestens 1 ein."]
    )
    # The cursor goes back to the wrong field once the new form is wired up;
    # waiting for it also keeps the next fills from racing that focus move.
    expect(quantity).to_be_focused()
    quantity.fill("10")
    dialog.locator("input[name=reference]").fill("Webshop AB-4711")
    page.screenshot(path=artifacts / "issue23-products-order-modal-1280.png")
    dialog.locator("button[type=submit]").click()
    expect(dialog).to_be_hidden()

    # The list shows it as ordered, with nothing missing any more.
    day = formats.date_format(today, "SHORT_DATE_FORMAT")
    ordered = de("ordered: %(quantity)s pcs. on %(date)s") % {"quantity": 10, "date": day}
    expect(row(page, aqua).locator(".badge-ordered")).to_have_text(ordered)
    expect(row(page, aqua)).to_contain_text("Webshop AB-4711")
    expect(row(page, aqua).locator(".missing")).to_have_text("0")
    expect(page.locator("#messages")).to_contain_text("Dailies AquaComfort Plus")
    assert_no_navigation(page)
    line = ReorderLine.objects.get(product=aqua)

    # The first delivery brings 6 of the 10.
    receive = reverse("products:reorder_receive", args=[line.pk])
    row(page, aqua).locator(f'a[href="{receive}"]').click()
    dialog = modal(page)
    expect(dialog.locator("input[name=quantity]")).to_have_value("10")
    dialog.locator("input[name=quantity]").fill("6")
    dialog.locator("input[name=note]").fill("Lieferschein 5531")
    page.screenshot(path=artifacts / "issue23-products-receive-modal-1280.png")
    dialog.locator("button[type=submit]").click()
    expect(dialog).to_be_hidden()
    expect(row(page, aqua).locator(".stock")).to_have_text("8")
    expect(row(page, aqua)).to_contain_text(
        de("%(received)s received, %(rest)s to come") % {"received": 6, "rest": 4}
    )
    aqua.refresh_from_db()
    assert aqua.stock == 8
    movement = aqua.movements.first()
    assert (movement.kind, movement.quantity) == (Kind.RECEIPT, 6)
    assert "Webshop AB-4711" in movement.note and "Lieferschein 5531" in movement.note

    # The rest arrives: the order closes and the product leaves the list.
    row(page, aqua).locator(f'a[href="{receive}"]').click()
    dialog = modal(page)
    expect(dialog.locator("input[name=quantity]")).to_have_value("4")
    dialog.locator("button[type=submit]").click()
    expect(dialog).to_be_hidden()
    expect(row(page, aqua)).to_have_count(0)
    expect(page.locator("#messages")).to_contain_text("12")  # the stock now
    line.refresh_from_db()
    assert (line.status, line.received_quantity) == (ReorderLine.Status.RECEIVED, 10)
    aqua.refresh_from_db()
    assert aqua.stock == 12
    assert_no_navigation(page)

    # A typed draft is not thrown away by Escape without asking.
    wipes = shop["wipes"]
    order_url = reverse("products:reorder_order", args=[wipes.pk])
    row(page, wipes).locator(f'a[href="{order_url}"]').click()
    dialog = modal(page)
    dialog.locator("input[name=reference]").fill("angefragt")
    questions = []
    page.once("dialog", lambda question: (questions.append(question.message), question.accept()))
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    assert questions and "verwerfen" in questions[0]
    assert not wipes.reorder_lines.exists()


def test_cancel_an_order_and_the_phone_layout(logged_in_page, live_server, shop, artifacts):
    page = logged_in_page
    page.set_viewport_size(PHONE)
    page.goto(f"{live_server.url}{REORDER}")
    toric = shop["toric"]
    expect(row(page, toric)).to_contain_text("Biofinity toric")
    # Each line is a card: the whole name is readable, nothing runs off the side.
    name = row(page, shop["aqua"]).locator(".cell-name strong")
    expect(name).to_be_visible()
    assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth"), (
        "the page scrolls sideways"
    )
    box = name.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
    assert page.evaluate("(el) => el.scrollWidth <= el.clientWidth", name.element_handle()), (
        "the name is clipped"
    )
    page.screenshot(path=artifacts / "issue23-products-reorder-390.png", full_page=True)

    order_url = reverse("products:reorder_order", args=[shop["wipes"].pk])
    row(page, shop["wipes"]).locator(f'a[href="{order_url}"]').click()
    expect(modal(page).locator("input[name=quantity]")).to_have_value("14")
    page.screenshot(path=artifacts / "issue23-products-order-modal-390.png")
    modal(page).locator("[data-close-modal]").first.click()
    expect(modal(page)).to_be_hidden()

    line = shop["toric_line"]
    row(page, toric).locator(
        f'a[href="{reverse("products:reorder_cancel", args=[line.pk])}"]'
    ).click()
    dialog = modal(page)
    expect(dialog).to_contain_text("Biofinity toric")
    page.screenshot(path=artifacts / "issue23-products-cancel-modal-390.png")
    dialog.locator("button[type=submit]").click()
    expect(dialog).to_be_hidden()
    expect(row(page, toric).locator(".badge-ordered")).to_have_count(0)
    expect(row(page, toric).locator(".missing")).to_have_text("1")  # 3 minus the 2 received
    line.refresh_from_db()
    assert line.status == ReorderLine.Status.CANCELLED


def test_contact_lens_parameters_in_the_product_form(logged_in_page, live_server, artifacts):
    page = logged_in_page
    Supplier.objects.create(name="CooperVision")
    page.goto(f"{live_server.url}{reverse('products:list')}")
    page.locator(f'.page-header a[href="{reverse("products:create")}"]').click()
    dialog = modal(page)
    lens_fields = dialog.locator("[data-contact-lens-only]")
    category = dialog.locator("select[name=category]")
    category.select_option("frame")
    expect(lens_fields).to_be_hidden()
    category.select_option("contact_lens")
    expect(lens_fields).to_be_visible()
    expect(dialog.locator("[data-frame-only]")).to_be_hidden()
    dialog.locator("input[name=article_number]").fill("KL-3006")
    dialog.locator("input[name=name]").fill("Biofinity toric, 3 Monatslinsen")
    dialog.locator("input[name=brand]").fill("Biofinity")
    dialog.locator("select[name=lens_design]").select_option("toric")
    dialog.locator("input[name=base_curves]").fill("8,7")
    dialog.locator("input[name=diameters]").fill("14,5")
    dialog.locator("input[name=sphere_min]").fill("-10")
    dialog.locator("input[name=sphere_max]").fill("+8")
    dialog.locator("input[name=cylinders]").fill("0,75 / 1,25 / 1,75 / 2,25")
    dialog.locator("select[name=axis_step]").select_option("10")
    dialog.locator("select[name=supplier]").select_option(label="CooperVision")
    dialog.locator("input[name=purchase_price]").fill("19,90")
    dialog.locator("input[name=sale_price]").fill("44,90")
    # A base curve out of range is refused at its field, the rest kept.
    dialog.locator("input[name=base_curves]").fill("8,7 / 12")
    dialog.locator("button[type=submit]").click()
    expect(dialog.locator(".lens-fields .field-error")).to_have_text(
        ["Erlaubt ist 6 bis 10 mm in Schritten von 0,05."]
    )
    expect(dialog.locator("input[name=cylinders]")).to_have_value("0,75 / 1,25 / 1,75 / 2,25")
    page.screenshot(path=artifacts / "issue23-products-lens-form-error-1280.png")
    dialog.locator("input[name=base_curves]").fill("8,7")
    page.screenshot(path=artifacts / "issue23-products-lens-form-1280.png")
    dialog.locator("button[type=submit]").click()
    expect(dialog).to_be_hidden()
    lens = Product.objects.get(article_number="KL-3006")
    assert lens.cylinders == [
        Decimal("-0.75"),
        Decimal("-1.25"),
        Decimal("-1.75"),
        Decimal("-2.25"),
    ]
    assert (lens.base_curves, lens.axis_step) == ([Decimal("8.7")], 10)

    page.goto(f"{live_server.url}{reverse('products:detail', args=[lens.pk])}")
    expect(page.locator(".details")).to_contain_text("−0,75 / −1,25 / −1,75 / −2,25 dpt")
    page.screenshot(path=artifacts / "issue23-products-lens-detail-1280.png", full_page=True)

    page.set_viewport_size(PHONE)
    page.get_by_role("link", name="Bearbeiten").click()
    dialog = modal(page)
    expect(dialog.locator("input[name=cylinders]")).to_have_value("−0,75 / −1,25 / −1,75 / −2,25")
    dialog.locator("[data-contact-lens-only]").scroll_into_view_if_needed()
    page.screenshot(path=artifacts / "issue23-products-lens-form-390.png")
    expect(page).to_have_url(re.compile(rf"/products/{lens.pk}/$"))
