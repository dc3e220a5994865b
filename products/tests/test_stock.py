"""Products and the stock ledger, through the services the app uses."""

import threading
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, connections
from django.db.models import Sum

from products import services
from products.models import Category, Product, StockMovement
from products.tests.factories import product

pytestmark = pytest.mark.django_db
Kind = StockMovement.Kind


def errors_of(**fields) -> dict:
    with pytest.raises(ValidationError) as caught:
        product(**fields)
    return caught.value.message_dict


def test_ean_check_digit():
    assert "ean" in errors_of(ean="4006381333932")
    assert product(ean="4006381333931").ean == "4006381333931"


def test_ean_unique_only_when_set():
    product(ean="4006381333931")
    assert "ean" in errors_of(ean="4006381333931")
    product(ean="")
    product(ean="")
    assert Product.objects.filter(ean="").count() == 2


def test_article_number_unique():
    product(article_number="F-100")
    assert "article_number" in errors_of(article_number="F-100")


@pytest.mark.parametrize(
    ("price", "ok"),
    [
        (Decimal("-0.01"), False),
        (Decimal("0"), True),
        (Decimal("49.999"), False),
        (Decimal("49.90"), True),
    ],
)
def test_prices_not_negative_with_two_decimals(price, ok):
    if ok:
        assert product(sale_price=price).sale_price == price
    else:
        assert "sale_price" in errors_of(sale_price=price)


@pytest.mark.parametrize(("rate", "ok"), [(19, True), (7, True), (16, False), (0, False)])
def test_vat_only_19_or_7(rate, ok):
    if ok:
        assert product(vat_rate=rate).vat_rate == rate
    else:
        assert "vat_rate" in errors_of(vat_rate=rate)


def test_frame_size_only_for_frames():
    frame = product(lens_width=52, bridge_width=18, temple_length=140)
    assert frame.frame_size == "52□18 140"
    errors = errors_of(category=Category.CARE, lens_width=52)
    assert errors["lens_width"] == ["Eine Fassungsgröße gibt es nur bei Fassungen."]


def test_margin():
    assert product(
        purchase_price=Decimal("80.00"), sale_price=Decimal("249.00")
    ).margin.amount == Decimal("169.00")


def ledger_sum(item: Product) -> int:
    return item.movements.aggregate(total=Sum("quantity"))["total"] or 0


def test_stock_follows_the_ledger():
    item = product()
    steps = [
        (Kind.RECEIPT, 10),
        (Kind.SALE, 3),
        (Kind.RETURN, 1),
        (Kind.CORRECTION, -2),
        (Kind.INVENTORY, 4),
        (Kind.SALE, 4),
    ]
    for kind, quantity in steps:
        services.stock_move(product_id=item.pk, kind=kind, quantity=quantity)
        item.refresh_from_db()
        assert item.stock == ledger_sum(item)
    assert item.stock == 0
    assert list(item.movements.order_by("id").values_list("quantity", "stock_after")) == [
        (10, 10),
        (-3, 7),
        (1, 8),
        (-2, 6),
        (-2, 4),
        (-4, 0),
    ]


def test_negative_stock_is_refused_and_nothing_booked():
    item = product()
    services.stock_move(product_id=item.pk, kind=Kind.RECEIPT, quantity=2)
    with pytest.raises(ValidationError) as caught:
        services.stock_move(product_id=item.pk, kind=Kind.SALE, quantity=3)
    assert caught.value.message_dict["quantity"] == [
        "Nicht genug Bestand: 2 vorrätig, 3 angefordert."
    ]
    item.refresh_from_db()
    assert (item.stock, item.movements.count()) == (2, 1)


@pytest.mark.parametrize(
    ("kind", "quantity"),
    [(Kind.RECEIPT, 0), (Kind.SALE, -1), (Kind.CORRECTION, 0), (Kind.INVENTORY, -1)],
)
def test_nonsense_quantities_are_refused(kind, quantity):
    item = product()
    with pytest.raises(ValidationError):
        services.stock_move(product_id=item.pk, kind=kind, quantity=quantity)
    assert not item.movements.exists()


def test_database_refuses_negative_stock_directly():
    from django.db import IntegrityError

    item = product()
    with pytest.raises(IntegrityError):
        Product.objects.filter(pk=item.pk).update(stock=-1)


def test_deleting_a_product_with_movements_only_deactivates_it():
    used = product()
    services.stock_move(product_id=used.pk, kind=Kind.RECEIPT, quantity=1)
    assert services.product_delete(product_id=used.pk) is False
    used.refresh_from_db()
    assert used.active is False
    unused = product()
    assert services.product_delete(product_id=unused.pk) is True
    assert not Product.objects.filter(pk=unused.pk).exists()


# PostgreSQL's default of 100 connections cannot hold 101 at once, so 25
# threads, each with its own real connection, race through the 101 sales.
SELLERS = 25


@pytest.mark.django_db(transaction=True)
def test_hundred_concurrent_sales_leave_exactly_zero():
    item = product()
    services.stock_move(product_id=item.pk, kind=Kind.RECEIPT, quantity=100)
    start = threading.Event()

    def sell() -> str:
        start.wait()
        try:
            services.stock_move(product_id=item.pk, kind=Kind.SALE, quantity=1)
            return "sold"
        except ValidationError:
            return "refused"
        finally:
            # Each sale on a fresh connection: the pool reuses its threads.
            connections.close_all()

    with ThreadPoolExecutor(max_workers=SELLERS) as pool:
        futures = [pool.submit(sell) for _ in range(101)]
        start.set()
        outcomes = [future.result() for future in futures]

    assert sorted(outcomes) == ["refused"] + ["sold"] * 100
    item.refresh_from_db()
    assert item.stock == 0
    assert item.movements.filter(kind=Kind.SALE).count() == 100
    assert ledger_sum(item) == 0
    connection.close()


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"lens_width": 12, "bridge_width": 18}, "lens_width"),
        ({"lens_width": 52, "bridge_width": 45}, "bridge_width"),
        ({"lens_width": 52, "bridge_width": 18, "temple_length": 250}, "temple_length"),
    ],
)
def test_frame_sizes_are_plausible(fields, field):
    assert field in errors_of(**fields)


def test_zero_frame_size_on_a_non_frame_is_refused_on_the_field():
    assert "lens_width" in errors_of(category=Category.CARE, lens_width=0)
