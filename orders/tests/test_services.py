"""Orders (issue 28, part 1): made for a refraction whose values are kept,
positions and their money, the way through the statuses, the frame taken
from stock and put back, and no lost change."""

import datetime
import threading
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, connections

from customers import services as customer_services
from customers.tests import factories
from orders import rules, selectors, services
from orders.models import Kind, Order, OrderEvent, OrderLineEvent, Status
from prescriptions import services as prescription_services
from prescriptions.models import Refraction
from prescriptions.tests.factories import refraction, refraction_data
from products import services as product_services
from products.models import Category, Product, StockMovement
from products.tests.factories import product

pytestmark = pytest.mark.django_db


@pytest.fixture
def customer():
    return factories.customer(first_name="Erika", last_name="Muster")


def placeable(customer, user, **fields) -> Order:
    """A glasses order that may be placed: a refraction's values and a
    position."""
    if not Refraction.objects.filter(customer=customer).exists():
        refraction(customer, user)
    order = services.order_create(customer_id=customer.pk, user=user)
    if fields:
        services.order_update(order_id=order.pk, data=fields, version=None)
    services.line_save(
        order_id=order.pk,
        data={"kind": "service", "description": "Anpassung", "unit_price": Decimal("20")},
        version=None,
    )
    order.refresh_from_db()
    return order


@pytest.fixture
def frame():
    frame = product(name="Lindberg 9700", sale_price=Decimal("289.00"))
    product_services.stock_move(product_id=frame.pk, kind="receipt", quantity=2)
    return frame


def test_glasses_are_made_for_the_newest_subjective_refraction_whose_values_are_kept(
    customer, optician
):
    older = refraction(customer, optician, date=datetime.date(2025, 5, 1))
    newest = refraction(customer, optician, right_sphere=Decimal("-2.25"), left_pd=Decimal("31"))
    refraction(customer, optician, kind=Refraction.Kind.OBJECTIVE, date=datetime.date(2026, 6, 1))
    order = services.order_create(customer_id=customer.pk, user=optician)

    assert (order.status, order.kind, order.refraction) == (Status.QUOTE, Kind.GLASSES, newest)
    assert order.prescription["right"]["sphere"] == "-2.25"
    assert order.prescription["date"] == "2026-03-12"
    # Centration defaults from the measurement.
    assert (order.right_pd, order.left_pd) == (Decimal("31.5"), Decimal("31"))

    # A later correction of the refraction does not change what was ordered.
    prescription_services.refraction_correct(
        refraction_id=newest.pk,
        data=refraction_data(optician, right_sphere=Decimal("-2.75")),
        user=optician,
    )
    order.refresh_from_db()
    assert order.prescription["right"]["sphere"] == "-2.25"

    chosen = services.order_create(customer_id=customer.pk, refraction_id=older.pk)
    assert chosen.refraction == older


def test_a_refraction_of_someone_else_or_a_deleted_customer_is_refused(customer, optician):
    other = refraction(factories.customer(), optician)
    with pytest.raises(ValidationError) as error:
        services.order_create(customer_id=customer.pk, refraction_id=other.pk)
    assert "aktuellen Refraktionen dieses Kunden" in str(error.value)
    customer_services.customer_soft_delete(customer_id=customer.pk)
    with pytest.raises(ValidationError) as error:
        services.order_create(customer_id=customer.pk)
    assert "gelöscht" in str(error.value)
    assert not Order.objects.exists()


def test_positions_discounts_vat_per_rate_deposit_and_open_amount(customer, frame):
    order = services.order_create(customer_id=customer.pk)
    lens = product(
        category=Category.SPECTACLE_LENS, name="Gleitsicht 1,6", sale_price=Decimal("189.90")
    )
    v = order.version
    services.line_save(order_id=order.pk, data=services.product_line(frame), version=v)
    services.line_save(
        order_id=order.pk,
        data=services.product_line(
            lens, eye="right", discount_percent=Decimal("10"), discount_reason="Stammkunde"
        ),
        version=v + 1,
    )
    services.line_save(
        order_id=order.pk, data=services.product_line(lens, eye="left"), version=v + 2
    )
    services.line_save(
        order_id=order.pk,
        data={
            "kind": "product",
            "description": "Fachbuch „Gutes Sehen“",
            "quantity": 3,
            "unit_price": Decimal("1.99"),
            "vat_rate": 7,
            "discount_amount": Decimal("0.50"),
            "discount_reason": "Aktion",
        },
        version=v + 3,
    )
    order = services.order_update(
        order_id=order.pk, data={"deposit": Decimal("200.00")}, version=v + 4
    )
    totals = selectors.order_money(order).totals

    # 289,00 + (189,90 − 18,99) + 189,90 = 649,81 at 19 %; 5,97 − 0,50 = 5,47 at 7 %.
    assert totals.rates[19].gross == Decimal("649.81")
    assert totals.rates[19].vat == Decimal("103.75")  # 649,81 × 19/119, rounded once
    assert totals.rates[19].net == Decimal("546.06")
    assert totals.rates[7].gross == Decimal("5.47")
    assert totals.rates[7].vat == Decimal("0.36")
    assert totals.discount == Decimal("19.49")
    assert totals.gross == Decimal("655.28")
    money = selectors.order_money(order)
    assert (money.insurer, money.deposit, money.open) == (
        Decimal("0.00"),
        Decimal("200.00"),
        Decimal("455.28"),
    )
    assert [line.position for line in selectors.order_lines(order.pk)] == [1, 2, 3, 4]


def test_a_discount_needs_its_reason_and_only_one_kind(customer):
    order = services.order_create(customer_id=customer.pk)
    line = {"description": "Anpassung", "unit_price": Decimal("20"), "kind": "service"}
    with pytest.raises(ValidationError) as error:
        services.line_save(
            order_id=order.pk, data={**line, "discount_percent": Decimal("5")}, version=None
        )
    assert "Bitte geben Sie einen Grund für den Rabatt an." in str(error.value)
    with pytest.raises(ValidationError) as error:
        services.line_save(
            order_id=order.pk,
            data={
                **line,
                "discount_percent": Decimal("5"),
                "discount_amount": Decimal("1"),
                "discount_reason": "x",
            },
            version=None,
        )
    assert "nicht beides" in str(error.value)
    assert not order.lines.exists()


def test_rounding_happens_once_per_position():
    assert rules.line_gross(3, Decimal("0.335"), Decimal("33.33"), None) == (
        Decimal("0.34"),
        Decimal("0.67"),
    )
    # A discount never takes a position below zero.
    assert rules.line_gross(1, Decimal("10.00"), None, Decimal("15.00")) == (
        Decimal("10.00"),
        Decimal("0.00"),
    )


def test_placing_takes_the_frame_from_stock_and_cancelling_puts_it_back(customer, frame, staff):
    order = placeable(customer, staff)
    order = services.order_update(order_id=order.pk, data={"frame": frame}, version=order.version)
    frame.refresh_from_db()
    assert frame.stock == 2  # a quote takes nothing

    order = services.order_status_change(
        order_id=order.pk, status=Status.ORDERED, version=order.version, user=staff
    )
    frame.refresh_from_db()
    assert frame.stock == 1
    assert order.frame_out.kind == StockMovement.Kind.SALE
    assert order.frame_out.note == f"Auftrag {order.pk}"

    with pytest.raises(ValidationError) as error:
        services.order_status_change(
            order_id=order.pk, status=Status.CANCELLED, version=order.version
        )
    assert "Bitte geben Sie den Grund an." in str(error.value)
    order = services.order_status_change(
        order_id=order.pk,
        status=Status.CANCELLED,
        version=order.version,
        reason="Kunde hat es sich anders überlegt",
        user=staff,
    )
    frame.refresh_from_db()
    assert frame.stock == 2
    assert order.frame_back.kind == StockMovement.Kind.RETURN
    assert order.status_reason == "Kunde hat es sich anders überlegt"
    # Who and when: the history.
    statuses = list(
        OrderEvent.objects.filter(pgh_obj_id=order.pk)
        .order_by("pgh_id")
        .values_list("status", flat=True)
    )
    assert statuses[-2:] == [Status.ORDERED, Status.CANCELLED]


def test_the_way_through_the_statuses(customer, staff):
    order = placeable(customer, staff)
    way = [
        Status.ORDERED,
        Status.LENSES_ORDERED,
        Status.LENSES_ARRIVED,
        Status.WORKSHOP,
        Status.READY,
        Status.PICKED_UP,
    ]
    for status in way:
        order = services.order_status_change(
            order_id=order.pk, status=status, version=order.version, user=staff
        )
    with pytest.raises(ValidationError) as error:
        services.order_status_change(
            order_id=order.pk, status=Status.WORKSHOP, version=order.version
        )
    assert (
        "Ein Auftrag im Status „Abgeholt“ kann nicht in den Status „In der Werkstatt“ wechseln."
        in str(error.value)
    )
    order = services.order_status_change(
        order_id=order.pk, status=Status.COMPLAINT, version=order.version, reason="Glas zerkratzt"
    )
    assert order.status == Status.COMPLAINT
    order = services.order_status_change(
        order_id=order.pk, status=Status.LENSES_ORDERED, version=order.version
    )
    assert order.status_reason == "Glas zerkratzt"  # kept with the history


def test_positions_are_fixed_once_the_lenses_are_ordered(customer, staff):
    order = placeable(customer, staff)
    for status in (Status.ORDERED, Status.LENSES_ORDERED):
        order = services.order_status_change(order_id=order.pk, status=status, version=None)
    with pytest.raises(ValidationError) as error:
        services.line_save(
            order_id=order.pk,
            data={"description": "Etui", "unit_price": Decimal("5")},
            version=order.version,
        )
    assert "nicht mehr geändert" in str(error.value)


def test_no_lost_change_between_two_people(customer):
    order = services.order_create(customer_id=customer.pk)
    loaded = order.version
    services.order_update(order_id=order.pk, data={"notes": "Etui dazu"}, version=loaded)
    with pytest.raises(services.OrderConflict):
        services.order_update(order_id=order.pk, data={"notes": "Rot"}, version=loaded)
    with pytest.raises(services.OrderConflict):
        services.order_status_change(order_id=order.pk, status=Status.ORDERED, version=loaded)
    order.refresh_from_db()
    assert (order.notes, order.status) == ("Etui dazu", Status.QUOTE)


@pytest.mark.django_db(transaction=True)
def test_the_last_frame_ordered_twice_at_once_goes_to_one_order(django_user_model):
    last = product(name="Einzelstück")
    product_services.stock_move(product_id=last.pk, kind="receipt", quantity=1)
    optician = django_user_model.objects.create_user(username="messer")
    orders = [placeable(factories.customer(), optician, frame=last) for _ in range(2)]
    barrier = threading.Barrier(2)
    outcomes: list[str] = []
    lock = threading.Lock()

    def place(order):
        try:
            barrier.wait()
            services.order_status_change(order_id=order.pk, status=Status.ORDERED, version=None)
            result = "placed"
        except ValidationError as error:
            result = str(error)
        finally:
            connections.close_all()
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=place, args=(order,)) for order in orders]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    placed = [outcome for outcome in outcomes if outcome == "placed"]
    refused = [outcome for outcome in outcomes if outcome != "placed"]
    assert len(placed) == 1, outcomes
    assert "Die Fassung Einzelstück ist nicht mehr am Lager." in refused[0]
    assert Product.objects.get(pk=last.pk).stock == 0
    assert Order.objects.filter(status=Status.ORDERED).count() == 1
    connection.close()


def test_the_erasure_takes_the_customers_orders(customer, frame, owner):
    order = placeable(customer, owner, frame=frame, notes="Muster mag Rot")
    services.line_save(
        order_id=order.pk,
        data={
            "description": "Etui",
            "unit_price": Decimal("10"),
            "discount_percent": Decimal("100"),
            "discount_reason": "Frau Muster bekommt es geschenkt",
        },
        version=None,
    )
    services.order_status_change(order_id=order.pk, status=Status.ORDERED, version=None)
    customer_services.customer_erase(customer_id=customer.pk, user=owner)
    assert not Order.objects.filter(pk=order.pk).exists()
    assert not OrderEvent.objects.filter(pgh_obj_id=order.pk).exists()
    assert not OrderLineEvent.objects.filter(order_id=order.pk).exists()
    # The ledger keeps that a frame left the stock, not for whom.
    assert StockMovement.objects.filter(note=f"Auftrag {order.pk}").exists()


def test_the_access_report_holds_the_orders_and_their_positions(customer, optician):
    from privacy.report import access_report, as_json

    refraction(customer, optician)
    order = services.order_create(customer_id=customer.pk, user=optician)
    services.line_save(
        order_id=order.pk,
        data={"description": "Anpassung", "unit_price": Decimal("20.00"), "kind": "service"},
        version=None,
    )
    report = as_json(access_report(customer))
    (record,) = report["parts"]["orders"]["records"]
    assert record["fields"]["prescription"]["value"]["right"]["sphere"] == "1.25"
    assert record["history"]  # who made it, when
    (orders_part,) = [part for part in access_report(customer).parts if part.key == "orders"]
    (order_record,) = orders_part.records
    shown = {name: text for name, _label, _plain, text in order_record.values}
    assert shown["prescription"] == "R: Sph +1,25 Zyl −0,50 A 90° · L: Sph +1,00"
    (position,) = report["parts"]["order_positions"]["records"]
    assert position["fields"]["unit_price"]["value"] == "20.00"


def test_a_frame_set_or_exchanged_after_placing_moves_the_stock(customer, frame, staff):
    other = product(name="Silhouette 5500")
    product_services.stock_move(product_id=other.pk, kind="receipt", quantity=1)
    order = placeable(customer, staff)
    order = services.order_status_change(order_id=order.pk, status=Status.ORDERED, version=None)
    order = services.order_update(order_id=order.pk, data={"frame": frame}, version=order.version)
    assert Product.objects.get(pk=frame.pk).stock == 1
    order = services.order_update(order_id=order.pk, data={"frame": other}, version=order.version)
    assert (Product.objects.get(pk=frame.pk).stock, Product.objects.get(pk=other.pk).stock) == (
        2,
        0,
    )
    assert StockMovement.objects.filter(note=f"Auftrag {order.pk}: Fassung getauscht").exists()
    order = services.order_status_change(
        order_id=order.pk, status=Status.CANCELLED, version=order.version, reason="zu teuer"
    )
    assert Product.objects.get(pk=other.pk).stock == 1


def test_glasses_are_placed_only_with_values_and_a_position(customer):
    order = services.order_create(customer_id=customer.pk)
    with pytest.raises(ValidationError) as error:
        services.order_status_change(order_id=order.pk, status=Status.ORDERED, version=None)
    assert "mit den Werten einer Refraktion und mindestens einer Position" in str(error.value)
    with pytest.raises(ValidationError) as error:
        services.order_status_change(order_id=order.pk, status="gone", version=None)
    assert "angebotenen Status" in str(error.value)


def test_a_discount_more_than_the_position_is_refused(customer):
    order = services.order_create(customer_id=customer.pk)
    with pytest.raises(ValidationError) as error:
        services.line_save(
            order_id=order.pk,
            data={
                "description": "Etui",
                "unit_price": Decimal("10"),
                "quantity": 2,
                "discount_amount": Decimal("25"),
                "discount_reason": "Aktion",
            },
            version=None,
        )
    assert "mehr, als die Position kostet" in str(error.value)


def test_centration_is_fixed_once_the_lenses_are_ordered(customer, staff):
    order = placeable(customer, staff)
    for status in (Status.ORDERED, Status.LENSES_ORDERED):
        order = services.order_status_change(order_id=order.pk, status=status, version=None)
    with pytest.raises(ValidationError):
        services.order_update(
            order_id=order.pk, data={"right_fitting_height": Decimal("22")}, version=None
        )
    # What is not the glasses' own still changes (a note, the promised day).
    services.order_update(order_id=order.pk, data={"notes": "Kunde ruft an"}, version=None)
