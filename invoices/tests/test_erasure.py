"""The law keeps invoices (§ 147 AO): erasing their customer anonymises the
customer, and the invoices keep the name and address they were issued to."""

import pytest
from django.db import DatabaseError, connection, transaction

from customers import selectors as customer_selectors
from customers import services as customer_services
from customers.models import Customer
from customers.tests import factories as customer_factories
from invoices import selectors, services
from invoices.models import Invoice
from invoices.tests.factories import ADDRESS, draft, issued
from invoices.tests.test_from_order import order_with_positions
from orders.models import Order
from products.models import Product, StockMovement

pytestmark = pytest.mark.django_db


def test_erasing_a_customer_with_an_invoice_keeps_the_invoice():
    customer = customer_factories.customer(**ADDRESS, first_name="Erika", last_name="Gelöscht-Bald")
    invoice = issued(customer)
    plan = customer_selectors.erasure_plan(customer_id=customer.pk)
    assert [count for _what, count, _reason in plan.kept] == [1]

    customer_services.customer_erase(customer_id=customer.pk)

    erased = Customer.objects.get(pk=customer.pk)
    assert erased.anonymised_at is not None
    invoice = Invoice.objects.get(pk=invoice.pk)
    assert invoice.customer_name == "Erika Gelöscht-Bald"


def test_erasing_a_customer_with_an_invoiced_order_deletes_the_order_and_drafts(optician):
    customer = customer_factories.customer(**ADDRESS, first_name="Max", last_name="Abgeholt")
    order = order_with_positions(customer, optician)
    invoice = services.invoice_issue(
        invoice_id=services.invoice_from_order(order_id=order.pk, user=optician).pk
    )
    second = order_with_positions(customer, optician)
    draft = services.invoice_from_order(order_id=second.pk, user=optician)
    plan = customer_selectors.erasure_plan(customer_id=customer.pk)
    assert [(count, reason) for _what, count, reason in plan.kept] == [
        (1, "§ 147 AO: Rechnungen werden 8 Jahre aufbewahrt")
    ]
    assert ("Rechnungsentwürfe", 1) in plan.deleted

    customer_services.customer_erase(customer_id=customer.pk)

    assert not Order.objects.filter(pk__in=[order.pk, second.pk]).exists()
    assert not Invoice.objects.filter(pk=draft.pk).exists()
    kept = Invoice.objects.get(pk=invoice.pk)
    assert (kept.order_id, kept.number, kept.customer_name) == (
        None,
        invoice.number,
        "Max Abgeholt",
    )
    assert selectors.invoice_totals(kept).gross == selectors.invoice_totals(invoice).gross
    assert Customer.objects.get(pk=customer.pk).anonymised_at is not None


def test_cancelling_an_order_invoice_after_the_erasure_books_nothing_back(optician):
    """The frame left the stock with the order; the order went with the
    customer, the invoice stays an order's: no counter sale's return."""
    customer = customer_factories.customer(**ADDRESS, first_name="Max", last_name="Abgeholt")
    order = order_with_positions(customer, optician)
    invoice = services.invoice_issue(
        invoice_id=services.invoice_from_order(order_id=order.pk, user=optician).pk
    )
    frame = Product.objects.get(name="Lindberg 9700")
    movements = StockMovement.objects.filter(product=frame).count()
    customer_services.customer_erase(customer_id=customer.pk)

    cancellation = services.invoice_cancel(invoice_id=invoice.pk, reason="Falsche Fassung")

    assert cancellation.from_order and cancellation.order_id is None
    assert StockMovement.objects.filter(product=frame).count() == movements


def test_a_customer_with_only_a_draft_is_deleted_not_anonymised(optician):
    customer = customer_factories.customer(**ADDRESS)
    draft(customer)
    assert customer_selectors.erasure_plan(customer_id=customer.pk).kept == []

    customer_services.customer_erase(customer_id=customer.pk)

    assert not Customer.objects.filter(pk=customer.pk).exists()
    assert not Invoice.objects.filter(customer_id=customer.pk).exists()


@pytest.mark.parametrize(
    "change",
    [
        "order_id = NULL, reason = 'anders'",
        "order_id = (SELECT max(id) FROM orders_order)",
    ],
)
def test_an_issued_invoice_takes_no_other_change_with_its_order(optician, change):
    customer = customer_factories.customer(**ADDRESS)
    order = order_with_positions(customer, optician)
    order_with_positions(customer, optician)
    invoice = services.invoice_issue(
        invoice_id=services.invoice_from_order(order_id=order.pk, user=optician).pk
    )
    with (
        pytest.raises(DatabaseError, match="is issued"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(f"UPDATE invoices_invoice SET {change} WHERE id = %s", [invoice.pk])
    assert Invoice.objects.get(pk=invoice.pk).order_id == order.pk
