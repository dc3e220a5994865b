"""A correction is a cancellation invoice (Storno): its own number, the
original's positions negated, naming the original; once per invoice."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from customers.tests import factories as customer_factories
from invoices import selectors, services
from invoices.models import SMALL_AMOUNT, Kind, State, Status
from invoices.tests.factories import ADDRESS, BOOK, FRAME, draft, issued

pytestmark = pytest.mark.django_db

DISCOUNTED = {
    "description": "Anpassung",
    "quantity": 2,
    "unit_price": Decimal("10.05"),
    "discount_percent": Decimal("15"),
    "discount_reason": "Aktion",
    "vat_rate": 19,
}


def test_a_cancellation_negates_the_invoice_with_a_number_of_its_own(owner):
    customer = customer_factories.customer(**ADDRESS, first_name="Eva", last_name="Storno")
    original = issued(customer, lines=(FRAME, BOOK, DISCOUNTED))
    cancellation = services.invoice_cancel(
        invoice_id=original.pk, reason="Falsche Fassung berechnet", user=owner
    )

    assert (cancellation.kind, cancellation.status, cancellation.cancels) == (
        Kind.CANCELLATION,
        Status.ISSUED,
        original,
    )
    assert cancellation.sequence == original.sequence + 1
    assert cancellation.number == f"{original.year}-000002"
    assert cancellation.reason == "Falsche Fassung berechnet"
    assert (cancellation.customer, cancellation.customer_name) == (customer, "Eva Storno")
    assert cancellation.delivered_on == original.delivered_on
    assert [line.quantity for line in selectors.priced_lines(cancellation)] == [-1, -2, -2]

    before, after = selectors.invoice_totals(original), selectors.invoice_totals(cancellation)
    assert [line.total for line in selectors.priced_lines(cancellation)] == [
        -line.total for line in selectors.priced_lines(original)
    ]
    assert [(r.rate, r.gross, r.vat, r.net) for r in after.rates] == [
        (r.rate, -r.gross, -r.vat, -r.net) for r in before.rates
    ]
    assert after.gross == -before.gross == Decimal("-326.06")
    assert after.discount == -before.discount == Decimal("-3.02")

    original.refresh_from_db()
    assert selectors.invoice_state(original) == State.CANCELLED
    # Both sides of the pair are settled: "storniert".
    assert selectors.invoice_state(cancellation) == State.CANCELLED
    assert original.cancellation == cancellation


def test_an_invoice_is_cancelled_once_and_a_cancellation_never():
    original = issued()
    cancellation = services.invoice_cancel(invoice_id=original.pk, reason="Doppelt")
    with pytest.raises(ValidationError):
        services.invoice_cancel(invoice_id=original.pk, reason="Noch einmal")
    with pytest.raises(ValidationError):
        services.invoice_cancel(invoice_id=cancellation.pk, reason="Storno vom Storno")
    with pytest.raises(ValidationError):
        services.invoice_cancel(invoice_id=draft().pk, reason="Entwurf")
    with pytest.raises(ValidationError):
        services.invoice_cancel(invoice_id=issued().pk, reason="  ")


def test_the_insurers_share_is_negated_too():
    original = draft()
    from invoices.models import Invoice

    Invoice.objects.filter(pk=original.pk).update(insurer_share=Decimal("42.50"))
    services.invoice_issue(invoice_id=original.pk)
    cancellation = services.invoice_cancel(invoice_id=original.pk, reason="Kasse")
    totals = selectors.invoice_totals(cancellation)
    assert (totals.insurer_share, totals.customer_pays) == (Decimal("-42.50"), Decimal("-246.50"))


def test_small_amount_is_up_to_250_euros_gross():
    at_limit = draft(lines=({"description": "Sonnenbrille", "unit_price": SMALL_AMOUNT},))
    above = draft(lines=({"description": "Sonnenbrille", "unit_price": Decimal("250.01")},))
    assert selectors.is_small_amount(at_limit)
    assert not selectors.is_small_amount(above)
    assert selectors.invoice_state(at_limit) == State.DRAFT
