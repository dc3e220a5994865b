"""The start page in a real browser, as an optician and as the front desk, at
desk width (a grid of tiles) and phone width (the tiles stacked, the
appointments first), with a live update while it is open. Screenshots go to
test-artifacts/today-*.png for people to judge the layout."""

from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone
from playwright.sync_api import Page, expect

from appointments.models import AppointmentStatus
from appointments.tests.test_browser_list import settled
from customers.tests import factories as customer_factories
from messaging.models import Kind as MessageKind
from messaging.models import Purpose
from messaging.tests.test_message_views import failed_message
from orders import services as order_services
from orders.models import Kind, Order, Status
from prescriptions.tests.factories import refraction
from today.tests import factories
from today.tests.factories import ONE_DAY, at

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DESK = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
LIVE = 2_000  # ms: a change shows up in an open page within this
TILES = "#today-tiles section"


@pytest.fixture
def shop_day():
    """The next noon at least an hour away, on the server's clock (ticking):
    the morning's appointments have passed and the afternoon's lie ahead at
    whatever time the suite runs. Forward only: the browser keeps its own
    clock, and a session cookie set in its past would be dropped."""
    now = timezone.localtime()
    day = now.date() if now.hour < 11 else now.date() + ONE_DAY
    moment = at(day, 12)
    with time_machine.travel(moment, tick=True):
        yield day


@pytest.fixture
def a_busy_day(shop_day, optician, owner):
    """Something on every tile, and an order whose values are health data."""
    day = shop_day
    factories.appointment(
        optician,
        at(day, 9),
        status=AppointmentStatus.DONE,
        customer=customer_factories.customer(first_name="Frida", last_name="Früh"),
    )
    factories.appointment(
        optician,
        at(day, 14),
        customer=customer_factories.customer(first_name="Nora", last_name="Nächste"),
    )
    factories.appointment(
        owner,
        at(day, 14, 30),
        customer=customer_factories.customer(first_name="Karl", last_name="Kollege"),
    )
    factories.appointment(
        optician,
        at(day, 16),
        customer=customer_factories.customer(first_name="Sabine", last_name="Spät-Nachmittag"),
    )
    factories.appointment(
        optician,
        at(day - ONE_DAY, 10),
        status=AppointmentStatus.NO_SHOW,
        customer=customer_factories.customer(first_name="Viktor", last_name="Vergessen"),
    )
    gerda = customer_factories.customer(first_name="Gerda", last_name="Gleitsicht")
    exam = refraction(gerda, optician, right_sphere=Decimal("-4.75"), right_axis=135)
    glasses = order_services.order_create(
        customer_id=gerda.pk, kind=Kind.GLASSES, refraction_id=exam.pk, user=optician
    )
    Order.objects.filter(pk=glasses.pk).update(
        status=Status.READY, status_changed_at=timezone.now()
    )
    factories.overdue_order(optician, days=4, first_name="Walter", last_name="Wartezeit")
    factories.due_for_eye_test(first_name="Rita", last_name="Recall")
    factories.low_product(name="Brillenetui Leder braun")
    failed_message(
        customer_factories.customer(first_name="Emil", last_name="Unzustellbar"),
        reason="Mailbox voll",
    )
    failed_message(
        customer_factories.customer(first_name="Lena", last_name="Linsen"),
        kind=MessageKind.RECALL_CL_CHECK,
        purpose=Purpose.MARKETING,
    )
    factories.birthday_child(first_name="Greta", last_name="Geburtstag")
    return glasses


def sign_in(page: Page, live_server, user, password) -> None:
    page.goto(f"{live_server.url}/login/?next=/")
    page.fill("#id_username", user.username)
    page.fill("#id_password", password)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")
    settled(page)


def shot(page: Page, artifacts, name: str) -> None:
    settled(page)
    page.evaluate("window.scrollTo(0, 0)")  # the sticky top bar at the top
    page.screenshot(path=artifacts / f"{name}.png", full_page=True)


def no_horizontal_overflow(page: Page) -> None:
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"] + 1, f"the page is {width} px wide"


def boxes(page: Page) -> list[dict]:
    return [tile.bounding_box() for tile in page.locator(TILES).all()]


def assert_grid_at_desk_width(page: Page) -> None:
    tiles = boxes(page)
    # Three columns side by side; the appointments first, on the left.
    assert len({round(box["x"]) for box in tiles}) == 3
    assert tiles[0]["x"] == min(box["x"] for box in tiles)
    assert round(tiles[0]["y"]) == round(tiles[1]["y"]) == round(tiles[2]["y"])
    no_horizontal_overflow(page)


def assert_stacked_at_phone_width(page: Page) -> None:
    tiles = boxes(page)
    assert len({round(box["x"]) for box in tiles}) == 1
    tops = [box["y"] for box in tiles]
    assert tops == sorted(tops)
    assert page.locator(TILES).first.get_attribute("data-tile") == "appointments"
    for box in tiles:
        assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
    no_horizontal_overflow(page)


def test_the_optician_starts_the_day_here_at_desk_and_phone_width(
    a_busy_day, shop_day, page, live_server, optician, password, artifacts
):
    page.set_viewport_size(DESK)
    sign_in(page, live_server, optician, password)
    expect(page.get_by_role("heading", level=1)).to_contain_text("Heute")
    tiles = page.locator("#today-tiles")
    expect(tiles.locator(".today-next")).to_contain_text("Nora Nächste")
    expect(tiles.locator(".today-next")).to_contain_text("14:00")
    expect(tiles.locator("[data-tile=appointments]")).not_to_contain_text("Frida Früh")
    expect(tiles.locator("[data-no-shows]")).to_contain_text("Viktor Vergessen")
    expect(tiles.locator("[data-tile=ready]")).to_contain_text("Gerda Gleitsicht")
    expect(tiles.locator("[data-tile=overdue]")).to_contain_text("Walter Wartezeit")
    expect(tiles.locator("[data-tile=recall]")).to_contain_text("Rita Recall")
    expect(tiles.locator("[data-tile=birthdays]")).to_contain_text("Greta Geburtstag")
    expect(tiles.locator("[data-tile=stock]")).to_contain_text("Brillenetui Leder braun")
    expect(tiles.locator("[data-tile=failed]")).to_contain_text("Emil Unzustellbar")
    assert_grid_at_desk_width(page)
    shot(page, artifacts, "today-optician-1280")

    # A colleague books an appointment: the open page shows it, not reloaded.
    page.evaluate("window.__notReloaded = true")
    factories.appointment(
        optician,
        at(shop_day, 13),
        customer=customer_factories.customer(first_name="Lutz", last_name="Live"),
    )
    expect(tiles.locator(".today-next")).to_contain_text("Lutz Live", timeout=LIVE)
    assert page.evaluate("window.__notReloaded === true")

    page.set_viewport_size(PHONE)
    page.reload()
    settled(page)
    assert_stacked_at_phone_width(page)
    shot(page, artifacts, "today-optician-390")


def test_the_front_desk_sees_names_and_times_but_no_health_data(
    a_busy_day, page, live_server, staff, password, artifacts
):
    page.set_viewport_size(DESK)
    sign_in(page, live_server, staff, password)
    tiles = page.locator("#today-tiles")
    expect(tiles.locator("[data-tile=ready]")).to_contain_text("Gerda Gleitsicht")
    expect(tiles.locator("[data-tile=recall]")).to_have_count(0)
    text = tiles.inner_text()
    for health in ("4,75", "135", "Rita Recall", "Kontaktlinse", "Sph"):
        assert health not in text, health
    expect(tiles.locator("[data-tile=failed]")).to_contain_text("Lena Linsen")
    assert_grid_at_desk_width(page)
    shot(page, artifacts, "today-front-desk-1280")

    page.set_viewport_size(PHONE)
    page.reload()
    settled(page)
    assert_stacked_at_phone_width(page)
    shot(page, artifacts, "today-front-desk-390")
