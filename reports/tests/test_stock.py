"""The stock report's figures (reports.stock), each computed again here from
the raw rows of a generated shop (products, the stock ledger, invoice
positions) with plain Python and compared: the stock value, the slow
movers at the boundary of their months, the ABC classes at 80 and 95 %,
cancelled invoices; and the rules' SQL twins against their Python homes."""

import datetime
import random
from collections import defaultdict
from decimal import Decimal as D

import pytest
import time_machine
from django.utils import timezone

from customers.tests import factories as customer_factories
from invoices import services as invoice_services
from invoices.models import Invoice, InvoiceLine
from invoices.tests.factories import ADDRESS
from orders.rules import cents, line_gross
from products import selectors as product_selectors
from products import services as product_services
from products.models import Category, Product, StockMovement
from products.tests.factories import product
from reports import periods, stock
from reports.models import ProductSaleDay, ProductSaleMonth
from reports.tests.factories import issued

pytestmark = pytest.mark.django_db

Kind = StockMovement.Kind


def receive(item: Product, quantity: int) -> Product:
    product_services.stock_move(product_id=item.pk, kind=Kind.RECEIPT, quantity=quantity)
    item.refresh_from_db()
    return item


def sell_at(item: Product, moment: datetime.datetime, quantity: int = 1) -> None:
    with time_machine.travel(moment, tick=False):
        product_services.stock_move(product_id=item.pk, kind=Kind.SALE, quantity=quantity)


def report(period=None, **more) -> stock.StockReport:
    today = timezone.localdate()
    period = period or periods.Period(today.replace(day=1), today)
    return stock.stock_report(period, periods.DAY, **more)


# --- Stock value -----------------------------------------------------------------------


def test_the_stock_value_is_the_sum_of_the_raw_products():
    rng = random.Random(30)
    categories = list(Category)
    for number in range(40):
        category = categories[number % len(categories)]
        if category == Category.SPECTACLE_LENS:
            category = Category.FRAME  # a lens needs its own attributes; frames will do
        item = product(
            category=category,
            purchase_price=D(rng.randint(1, 30000)) / 100,
            vat_rate=rng.choice([7, 19]),
            active=rng.random() < 0.8,
        )
        if number % 5:  # every fifth has no stock
            receive(item, rng.randint(1, 40))
    # Rows read as the database has them.
    expected = defaultdict(lambda: [0, 0, D("0"), D("0")])
    for item in Product.objects.all():
        if item.stock <= 0:
            continue
        row = expected[item.category]
        row[0] += 1
        row[1] += item.stock
        gross = item.stock * item.purchase_price
        row[2] += (gross * 100 / (100 + item.vat_rate)).quantize(D("0.01"), "ROUND_HALF_UP")
        row[3] += gross

    result = report()
    found = {
        figures.key: [figures.articles, figures.units, figures.net, figures.gross]
        for figures in result.categories
    }
    assert [figures.key for figures in result.categories] == list(Category.values)
    for category in Category.values:
        assert found[category] == expected.get(category, [0, 0, D("0"), D("0")]), category
    total = result.total
    assert total.articles == sum(row[0] for row in expected.values())
    assert total.units == sum(row[1] for row in expected.values())
    assert total.net == sum(row[2] for row in expected.values())
    assert total.gross == sum(row[3] for row in expected.values())


def test_the_net_value_is_rounded_per_product_in_python_and_in_sql():
    rng = random.Random(7)
    pairs = []
    for _ in range(60):
        item = product(purchase_price=D(rng.randint(1, 99999)) / 100, vat_rate=rng.choice([7, 19]))
        receive(item, rng.randint(1, 997))
        pairs.append(item.pk)
    rows = Product.objects.filter(pk__in=pairs).annotate(value=stock.NET_STOCK_VALUE)
    for item in rows:
        assert item.value == stock.net_stock_value(item.stock, item.purchase_price, item.vat_rate)
    # 3 × 9,99 € at 19 %: 29,97 / 1,19 = 25,1848… → 25,18.
    assert stock.net_stock_value(3, D("9.99"), 19) == D("25.18")


# --- Slow movers -----------------------------------------------------------------------


def test_months_before():
    assert stock.months_before(datetime.date(2026, 8, 31), 6) == datetime.date(2026, 2, 28)
    assert stock.months_before(datetime.date(2028, 2, 29), 12) == datetime.date(2027, 2, 28)
    assert stock.months_before(datetime.date(2026, 1, 15), 24) == datetime.date(2024, 1, 15)
    assert stock.months_before(datetime.date(2026, 3, 1), 3) == datetime.date(2025, 12, 1)


def test_slow_movers_at_the_boundary_and_from_the_raw_ledger():
    today = timezone.localdate()
    since = stock.slow_movers_since(today, 6)
    second = datetime.timedelta(seconds=1)
    made = {}
    for name, price in [
        ("at_the_boundary", "10.00"),
        ("just_before", "20.00"),
        ("never_sold", "30.00"),
        ("sold_today", "40.00"),
        ("sold_out", "50.00"),
        ("sold_long_ago", "60.00"),
    ]:
        made[name] = receive(product(name=name, purchase_price=D(price)), 5)
    sell_at(made["at_the_boundary"], since)
    sell_at(made["just_before"], since - second)
    sell_at(made["sold_today"], timezone.now() - second)
    sell_at(made["sold_out"], since - datetime.timedelta(days=40), quantity=5)
    sell_at(made["sold_long_ago"], since - datetime.timedelta(days=400))
    # Returned after the boundary: a return is no sale.
    product_services.stock_move(product_id=made["sold_long_ago"].pk, kind=Kind.RETURN, quantity=1)

    # From the raw ledger: each product's last sale.
    last_sale = {}
    for movement in StockMovement.objects.filter(kind=Kind.SALE):
        known = last_sale.get(movement.product_id)
        if known is None or movement.created_at > known:
            last_sale[movement.product_id] = movement.created_at
    expected = [
        item
        for item in Product.objects.all()
        if item.stock > 0 and (last_sale.get(item.pk) is None or last_sale[item.pk] < since)
    ]
    expected.sort(
        key=lambda item: (-stock.net_stock_value(item.stock, item.purchase_price, 19), item.name)
    )

    result = report(months=6)
    assert [item.product.name for item in result.slow_movers] == [item.name for item in expected]
    assert {item.product.name for item in result.slow_movers} == {
        "just_before",
        "never_sold",
        "sold_long_ago",
    }
    assert result.slow_count == 3
    assert result.slow_units == 4 + 5 + 5  # one sold; none; one sold and returned
    by_name = {item.product.name: item for item in result.slow_movers}
    assert by_name["never_sold"].last_sale is None
    assert by_name["just_before"].last_sale == timezone.localdate(since - second)
    assert result.slow_net == sum(item.net_value for item in result.slow_movers)
    assert result.since_day == stock.months_before(today, 6)
    for item in Product.objects.all():
        assert stock.is_slow_mover(item.stock, last_sale.get(item.pk), today, 6) == (
            item.name in by_name
        )

    # Three months: the sale at the boundary of half a year is too old as
    # well; a year: only what never sold or sold long ago.
    assert report(months=3).slow_count == 4
    twelve = {item.product.name for item in report(months=12).slow_movers}
    assert twelve == {"never_sold", "sold_long_ago"}


def test_the_page_shows_the_most_value_first_and_counts_all():
    for number in range(7):
        receive(product(purchase_price=D(10 + number)), 1)
    result = report(limit=5)
    assert result.slow_count == 7
    assert [item.net_value for item in result.slow_movers] == sorted(
        (item.net_value for item in result.slow_movers), reverse=True
    )
    assert len(result.slow_movers) == 5
    assert len(report(limit=None).slow_movers) == 7


# --- ABC analysis ----------------------------------------------------------------------


def test_abc_class_at_its_limits():
    total = D("100.00")
    assert stock.abc_class(D("80.00"), total) == "A"
    assert stock.abc_class(D("80.01"), total) == "B"
    assert stock.abc_class(D("95.00"), total) == "B"
    assert stock.abc_class(D("95.01"), total) == "C"
    assert stock.abc_class(D("100.00"), total) == "C"


def raw_sales(period: periods.Period) -> dict[int, tuple[D, int]]:
    """Net and pieces per product of the issued invoices and cancellation
    invoices dated in the period, from their positions."""
    sales: dict[int, list] = defaultdict(lambda: [D("0"), 0])
    lines = InvoiceLine.objects.filter(
        invoice__status="issued",
        invoice__issued_on__range=(period.since, period.until),
        product__isnull=False,
    )
    for line in lines:
        _discount, gross = line_gross(
            line.quantity, line.unit_price, line.discount_percent, line.discount_amount
        )
        sign = -1 if line.quantity < 0 else 1
        vat = cents(abs(gross) * line.vat_rate / (100 + line.vat_rate))
        sales[line.product_id][0] += sign * (abs(gross) - vat)
        sales[line.product_id][1] += line.quantity
    return {pk: (net, pieces) for pk, (net, pieces) in sales.items()}


def raw_abc(period: periods.Period) -> list[tuple[int, D, int, str]]:
    ranked = sorted(
        ((pk, net, pieces) for pk, (net, pieces) in raw_sales(period).items() if net > 0),
        key=lambda row: (-row[1], row[0]),
    )
    total = sum(row[1] for row in ranked)
    result, running = [], D("0")
    for pk, net, pieces in ranked:
        running += net
        if running * 100 <= total * 80:
            abc = "A"
        elif running * 100 <= total * 95:
            abc = "B"
        else:
            abc = "C"
        result.append((pk, net, pieces, abc))
    return result


@pytest.fixture
def boundary_sales(owner):
    """Net 80,00, 15,00 and 5,00 today (A, B and C exactly at 80 and 95 %),
    a big sale cancelled the same day, an old sale cancelled today."""
    prices = {"a": D("95.20"), "b": D("17.85"), "c": D("5.95"), "x": D("999.00")}
    made = {key: receive(product(name=key, sale_price=price), 20) for key, price in prices.items()}
    for key in "abc":
        issued([{"product": made[key]}], user=owner)
    buyer = customer_factories.customer(**ADDRESS)
    cancelled = issued([{"product": made["x"]}], user=owner, customer=buyer)
    invoice_services.invoice_cancel(invoice_id=cancelled.pk, reason="Irrtum", user=owner)
    old = issued([{"product": made["a"], "quantity": 2}], user=owner, ago=70)
    invoice_services.invoice_cancel(invoice_id=old.pk, reason="Irrtum", user=owner)
    return made


def test_abc_classes_at_80_and_95_percent(boundary_sales):
    today = timezone.localdate()
    # Only today: the old sale's cancellation takes a, the cancelled x is 0.
    result = report(periods.Period(today, today))
    assert result.abc_count == 2
    # With the days before: a's old sale and its cancellation even out.
    result = report(periods.Period(today - datetime.timedelta(days=100), today))
    classes = {item.product_id: item.abc for item in result.abc_products}
    made = boundary_sales
    assert classes == {made["a"].pk: "A", made["b"].pk: "B", made["c"].pk: "C"}
    by_class = {item.key: item for item in result.abc_classes}
    assert [by_class[key].net for key in "ABC"] == [D("80.00"), D("15.00"), D("5.00")]
    assert [by_class[key].products for key in "ABC"] == [1, 1, 1]
    assert [by_class[key].share for key in "ABC"] == [D("80.0"), D("15.0"), D("5.0")]
    assert result.abc_total == D("100.00")
    assert [item.running_share for item in result.abc_products] == [
        D("80.0"),
        D("95.0"),
        D("100.0"),
    ]


def test_abc_from_the_raw_positions_over_several_periods(owner):
    """Many products and invoices over 14 months, discounts, two VAT rates,
    cancellations; every kind of period (whole months, edges, a day)."""
    rng = random.Random(31)
    items = [
        receive(
            product(sale_price=D(rng.randint(100, 40000)) / 100, vat_rate=rng.choice([7, 19])),
            500,
        )
        for _ in range(25)
    ]
    days = [0, 1, 3, 9, 17, 28, 31, 33, 45, 59, 62, 90, 120, 200, 380, 420]
    buyer = customer_factories.customer(**ADDRESS)
    for ago in days:
        for _ in range(2):
            lines = []
            for item in rng.sample(items, rng.randint(1, 3)):
                line = {"product": item, "quantity": rng.randint(1, 3)}
                if rng.random() < 0.3:
                    line |= {"discount_percent": D("12.5"), "discount_reason": "Aktion"}
                elif rng.random() < 0.2:
                    line |= {"discount_amount": D("3.33"), "discount_reason": "Aktion"}
                lines.append(line)
            invoice = issued(lines, user=owner, ago=ago, customer=buyer)
            if rng.random() < 0.15:
                with time_machine.travel(
                    timezone.localtime().replace(hour=12)
                    - datetime.timedelta(days=max(ago - 2, 0)),
                    tick=False,
                ):
                    invoice_services.invoice_cancel(
                        invoice_id=invoice.pk, reason="Irrtum", user=owner
                    )
    assert Invoice.objects.filter(kind="cancellation").exists()
    today = timezone.localdate()
    first_of_month = today.replace(day=1)
    previous = (first_of_month - datetime.timedelta(days=1)).replace(day=1)
    chosen = [
        periods.Period(today, today),
        periods.Period(today - datetime.timedelta(days=80), today),
        periods.Period(previous, first_of_month - datetime.timedelta(days=1)),
        periods.Period(today - datetime.timedelta(days=500), today),
        periods.preset(periods.LAST_QUARTER, today),
        periods.preset(periods.THIS_YEAR, today),
        periods.Period(previous + datetime.timedelta(days=3), today),
    ]
    for period in chosen:
        result = report(period, limit=None)
        found = [
            (item.product_id, item.net, item.quantity, item.abc) for item in result.abc_products
        ]
        assert found == raw_abc(period), period
        assert result.abc_total == sum(row[1] for row in found)
        limited = report(period, limit=5)
        assert [item.product_id for item in limited.abc_products] == [row[0] for row in found[:5]]
        assert [(c.key, c.products, c.net) for c in limited.abc_classes] == [
            (key, sum(1 for row in found if row[3] == key),
             sum((row[1] for row in found if row[3] == key), D("0")))
            for key in "ABC"
        ]  # fmt: skip


def test_the_summary_rows_are_the_raw_positions(boundary_sales):
    """The trigger's day rows per product and day and the month rows as
    their sums: the SQL twin of position_net."""
    day_rows = {
        (row.day, row.product_id): (row.net, row.quantity) for row in ProductSaleDay.objects.all()
    }
    expected = {}
    for day in {invoice.issued_on for invoice in Invoice.objects.filter(status="issued")}:
        for pk, value in raw_sales(periods.Period(day, day)).items():
            expected[(day, pk)] = value
    assert day_rows == expected
    months = defaultdict(lambda: [D("0"), 0])
    for (day, pk), (net, quantity) in day_rows.items():
        months[(day.replace(day=1), pk)][0] += net
        months[(day.replace(day=1), pk)][1] += quantity
    assert {
        (row.month, row.product_id): (row.net, row.quantity)
        for row in ProductSaleMonth.objects.all()
    } == {key: tuple(value) for key, value in months.items()}


def test_position_net():
    assert stock.position_net(D("95.20"), 19) == D("80.00")
    assert stock.position_net(D("-95.20"), 19) == D("-80.00")
    assert stock.position_net(D("9.95"), 7) == D("9.30")


def test_whole_months():
    P = periods.Period
    d = datetime.date
    assert stock.whole_months(P(d(2026, 1, 1), d(2026, 12, 6))) == (d(2026, 1, 1), d(2026, 11, 1))
    assert stock.whole_months(P(d(2026, 1, 2), d(2026, 1, 31))) is None
    assert stock.whole_months(P(d(2026, 2, 1), d(2026, 2, 28))) == (d(2026, 2, 1), d(2026, 2, 1))
    assert stock.whole_months(P(d(2026, 1, 15), d(2026, 3, 31))) == (d(2026, 2, 1), d(2026, 3, 1))
    assert stock.whole_months(P(d(2026, 12, 1), d(2026, 12, 31))) == (
        d(2026, 12, 1),
        d(2026, 12, 1),
    )


# --- Reorder list ----------------------------------------------------------------------


def test_the_reorder_list_is_the_products_apps():
    low = receive(product(name="low", minimum_stock=5), 2)
    receive(product(name="enough", minimum_stock=2), 2)
    product(name="empty", minimum_stock=1)
    inactive = product(name="inactive", minimum_stock=3, active=False)
    result = report()
    expected = list(product_selectors.reorder_list())
    assert [item.pk for item in result.reorder] == [item.pk for item in expected]
    assert {item.name for item in result.reorder} == {"low", "empty"}
    assert result.reorder_count == 2
    assert {item.pk: item.missing for item in result.reorder}[low.pk] == 3
    assert inactive.pk not in [item.pk for item in result.reorder]


def test_queries_do_not_grow(django_assert_max_num_queries, owner):
    # The stock value 1, the slow movers 2, the ABC analysis 2 (its
    # setting and itself, in a savepoint here), the reorder list 3 (its
    # count alone while it is empty).
    with django_assert_max_num_queries(10):
        report()
    for number in range(5):
        item = receive(product(minimum_stock=50), 3)
        issued([{"product": item}], user=owner, ago=number)
    with django_assert_max_num_queries(10):
        result = report()
    assert result.abc_count == 5 and result.reorder_count == 5


def test_the_value_expression_is_decimal():
    item = receive(product(purchase_price=D("0.01"), vat_rate=7), 1)
    value = Product.objects.filter(pk=item.pk).values_list(stock.NET_STOCK_VALUE, flat=True)
    assert list(value) == [D("0.01")]
