"""The migrations that meet a shop's existing invoices: the unsettled list
(0007) is filled from the invoices and payments there are, and the front
desk's group of an existing shop gets the invoices' rights (0009)."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("invoices", "0006_payment_carried_back")]


@pytest.fixture
def back_to_the_latest_schema():
    """Whatever happens in the test, the tests that follow find the newest
    schema (as customers.tests.test_migrations)."""
    yield
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())


@pytest.mark.django_db(transaction=True)
def test_existing_invoices_are_listed_as_unsettled_and_staff_may_see_them(
    back_to_the_latest_schema,
):
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old = executor.loader.project_state(BEFORE).apps
    Invoice, Payment = old.get_model("invoices", "Invoice"), old.get_model("invoices", "Payment")
    group = old.get_model("auth", "Group").objects.create(name="Mitarbeiter")
    today = datetime.date(2026, 12, 1)

    def invoice(sequence, gross):
        return Invoice.objects.create(
            status="issued", kind="invoice", number=f"2026-{sequence:06d}", year=2026,
            sequence=sequence, issued_on=today, delivered_on=today, gross=Decimal(gross),
        )  # fmt: skip

    unpaid, partly, paid = invoice(1, "100.00"), invoice(2, "100.00"), invoice(3, "100.00")
    for target, amount in ((partly, "40.00"), (paid, "100.00")):
        Payment.objects.create(invoice=target, method="ec", amount=Decimal(amount), paid_on=today)

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())
    from django.contrib.auth.models import Group

    from invoices.models import Unsettled

    assert dict(Unsettled.objects.values_list("invoice_id", "paid")) == {
        unpaid.pk: Decimal("0.00"),
        partly.pk: Decimal("40.00"),
    }
    rights = set(Group.objects.get(pk=group.pk).permissions.values_list("codename", flat=True))
    assert {"view_invoice", "add_invoice", "change_invoice", "add_payment"} <= rights
    assert "view_accounting" not in rights
