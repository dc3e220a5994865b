"""Orders (issue 28) in a real browser, as the shop works them: a progressive
order for a child with the statutory insurer's share, a cancellation that
puts the frame back, contact lenses from a fitting with their reorder date,
the board and the order page on a phone, and two people changing one order.

Screenshots for people to look at go to /tmp/order_shots/ when SCREENSHOTS=1
(CI writes none). Dates are derived from today."""

import datetime
import os
import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import Locator, Page, expect

from appointments.tests.test_browser_list import settled
from customers.models import InsuranceProvider
from customers.tests import factories as customer_factories
from orders import services
from orders.models import FixedAmount, Kind, Order, Status
from orders.tests.factories import progressive_lens
from prescriptions.models import Refraction
from prescriptions.tests.factories import fitting, refraction
from products import services as product_services
from products.demo import demo_ean
from products.models import Category, Product, StockMovement
from products.tests.factories import product

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
DESK = {"width": 1280, "height": 900}
SHOTS = Path("/tmp/order_shots")
FRAME_EAN = demo_ean(2801)
CARE_EAN = demo_ean(2802)


# --- Helpers -------------------------------------------------------------------------


def shot(page: Page, name: str, **options) -> None:
    """A screenshot for people to judge the layout, only when asked for."""
    if os.environ.get("SCREENSHOTS") != "1":
        return
    SHOTS.mkdir(parents=True, exist_ok=True)
    settled(page)
    if options.get("full_page"):
        # From the top: the sticky top bar would sit in the middle otherwise.
        page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=SHOTS / f"{name}.png", **options)


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


def open_modal(page: Page, name: str) -> Locator:
    """Click the link that opens a modal on the order page; wait until it is wired up."""
    page.locator("#order-page").get_by_role("link", name=name, exact=True).click()
    dialog = modal(page)
    expect(dialog).to_be_visible()
    settled(page)
    return dialog


def save(page: Page, dialog: Locator, name: str = "Speichern") -> None:
    settled(page)
    dialog.get_by_role("button", name=name, exact=True).click()


def status_button(page: Page, label: str) -> Locator:
    return page.locator(".order-status-actions").get_by_role(
        "button", name=f"→ {label}", exact=True
    )


def move_to(page: Page, label: str) -> None:
    """Click a status button and wait until the page shows the new status."""
    settled(page)
    status_button(page, label).click()
    expect(page.locator("#order-status")).to_have_text(label)
    settled(page)


def no_horizontal_overflow(page: Page) -> None:
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"] + 1, f"the page is {width} px wide"


def stock_of(item: Product) -> int:
    item.refresh_from_db()
    return item.stock


def today() -> datetime.date:
    return timezone.localdate()


@pytest.fixture
def optician_page(page, live_server, optician, password):
    """A page logged in as an optician (orders and the refraction right)."""
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", optician.username)
    page.fill("#id_password", password)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")  # the start page (Heute)
    page.goto(f"{live_server.url}/customers/")
    yield page
    # A save's refresh of the page still on its way would hold the tables
    # while the test's database is emptied (a deadlock): let it land first.
    settled(page)
    page.close()


def in_stock(item: Product, quantity: int) -> Product:
    product_services.stock_move(
        product_id=item.pk, kind=StockMovement.Kind.RECEIPT, quantity=quantity
    )
    item.refresh_from_db()
    return item


def frame_product(**fields) -> Product:
    data = {
        "name": "Lindberg Strip Titanium 9704",
        "brand": "Lindberg",
        "ean": FRAME_EAN,
        "lens_width": 52,
        "bridge_width": 18,
        "temple_length": 140,
        "sale_price": Decimal("289.00"),
    }
    data.update(fields)
    return product(**data)


def single_vision_lens() -> Product:
    return product(
        name="Essilor Eyezen 1,5",
        category=Category.SPECTACLE_LENS,
        brand="Essilor",
        model="Eyezen",
        spectacle_design="single_vision",
        lens_index=Decimal("1.50"),
        sale_price=Decimal("89.00"),
    )


def glasses_order(customer, user, *, frame=None, lens=None, status=Status.QUOTE) -> Order:
    """Glasses for the customer's refraction with single vision lenses,
    through the services, moved on to ``status`` (as placed by the shop)."""
    order = services.order_create(customer_id=customer.pk, user=user)
    if frame is not None:
        services.order_update(order_id=order.pk, data={"frame": frame}, version=None, user=user)
    services.lens_pair_add(
        order_id=order.pk,
        product_id=(lens or single_vision_lens()).pk,
        eyes=("right", "left"),
        diameter=65,
        version=None,
        user=user,
    )
    path = {
        Status.QUOTE: [],
        Status.ORDERED: [Status.ORDERED],
        Status.LENSES_ORDERED: [Status.ORDERED, Status.LENSES_ORDERED],
        Status.READY: [Status.ORDERED, Status.READY],
    }[status]
    for step in path:
        services.order_status_change(order_id=order.pk, status=step, version=None, user=user)
    return Order.objects.get(pk=order.pk)


# --- 1. A progressive order for a child with a statutory insurer ---------------------------


def test_progressive_order_for_a_fifteen_year_old_through_to_picked_up(
    optician_page, live_server, optician
):
    page = optician_page
    insurer = InsuranceProvider.objects.create(name="AOK Testland", kind="statutory")
    born = datetime.date(today().year - 15, today().month, 1) - datetime.timedelta(days=1)
    child = customer_factories.customer(
        first_name="Paul", last_name="Jung", date_of_birth=born, insurance_provider=insurer
    )
    refraction(
        child,
        optician,
        kind=Refraction.Kind.EXTERNAL,
        prescriber="Dr. med. Augenärztin Weber",
        right_addition=Decimal("1.00"),
        left_addition=Decimal("1.00"),
    )
    FixedAmount.objects.create(
        valid_from=today() - datetime.timedelta(days=400),
        lens_type="multifocal",
        power_from=Decimal("0"),
        power_to=Decimal("6"),
        cylinder_to=Decimal("2"),
        amount=Decimal("58.00"),
        aid_number="25.21.02.2001",
    )
    FixedAmount.objects.create(
        valid_from=today() - datetime.timedelta(days=400),
        lens_type="multifocal",
        power_from=Decimal("6"),
        power_to=Decimal("10"),
        cylinder_to=Decimal("2"),
        amount=Decimal("79.00"),
        aid_number="25.21.02.2002",
    )
    frame = in_stock(frame_product(), 3)
    other_frame = in_stock(frame_product(name="Lindberg Air Rim 7720", ean=""), 1)
    progressive_lens()

    # The customer page: "Neuer Auftrag", the prescription chosen for glasses.
    page.goto(f"{live_server.url}{reverse('customers:detail', args=[child.pk])}")
    page.locator(".page-actions").get_by_role("link", name="Neuer Auftrag").click()
    dialog = modal(page)
    expect(dialog.get_by_role("heading", name="Neuer Auftrag")).to_be_visible()
    settled(page)
    expect(dialog.get_by_role("radio", name="Brille")).to_be_checked()
    expect(field(dialog, "Refraktion")).to_contain_text("Dr. med. Augenärztin Weber")
    expect(field(dialog, "Kontaktlinsenanpassung")).to_be_hidden()  # for contact lenses only
    shot(page, "new-order-modal-1280")
    save(page, dialog, "Auftrag anlegen")

    expect(page).to_have_url(re.compile(r"/orders/\d+/$"))
    order = Order.objects.get(customer=child)
    expect(page.locator("#order-status")).to_have_text("Angebot")
    expect(page.locator(".order-values")).to_contain_text("Dr. med. Augenärztin Weber")
    expect(page.locator(".order-values")).to_contain_text("12.03.2026")
    mark_page(page)

    # "Refraktion wählen" offers the customer's values, the order's chosen.
    dialog = open_modal(page, "Refraktion wählen")
    chosen = field(dialog, "Refraktion").locator("option:checked")
    expect(chosen).to_contain_text("Fremdverordnung · Dr. med. Augenärztin Weber")
    save(page, dialog)
    expect(dialog).to_be_hidden()
    expect(page.locator(".order-eye-table tbody tr")).to_have_count(2)

    # The frame: its EAN typed into the search finds exactly it.
    dialog = open_modal(page, "Fassung wählen")
    search = dialog.locator("#frame-search")
    expect(search).to_be_focused()
    search.fill("Lindberg")
    results = dialog.locator("#frame-results [data-frame]")
    expect(results).to_have_count(2)
    search.fill(FRAME_EAN)
    expect(results).to_have_count(1)
    expect(results.first).to_contain_text("Lindberg Strip Titanium 9704")
    expect(results.first).to_contain_text("52□18 140")
    expect(results.first).to_contain_text("Bestand 3")
    settled(page)
    shot(page, "frame-modal-results-1280")
    results.first.click()
    expect(dialog).to_be_hidden()
    expect(page.locator(".order-frame")).to_contain_text("Lindberg Strip Titanium 9704")
    expect(page.locator(".order-frame")).to_contain_text(
        "Wird bei Auftragserteilung aus dem Bestand genommen."
    )
    # The frame is a position at its sale price.
    lines = page.locator(".order-line-table tbody tr")
    expect(lines).to_have_count(1)
    expect(lines.nth(0)).to_contain_text("Lindberg Strip Titanium 9704")
    expect(lines.nth(0)).to_contain_text("289,00\xa0€")
    assert Order.objects.get(pk=order.pk).frame == frame
    assert stock_of(other_frame) == 1

    # The lenses for both eyes, priced from the price list for each eye's power.
    dialog = open_modal(page, "Gläser hinzufügen")
    field(dialog, "Brillenglas").select_option(
        label="Zeiss Progressive Individual · Gleitsicht · 1,60"
    )
    expect(dialog.get_by_label("beide Augen")).to_be_checked()
    field(dialog, "Durchmesser (mm)").fill("70")
    shot(page, "lens-modal-1280")
    save(page, dialog, "Hinzufügen")
    expect(dialog).to_be_hidden()
    expect(lines).to_have_count(3)
    expect(lines.nth(1)).to_contain_text("R Zeiss Progressive Individual 1,6")
    expect(lines.nth(1)).to_contain_text("⌀ 70 mm")
    expect(lines.nth(2)).to_contain_text("L Zeiss Progressive Individual 1,6")
    expect(lines.nth(2)).to_contain_text("249,00\xa0€")
    # A progressive lens needs the fitting height: the page says so.
    problems = page.locator("#order-problems")
    expect(problems).to_contain_text("rechts: Ein Glas „Gleitsicht“ braucht die Einschleifhöhe.")

    # The centration with the fitting heights; PD comes from the refraction.
    dialog = open_modal(page, "Zentrierung bearbeiten")
    expect(dialog.locator("#id_right_pd")).to_have_value("31,5")
    expect(dialog.locator("#id_left_pd")).to_have_value("32,0")
    for name, value in {
        "right_fitting_height": "22",
        "left_fitting_height": "22,5",
        "right_vertex_distance": "14",
        "left_vertex_distance": "14",
        "right_pantoscopic_tilt": "8",
        "left_pantoscopic_tilt": "8",
        "right_wrap_angle": "5",
        "left_wrap_angle": "5",
    }.items():
        dialog.locator(f"#id_{name}").fill(value)
    shot(page, "centration-modal-1280")
    save(page, dialog)
    expect(dialog).to_be_hidden()
    centration = page.locator(".order-centration-table")
    expect(centration.locator("tbody tr").nth(0)).to_contain_text("22")
    expect(centration.locator("tbody tr").nth(1)).to_contain_text("22,5")
    expect(page.locator("#order-problems")).to_have_count(0)
    expect(page.locator("#messages")).to_contain_text("Zentrierung gespeichert.")

    # The insurer's share: two lenses at 58 € each, no co-payment under 18;
    # the customer pays the frame and the rest of the lenses (289 + 2 × 249 − 116).
    share = page.locator("#order-share")
    expect(share).to_contain_text("Kassenanteil (GKV)")
    expect(share).to_contain_text("unter 18 Jahre alt")
    for heading in ("Hilfsmittelposition", "Festbetrag", "Zuzahlung", "Kasse zahlt"):
        expect(share.locator("thead")).to_contain_text(heading)
    rows = share.locator("tbody tr")
    expect(rows).to_have_count(2)
    for row in (rows.nth(0), rows.nth(1)):
        expect(row).to_contain_text("25.21.02.2001")
        expect(row.locator("td.money").nth(0)).to_have_text("58,00\xa0€")
        expect(row.locator("td.money").nth(1)).to_have_text("0,00\xa0€")
        expect(row.locator("td.money").nth(2)).to_have_text("58,00\xa0€")
    expect(share).to_contain_text("Kunde zahlt: 671,00\xa0€")
    expect(share).not_to_contain_text("Verordnung")  # it is an ophthalmologist's
    expect(page.locator("#order-totals")).to_contain_text("− 116,00\xa0€")
    expect(page.locator("#order-open")).to_have_text("671,00\xa0€")
    assert_no_navigation(page)
    shot(page, "order-page-1280", full_page=True)
    page.set_viewport_size(PHONE)
    no_horizontal_overflow(page)
    shot(page, "order-page-390", full_page=True)
    # The centration modal fits the phone: both eyes' fields side by side.
    dialog = open_modal(page, "Zentrierung bearbeiten")
    left = dialog.locator("#id_left_wrap_angle").bounding_box()
    assert left["x"] + left["width"] <= PHONE["width"]
    shot(page, "centration-modal-390")
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    page.set_viewport_size(DESK)

    # The documents open as PDFs.
    for name in ("angebot", "kostenvoranschlag", "glasbestellung"):
        link = page.locator(f'.order-documents a[href$="/{name}.pdf"]')
        expect(link).to_be_visible()
        response = page.request.get(f"{live_server.url}{link.get_attribute('href')}")
        assert response.ok and response.headers["content-type"] == "application/pdf"
        assert response.body().startswith(b"%PDF")

    # Through the lab to the customer; placing it takes the frame from stock.
    move_to(page, "Auftrag")
    assert stock_of(frame) == 2
    expect(page.locator(".order-frame")).to_contain_text(
        "Für diesen Auftrag aus dem Bestand genommen."
    )
    move_to(page, "Gläser bestellt")
    # At the lab the lenses and values are fixed.
    expect(page.locator("#order-page")).not_to_contain_text("Gläser hinzufügen")
    move_to(page, "Gläser eingetroffen")
    move_to(page, "In der Werkstatt")
    move_to(page, "Abholbereit")
    expect(page.locator("#messages")).to_contain_text(
        f"Auftrag {order.pk} ist jetzt „Abholbereit“."
    )
    # From here the pick-up appointment is booked, for this customer.
    pickup = page.locator(".order-status-actions").get_by_role("link", name="Termin vereinbaren")
    expect(pickup).to_have_attribute("href", re.compile(rf"[?&]customer={child.pk}(&|$)"))
    move_to(page, "Abgeholt")
    expect(page.locator("#order-status")).to_have_text("Abgeholt")
    expect(page.locator("#messages")).to_contain_text(f"Auftrag {order.pk} ist jetzt „Abgeholt“.")
    assert_no_navigation(page)
    assert stock_of(frame) == 2  # still: taken once, when the order was placed
    assert Order.objects.get(pk=order.pk).status == Status.PICKED_UP
    # After the pick-up only a complaint is left.
    expect(page.locator(".order-status-actions a[data-status=complaint]")).to_be_visible()
    expect(page.locator(".order-status-actions button")).to_have_count(0)


# --- 2. A cancellation puts the frame back -------------------------------------------------


def test_a_cancelled_order_puts_the_frame_back(optician_page, live_server, optician):
    page = optician_page
    customer = customer_factories.customer(first_name="Jürgen", last_name="Weiß")
    refraction(customer, optician)
    frame = in_stock(frame_product(), 1)
    order = glasses_order(customer, optician, frame=frame)
    page.goto(f"{live_server.url}{reverse('orders:detail', args=[order.pk])}")
    mark_page(page)

    move_to(page, "Auftrag")
    assert stock_of(frame) == 0

    # Storno asks for the reason, in German, and keeps the modal open.
    dialog = open_modal(page, "→ Storniert")
    expect(dialog.get_by_role("heading", name="Storniert")).to_be_visible()
    expect(dialog).to_contain_text("aus dem Bestand genommene Fassung wird zurückgebucht")
    save(page, dialog, "→ Storniert")
    shot(page, "storno-modal-error-1280")
    expect(dialog.locator(".field-error")).to_have_text(["Bitte geben Sie den Grund an."])
    expect(field(dialog, "Grund")).to_be_focused()
    expect(page.locator("#order-status")).to_have_text("Auftrag")
    assert stock_of(frame) == 0

    field(dialog, "Grund").fill("Kunde hat sich für ein anderes Modell entschieden")
    save(page, dialog, "→ Storniert")
    expect(dialog).to_be_hidden()
    expect(page.locator("#order-status")).to_have_text("Storniert")
    expect(page.locator(".order-customer")).to_contain_text(
        "Kunde hat sich für ein anderes Modell entschieden"
    )
    expect(page.locator(".order-frame")).to_contain_text("In den Bestand zurückgebucht.")
    expect(page.locator(".order-status-actions").locator("a, button")).to_have_count(0)
    assert_no_navigation(page)
    assert stock_of(frame) == 1
    assert Order.objects.get(pk=order.pk).status == Status.CANCELLED


# --- 3. Contact lenses from a fitting -------------------------------------------------------


def test_contact_lens_order_from_a_fitting_with_a_care_product_and_reorder_date(
    optician_page, live_server, optician
):
    page = optician_page
    customer = customer_factories.customer(first_name="Käthe", last_name="Straßburger")
    monthly = product(
        name="Biofinity Monatslinse, 6 Stück",
        category=Category.CONTACT_LENS,
        brand="CooperVision",
        sale_price=Decimal("39.90"),
    )
    fitted = fitting(customer, optician, right_product=monthly, left_product=monthly)
    product(
        name="AOSept Plus Hydroglyde 360 ml",
        category=Category.CARE,
        brand="Alcon",
        ean=CARE_EAN,
        sale_price=Decimal("12.95"),
    )
    page.goto(f"{live_server.url}{reverse('customers:detail', args=[customer.pk])}")
    page.locator(".page-actions").get_by_role("link", name="Neuer Auftrag").click()
    dialog = modal(page)
    expect(dialog).to_be_visible()
    settled(page)
    expect(field(dialog, "Kontaktlinsenanpassung")).to_be_hidden()
    dialog.get_by_role("radio", name="Kontaktlinsen").check()
    expect(field(dialog, "Refraktion")).to_be_hidden()
    field(dialog, "Kontaktlinsenanpassung").select_option(label=f"{fitted.date:%d.%m.%Y}")
    save(page, dialog, "Auftrag anlegen")

    expect(page).to_have_url(re.compile(r"/orders/\d+/$"))
    order = Order.objects.get(customer=customer)
    assert order.kind == Kind.CONTACT_LENSES
    expect(page.get_by_role("heading", level=1)).to_contain_text("Kontaktlinsen")
    mark_page(page)
    lines = page.locator(".order-line-table tbody tr")
    expect(lines).to_have_count(2)
    expect(lines.nth(0)).to_contain_text("R Biofinity Monatslinse, 6 Stück")
    expect(lines.nth(1)).to_contain_text("L Biofinity Monatslinse, 6 Stück")
    expect(lines.nth(0)).to_contain_text("reicht 180 Tage")
    # Contact lenses: no lens price list, no frame, no centration.
    expect(page.locator("#order-page")).not_to_contain_text("Gläser hinzufügen")
    expect(page.locator(".order-frame")).to_have_count(0)

    # A care product by its EAN: description and price come from the article.
    dialog = open_modal(page, "Position hinzufügen")
    code = field(dialog, "Artikel (EAN oder Artikelnummer)")
    expect(code).to_be_focused()
    code.fill(CARE_EAN)
    shot(page, "line-modal-1280")
    save(page, dialog)
    expect(dialog).to_be_hidden()
    expect(lines).to_have_count(3)
    expect(lines.nth(2)).to_contain_text("AOSept Plus Hydroglyde 360 ml")
    expect(lines.nth(2)).to_contain_text("12,95\xa0€")
    expect(page.locator("#order-totals")).to_contain_text("92,75\xa0€")

    move_to(page, "Auftrag")
    due = today() + datetime.timedelta(days=180)
    reorder = page.locator(".order-customer dt", has_text="Nachbestellung fällig")
    expect(reorder).to_be_visible()
    expect(page.locator(".order-customer")).to_contain_text(f"Nachbestellung fällig{due:%d.%m.%Y}")
    assert_no_navigation(page)
    assert Order.objects.get(pk=order.pk).reorder_due == due
    # Contact lenses skip the workshop.
    expect(status_button(page, "Linsen bestellt")).to_be_visible()
    expect(status_button(page, "In der Werkstatt")).to_have_count(0)


# --- 4. The board and the order page on a phone -------------------------------------------


def test_board_and_order_page_at_phone_width(optician_page, live_server, optician):
    page = optician_page
    lens = single_vision_lens()
    people = [
        customer_factories.customer(first_name=first, last_name=last)
        for first, last in (
            ("Maria", "Müller-Lüdenscheidt"),
            ("Hans", "Schäfer"),
            ("Elisabeth", "von Hohenstein"),
            ("Ömer", "Yılmaz"),
        )
    ]
    for person in people:
        refraction(person, optician)
    quote = glasses_order(people[0], optician, lens=lens)
    placed = glasses_order(people[1], optician, lens=lens, status=Status.ORDERED)
    at_lab = glasses_order(people[2], optician, lens=lens, status=Status.LENSES_ORDERED)
    ready = glasses_order(people[3], optician, lens=lens, status=Status.READY)
    Order.objects.filter(pk=at_lab.pk).update(promised_date=today() - datetime.timedelta(days=2))

    page.goto(f"{live_server.url}{reverse('orders:board')}")
    board = page.locator("#order-board")
    expect(board.locator(".board-card")).to_have_count(4)
    expect(page.locator("#board-order-" + str(at_lab.pk))).to_contain_text("überfällig")
    shot(page, "board-1280", full_page=True)
    columns = board.locator(".board-column")
    first, second = columns.nth(0).bounding_box(), columns.nth(1).bounding_box()
    assert second["x"] > first["x"] and second["y"] == first["y"]  # side by side

    page.set_viewport_size(PHONE)
    mark_page(page)
    first, second = columns.nth(0).bounding_box(), columns.nth(1).bounding_box()
    # Stacked: one column under the other, each as wide as the screen allows.
    assert second["y"] >= first["y"] + first["height"]
    assert abs(second["x"] - first["x"]) < 1
    assert first["x"] >= 0 and first["x"] + first["width"] <= PHONE["width"]
    no_horizontal_overflow(page)
    shot(page, "board-390", full_page=True)

    # A card's status button moves it into the next column in place.
    card = page.locator(f"#board-order-{placed.pk}")
    expect(card).to_contain_text("Hans Schäfer")
    settled(page)
    card.get_by_role("button", name="→ Gläser bestellt").click()
    moved = page.locator(f'.board-column[data-status="lenses_ordered"] #board-order-{placed.pk}')
    expect(moved).to_be_visible()
    expect(page.locator('.board-column[data-status="ordered"] .board-card')).to_have_count(0)
    expect(page.locator("#messages")).to_contain_text(
        f"Auftrag {placed.pk} ist jetzt „Gläser bestellt“."
    )
    assert_no_navigation(page)
    assert Order.objects.get(pk=placed.pk).status == Status.LENSES_ORDERED
    assert Order.objects.get(pk=quote.pk).status == Status.QUOTE
    assert Order.objects.get(pk=ready.pk).status == Status.READY

    # The order page on the phone: nothing wider than the screen, buttons work.
    moved.get_by_role("link", name="Hans Schäfer").click()
    expect(page).to_have_url(re.compile(rf"/orders/{placed.pk}/$"))
    expect(page.locator("#order-status")).to_have_text("Gläser bestellt")
    no_horizontal_overflow(page)
    for button in page.locator(".order-status-actions .btn").all():
        box = button.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
    move_to(page, "Gläser eingetroffen")
    no_horizontal_overflow(page)


# --- 5. Two people, one order ------------------------------------------------------------


def test_a_position_saved_over_a_newer_version_is_refused_and_kept(
    browser_context, optician_page, live_server, optician
):
    customer = customer_factories.customer(first_name="Erika", last_name="Muster")
    refraction(customer, optician)
    order = glasses_order(customer, optician)
    product(
        name="Brillenetui Hartschale",
        category=Category.ACCESSORY,
        ean=CARE_EAN,
        sale_price=Decimal("5.00"),
    )
    url = f"{live_server.url}{reverse('orders:detail', args=[order.pk])}"
    mine = optician_page
    theirs = browser_context.new_page()  # the same order open at the other desk
    mine.goto(url)
    theirs.goto(url)
    mark_page(mine)

    # I start adding a cleaning cloth...
    dialog = open_modal(mine, "Position hinzufügen")
    field(dialog, "Bezeichnung").fill("Mikrofaser-Putztuch")
    field(dialog, "Menge").fill("2")
    field(dialog, "Einzelpreis (brutto, €)").fill("4")

    # ...while a colleague adds a case to the same order.
    other = open_modal(theirs, "Position hinzufügen")
    field(other, "Artikel (EAN oder Artikelnummer)").fill(CARE_EAN)
    save(theirs, other)
    expect(other).to_be_hidden()
    expect(theirs.locator(".order-line-table tbody tr")).to_have_count(3)

    # My save is refused with the German message; what I typed is still there.
    save(mine, dialog)
    expect(dialog.locator(".alert-error")).to_contain_text(
        "Jemand anderes hat diesen Auftrag inzwischen geändert"
    )
    expect(field(dialog, "Bezeichnung")).to_have_value("Mikrofaser-Putztuch")
    expect(field(dialog, "Menge")).to_have_value("2")
    expect(field(dialog, "Einzelpreis (brutto, €)")).to_have_value("4")
    assert order.lines.count() == 3

    # Checked and saved again: it goes through on top of the colleague's change.
    save(mine, dialog)
    expect(dialog).to_be_hidden()
    rows = mine.locator(".order-line-table tbody tr")
    expect(rows).to_have_count(4)
    expect(rows.nth(2)).to_contain_text("Brillenetui Hartschale")
    expect(rows.nth(3)).to_contain_text("Mikrofaser-Putztuch")
    expect(rows.nth(3)).to_contain_text("8,00\xa0€")
    assert_no_navigation(mine)
    assert list(order.lines.values_list("description", flat=True)) == [
        "Essilor Eyezen 1,5",
        "Essilor Eyezen 1,5",
        "Brillenetui Hartschale",
        "Mikrofaser-Putztuch",
    ]


# --- Found in the first browser run: a conflict refreshes the page behind, German decimals ---


def test_after_a_conflict_the_page_behind_shows_the_saved_state(
    browser_context, optician_page, live_server, optician
):
    customer = customer_factories.customer(first_name="Erika", last_name="Muster")
    refraction(customer, optician)
    order = glasses_order(customer, optician)
    page = optician_page
    page.goto(f"{live_server.url}{reverse('orders:detail', args=[order.pk])}")
    dialog = open_modal(page, "Position hinzufügen")
    field(dialog, "Bezeichnung").fill("Mikrofaser-Putztuch")
    field(dialog, "Einzelpreis (brutto, €)").fill("4")
    services.line_save(
        order_id=order.pk,
        data={"description": "Etui", "unit_price": Decimal("5")},
        version=None,
    )
    save(page, dialog)
    expect(dialog.locator(".alert-error")).to_contain_text("die Seite zeigt jetzt")
    expect(page.locator(".order-line-table tbody tr")).to_have_count(3, timeout=3_000)


def _order_page_with_a_position(page: Page, live_server, optician) -> Order:
    customer = customer_factories.customer(first_name="Erika", last_name="Muster")
    refraction(customer, optician)
    order = glasses_order(customer, optician)
    services.order_update(order_id=order.pk, data={"deposit": Decimal("50")}, version=None)
    page.goto(f"{live_server.url}{reverse('orders:detail', args=[order.pk])}")
    return order


def test_editing_a_position_shows_and_keeps_its_price(optician_page, live_server, optician):
    page = optician_page
    order = _order_page_with_a_position(page, live_server, optician)
    line = order.lines.order_by("position").first()
    page.locator(f"#order-line-{line.pk}").get_by_role("link", name="Bearbeiten").click()
    dialog = modal(page)
    settled(page)
    expect(field(dialog, "Einzelpreis (brutto, €)")).to_have_value("89,00", timeout=2_000)
    save(page, dialog)
    expect(dialog).to_be_hidden(timeout=2_000)


def test_a_price_typed_with_a_decimal_comma_is_that_price(optician_page, live_server, optician):
    page = optician_page
    _order_page_with_a_position(page, live_server, optician)
    dialog = open_modal(page, "Position hinzufügen")
    field(dialog, "Bezeichnung").fill("Etui")
    field(dialog, "Einzelpreis (brutto, €)").click()
    page.keyboard.type("5,50")
    save(page, dialog)
    expect(dialog).to_be_hidden()
    expect(page.locator(".order-line-table tbody tr").nth(2)).to_contain_text(
        "5,50\xa0€", timeout=2_000
    )


def test_editing_the_order_keeps_the_deposit(optician_page, live_server, optician):
    page = optician_page
    _order_page_with_a_position(page, live_server, optician)
    page.locator(".order-customer").get_by_role("link", name="Bearbeiten").click()
    dialog = modal(page)
    settled(page)
    expect(field(dialog, "Anzahlung erhalten")).to_have_value("50,00", timeout=2_000)
    field(dialog, "Fertig bis").fill((today() + datetime.timedelta(days=7)).strftime("%d.%m.%Y"))
    save(page, dialog)
    expect(dialog).to_be_hidden(timeout=2_000)
