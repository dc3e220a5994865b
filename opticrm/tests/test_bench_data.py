"""The benchmark's bulk data: loaded fast, and valid by the app's own rules."""

import pytest
from django.db import connection
from django.db.models import Count, F, Max, Min
from django.utils import timezone
from pghistory.models import Events

from appointments.models import Appointment, StaffCalendar
from customers.models import Customer
from opticrm.bench.data import DETAIL_ORDERS, Sizes, load
from orders.models import OPEN_STATUSES, Order, OrderLine
from prescriptions.models import Refraction
from products.models import Product

pytestmark = pytest.mark.django_db

SIZES = Sizes(customers=2_000, appointments=4_000, products=300)


@pytest.fixture
def loaded():
    return load(SIZES, rebuild_indexes=False)


def test_the_sizes_asked_for_are_loaded(loaded):
    assert Customer.objects.count() == 2_000
    assert Product.objects.count() == 300
    # Plus the 50 of the customer whose page is measured.
    assert Appointment.objects.count() == 4_000 + 50
    assert Refraction.objects.count() == 400 + 20  # a fifth of the customers, 20 for one
    assert StaffCalendar.objects.filter(active=True).count() == 8


def test_the_measured_customer_has_a_long_history(loaded):
    customer = Customer.objects.get(pk=loaded.detail_customer_id)
    assert customer.refractions.count() == 20
    assert customer.appointments.count() >= 50


def test_a_sample_passes_the_models_validation(loaded):
    for model in (Customer, Product, Appointment, Refraction):
        for obj in model.objects.order_by("?")[:40]:
            obj.full_clean(validate_constraints=False)  # the database held those


def test_derived_search_and_sort_columns_are_filled_as_the_app_fills_them(loaded):
    for customer in Customer.objects.order_by("?")[:20]:
        stored = (customer.sort_name, customer.search_text)
        customer.refresh_derived_fields()
        assert stored == (customer.sort_name, customer.search_text)


def test_each_next_appointment_is_stored_as_the_trigger_keeps_it(loaded):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FILTER (WHERE next_appointment_at IS NOT NULL), count(*) FILTER ("
            "WHERE next_appointment_at IS DISTINCT FROM appointments_next_start(id)) "
            "FROM customers_customer"
        )
        with_one, wrong = cursor.fetchone()
    assert with_one > 500
    assert wrong == 0


def test_each_last_refraction_date_is_stored_as_the_trigger_keeps_it(loaded):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FILTER (WHERE last_refraction_date IS NOT NULL), count(*) FILTER ("
            "WHERE last_refraction_date IS DISTINCT FROM prescriptions_last_refraction(id)) "
            "FROM customers_customer"
        )
        with_one, wrong = cursor.fetchone()
    assert with_one == 400 + 1  # a fifth of the customers, and the measured one
    assert wrong == 0


def test_each_contact_lens_reorder_date_is_stored_as_the_trigger_keeps_it(loaded):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FILTER (WHERE cl_reorder_due IS NOT NULL), count(*) FILTER ("
            "WHERE cl_reorder_due IS DISTINCT FROM orders_cl_reorder_due(id)) "
            "FROM customers_customer"
        )
        with_one, wrong = cursor.fetchone()
    assert with_one > 100
    assert wrong == 0


def test_no_history_or_live_counter_rows_for_a_bulk_load():
    # What the migrations wrote (the seeded message templates) is not the load's.
    before = Events.objects.count()
    load(Sizes(customers=200, appointments=400, products=50), rebuild_indexes=False)
    assert Events.objects.count() == before
    with connection.cursor() as cursor:
        cursor.execute("SHOW session_replication_role")
        assert cursor.fetchone()[0] == "origin"  # triggers are on again afterwards


def test_the_same_seed_loads_the_same_names():
    load(Sizes(customers=50, appointments=0, products=0), rebuild_indexes=False)
    first = list(Customer.objects.order_by("id").values_list("last_name", "email"))
    with connection.cursor() as cursor:
        # Issued invoices are never deleted through the app (their triggers).
        cursor.execute("SET LOCAL session_replication_role = replica")
        for table in ("invoices_payment", "invoices_invoiceline", "invoices_invoice"):
            cursor.execute(f"DELETE FROM {table}")
        cursor.execute("SET LOCAL session_replication_role = origin")
    Order.objects.all().delete()  # they protect their customers
    Customer.objects.all().delete()
    load(Sizes(customers=50, appointments=0, products=0), rebuild_indexes=False)
    again = list(Customer.objects.order_by("id").values_list("last_name", "email"))
    assert first == again


# --- Orders (issue 28) -------------------------------------------------------------


def _orders_by(column: str) -> dict:
    return dict(Order.objects.values_list(column).annotate(n=Count("id")).order_by())


def test_two_orders_per_customer_with_the_measured_customers_many(loaded):

    assert Order.objects.count() == 2 * SIZES.customers
    measured = Order.objects.filter(customer_id=loaded.detail_customer_id)
    assert measured.count() == DETAIL_ORDERS  # more than the customer page shows
    assert not Order.objects.filter(customer__deleted_at__isnull=False).exists()
    # Spread over five years, none in the future.
    span = Order.objects.aggregate(first=Min("created_at"), last=Max("created_at"))
    assert span["last"] <= timezone.now()
    assert (span["last"] - span["first"]).days > 4 * 365


def test_the_orders_statuses_and_kinds_are_a_chains_mix(loaded):

    total = Order.objects.count()
    statuses = _orders_by("status")
    share = {status: n / total for status, n in statuses.items()}
    assert 0.85 <= share["picked_up"] <= 0.95
    assert 0.03 <= share["cancelled"] <= 0.07
    assert 0.025 <= share["quote"] <= 0.055
    # Open: a few per thousand (a few thousand of two million), each promised.
    open_orders = Order.objects.filter(status__in=OPEN_STATUSES)
    assert 0 < open_orders.count() < total * 0.01
    assert not open_orders.filter(promised_date=None).exists()
    assert not Order.objects.exclude(status="quote").filter(promised_date=None).exists()
    kinds = _orders_by("kind")
    assert 0.75 <= kinds["glasses"] / total <= 0.85
    assert 0.10 <= kinds["contact_lenses"] / total <= 0.20
    assert 0.02 <= kinds["repair"] / total <= 0.08


def test_a_chain_has_a_few_thousand_open_orders():
    """At a chain's scale the board's columns hold thousands, not a
    hundred thousand: the status follows the order's age."""

    load(Sizes(customers=40_000, appointments=0, products=200), rebuild_indexes=False)
    open_orders = Order.objects.filter(status__in=OPEN_STATUSES).count()
    # 80,000 orders over five years: some 44 a day, the last week's open.
    assert 100 < open_orders < 400
    today = timezone.localdate()
    overdue = Order.objects.filter(
        status__in=[s for s in OPEN_STATUSES if s != "ready"], promised_date__lt=today
    )
    assert overdue.exists()


def test_each_order_takes_only_its_kinds_steps(loaded):
    from orders import rules

    for kind, skipped in rules.SKIPPED.items():
        assert not Order.objects.filter(kind=kind, status__in=skipped).exists()
    # Only glasses carry the refraction's values and a frame; contact
    # lenses their reorder day once placed.
    assert not Order.objects.exclude(kind="glasses").exclude(prescription={}).exists()
    assert not Order.objects.filter(kind="glasses", prescription={}).exists()
    assert not Order.objects.exclude(kind="contact_lenses").exclude(reorder_due=None).exists()
    assert (
        Order.objects.filter(kind="contact_lenses", status="picked_up", reorder_due=None).count()
        == 0
    )
    assert set(Order.objects.values_list("version", flat=True).distinct()) == {1}
    assert not Order.objects.filter(status_changed_at=None).exists()
    assert not Order.objects.filter(status_changed_at__lt=F("created_at")).exists()


def test_two_to_four_positions_an_order_numbered_from_one(loaded):

    per_order = Order.objects.annotate(
        n=Count("lines"), first=Min("lines__position"), last=Max("lines__position")
    )
    counts = per_order.aggregate(fewest=Min("n"), most=Max("n"))
    assert (counts["fewest"], counts["most"]) == (2, 4)
    assert not per_order.exclude(first=1).exists()
    assert not [o for o in per_order.values("n", "last") if o["n"] != o["last"]]
    lines = OrderLine.objects.count()
    assert 2.8 < lines / Order.objects.count() < 3.4  # about six million at chain scale
    # Glasses: a frame, a lens per eye (and a service); the frame is the order's.
    glasses = Order.objects.filter(kind="glasses").exclude(frame=None).first()
    kinds = list(glasses.lines.order_by("position").values_list("kind", "eye", "product_id"))
    assert kinds[:3] == [
        ("frame", "", glasses.frame_id),
        ("lens", "right", kinds[1][2]),
        ("lens", "left", kinds[1][2]),
    ]


def test_the_orders_refer_to_rows_that_exist(loaded):
    """The load checks no foreign key (triggers off): every id it wrote
    must name a row."""
    dangling = {
        "customer": "SELECT count(*) FROM orders_order o WHERE NOT EXISTS "
        "(SELECT 1 FROM customers_customer c WHERE c.id = o.customer_id)",
        "staff": "SELECT count(*) FROM orders_order o WHERE o.staff_id IS NOT NULL AND NOT "
        "EXISTS (SELECT 1 FROM auth_user u WHERE u.id = o.staff_id)",
        "frame": "SELECT count(*) FROM orders_order o WHERE o.frame_id IS NOT NULL AND NOT "
        "EXISTS (SELECT 1 FROM products_product p WHERE p.id = o.frame_id)",
        "line order": "SELECT count(*) FROM orders_orderline l WHERE NOT EXISTS "
        "(SELECT 1 FROM orders_order o WHERE o.id = l.order_id)",
        "line product": "SELECT count(*) FROM orders_orderline l WHERE l.product_id IS NOT "
        "NULL AND NOT EXISTS (SELECT 1 FROM products_product p WHERE p.id = l.product_id)",
    }
    with connection.cursor() as cursor:
        for name, sql in dangling.items():
            cursor.execute(sql)
            assert cursor.fetchone()[0] == 0, name
        cursor.execute("SELECT count(*) FROM orders_order WHERE staff_id IS NULL")
        assert cursor.fetchone()[0] == 0


def test_orders_and_positions_pass_the_models_validation_and_constraints(loaded):
    """The database held its CHECK constraints on insert; the models'
    validation (choices, ranges, the constraints in Python) agrees."""

    for order in Order.objects.order_by("?")[:40]:
        order.full_clean()
    for line in OrderLine.objects.order_by("?")[:60]:
        line.full_clean()


def test_every_orders_money_adds_up(loaded):
    """Totals as the order page computes them (orders.rules): positive
    positions, discounts with a reason and never more than the position,
    a deposit never more than the order's gross."""
    from collections import defaultdict

    from orders import rules

    lines = defaultdict(list)
    for line in OrderLine.objects.all():
        lines[line.order_id].append(line)
    discounted = 0
    for order_id, deposit in Order.objects.values_list("id", "deposit"):
        totals = rules.totals(lines[order_id], deposit)
        assert totals.gross > 0
        assert totals.gross - deposit >= 0  # nothing paid beyond the order
        assert set(totals.rates) <= {19, 7}
        for line in lines[order_id]:
            discount, total = rules.line_gross(
                line.quantity, line.unit_price, line.discount_percent, line.discount_amount
            )
            assert 0 <= discount < total + discount
            discounted += discount > 0
            assert (discount > 0) == bool(line.discount_reason)
    assert discounted > 0


def test_the_order_page_reads_the_loaded_values(loaded):
    """The copy of the refraction reads as the app writes it; the GKV share
    and the centration check work on it."""
    from orders import selectors, services

    order = Order.objects.filter(kind="glasses", status="picked_up").first()
    assert selectors.prescription_text(order.prescription).startswith("R: Sph ")
    assert [label for label, _eye in selectors.eye_rows(order)] == ["R", "L"]
    lines = selectors.priced_lines(order.pk)
    selectors.insurance_share(order, lines)
    assert not [p for p in services.centration_problems(order, lines) if p.hard]


def test_the_orders_are_added_to_a_database_loaded_before_them(loaded):
    """A benchmark database from before the orders app gets them on the next
    run (prepare.ensure_data: the marker's version), not by a reload."""
    import json

    from opticrm.bench.data import MESSAGING_DATA_VERSION, ORDERS_DATA_VERSION
    from opticrm.bench.prepare import MARKER_PREFIX, _marker, ensure_data

    before = (Order.objects.count(), OrderLine.objects.count())
    with connection.cursor() as cursor:
        # (Nor invoices, which name orders.)
        cursor.execute(
            "TRUNCATE invoices_unsettled, invoices_payment, invoices_invoicedocument, "
            "invoices_invoiceline, invoices_invoice, orders_orderline, orders_order"
        )
        marker = {
            "sizes": {**SIZES.__dict__, "seed": 8},
            "loaded_at": "2026-12-01T00:00:00+00:00",
            "load_seconds": {"customers": 1.0},
            "detail_customer_id": loaded.detail_customer_id,
            "messaging_data": MESSAGING_DATA_VERSION,
        }
        comment = MARKER_PREFIX + json.dumps(marker).replace("'", "''")
        cursor.execute(f"COMMENT ON TABLE customers_customer IS '{comment}'")
    messages = []
    marker = ensure_data(SIZES, seed=8, reload=False, log=messages.append)
    assert marker["orders_data"] == ORDERS_DATA_VERSION
    assert "orders" in marker["load_seconds"]
    assert (Order.objects.count(), OrderLine.objects.count()) == before
    assert Order.objects.filter(customer_id=loaded.detail_customer_id).count() == DETAIL_ORDERS
    with connection.cursor() as cursor:
        assert _marker(cursor)["orders_data"] == ORDERS_DATA_VERSION
    assert any("orders" in message for message in messages)


# --- Invoices (issue 29) ----------------------------------------------------------------


def test_five_invoices_per_customer_numbered_without_a_gap_each_year(loaded):
    from invoices.models import Invoice, InvoiceCounter, Kind

    invoices = Invoice.objects.all()
    assert invoices.filter(kind=Kind.INVOICE).count() == SIZES.customers * 5
    assert invoices.filter(kind=Kind.CANCELLATION).exists()
    years = invoices.values("year").annotate(
        n=Count("*"), low=Min("sequence"), high=Max("sequence")
    )
    for year in years:
        assert (year["low"], year["high"]) == (1, year["n"]), year
        assert InvoiceCounter.objects.get(year=year["year"]).last == year["n"]
    sample = invoices.order_by("?").first()
    assert sample.number == f"{sample.year}-{sample.sequence:06d}"
    # Every order picked up has its invoice; a cancellation names an invoice.
    picked_up = Order.objects.filter(status="picked_up")
    assert invoices.filter(order__in=picked_up, kind=Kind.INVOICE).count() == picked_up.count()
    assert not invoices.filter(kind=Kind.CANCELLATION, cancels__kind=Kind.CANCELLATION).exists()


def test_each_invoices_gross_is_its_positions_and_the_payments_never_more(loaded):
    from invoices import selectors
    from invoices.models import Invoice, Kind, Payment

    for invoice in Invoice.objects.order_by("?")[:200]:
        assert invoice.gross == selectors.invoice_totals(invoice).gross, invoice.number
        if invoice.kind == Kind.INVOICE:
            assert selectors.paid_amount(invoice.pk) <= invoice.gross
    assert Payment.objects.filter(method="cash", receipt_number="").count() == 0
    # Most are paid; some are open (too few for a sample to be sure to meet one).
    states = [selectors.invoice_state(i) for i in Invoice.objects.order_by("?")[:400]]
    assert states.count("paid") > 300
    open_ones = list(selectors.invoice_list(state="open")[:20])
    assert open_ones and all(selectors.invoice_state(i) == "open" for i in open_ones)


def test_invoices_and_payments_pass_the_models_validation(loaded):
    from invoices.models import Invoice, InvoiceLine, Payment

    for model in (Invoice, InvoiceLine, Payment):
        for row in model.objects.order_by("?")[:50]:
            row.full_clean(validate_unique=False)


def test_the_days_invoice_sums_are_kept_for_the_loaded_invoices(loaded):
    """The load fills what invoices migration 0012's triggers keep: each
    day's sums as the invoices' own (the day report reads them)."""
    from django.db.models import Sum

    from invoices import accounting
    from invoices.models import Invoice, InvoiceDay

    busiest = (
        Invoice.objects.filter(status="issued")
        .values("issued_on")
        .annotate(n=Count("pk"))
        .order_by("-n")
        .first()["issued_on"]
    )
    kept = InvoiceDay.objects.get(day=busiest)
    issued = Invoice.objects.filter(status="issued", issued_on=busiest)
    assert kept.invoices + kept.cancellations == issued.count()
    assert kept.invoiced + kept.cancelled == issued.aggregate(total=Sum("gross"))["total"]
    rates = accounting.document_rates_between(busiest, busiest)
    assert sum(rate.gross for rate in accounting.rates_between(busiest, busiest)) == sum(
        rate.gross for rate in rates
    )
    assert sum(rate.vat for rate in accounting.rates_between(busiest, busiest)) == sum(
        rate.vat for rate in rates
    )
