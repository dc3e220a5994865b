"""Orders on the reorder list: recording what was ordered, receiving the goods
into the stock ledger, cancelling; the missing quantity counting what is on
order; the list's screens through Django's test client."""

import datetime
import json

import pghistory
import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext

from products import selectors, services
from products.models import Product, ReorderLine, StockMovement, Supplier
from products.tests.factories import product

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}
REORDER = reverse("products:reorder")
Kind = StockMovement.Kind
Status = ReorderLine.Status


def de(text: str) -> str:
    """A message as German users read it (the source text until translated)."""
    with translation.override("de"):
        return gettext(text)


def stocked(minimum: int, stock: int, **fields) -> Product:
    item = product(minimum_stock=minimum, **fields)
    if stock:
        services.stock_move(product_id=item.pk, kind=Kind.RECEIPT, quantity=stock)
    return item


def order(item: Product, quantity: int, **options) -> ReorderLine:
    return services.reorder_line_order(product_id=item.pk, quantity=quantity, **options)


def figures(item: Product) -> tuple[int, int]:
    """(on order, missing) as the one rule computes them."""
    found = selectors.with_reorder_figures(Product.objects.filter(pk=item.pk)).get()
    return found.on_order, found.missing


# --- Services ------------------------------------------------------------------------------


def test_an_order_counts_towards_the_missing_quantity(staff):
    item = stocked(minimum=10, stock=3)
    assert figures(item) == (0, 7)
    line = order(item, 5, reference="AB-4711", user=staff)
    assert (line.status, line.ordered_at, line.ordered_by, line.reference) == (
        Status.OPEN,
        timezone.localdate(),
        staff,
        "AB-4711",
    )
    assert figures(item) == (5, 2)
    order(item, 4)
    assert figures(item) == (9, 0)  # more on order than missing: nothing is missing
    item.refresh_from_db()
    assert item.stock == 3  # an order does not change the stock


def test_partial_receipt_books_the_ledger_and_leaves_the_rest_on_order(staff):
    item = stocked(minimum=10, stock=3)
    line = order(item, 10)
    line, movement = services.reorder_line_receive(line_id=line.pk, quantity=4, user=staff)
    assert (movement.kind, movement.quantity, movement.stock_after, movement.created_by) == (
        Kind.RECEIPT,
        4,
        7,
        staff,
    )
    assert line.ordered_at.strftime("%d.%m.%Y") in movement.note
    assert (line.status, line.received_quantity, line.outstanding) == (Status.OPEN, 4, 6)
    assert figures(item) == (6, 0)
    # The rest arrives: the order is closed.
    line, movement = services.reorder_line_receive(line_id=line.pk, quantity=6)
    assert (line.status, line.received_quantity, movement.stock_after) == (Status.RECEIVED, 10, 13)
    assert line.closed_at is not None
    assert figures(item) == (0, 0)
    item.refresh_from_db()
    assert item.stock == 13 == sum(item.movements.values_list("quantity", flat=True))


def test_over_receipt_books_everything_and_closes_the_order():
    item = stocked(minimum=10, stock=0)
    line = order(item, 10)
    line, movement = services.reorder_line_receive(line_id=line.pk, quantity=12)
    assert (line.status, line.received_quantity, movement.stock_after) == (Status.RECEIVED, 12, 12)
    assert figures(item) == (0, 0)


def test_a_partial_delivery_can_close_the_order():
    item = stocked(minimum=10, stock=0)
    line = order(item, 10)
    line, _ = services.reorder_line_receive(line_id=line.pk, quantity=6, close=True)
    assert (line.status, line.received_quantity) == (Status.CANCELLED, 6)
    assert figures(item) == (0, 4)


def test_cancelling_keeps_what_was_received():
    item = stocked(minimum=10, stock=0)
    line = order(item, 10)
    services.reorder_line_receive(line_id=line.pk, quantity=3)
    line = services.reorder_line_cancel(line_id=line.pk)
    assert (line.status, line.received_quantity) == (Status.CANCELLED, 3)
    item.refresh_from_db()
    assert item.stock == 3
    assert figures(item) == (0, 7)


def test_a_closed_order_takes_no_more_goods_and_cannot_be_cancelled_again():
    item = stocked(minimum=5, stock=0)
    line = order(item, 5)
    services.reorder_line_cancel(line_id=line.pk)
    with pytest.raises(ValidationError) as refused:
        services.reorder_line_receive(line_id=line.pk, quantity=5)
    assert refused.value.code == "closed"
    with pytest.raises(ValidationError) as refused:
        services.reorder_line_cancel(line_id=line.pk)
    assert refused.value.code == "closed"
    item.refresh_from_db()
    assert item.stock == 0 and not item.movements.exists()


@pytest.mark.parametrize(
    ("quantity", "ordered_at", "field"),
    [
        (0, None, "quantity"),
        (-3, None, "quantity"),
        (5, timezone.localdate() + datetime.timedelta(days=1), "ordered_at"),
    ],
)
def test_refused_orders(quantity, ordered_at, field):
    item = stocked(minimum=5, stock=0)
    with pytest.raises(ValidationError) as raised:
        order(item, quantity, ordered_at=ordered_at)
    assert list(raised.value.message_dict) == [field]
    assert not ReorderLine.objects.exists()


def test_a_refused_receipt_books_nothing():
    item = stocked(minimum=5, stock=0)
    line = order(item, 5)
    with pytest.raises(ValidationError):
        services.reorder_line_receive(line_id=line.pk, quantity=0)
    line.refresh_from_db()
    assert (line.received_quantity, line.status) == (0, Status.OPEN)
    assert not item.movements.exists()


def test_orders_and_receipts_are_in_the_change_history(staff):
    item = stocked(minimum=5, stock=0)
    with pghistory.context(user=staff.pk):
        line = order(item, 5, user=staff)
        services.reorder_line_receive(line_id=line.pk, quantity=5, user=staff)
    events = ReorderLine.pgh_event_model.objects.filter(pgh_obj=line).order_by("pgh_id")
    assert [(e.pgh_label, e.status, e.received_quantity) for e in events] == [
        ("insert", "open", 0),
        ("update", "received", 5),
    ]
    assert StockMovement.pgh_event_model.objects.filter(pgh_obj__product=item).count() == 1


# --- The list ----------------------------------------------------------------------------------


@pytest.fixture
def ordered_shop(staff):
    alcon = Supplier.objects.create(name="Alcon")
    items = {
        "dailies": stocked(minimum=10, stock=2, name="Dailies Total1", supplier=alcon),
        "biofinity": stocked(minimum=6, stock=1, name="Biofinity", supplier=alcon),
        "full": stocked(minimum=2, stock=5, name="Genug da"),
    }
    # Ordered on the third of last month, so the date shows as it is stored.
    day = (timezone.localdate().replace(day=1) - datetime.timedelta(days=1)).replace(day=3)
    items["line"] = order(items["dailies"], 8, ordered_at=day, reference="AB-77", user=staff)
    return items


def test_the_list_shows_what_is_ordered_and_what_is_still_missing(staff_client, ordered_shop):
    response = staff_client.get(REORDER)
    assert response.status_code == 200 and "<html" in response.content.decode()
    [(supplier, products)] = response.context["groups"]
    assert supplier.name == "Alcon"
    assert [(p.name, p.on_order, p.missing) for p in products] == [
        ("Biofinity", 0, 5),
        ("Dailies Total1", 8, 0),
    ]
    body = response.content.decode()
    line = ordered_shop["line"]
    day = line.ordered_at.strftime("%d.%m.%Y")
    with translation.override("de"):
        expected = gettext("ordered: %(quantity)s pcs. on %(date)s") % {
            "quantity": 8,
            "date": day,
        }
    assert expected in body
    assert "AB-77" in body and "Anna Schmidt" in body
    assert reverse("products:reorder_receive", args=[line.pk]) in body
    assert reverse("products:reorder_cancel", args=[line.pk]) in body
    # Only what is still missing can be ordered from the list.
    assert reverse("products:reorder_order", args=[ordered_shop["biofinity"].pk]) in body
    assert reverse("products:reorder_order", args=[ordered_shop["dailies"].pk]) not in body
    assert "Genug da" not in body


def test_an_ordered_product_stays_on_the_list_until_its_goods_arrive(staff_client):
    item = stocked(minimum=2, stock=5, name="Etui")
    line = order(item, 3)  # ordered although not below its minimum
    assert [p.name for p in selectors.reorder_list()] == ["Etui"]
    services.reorder_line_receive(line_id=line.pk, quantity=3)
    assert list(selectors.reorder_list()) == []


def test_the_list_is_active_products_below_minimum_and_every_product_on_order():
    """Both sides of the list's OR (each read from an index of its own):
    an inactive product only with an open order, a product with several open
    orders once, and the supplier chosen for both sides."""
    zeiss, hoya = Supplier.objects.create(name="Zeiss"), Supplier.objects.create(name="Hoya")
    below = stocked(minimum=5, stock=1, name="Unter Minimum", supplier=zeiss)
    stocked(minimum=5, stock=1, name="Inaktiv ohne Bestellung", active=False, supplier=zeiss)
    retired = stocked(minimum=5, stock=1, name="Inaktiv bestellt", active=False, supplier=zeiss)
    stocked(minimum=2, stock=2, name="Genau am Minimum", supplier=zeiss)
    twice = stocked(minimum=0, stock=4, name="Zweimal bestellt", supplier=zeiss)
    elsewhere = stocked(minimum=5, stock=0, name="Anderer Lieferant", supplier=hoya)
    order(retired, 2)
    order(twice, 1)
    order(twice, 3)
    order(elsewhere, 1)

    def names(**options) -> list[str]:
        return [p.name for p in selectors.reorder_list(**options)]

    assert names() == ["Anderer Lieferant", "Inaktiv bestellt", "Unter Minimum", "Zweimal bestellt"]
    assert names(supplier_id=zeiss.pk) == ["Inaktiv bestellt", "Unter Minimum", "Zweimal bestellt"]
    assert selectors.reorder_list().count() == 4
    assert below.pk in {p.pk for p in selectors.reorder_list(supplier_id=zeiss.pk)}


def test_the_htmx_refresh_renders_only_the_list(staff_client, ordered_shop):
    body = staff_client.get(REORDER, **HTMX).content.decode()
    assert "<html" not in body and body.lstrip().startswith('<div id="reorder"')
    assert "Dailies Total1" in body


def test_the_list_without_the_permission_to_order_shows_no_order_buttons(
    client, django_user_model, ordered_shop
):
    from django.contrib.auth.models import Permission

    user = django_user_model.objects.create_user(username="lesen")
    user.user_permissions.add(Permission.objects.get(codename="view_product"))
    client.force_login(user)
    body = client.get(REORDER).content.decode()
    assert "Dailies Total1" in body
    assert reverse("products:reorder_receive", args=[ordered_shop["line"].pk]) not in body


def test_the_list_reads_a_constant_number_of_queries(staff_client, django_assert_num_queries):
    def count() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert staff_client.get(REORDER).status_code == 200
        return len(captured)

    supplier = Supplier.objects.create(name="Zeiss")
    item = stocked(minimum=5, stock=0, supplier=supplier)
    order(item, 2)
    few = count()
    for number in range(12):
        more = stocked(minimum=5, stock=1, supplier=supplier if number % 2 else None)
        order(more, 1)
        order(more, 1)
    with django_assert_num_queries(few):
        response = staff_client.get(REORDER)
    assert response.context["count"] == 13


def test_the_csv_counts_what_is_on_order(staff_client, ordered_shop):
    text = staff_client.get(reverse("products:reorder_csv")).content.decode("utf-8-sig")
    rows = [line.split(";") for line in text.splitlines()]
    assert rows[0][7:9] == [de("On order"), de("Quantity missing")]
    assert [row[3] for row in rows[1:]] == ["Biofinity", "Dailies Total1"]
    assert [row[7:9] for row in rows[1:]] == [["0", "5"], ["8", "0"]]


def test_the_product_page_uses_the_same_missing_quantity(staff_client, ordered_shop):
    response = staff_client.get(reverse("products:detail", args=[ordered_shop["dailies"].pk]))
    assert response.context["missing"] == 0
    assert response.context["product"].on_order == 8


# --- Access ------------------------------------------------------------------------------------


def _urls(items) -> list[str]:
    line = items["line"]
    return [
        reverse("products:reorder_order", args=[items["biofinity"].pk]),
        reverse("products:reorder_receive", args=[line.pk]),
        reverse("products:reorder_cancel", args=[line.pk]),
    ]


def test_anonymous_users_are_sent_to_the_login(client, ordered_shop):
    for url in _urls(ordered_shop):
        for method in (client.get, client.post):
            response = method(url, {"quantity": "5"})
            assert response.status_code == 302 and response.url.startswith("/login/?next=")
    assert ReorderLine.objects.count() == 1


def test_users_without_permission_get_403_and_change_nothing(outsider_client, ordered_shop):
    for url in _urls(ordered_shop):
        assert outsider_client.get(url).status_code == 403
        assert outsider_client.post(url, {"quantity": "5"}, **HTMX).status_code == 403
    line = ReorderLine.objects.get()
    assert (line.status, line.received_quantity, ReorderLine.objects.count()) == (Status.OPEN, 0, 1)
    assert not StockMovement.objects.filter(product=ordered_shop["dailies"], quantity=5).exists()


def test_unknown_or_closed_orders_are_404(staff_client, ordered_shop):
    assert staff_client.get(reverse("products:reorder_order", args=[999999])).status_code == 404
    line = ordered_shop["line"]
    services.reorder_line_cancel(line_id=line.pk)
    assert staff_client.get(reverse("products:reorder_receive", args=[line.pk])).status_code == 404
    assert staff_client.post(reverse("products:reorder_cancel", args=[line.pk])).status_code == 404


# --- Recording an order --------------------------------------------------------------------------


def test_the_order_modal_suggests_the_missing_quantity_and_today(staff_client, ordered_shop):
    url = reverse("products:reorder_order", args=[ordered_shop["biofinity"].pk])
    partial = staff_client.get(url, **HTMX)
    body = partial.content.decode()
    assert "<html" not in body and 'name="quantity"' in body
    assert partial.context["form"]["quantity"].value() == 5
    assert timezone.localdate().strftime("%d.%m.%Y") in body
    page = staff_client.get(url).content.decode()
    assert "<html" in page and 'name="ordered_at"' in page


def test_recording_an_order_with_htmx_closes_the_modal_and_refreshes_the_list(
    staff_client, staff, ordered_shop
):
    item = ordered_shop["biofinity"]
    url = reverse("products:reorder_order", args=[item.pk])
    day = timezone.localdate() - datetime.timedelta(days=3)
    typed = f"{day.day}.{day.month}.{day:%y}"  # as typed at the counter: 2.12.26
    response = staff_client.post(
        url, {"quantity": "5", "ordered_at": typed, "reference": "Tel. Frau Berg"}, **HTMX
    )
    assert json.loads(response["HX-Trigger"]) == {
        "closeModal": True,
        "reorderChanged": True,
        "stockMoved": True,
    }
    line = item.reorder_lines.get()
    assert (line.quantity, line.ordered_at, line.reference, line.ordered_by) == (
        5,
        day,
        "Tel. Frau Berg",
        staff,
    )
    assert "Biofinity" in response.content.decode()  # the message, out of band


def test_recording_an_order_without_htmx_redirects_to_the_list(staff_client, ordered_shop):
    item = ordered_shop["biofinity"]
    url = reverse("products:reorder_order", args=[item.pk])
    today = timezone.localdate().strftime("%d.%m.%Y")
    response = staff_client.post(url, {"quantity": "2", "ordered_at": today})
    assert response.status_code == 302 and response.url == REORDER
    assert item.reorder_lines.get().quantity == 2


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"quantity": "0"}, "quantity", "Bitte geben Sie eine Menge von mindestens 1 ein."),
        ({"quantity": ""}, "quantity", "Bitte geben Sie eine Menge ein."),
        ({"quantity": "viele"}, "quantity", None),
        ({"quantity": "3", "ordered_at": "31.02.2026"}, "ordered_at", None),
        ({"quantity": "3", "ordered_at": "tomorrow"}, "ordered_at", None),
        (
            {"quantity": "3", "ordered_at": "future"},
            "ordered_at",
            "The date must not be in the future.",
        ),
        ({"quantity": "3", "reference": "x" * 201}, "reference", None),
    ],
)
def test_a_refused_order_shows_german_messages_and_saves_nothing(
    staff_client, ordered_shop, data, field, message
):
    if data.get("ordered_at") == "future":
        data["ordered_at"] = (timezone.localdate() + datetime.timedelta(days=2)).strftime(
            "%d.%m.%Y"
        )
    data.setdefault("ordered_at", timezone.localdate().strftime("%d.%m.%Y"))
    url = reverse("products:reorder_order", args=[ordered_shop["biofinity"].pk])
    response = staff_client.post(url, data, **HTMX)
    assert response.status_code == 200 and "HX-Trigger" not in response
    form = response.context["form"]
    assert field in form.errors
    if message:
        assert de(message) in form.errors[field]
    assert "<html" not in response.content.decode()
    assert not ordered_shop["biofinity"].reorder_lines.exists()


# --- Receiving the goods -----------------------------------------------------------------------


def test_the_receipt_modal_suggests_what_is_still_to_come(staff_client, ordered_shop):
    line = ordered_shop["line"]
    services.reorder_line_receive(line_id=line.pk, quantity=3)
    url = reverse("products:reorder_receive", args=[line.pk])
    response = staff_client.get(url, **HTMX)
    assert "<html" not in response.content.decode()
    assert response.context["form"]["quantity"].value() == 5
    assert "<html" in staff_client.get(url).content.decode()


def test_receiving_with_htmx_books_the_stock_and_closes_the_order(
    staff_client, staff, ordered_shop
):
    line = ordered_shop["line"]
    url = reverse("products:reorder_receive", args=[line.pk])
    response = staff_client.post(url, {"quantity": "8", "note": "Lieferschein 123"}, **HTMX)
    assert "reorderChanged" in response["HX-Trigger"]
    line.refresh_from_db()
    assert (line.status, line.received_quantity) == (Status.RECEIVED, 8)
    movement = ordered_shop["dailies"].movements.first()
    assert (movement.kind, movement.quantity, movement.stock_after, movement.created_by) == (
        Kind.RECEIPT,
        8,
        10,
        staff,
    )
    assert "AB-77" in movement.note and "Lieferschein 123" in movement.note


def test_a_partial_receipt_without_htmx_redirects_and_keeps_the_rest_on_order(
    staff_client, ordered_shop
):
    line = ordered_shop["line"]
    response = staff_client.post(
        reverse("products:reorder_receive", args=[line.pk]), {"quantity": "3"}
    )
    assert response.status_code == 302 and response.url == REORDER
    line.refresh_from_db()
    assert (line.status, line.outstanding) == (Status.OPEN, 5)


def test_a_partial_receipt_can_close_the_order(staff_client, ordered_shop):
    line = ordered_shop["line"]
    url = reverse("products:reorder_receive", args=[line.pk])
    staff_client.post(url, {"quantity": "3", "close": "on"}, **HTMX)
    line.refresh_from_db()
    assert (line.status, line.received_quantity) == (Status.CANCELLED, 3)


@pytest.mark.parametrize("quantity", ["0", "", "-2", "drei"])
def test_a_refused_receipt_books_nothing_and_says_why(staff_client, ordered_shop, quantity):
    line = ordered_shop["line"]
    response = staff_client.post(
        reverse("products:reorder_receive", args=[line.pk]), {"quantity": quantity}, **HTMX
    )
    assert "HX-Trigger" not in response
    assert response.context["form"].errors["quantity"]
    line.refresh_from_db()
    assert (line.status, line.received_quantity) == (Status.OPEN, 0)
    assert ordered_shop["dailies"].movements.count() == 1  # the opening stock only


def test_a_receipt_for_an_order_closed_meanwhile_is_refused_in_the_modal(
    staff_client, ordered_shop, monkeypatch
):
    line = ordered_shop["line"]
    url = reverse("products:reorder_receive", args=[line.pk])
    original = services.reorder_line_receive

    def closed_meanwhile(**kwargs):
        services.reorder_line_cancel(line_id=kwargs["line_id"])
        return original(**kwargs)

    monkeypatch.setattr(services, "reorder_line_receive", closed_meanwhile)
    response = staff_client.post(url, {"quantity": "8"}, **HTMX)
    assert response.status_code == 200 and "HX-Trigger" not in response
    assert de("This order was closed in the meantime (received or cancelled).") in (
        response.content.decode()
    )
    assert ordered_shop["dailies"].movements.count() == 1


# --- Cancelling --------------------------------------------------------------------------------


def test_cancel_asks_first_then_cancels(staff_client, ordered_shop):
    line = ordered_shop["line"]
    url = reverse("products:reorder_cancel", args=[line.pk])
    body = staff_client.get(url, **HTMX).content.decode()
    assert "<html" not in body and "Dailies Total1" in body
    assert "<html" in staff_client.get(url).content.decode()
    response = staff_client.post(url, **HTMX)
    assert "reorderChanged" in response["HX-Trigger"]
    line.refresh_from_db()
    assert line.status == Status.CANCELLED
    response = staff_client.post(
        reverse("products:reorder_cancel", args=[order(ordered_shop["biofinity"], 1).pk])
    )
    assert response.status_code == 302 and response.url == REORDER


def test_a_long_list_comes_a_page_at_a_time(staff_client, monkeypatch):
    """A chain's reorder list runs to a thousand lines (make bench): pages,
    each in the same few queries, the next one swapped in by htmx."""
    from products import views

    monkeypatch.setattr(views, "REORDER_PAGE_SIZE", 2)
    for name in ("Etui A", "Etui B", "Etui C"):
        stocked(minimum=5, stock=0, name=name)
    first = staff_client.get(REORDER).content.decode()
    assert "Etui A" in first and "Etui B" in first and "Etui C" not in first
    assert "1–2 von 3" in first
    second = staff_client.get(REORDER, {"page": "2"}, **HTMX).content.decode()
    assert "Etui C" in second and "Etui A" not in second
    assert "<html" not in second  # the list alone, for htmx to swap in
    assert staff_client.get(REORDER, {"page": "x"}).status_code == 200  # first page
