"""Payments: recorded for an issued invoice (cash only with the certified
till's receipt number), the order's deposit taken over, the state computed
from them (offen, teilweise bezahlt, bezahlt, storniert), never stored;
and the payment modal on the invoice page."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import DatabaseError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape
from django.utils.translation import gettext as _
from pghistory.models import Events

from customers import services as customer_services
from customers.tests import factories as customer_factories
from invoices import selectors, services
from invoices.models import Invoice, InvoiceCounter, Method, Payment, State
from invoices.tests.factories import ADDRESS, draft, issued, kept_document, repair_order

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}
TODAY = timezone.localdate()


@pytest.fixture
def customer():
    return customer_factories.customer(**ADDRESS, first_name="Erika", last_name="Muster")


def pay(invoice, amount, method=Method.EC, **kwargs) -> Payment:
    return services.payment_add(
        invoice_id=invoice.pk,
        method=method,
        amount=Decimal(amount),
        paid_on=kwargs.pop("paid_on", TODAY),
        **kwargs,
    )


def state(invoice) -> str:
    invoice.refresh_from_db()
    return selectors.invoice_state(invoice)


# --- Services --------------------------------------------------------------------------


def test_the_state_follows_the_payments_and_the_cancellation(customer):
    invoice = issued(customer)  # 289,00 €
    assert state(invoice) == State.OPEN
    pay(invoice, "89.00")
    assert state(invoice) == State.PARTLY_PAID
    pay(invoice, "150.00", method=Method.TRANSFER)
    pay(invoice, "50.00", method=Method.CASH, receipt_number="K-4711")
    assert state(invoice) == State.PAID
    cancellation = services.invoice_cancel(invoice_id=invoice.pk, reason="Rückgabe")
    assert state(invoice) == State.CANCELLED
    assert state(cancellation) == State.CANCELLED
    assert state(draft(customer)) == State.DRAFT


def test_cash_needs_the_tills_receipt_number(customer):
    invoice = issued(customer)
    with pytest.raises(ValidationError) as refused:
        pay(invoice, "10.00", method=Method.CASH)
    assert "receipt_number" in refused.value.error_dict
    assert not Payment.objects.exists()
    assert pay(invoice, "10.00", method=Method.CASH, receipt_number=" K-1 ").receipt_number == "K-1"


@pytest.mark.parametrize(
    ("amount", "method", "paid_on", "field"),
    [
        ("289.01", Method.EC, TODAY, "amount"),
        ("0.00", Method.EC, TODAY, "amount"),
        ("-5.00", Method.EC, TODAY, "amount"),
        ("10.00", Method.EC, TODAY + datetime.timedelta(days=1), "paid_on"),
        ("10.00", "bitcoin", TODAY, "method"),
        ("10.00", Method.DEPOSIT, TODAY, "method"),
    ],
)
def test_what_cannot_be_paid_is_refused(customer, amount, method, paid_on, field):
    invoice = issued(customer)
    with pytest.raises(ValidationError) as refused:
        pay(invoice, amount, method=method, paid_on=paid_on)
    assert field in refused.value.error_dict
    assert not Payment.objects.exists()


def test_no_payment_beyond_the_open_amount(customer):
    invoice = issued(customer)
    pay(invoice, "200.00")
    with pytest.raises(ValidationError) as refused:
        pay(invoice, "89.01")
    assert "89,00" in refused.value.error_dict["amount"][0].message
    pay(invoice, "89.00")


def test_a_draft_and_a_cancelled_invoice_take_no_payment(customer):
    with pytest.raises(ValidationError):
        pay(draft(customer), "10.00")
    invoice = issued(customer)
    payment = pay(invoice, "10.00")
    services.invoice_cancel(invoice_id=invoice.pk, reason="Falsch")
    with pytest.raises(ValidationError):
        pay(invoice, "10.00")
    with pytest.raises(ValidationError):
        services.payment_remove(invoice_id=invoice.pk, payment_id=payment.pk)
    assert Payment.objects.filter(pk=payment.pk).exists()


def test_a_payment_removed_stays_in_the_history(customer):
    invoice = issued(customer)
    payment = pay(invoice, "289.00")
    assert state(invoice) == State.PAID
    services.payment_remove(invoice_id=invoice.pk, payment_id=payment.pk)
    assert state(invoice) == State.OPEN
    labels = list(
        Events.objects.references(payment).order_by("pgh_id").values_list("pgh_label", flat=True)
    )
    assert labels == ["insert", "delete"]
    with pytest.raises(Payment.DoesNotExist):
        services.payment_remove(invoice_id=invoice.pk, payment_id=payment.pk)


def test_the_orders_deposit_is_taken_over_as_a_payment(customer, staff):
    order = repair_order(customer, deposit=Decimal("100.00"))
    invoice = services.invoice_from_order(order_id=order.pk, user=staff)
    (deposit,) = Payment.objects.filter(invoice=invoice)
    assert (deposit.method, deposit.amount, deposit.created_by) == (
        Method.DEPOSIT,
        Decimal("100.00"),
        staff,
    )
    assert deposit.paid_on == timezone.localdate(order.created_at)
    assert str(order.pk) in deposit.note
    issued_invoice = services.invoice_issue(invoice_id=invoice.pk)
    assert state(issued_invoice) == State.PARTLY_PAID
    pay(issued_invoice, "189.00")
    assert state(issued_invoice) == State.PAID


def test_without_a_deposit_no_payment_and_a_deleted_draft_takes_its_deposit_along(customer):
    plain = repair_order(customer)
    assert not services.invoice_from_order(order_id=plain.pk).payments.exists()
    order = repair_order(customer, deposit=Decimal("20.00"))
    invoice = services.invoice_from_order(order_id=order.pk)
    services.invoice_draft_delete(invoice_id=invoice.pk)
    assert not Payment.objects.filter(invoice_id=invoice.pk).exists()
    # The order keeps its deposit: the next invoice takes it over again.
    again = services.invoice_from_order(order_id=order.pk)
    assert again.payments.get().amount == Decimal("20.00")


def test_after_a_cancellation_the_order_can_be_invoiced_again(customer):
    order = repair_order(customer)
    first = services.invoice_issue(invoice_id=services.invoice_from_order(order_id=order.pk).pk)
    with pytest.raises(ValidationError):
        services.invoice_from_order(order_id=order.pk)
    services.invoice_cancel(invoice_id=first.pk, reason="Preis falsch")
    second = services.invoice_from_order(order_id=order.pk)
    assert second.pk != first.pk


def test_a_cancellation_carries_the_customers_money_back_to_the_order(customer):
    """The deposit and what the customer paid on a cancelled invoice are set
    against the order's next invoice once: the cancellation books them back."""
    order = repair_order(customer, deposit=Decimal("100.00"))  # 289,00 €
    first = services.invoice_issue(invoice_id=services.invoice_from_order(order_id=order.pk).pk)
    pay(first, "50.00", method=Method.CASH, receipt_number="K-1")
    cancellation = services.invoice_cancel(invoice_id=first.pk, reason="Adresse falsch")
    (back,) = cancellation.payments.all()
    assert (back.method, back.amount) == (Method.DEPOSIT, Decimal("-150.00"))
    assert str(order.pk) in back.note
    assert state(cancellation) == State.CANCELLED

    second = services.invoice_from_order(order_id=order.pk)
    (carried,) = second.payments.all()
    assert (carried.method, carried.amount) == (Method.DEPOSIT, Decimal("150.00"))
    second = services.invoice_issue(invoice_id=second.pk)
    assert state(second) == State.PARTLY_PAID
    pay(second, "20.00")
    services.invoice_cancel(invoice_id=second.pk, reason="Preis falsch")

    third = services.invoice_issue(invoice_id=services.invoice_from_order(order_id=order.pk).pk)
    assert third.payments.get().amount == Decimal("170.00")
    assert selectors.open_for(third, insurer=False) == Decimal("119.00")
    # Over all the order's invoices the deposit rows add up to the deposit
    # (set off once), and each payment received counts once.
    rows = Payment.objects.filter(invoice__order=order)
    assert sum(p.amount for p in rows.filter(method=Method.DEPOSIT)) == Decimal("100.00")
    assert sum(p.amount for p in rows.exclude(method=Method.DEPOSIT)) == Decimal("70.00")


def test_a_cancellation_waits_for_the_insurers_payment_to_be_moved(customer):
    order = repair_order(customer)
    invoice = services.invoice_from_order(order_id=order.pk)
    Invoice.objects.filter(pk=invoice.pk).update(insurer_share=Decimal("100.00"))
    invoice = services.invoice_issue(invoice_id=invoice.pk)
    payment = pay(invoice, "100.00", method=Method.INSURER)
    with pytest.raises(ValidationError) as refused:
        services.invoice_cancel(invoice_id=invoice.pk, reason="Falsche Gläser")
    assert refused.value.messages == [
        _(
            "The insurer has paid %(amount)s on this invoice. Please remove that payment "
            "first and book it on the new invoice."
        )
        % {"amount": "100,00\xa0€"}
    ]
    assert not Invoice.objects.filter(cancels=invoice).exists()
    services.payment_remove(invoice_id=invoice.pk, payment_id=payment.pk)
    assert services.invoice_cancel(invoice_id=invoice.pk, reason="Falsche Gläser").number


def test_a_counter_sales_money_is_not_carried(customer):
    invoice = issued(customer)
    pay(invoice, "289.00")
    cancellation = services.invoice_cancel(invoice_id=invoice.pk, reason="Umtausch")
    assert not cancellation.payments.exists()


def test_only_a_deposit_row_may_be_negative(customer):
    invoice = issued(customer)
    with pytest.raises(ValidationError) as refused:
        pay(invoice, "-5.00")
    assert "amount" in refused.value.error_dict
    with pytest.raises(DatabaseError), transaction.atomic():
        Payment.objects.create(invoice=invoice, method=Method.EC, amount=-5, paid_on=TODAY)


# --- The payment modal -----------------------------------------------------------------


def test_the_payment_modal_records_a_payment(staff_client, staff, customer):
    invoice = issued(customer)
    url = reverse("invoices:payment_add", args=[invoice.pk])
    page = staff_client.get(reverse("invoices:detail", args=[invoice.pk])).content.decode()
    assert url in page

    modal = staff_client.get(url, **HTMX)
    html = modal.content.decode()
    assert modal.status_code == 200 and "<html" not in html
    assert 'id="payment-till-note"' in html and "TSE" in html
    assert 'value="289,00"' in html  # the open amount is offered

    response = staff_client.post(
        url,
        {"method": "ec", "amount": "100,50", "paid_on": TODAY.strftime("%d.%m.%Y"), "note": ""},
        **HTMX,
    )
    assert response.status_code == 200
    assert "closeModal" in response["HX-Trigger"] and "invoiceSaved" in response["HX-Trigger"]
    payment = Payment.objects.get(invoice=invoice)
    assert (payment.amount, payment.created_by) == (Decimal("100.50"), staff)

    page = staff_client.get(reverse("invoices:detail", args=[invoice.pk])).content.decode()
    assert "100,50\xa0€" in page and "188,50\xa0€" in page
    assert str(State.PARTLY_PAID.label) in page


def test_an_invalid_payment_is_shown_in_the_modal(staff_client, customer):
    invoice = issued(customer)
    url = reverse("invoices:payment_add", args=[invoice.pk])
    day = TODAY.strftime("%d.%m.%Y")
    cash = staff_client.post(url, {"method": "cash", "amount": "10", "paid_on": day}, **HTMX)
    assert cash.status_code == 200 and "field-error" in cash.content.decode()
    assert (
        escape(_("Please enter the receipt number of the till that took the cash."))
        in cash.content.decode()
    )

    too_much = staff_client.post(url, {"method": "ec", "amount": "300", "paid_on": day}, **HTMX)
    assert too_much.status_code == 200 and "field-error" in too_much.content.decode()
    assert not Payment.objects.exists()

    plain = staff_client.post(url, {"method": "ec", "amount": "89", "paid_on": day})
    assert plain.status_code == 302
    assert plain["Location"] == reverse("invoices:detail", args=[invoice.pk])


def test_a_payment_is_removed_and_a_paid_invoice_offers_no_payment(staff_client, customer):
    invoice = issued(customer)
    payment = pay(invoice, "289.00")
    page = staff_client.get(reverse("invoices:detail", args=[invoice.pk])).content.decode()
    assert reverse("invoices:payment_add", args=[invoice.pk]) not in page
    assert str(State.PAID.label) in page
    remove = reverse("invoices:payment_remove", args=[invoice.pk, payment.pk])
    assert remove in page
    response = staff_client.post(remove, **HTMX)
    assert response.status_code == 200 and "invoiceSaved" in response["HX-Trigger"]
    assert not Payment.objects.exists()
    assert staff_client.post(remove).status_code == 404


def test_outsiders_record_and_remove_no_payment(outsider_client, customer):
    invoice = issued(customer)
    payment = pay(invoice, "10.00")
    url = reverse("invoices:payment_add", args=[invoice.pk])
    day = TODAY.strftime("%d.%m.%Y")
    response = outsider_client.post(url, {"method": "ec", "amount": "1", "paid_on": day})
    assert response.status_code == 403
    assert (
        outsider_client.post(
            reverse("invoices:payment_remove", args=[invoice.pk, payment.pk])
        ).status_code
        == 403
    )
    assert Payment.objects.count() == 1


def test_the_admin_lists_payments_and_documents_read_only(owner_client, customer):
    invoice = issued(customer)
    pay(invoice, "10.00", method=Method.CASH, receipt_number="K-9")
    payments = owner_client.get(reverse("admin:invoices_payment_changelist"))
    assert payments.status_code == 200 and "K-9" in payments.content.decode()
    kept = kept_document(invoice)
    documents = owner_client.get(reverse("admin:invoices_invoicedocument_changelist"))
    assert documents.status_code == 200
    assert kept.sha256 in documents.content.decode()
    assert owner_client.get(reverse("admin:invoices_payment_add")).status_code == 403


@pytest.mark.django_db(transaction=True)
def test_two_payments_at_once_never_pay_more_than_is_open():
    import threading

    from django.db import connections

    invoice = issued()  # 289,00 €
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def pay_200():
        try:
            barrier.wait()
            pay(invoice, "200.00")
            outcomes.append("paid")
        except ValidationError:
            outcomes.append("refused")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=pay_200) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["paid", "refused"]
    assert selectors.paid_amount(invoice.pk) == Decimal("200.00")


# --- Found in review ------------------------------------------------------------------


def _gkv_invoice(customer, share="100.00"):
    """An issued 289,00 € invoice of which the statutory insurer pays ``share``."""
    invoice = draft(customer)
    Invoice.objects.filter(pk=invoice.pk).update(insurer_share=Decimal(share))
    return services.invoice_issue(invoice_id=invoice.pk)


def test_the_insurer_pays_its_share_and_the_customer_the_rest(customer):
    invoice = _gkv_invoice(customer)
    with pytest.raises(ValidationError) as refused:
        pay(invoice, "189.01")
    assert "amount" in refused.value.error_dict
    with pytest.raises(ValidationError):
        pay(invoice, "100.01", method=Method.INSURER)
    pay(invoice, "189.00")
    assert state(invoice) == State.PARTLY_PAID
    pay(invoice, "100.00", method=Method.INSURER)
    assert state(invoice) == State.PAID


def test_the_payment_form_offers_what_the_customer_still_pays(staff_client, customer):
    invoice = _gkv_invoice(customer)
    response = staff_client.get(reverse("invoices:payment_add", args=[invoice.pk]), **HTMX)
    assert 'value="189.00"' in response.content.decode() or 'value="189,00"' in (
        response.content.decode()
    )


def test_the_deposit_stays_on_its_invoice(customer):
    order = repair_order(customer, deposit=Decimal("50.00"))
    invoice = services.invoice_issue(invoice_id=services.invoice_from_order(order_id=order.pk).pk)
    deposit = invoice.payments.get(method=Method.DEPOSIT)
    with pytest.raises(ValidationError):
        services.payment_remove(invoice_id=invoice.pk, payment_id=deposit.pk)
    assert invoice.payments.filter(pk=deposit.pk).exists()


def test_the_database_refuses_to_change_a_payment(customer):
    payment = pay(issued(customer), "10.00")
    with pytest.raises(DatabaseError, match="cannot be changed"), transaction.atomic():
        Payment.objects.filter(pk=payment.pk).update(amount=Decimal("1.00"))
    assert Payment.objects.get(pk=payment.pk).amount == Decimal("10.00")


def test_a_counter_starts_at_zero():
    with pytest.raises(DatabaseError, match="starts at 0"), transaction.atomic():
        InvoiceCounter.objects.create(year=2099, last=41)
    assert not InvoiceCounter.objects.filter(year=2099).exists()


def test_an_orders_draft_keeps_the_orders_customer(customer):
    order = repair_order(customer)
    invoice = services.invoice_from_order(order_id=order.pk)
    other = customer_factories.customer(**ADDRESS)
    with pytest.raises(ValidationError) as refused:
        services.invoice_update(invoice_id=invoice.pk, data={"customer": other}, version=None)
    assert "customer" in refused.value.error_dict
    counter_sale = services.invoice_create()
    customer_services.customer_soft_delete(customer_id=other.pk)
    with pytest.raises(ValidationError):
        services.invoice_update(invoice_id=counter_sale.pk, data={"customer": other}, version=None)
    counter_sale.refresh_from_db()
    assert counter_sale.customer_id is None


def test_a_cancelled_invoice_and_its_cancellation_have_nothing_open(customer):
    invoice = issued(customer)
    pay(invoice, "100.00")
    cancellation = services.invoice_cancel(invoice_id=invoice.pk, reason="Falscher Preis")
    for pk in (invoice.pk, cancellation.pk):
        page = selectors.invoice_page(pk)
        assert page.state == State.CANCELLED
        assert (page.open, page.customer_open) == (Decimal("0.00"), Decimal("0.00"))


def test_a_draft_has_no_payment_to_remove(customer):
    invoice = draft(customer)
    with pytest.raises(ValidationError) as refused:
        services.payment_remove(invoice_id=invoice.pk, payment_id=1)
    assert refused.value.messages == [_("A draft has no payments to remove.")]
