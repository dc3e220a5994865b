"""The summary table (reports_revenueday), kept by the database, equals
what the Python rules (orders.rules) give from the raw invoice positions:
each figure computed here independently, position by position."""

from collections import defaultdict
from decimal import Decimal

import pytest
from django.db import connection

from invoices.models import Invoice, InvoiceLine, Status
from orders.rules import ZERO, RateTotal, cents, line_gross, totals
from reports.models import CATEGORY_GROUPS, Group, RevenueDay
from reports.tests.factories import shop_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def users(django_user_model):
    return {
        name: django_user_model.objects.create_user(username=name, first_name=name.title())
        for name in ("anna", "bernd", "clara")
    }


def staff_of(invoice: Invoice):
    """The order's staff member, else who made the invoice (a cancellation:
    who made the invoice it cancels)."""
    if invoice.order_id and invoice.order.staff_id:
        return invoice.order.staff_id
    if invoice.cancels_id:
        return invoice.cancels.created_by_id
    return invoice.created_by_id


def expected() -> dict:
    """(day, group, staff) -> [net, gross, cost, positions], from the positions."""
    sums = defaultdict(lambda: [ZERO, ZERO, ZERO, 0])
    invoices = Invoice.objects.filter(status=Status.ISSUED).select_related("order", "cancels")
    for invoice in invoices:
        lines = list(InvoiceLine.objects.filter(invoice=invoice).select_related("product"))
        staff = staff_of(invoice)
        # Gross per rate and group; the invoice's VAT per rate shared by running sums.
        per_rate = defaultdict(lambda: defaultdict(lambda: ZERO))
        for line in lines:
            _discount, total = line_gross(
                line.quantity, line.unit_price, line.discount_percent, line.discount_amount
            )
            group = CATEGORY_GROUPS.get(line.product.category) if line.product else None
            key = (invoice.issued_on, group or Group.SERVICE, staff)
            per_rate[line.vat_rate][key] += total
            sign = -1 if line.quantity < 0 else 1
            if line.product:
                net_price = Decimal(abs(line.quantity)) * line.product.purchase_price * 100
                sums[key][2] += sign * cents(net_price / (100 + line.product.vat_rate))
            sums[key][3] += sign
        invoice_net = ZERO
        for rate, groups in per_rate.items():
            upto = ZERO
            for key in sorted(groups, key=lambda key: str(key[1])):
                gross = groups[key]
                vat = RateTotal(rate, upto + gross).vat - RateTotal(rate, upto).vat
                upto += gross
                sums[key][0] += gross - vat
                sums[key][1] += gross
                invoice_net += gross - vat
        # The groups add up to exactly the invoice's net (VAT once per rate).
        assert invoice_net == sum(rate.net for rate in totals(lines, ZERO).rates.values())
    return dict(sums)


def two_rows(sums: dict) -> dict:
    """(day, group, staff) sums as the table keeps them: each in its day's
    row of the group (staff None) and its day's row of the staff member
    (group "")."""
    rows = defaultdict(lambda: [ZERO, ZERO, ZERO, 0])
    for (day, group, staff), figures in sums.items():
        for key in ((day, group, None), (day, "", staff)):
            rows[key] = [a + b for a, b in zip(rows[key], figures, strict=True)]
    return dict(rows)


def kept() -> dict:
    return {
        (row.day, row.category, row.staff_id): [row.net, row.gross, row.cost, row.positions]
        for row in RevenueDay.objects.all()
    }


def test_the_summary_equals_the_positions_computed_in_python(users):
    made = shop_data(users)
    want = expected()
    assert kept() == two_rows(want)
    # The data set reaches what it is meant to.
    assert {key[1] for key in want} == set(Group.values)
    assert {key[2] for key in want} == {
        users["anna"].pk,
        users["bernd"].pk,
        users["clara"].pk,
        None,
    }
    assert len({key[0] for key in want}) >= 5
    assert {line.vat_rate for line in InvoiceLine.objects.all()} == {7, 19}
    # The cancellation counts against whom the cancelled invoice counted for.
    cancelled_day = made["cancellation"].issued_on
    rows = RevenueDay.objects.filter(day=cancelled_day)
    assert {row.staff_id for row in rows.filter(category="")} == {users["anna"].pk}
    assert all(row.net < 0 and row.positions < 0 for row in rows)
    # The order's invoice counts for the order's staff member, not who made it.
    ordered = RevenueDay.objects.get(day=made["ordered"].issued_on, category="")
    assert ordered.staff_id == users["clara"].pk
    # The draft is not counted.
    assert (
        sum(row[3] for row in want.values())
        == InvoiceLine.objects.filter(invoice__status=Status.ISSUED, quantity__gt=0).count()
        - InvoiceLine.objects.filter(quantity__lt=0).count()
    )


def test_the_migrations_fill_statement_gives_the_same(users):
    """The backfill (and the benchmark's load) call the trigger's function
    over a range of invoices: the same rows."""
    shop_data(users)
    before = kept()
    RevenueDay.objects.all().delete()
    with connection.cursor() as cursor:
        cursor.execute("SELECT reports_revenue_add(0, 9223372036854775807)")
    assert kept() == before == two_rows(expected())


def test_issuing_adds_and_a_draft_adds_nothing(users):
    from reports.tests.factories import issued, products

    stock = products()
    assert not RevenueDay.objects.exists()
    invoice = issued([{"product": stock["frame"]}], user=users["anna"])
    # Added twice: the group's row and the staff member's.
    rows = RevenueDay.objects.order_by("category")
    assert [(row.day, row.category, row.staff_id) for row in rows] == [
        (invoice.issued_on, "", users["anna"].pk),
        (invoice.issued_on, "frames", None),
    ]
    # 249,00 gross at 19 %: 39,76 VAT; purchase 80,00 gross is 67,23 net.
    for row in rows:
        assert (row.gross, row.net, row.cost, row.positions) == (
            Decimal("249.00"), Decimal("209.24"), Decimal("67.23"), 1,
        )  # fmt: skip
    issued([{"product": stock["frame"]}], user=users["anna"])
    for row in rows:
        row.refresh_from_db()
        assert (row.gross, row.positions) == (Decimal("498.00"), 2)
