"""The customer's contact lens reorder date (``Customer.cl_reorder_due``),
kept by the trigger of orders migration 0004 for the recall rule
"Nachbestellung fällig": the latest reorder date of the customer's contact
lens orders that are not cancelled, whatever path writes the orders."""

import contextlib
import datetime
from decimal import Decimal

import pytest
import time_machine
from django.apps import apps
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from customers import services as customer_services
from customers.models import Customer
from customers.tests import factories
from orders import services
from orders.models import Kind, Order, Status
from products.models import Category
from products.tests.factories import product

pytestmark = pytest.mark.django_db


def today() -> datetime.date:
    return timezone.localdate()


@pytest.fixture
def customer():
    return factories.customer(first_name="Lena", last_name="Linse")


@pytest.fixture
def lenses():
    return product(
        name="Biofinity 6er", category=Category.CONTACT_LENS, sale_price=Decimal("39.90")
    )


def shop_clock(days_ago: int):
    """The shop's clock ``days_ago`` days back (an order placed then)."""
    if not days_ago:
        return contextlib.nullcontext()
    # Noon of that day in the shop (not now less so many days: across the
    # change to summer time that fell on the day after, late in the evening).
    day = today() - datetime.timedelta(days=days_ago)
    noon = datetime.datetime.combine(day, datetime.time(12), tzinfo=timezone.get_current_timezone())
    return time_machine.travel(noon, tick=True)


def quote(customer, lenses, *, supply_days: int) -> Order:
    """A contact lens quote: a box per eye, each lasting ``supply_days``."""
    order = services.order_create(customer_id=customer.pk, kind=Kind.CONTACT_LENSES)
    for eye in ("right", "left"):
        services.line_save(
            order_id=order.pk,
            data=services.product_line(lenses, eye=eye, supply_days=supply_days),
            version=None,
        )
    return order


def placed(customer, lenses, *, supply_days: int, days_ago: int = 0) -> Order:
    """A contact lens order placed ``days_ago`` (its reorder date: that day
    plus ``supply_days``)."""
    with shop_clock(days_ago):
        order = quote(customer, lenses, supply_days=supply_days)
        return services.order_status_change(order_id=order.pk, status=Status.ORDERED, version=None)


def cancel(order: Order) -> None:
    services.order_status_change(
        order_id=order.pk, status=Status.CANCELLED, version=None, reason="Kundin hat storniert"
    )


def reorder_due(customer) -> datetime.date | None:
    return Customer.objects.get(pk=customer.pk).cl_reorder_due


def in_days(days: int) -> datetime.date:
    return today() + datetime.timedelta(days=days)


def test_placing_contact_lenses_sets_the_customers_reorder_date(customer, lenses):
    order = quote(customer, lenses, supply_days=90)
    assert reorder_due(customer) is None  # a quote has no reorder date yet
    services.order_status_change(order_id=order.pk, status=Status.ORDERED, version=None)
    assert Order.objects.get(pk=order.pk).reorder_due == in_days(90)
    assert reorder_due(customer) == in_days(90)
    # Moving on along the statuses keeps it.
    for status in (Status.LENSES_ORDERED, Status.LENSES_ARRIVED, Status.READY, Status.PICKED_UP):
        services.order_status_change(order_id=order.pk, status=status, version=None)
    assert reorder_due(customer) == in_days(90)


def test_the_latest_supply_counts(customer, lenses):
    placed(customer, lenses, supply_days=90)
    placed(customer, lenses, supply_days=180)
    assert reorder_due(customer) == in_days(180)
    # An order of long ago whose supply ran out before does not move it back.
    placed(customer, lenses, supply_days=30, days_ago=200)
    assert reorder_due(customer) == in_days(180)


def test_a_newer_order_moves_the_date_on(customer, lenses):
    placed(customer, lenses, supply_days=180, days_ago=170)
    assert reorder_due(customer) == in_days(10)
    placed(customer, lenses, supply_days=90)
    assert reorder_due(customer) == in_days(90)


def test_cancelling_falls_back_to_the_other_orders(customer, lenses):
    first = placed(customer, lenses, supply_days=90)
    second = placed(customer, lenses, supply_days=180)
    cancel(second)
    assert reorder_due(customer) == in_days(90)
    cancel(first)
    assert reorder_due(customer) is None


def test_deleting_an_order_falls_back(customer, lenses):
    first = placed(customer, lenses, supply_days=90)
    second = placed(customer, lenses, supply_days=180)
    Order.objects.filter(pk=second.pk).delete()
    assert reorder_due(customer) == in_days(90)
    Order.objects.filter(pk=first.pk).delete()
    assert reorder_due(customer) is None


def test_the_erasure_takes_the_orders_with_the_trigger_on(customer, lenses, owner):
    order = placed(customer, lenses, supply_days=90)
    customer_services.customer_erase(customer_id=customer.pk, user=owner)
    assert not Order.objects.filter(pk=order.pk).exists()
    assert not Customer.objects.filter(pk=customer.pk, cl_reorder_due__isnull=False).exists()


def test_an_order_moved_to_another_customer_changes_both(customer, lenses):
    other = factories.customer(first_name="Otto", last_name="Anders")
    placed(customer, lenses, supply_days=90)
    moved = placed(customer, lenses, supply_days=180)
    Order.objects.filter(pk=moved.pk).update(customer=other)
    assert reorder_due(customer) == in_days(90)
    assert reorder_due(other) == in_days(180)


def test_glasses_and_repairs_do_not_count(customer, lenses):
    glasses = services.order_create(customer_id=customer.pk, kind=Kind.GLASSES)
    repair = services.order_create(customer_id=customer.pk, kind=Kind.REPAIR)
    # Only contact lenses get a reorder date; set on others, it is ignored.
    Order.objects.filter(pk__in=[glasses.pk, repair.pk]).update(reorder_due=in_days(30))
    assert reorder_due(customer) is None
    order = placed(customer, lenses, supply_days=90)
    assert reorder_due(customer) == in_days(90)
    # An order that is no longer contact lenses no longer counts.
    Order.objects.filter(pk=order.pk).update(kind=Kind.GLASSES)
    assert reorder_due(customer) is None
    Order.objects.filter(pk=order.pk).update(kind=Kind.CONTACT_LENSES)
    assert reorder_due(customer) == in_days(90)


def test_a_changed_reorder_date_moves_the_customers(customer, lenses):
    order = placed(customer, lenses, supply_days=90)
    Order.objects.filter(pk=order.pk).update(reorder_due=in_days(45))
    assert reorder_due(customer) == in_days(45)
    Order.objects.filter(pk=order.pk).update(reorder_due=None)
    assert reorder_due(customer) is None


def test_saving_the_customer_keeps_the_date_and_writes_no_history(customer, lenses):
    loaded_before = Customer.objects.get(pk=customer.pk)
    history = apps.get_model("customers", "CustomerEvent").objects
    events = history.filter(pgh_obj_id=customer.pk).count()
    placed(customer, lenses, supply_days=90)
    assert history.filter(pgh_obj_id=customer.pk).count() == events
    # A form saving the customer as loaded before the order does not undo it.
    loaded_before.notes = "trägt Monatslinsen"
    loaded_before.save()
    customer_services.customer_update(customer_id=customer.pk, data={"town": "Bremen"})
    assert reorder_due(customer) == in_days(90)


# --- The migration -----------------------------------------------------------------------

BEFORE = [("orders", "0003_staff_group")]
AFTER = [("orders", "0004_keep_reorder_due")]


@pytest.fixture
def back_to_the_latest_schema():
    """Whatever happens in the test, the tests that follow find the newest
    schema (as customers.tests.test_migrations)."""
    yield
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())


@pytest.mark.django_db(transaction=True)
def test_the_migration_fills_the_dates_of_existing_orders(back_to_the_latest_schema, customer):
    """Orders placed before the trigger existed: the migration gives their
    customers the date once; undone, it leaves no date and no trigger."""
    other = factories.customer(first_name="Otto", last_name="Anders")
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    Old = executor.loader.project_state(BEFORE).apps.get_model("orders", "Order")

    def order(who, kind, status, days):
        return Old.objects.create(
            customer_id=who.pk,
            kind=kind,
            status=status,
            status_reason="storniert" if status == "cancelled" else "",
            reorder_due=in_days(days),
        )

    order(customer, "contact_lenses", "picked_up", 20)
    order(customer, "contact_lenses", "ordered", 60)
    order(customer, "contact_lenses", "cancelled", 300)
    order(customer, "glasses", "ordered", 400)
    order(other, "glasses", "ordered", 10)
    assert reorder_due(customer) is None  # no trigger yet

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(AFTER)
    assert reorder_due(customer) == in_days(60)
    assert reorder_due(other) is None

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(BEFORE)
    assert reorder_due(customer) is None
    order(other, "contact_lenses", "ordered", 30)
    assert reorder_due(other) is None  # the trigger is gone with it
