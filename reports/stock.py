"""The stock report (Lager, issue 30): what the stock is worth at purchase
price, the slow movers (Ladenhüter), the ABC analysis of a period's sales
and the reorder list. Each rule has one home here (docs/rules.md "Stock
report") and, where the database computes it, its SQL twin next to it;
reports.tests.test_stock keeps the two in step and computes every figure
from the raw rows.

- Stock value: the products with stock (stock > 0, active or not), per
  category; net = stock × purchase price (gross) without the product's VAT,
  rounded to cents per product (as the revenue report's purchase cost is
  rounded per position), then summed.
- Slow movers: products with stock and no sale (a stock movement of kind
  "sale": a counter invoice's or an order's frame) on or after the same day
  N months ago, Berlin time; never sold counts as no sale.
- ABC analysis: the products ranked by their net sales revenue in the
  period (models.ProductSaleDay/Month: invoices and cancellation invoices
  by invoice date), the most first (ties by product id); a product is A
  while the running sum up to and including it is at most 80 % of the
  total, B up to 95 %, else C. Products with no positive net are not ranked.
- Reorder list: products.selectors.reorder_list, the products app's own."""

import calendar
import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import (
    Count,
    DecimalField,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Subquery,
    Sum,
)
from django.db.models.functions import Round
from django.utils import timezone
from django.utils.translation import gettext as _

from orders.rules import cents
from products import selectors as product_selectors
from products.models import Category, Product, StockMovement
from reports import periods

ZERO = Decimal("0.00")
# How many rows of a list the page shows; the download has all.
SHOWN = 50
# Months without a sale that make a slow mover: the choices, the default.
SLOW_MONTHS = (3, 6, 12, 24)
DEFAULT_SLOW_MONTHS = 6
# The ABC classes' upper limits of the running share, in per cent.
A_LIMIT, B_LIMIT = 80, 95


# --- Rules -----------------------------------------------------------------------------


def net_stock_value(stock: int, purchase_price: Decimal, vat_rate: int) -> Decimal:
    """A product's stock at its purchase price without VAT, rounded to cents
    (the purchase price is gross). Its SQL twin: NET_STOCK_VALUE."""
    return cents(Decimal(stock) * purchase_price * 100 / (100 + vat_rate))


_MONEY = DecimalField(max_digits=14, decimal_places=2)
NET_STOCK_VALUE = Round(
    ExpressionWrapper(
        F("stock") * F("purchase_price") * 100 / (F("vat_rate") + 100), output_field=_MONEY
    ),
    2,
    output_field=_MONEY,
)
GROSS_STOCK_VALUE = ExpressionWrapper(F("stock") * F("purchase_price"), output_field=_MONEY)


def months_before(day: datetime.date, months: int) -> datetime.date:
    """The same day ``months`` months earlier; a day the month has not
    (31 March less one month) becomes its last."""
    month = day.year * 12 + day.month - 1 - months
    year, month = divmod(month, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return datetime.date(year, month + 1, min(day.day, last))


def slow_movers_since(today: datetime.date, months: int) -> datetime.datetime:
    """The moment from which a sale keeps a product off the slow movers:
    midnight in Berlin of the same day ``months`` months ago."""
    return timezone.make_aware(
        datetime.datetime.combine(months_before(today, months), datetime.time())
    )


def is_slow_mover(
    stock: int, last_sale: datetime.datetime | None, today: datetime.date, months: int
) -> bool:
    """The rule for one product (its SQL twin: slow_movers' query)."""
    return stock > 0 and (last_sale is None or last_sale < slow_movers_since(today, months))


def position_net(gross: Decimal, vat_rate: int) -> Decimal:
    """A position's net: its gross after the discount (negative on a
    cancellation) less its VAT rounded to cents. The SQL twin is
    reports_product_sales_add (reports migration 0007)."""
    sign = -1 if gross < 0 else 1
    gross = abs(gross)
    return sign * (gross - cents(gross * vat_rate / (100 + vat_rate)))


def abc_class(running: Decimal, total: Decimal) -> str:
    """The class of a product whose running sum of net revenue (its own
    included, the most first) is ``running`` of ``total``. Its SQL twin:
    the CASE of _ABC."""
    if running * 100 <= total * A_LIMIT:
        return "A"
    if running * 100 <= total * B_LIMIT:
        return "B"
    return "C"


# --- The report ------------------------------------------------------------------------


@dataclass
class StockFigures:
    """The stock of a category (or of all)."""

    key: str
    label: str
    articles: int = 0
    units: int = 0
    net: Decimal = ZERO
    gross: Decimal = ZERO


@dataclass
class SlowMover:
    product: Product
    net_value: Decimal
    last_sale: datetime.date | None


@dataclass
class AbcClass:
    key: str
    products: int = 0
    net: Decimal = ZERO
    share: Decimal | None = None  # of the period's total, per cent


@dataclass
class AbcProduct:
    rank: int
    product_id: int
    article_number: str
    name: str
    category: str
    quantity: int
    net: Decimal
    share: Decimal  # per cent, of the total
    running_share: Decimal  # per cent, up to and including it
    abc: str


@dataclass
class StockReport:
    period: periods.Period
    grouping: str
    months: int
    since_day: datetime.date  # slow movers: no sale from this day on
    categories: list[StockFigures] = field(default_factory=list)
    total: StockFigures = field(default_factory=lambda: StockFigures("total", ""))
    slow_count: int = 0
    slow_units: int = 0
    slow_net: Decimal = ZERO
    slow_movers: list[SlowMover] = field(default_factory=list)
    abc_classes: list[AbcClass] = field(default_factory=list)
    abc_total: Decimal = ZERO
    abc_count: int = 0
    abc_products: list[AbcProduct] = field(default_factory=list)
    reorder_count: int = 0
    reorder: list[Product] = field(default_factory=list)


def _percent(part: Decimal, whole: Decimal) -> Decimal | None:
    if not whole:
        return None
    return (part * 100 / whole).quantize(Decimal("0.1"))


def stock_value(report: StockReport) -> None:
    """Per category, in the order of the choices, and the total: one query."""
    found = {
        row["category"]: row
        for row in Product.objects.filter(stock__gt=0)
        .values("category")
        .annotate(
            articles=Count("id"),
            units=Sum("stock"),
            net=Sum(NET_STOCK_VALUE),
            gross=Sum(GROSS_STOCK_VALUE),
        )
        .order_by()
    }
    total = report.total
    total.label = _("Total")
    for category in Category:
        row = found.get(category.value, {})
        figures = StockFigures(
            key=category.value,
            label=str(category.label),
            articles=row.get("articles", 0),
            units=row.get("units", 0),
            net=row.get("net", ZERO),
            gross=row.get("gross", ZERO),
        )
        report.categories.append(figures)
        total.articles += figures.articles
        total.units += figures.units
        total.net += figures.net
        total.gross += figures.gross


def slow_movers(report: StockReport, today: datetime.date, *, limit: int | None) -> None:
    """The count and value of all (one query), the ``limit`` of the most
    value first (all for None; one query)."""
    since = slow_movers_since(today, report.months)
    sales = StockMovement.objects.filter(product=OuterRef("pk"), kind=StockMovement.Kind.SALE)
    products = Product.objects.filter(stock__gt=0).filter(
        ~Exists(sales.filter(created_at__gte=since))
    )
    summary = products.aggregate(count=Count("id"), units=Sum("stock"), net=Sum(NET_STOCK_VALUE))
    report.slow_count = summary["count"]
    report.slow_units = summary["units"] or 0
    report.slow_net = summary["net"] or ZERO
    rows = products.annotate(
        net_value=NET_STOCK_VALUE,
        last_sale=Subquery(sales.order_by("-created_at").values("created_at")[:1]),
    ).order_by("-net_value", "name", "id")
    if limit is not None:
        rows = rows[:limit]
    report.slow_movers = [
        SlowMover(
            product=product,
            net_value=product.net_value,
            last_sale=timezone.localdate(product.last_sale) if product.last_sale else None,
        )
        for product in rows
    ]


def whole_months(period: periods.Period) -> tuple[datetime.date, datetime.date] | None:
    """The first days of the first and the last month wholly in the period,
    or None."""
    first = period.since if period.since.day == 1 else _next_month(period.since)
    end = _next_month(period.until) - datetime.timedelta(days=1)
    last = period.until.replace(day=1) if period.until == end else _previous_month(period.until)
    return (first, last) if first <= last else None


def _next_month(day: datetime.date) -> datetime.date:
    return (day.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)


def _previous_month(day: datetime.date) -> datetime.date:
    return (day.replace(day=1) - datetime.timedelta(days=1)).replace(day=1)


# The period's sales per product: whole months from the month rows, the
# days before and after them from the day rows; ranked, with the running
# sum and the class (abc_class's twin). Each class's count and sum ride on
# every row, so the page reads its first rows and the first of each class.
_ABC = """
WITH sales AS (
    SELECT product_id, sum(net) AS net, sum(quantity) AS quantity FROM (
        SELECT product_id, net, quantity FROM reports_productsalemonth
        WHERE month BETWEEN %(first_month)s AND %(last_month)s
        UNION ALL
        SELECT product_id, net, quantity FROM reports_productsaleday
        WHERE day BETWEEN %(head_since)s AND %(head_until)s
           OR day BETWEEN %(tail_since)s AND %(tail_until)s
    ) s
    GROUP BY product_id
    HAVING sum(net) > 0
), ranked AS (
    SELECT product_id, net, quantity,
           row_number() OVER w AS rank,
           sum(net) OVER (w ROWS UNBOUNDED PRECEDING) AS running,
           sum(net) OVER () AS total
    FROM sales
    WINDOW w AS (ORDER BY net DESC, product_id)
), classed AS (
    SELECT *, CASE WHEN running * 100 <= total * %(a_limit)s THEN 'A'
                   WHEN running * 100 <= total * %(b_limit)s THEN 'B'
                   ELSE 'C' END AS abc
    FROM ranked
), counted AS (
    SELECT *, count(*) OVER (PARTITION BY abc) AS class_products,
           sum(net) OVER (PARTITION BY abc) AS class_net,
           min(rank) OVER (PARTITION BY abc) AS class_first,
           count(*) OVER () AS products
    FROM classed
)
SELECT c.rank, c.product_id, p.article_number, p.name, p.category, c.quantity, c.net,
       c.running, c.total, c.abc, c.class_products, c.class_net, c.products
FROM counted c
LEFT JOIN products_product p ON p.id = c.product_id
WHERE c.rank <= %(limit)s OR c.rank = c.class_first
ORDER BY c.rank
"""
_NEVER = datetime.date(1, 1, 1)


def _abc_params(period: periods.Period) -> dict:
    months = whole_months(period)
    if months is None:
        first_month = last_month = None
        head, tail = (period.since, period.until), (_NEVER, _NEVER)
    else:
        first_month, last_month = months
        head = (period.since, first_month - datetime.timedelta(days=1))
        tail = (_next_month(last_month), period.until)
    return {
        "first_month": first_month,
        "last_month": last_month,
        "head_since": head[0],
        "head_until": head[1],
        "tail_since": tail[0],
        "tail_until": tail[1],
        "a_limit": A_LIMIT,
        "b_limit": B_LIMIT,
    }


def abc_analysis(report: StockReport, *, limit: int | None) -> None:
    """The classes (count, net, share) and the first ``limit`` products
    (all for None), in one query."""
    params = _abc_params(report.period) | {"limit": limit if limit is not None else 2**62}
    with transaction.atomic(), connection.cursor() as cursor:
        # A chain's year is some 220,000 rows: summed by one process in
        # 130 ms, by three (a parallel plan) in 220 ms on two cores, the
        # workers' gathering costing more than they save.
        cursor.execute("SET LOCAL max_parallel_workers_per_gather = 0")
        cursor.execute(_ABC, params)
        rows = cursor.fetchall()
    classes = {key: AbcClass(key) for key in "ABC"}
    categories = dict(Category.choices)
    total = ZERO
    for (
        rank,
        product_id,
        article_number,
        name,
        category,
        quantity,
        net,
        running,
        total,
        abc,
        class_products,
        class_net,
        products,
    ) in rows:
        classes[abc].products = class_products
        classes[abc].net = class_net
        report.abc_count = products
        if limit is None or rank <= limit:
            report.abc_products.append(
                AbcProduct(
                    rank=rank,
                    product_id=product_id,
                    article_number=article_number or "",
                    name=name or _("Former product"),
                    category=str(categories.get(category, "")),
                    quantity=quantity,
                    net=net,
                    share=_percent(net, total),
                    running_share=_percent(running, total),
                    abc=abc,
                )
            )
    report.abc_total = total
    for item in classes.values():
        item.share = _percent(item.net, total)
    report.abc_classes = list(classes.values())


def reorder_list(report: StockReport, *, limit: int | None) -> None:
    """The products app's reorder list (its rule, its order): the count and
    the first ``limit`` (all for None)."""
    products = product_selectors.reorder_list()
    if limit is None:
        report.reorder = list(products)
        report.reorder_count = len(report.reorder)
    else:
        report.reorder_count = products.count()
        report.reorder = list(products[:limit]) if report.reorder_count else []


def stock_report(
    period: periods.Period,
    grouping: str,
    *,
    months: int = DEFAULT_SLOW_MONTHS,
    limit: int | None = SHOWN,
    today: datetime.date | None = None,
) -> StockReport:
    """The whole report: the stock now, the slow movers of ``months``, the
    ABC analysis of ``period``, the reorder list; ``limit`` rows of each
    list (None: all, for the download). Eight queries at most, whatever the
    data."""
    today = today or timezone.localdate()
    report = StockReport(
        period=period, grouping=grouping, months=months, since_day=months_before(today, months)
    )
    stock_value(report)
    slow_movers(report, today, limit=limit)
    abc_analysis(report, limit=limit)
    reorder_list(report, limit=limit)
    return report
