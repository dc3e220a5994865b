"""The database's list of unsettled invoices (models.Unsettled, migration
0007) agrees with the state rule (selectors.state_of) through everything
that changes it: issuing, payments booked and removed, a deposit taken
over, a cancellation; and the list's state filter reads it."""

from decimal import Decimal

import pytest
from django.urls import reverse

from customers.tests import factories as customer_factories
from invoices import selectors, services
from invoices.models import Invoice, Method, State, Unsettled
from invoices.tests.factories import ADDRESS, draft, issued, repair_order

pytestmark = pytest.mark.django_db


def unsettled() -> dict[int, Decimal]:
    return dict(Unsettled.objects.values_list("invoice_id", "paid"))


def agrees() -> None:
    """Every invoice's computed state against the database's list."""
    listed = unsettled()
    for invoice in Invoice.objects.all():
        state = selectors.invoice_state(invoice)
        if state in (State.OPEN, State.PARTLY_PAID):
            assert listed.get(invoice.pk) == selectors.paid_amount(invoice.pk), invoice
            row = Unsettled.objects.get(pk=invoice.pk)
            assert row.customer_open == selectors.open_for(invoice, insurer=False), invoice
            assert row.insurer_open == selectors.open_for(invoice, insurer=True), invoice
        else:
            assert invoice.pk not in listed, (invoice, state)


def pay(invoice, amount, method=Method.EC):
    return services.payment_add(
        invoice_id=invoice.pk,
        method=method,
        amount=Decimal(amount),
        paid_on=invoice.issued_on,
    )


def test_the_list_follows_issue_payments_and_cancellation():
    customer = customer_factories.customer(**ADDRESS)
    sketch = draft(customer)
    assert not unsettled()  # a draft is not due
    invoice = services.invoice_issue(invoice_id=sketch.pk)  # 289,00 €
    assert unsettled() == {invoice.pk: Decimal("0.00")}
    first = pay(invoice, "89.00")
    assert unsettled() == {invoice.pk: Decimal("89.00")}
    second = pay(invoice, "200.00")
    assert unsettled() == {}
    services.payment_remove(invoice_id=invoice.pk, payment_id=second.pk)
    agrees()
    services.payment_remove(invoice_id=invoice.pk, payment_id=first.pk)
    assert unsettled() == {invoice.pk: Decimal("0.00")}
    services.invoice_cancel(invoice_id=invoice.pk, reason="Falsch")
    assert unsettled() == {}
    agrees()


def test_a_deposit_that_covers_the_invoice_never_lists_it_and_a_carry_back_is_right():
    customer = customer_factories.customer(**ADDRESS)
    covered = repair_order(customer, price=Decimal("50.00"), deposit=Decimal("50.00"))
    invoice = services.invoice_issue(invoice_id=services.invoice_from_order(order_id=covered.pk).pk)
    assert invoice.pk not in unsettled()
    order = repair_order(customer, deposit=Decimal("100.00"))
    first = services.invoice_issue(invoice_id=services.invoice_from_order(order_id=order.pk).pk)
    assert unsettled()[first.pk] == Decimal("100.00")
    services.invoice_cancel(invoice_id=first.pk, reason="Adresse")
    second = services.invoice_issue(invoice_id=services.invoice_from_order(order_id=order.pk).pk)
    assert unsettled() == {second.pk: Decimal("100.00")}
    agrees()
    shared = draft(customer)
    Invoice.objects.filter(pk=shared.pk).update(insurer_share=Decimal("100.00"))
    shared = services.invoice_issue(invoice_id=shared.pk)
    pay(shared, "40.00", method=Method.INSURER)
    pay(shared, "89.00")
    row = Unsettled.objects.get(pk=shared.pk)
    assert (row.customer_open, row.insurer_open) == (Decimal("100.00"), Decimal("60.00"))
    agrees()


def test_the_state_filter_reads_the_list(staff_client):
    customer = customer_factories.customer(**ADDRESS)
    open_one = issued(customer)
    partly = issued(customer)
    pay(partly, "10.00")
    paid = issued(customer)
    pay(paid, "289.00")
    cancelled = issued(customer)
    services.invoice_cancel(invoice_id=cancelled.pk, reason="Falsch")
    listed = {
        state: set(selectors.invoice_list(state=state).values_list("pk", flat=True))
        for state in (State.OPEN, State.PARTLY_PAID, State.PAID)
    }
    assert listed == {
        State.OPEN: {open_one.pk},
        State.PARTLY_PAID: {partly.pk},
        State.PAID: {paid.pk},
    }
    page = staff_client.get(reverse("invoices:list"), {"state": "open"}).content.decode()
    assert reverse("invoices:detail", args=[open_one.pk]) in page
    assert reverse("invoices:detail", args=[paid.pk]) not in page
    agrees()
