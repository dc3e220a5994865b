"""A draft from an order: its positions, priced by the orders' rules, and
the statutory insurer's share the order names."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from customers.models import InsuranceProvider
from customers.tests import factories as customer_factories
from invoices import selectors, services
from invoices.models import Status
from invoices.tests.factories import ADDRESS
from orders import selectors as order_selectors
from orders import services as order_services
from orders.models import FixedAmount, Order
from orders.models import Status as OrderStatus
from prescriptions.tests.factories import refraction
from products.models import Category
from products.tests.factories import product

pytestmark = pytest.mark.django_db


def order_with_positions(customer, user):
    order = order_services.order_create(customer_id=customer.pk, user=user)
    frame = product(name="Lindberg 9700", sale_price=Decimal("289.00"))
    for data in (
        order_services.product_line(frame),
        {
            "kind": "service",
            "description": "Anpassung",
            "unit_price": Decimal("189.90"),
            "discount_percent": Decimal("10"),
            "discount_reason": "Stammkunde",
        },
        {
            "kind": "product",
            "description": "Fachbuch „Gutes Sehen“",
            "quantity": 3,
            "unit_price": Decimal("1.99"),
            "vat_rate": 7,
            "discount_amount": Decimal("0.50"),
            "discount_reason": "Aktion",
        },
    ):
        order_services.line_save(order_id=order.pk, data=data, version=None)
    return placed(order)


def placed(order):
    """The order as placed (a quote is not invoiced); placing glasses needs
    what the lab needs, which these tests do not."""
    Order.objects.filter(pk=order.pk).update(status=OrderStatus.ORDERED)
    order.refresh_from_db()
    return order


def test_the_draft_has_the_orders_positions_and_money(optician):
    customer = customer_factories.customer(**ADDRESS)
    order = order_with_positions(customer, optician)
    invoice = services.invoice_from_order(order_id=order.pk, user=optician)

    assert (invoice.status, invoice.customer, invoice.order, invoice.created_by) == (
        Status.DRAFT,
        customer,
        order,
        optician,
    )
    lines = selectors.priced_lines(invoice)
    assert [(line.position, line.description, line.quantity) for line in lines] == [
        (1, "Lindberg 9700", 1),
        (2, "Anpassung", 1),
        (3, "Fachbuch „Gutes Sehen“", 3),
    ]
    assert lines[0].product is not None and lines[0].vat_rate == 19
    assert [line.total for line in lines] == [
        Decimal("289.00"),
        Decimal("170.91"),
        Decimal("5.47"),
    ]
    totals = selectors.invoice_totals(invoice)
    # 289,00 + 170,91 = 459,91 at 19 %, its VAT taken out once: 73,43.
    assert [(rate.rate, rate.gross, rate.vat, rate.net) for rate in totals.rates] == [
        (19, Decimal("459.91"), Decimal("73.43"), Decimal("386.48")),
        (7, Decimal("5.47"), Decimal("0.36"), Decimal("5.11")),
    ]
    assert (totals.gross, totals.net, totals.vat, totals.discount) == (
        Decimal("465.38"),
        Decimal("391.59"),
        Decimal("73.79"),
        Decimal("19.49"),
    )
    # The same money as the order's page, quote and API.
    money = order_selectors.order_money(order)
    assert totals.gross == money.gross
    assert {rate.rate: rate.vat for rate in totals.rates} == {
        rate: total.vat for rate, total in money.totals.rates.items()
    }
    assert totals.insurer_share == Decimal("0.00") and totals.customer_pays == totals.gross
    assert not selectors.is_small_amount(invoice)


def test_the_insurers_share_is_deducted(optician):
    statutory = InsuranceProvider.objects.create(name="BKK Test", kind="statutory")
    today = timezone.localdate()
    child = customer_factories.customer(
        **ADDRESS,
        date_of_birth=today.replace(year=today.year - 10, day=1),
        insurance_provider=statutory,
    )
    refraction(child, optician, kind="external", right_sphere=Decimal("-2.00"))
    FixedAmount.objects.create(
        valid_from=datetime.date(2020, 1, 1),
        lens_type="single_vision",
        power_from=Decimal("0"),
        power_to=Decimal("6"),
        cylinder_to=Decimal("4"),
        amount=Decimal("42.50"),
        aid_number="25.21.01.1001",
    )
    order = order_services.order_create(customer_id=child.pk, user=optician)
    lens = product(
        name="Einstärkenglas",
        category=Category.SPECTACLE_LENS,
        spectacle_design="single_vision",
        lens_index=Decimal("1.60"),
        sale_price=Decimal("120.00"),
    )
    order_services.lens_pair_add(
        order_id=order.pk, product_id=lens.pk, eyes=("right",), diameter=65, version=None
    )
    placed(order)
    expected = order_selectors.order_money(order).insurer
    assert expected == Decimal("42.50")  # a child pays no co-payment

    invoice = services.invoice_from_order(order_id=order.pk, user=optician)
    totals = selectors.invoice_totals(invoice)
    assert invoice.insurer_share == expected
    assert (totals.gross, totals.customer_pays) == (Decimal("120.00"), Decimal("77.50"))
    assert selectors.is_small_amount(invoice)


def test_an_order_without_positions_gives_no_invoice(optician):
    order = placed(
        order_services.order_create(customer_id=customer_factories.customer(**ADDRESS).pk)
    )
    with pytest.raises(ValidationError):
        services.invoice_from_order(order_id=order.pk, user=optician)
