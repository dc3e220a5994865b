"""Reads of orders that only the API makes so far: its filtered list and
the rows of a page (orders.selectors has no list yet; when the orders
screens get theirs, this belongs there)."""

import datetime

from django.db.models import Prefetch, Q, QuerySet

from opticrm.lib.models import one_or_none, with_names_of
from orders import selectors
from orders.models import Order, OrderLine

LINE_COLUMNS = tuple(
    field.attname for field in OrderLine._meta.concrete_fields if field.name != "product"
) + ("product",)
# What a row shows of its customer (Customer.shown_name), and what the
# insurer's share reads (orders.selectors.insurance_share).
CUSTOMER_NAME_FIELDS = (
    "first_name",
    "last_name",
    "deleted_at",
    "date_of_birth",
    "insurance_provider",
)


def overdue(today: datetime.date) -> Q:
    """What orders.selectors.is_overdue says of one order, as a filter:
    promised for a day before ``today`` and open, not yet ready."""
    return Q(promised_date__lt=today, status__in=selectors.OVERDUE_STATUSES)


def order_filtered(
    *,
    statuses: list[str] | None = None,
    kind: str | None = None,
    customer_id: int | None = None,
    staff_id: int | None = None,
    promised_before: datetime.date | None = None,
    promised_after: datetime.date | None = None,
    overdue_on: datetime.date | None = None,
    not_overdue_on: datetime.date | None = None,
) -> QuerySet[Order]:
    """The orders these filters select, newest first (the model's order);
    a customer's along the customer index."""
    orders = (
        selectors.customer_orders(customer_id)
        if customer_id is not None
        else Order.objects.order_by("-created_at", "-id")
    )
    if statuses:
        orders = orders.filter(status__in=statuses)
    if kind:
        orders = orders.filter(kind=kind)
    if staff_id is not None:
        orders = orders.filter(staff_id=staff_id)
    if promised_before:
        orders = orders.filter(promised_date__lt=promised_before)
    if promised_after:
        orders = orders.filter(promised_date__gt=promised_after)
    if overdue_on:
        orders = orders.filter(overdue(overdue_on))
    if not_overdue_on:
        orders = orders.exclude(overdue(not_overdue_on))
    return orders


def _orders() -> QuerySet[Order]:
    """Orders with the customer's name and the staff member joined."""
    return with_names_of(
        Order.objects.all(), users=("staff",), others={"customer": CUSTOMER_NAME_FIELDS}
    ).select_related("customer__insurance_provider")


def _lines() -> QuerySet[OrderLine]:
    # Of the product only what the insurer's share asks (the design).
    return (
        OrderLine.objects.select_related("product")
        .only(*LINE_COLUMNS, "product__spectacle_design")
        .order_by("position")
    )


def order_rows() -> QuerySet[Order]:
    """Orders with what a list row shows: order_detail's, the positions in
    one more query for all rows."""
    return _orders().prefetch_related(Prefetch("lines", queryset=_lines()))


def order_detail(order_id: int) -> Order | None:
    """One order as order_with_totals gives it, its positions read
    directly (a prefetch for one order cost 1 ms more than its query)."""
    order = one_or_none(_orders().filter(pk=order_id))
    if order is not None:
        order.positions = list(_lines().filter(order_id=order_id))
        order.money = selectors.order_money(order, order.positions)
        order.totals = order.money.totals
    return order


def order_with_totals(order: Order, rows=None) -> Order:
    """``order`` with ``positions`` (its lines in order), ``totals`` and
    ``money`` (orders.selectors.order_money: the open amount after the
    insurer's share), from the prefetched lines; ``rows``: the fixed
    amounts, read once for a list."""
    order.positions = list(order.lines.all())
    order.money = selectors.order_money(order, order.positions, rows)
    order.totals = order.money.totals
    return order
