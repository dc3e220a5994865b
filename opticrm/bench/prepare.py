"""The benchmark's database side, run by ``manage.py bench`` in a process of
its own whose DATABASE_URL names the benchmark database: migrate, load the
data unless this database already holds the same, sign in, and print what
the HTTP clients need as one line of JSON."""

import argparse
import json
import string
import sys

MARKER_PREFIX = "opticrm benchmark data: "
# The benchmark's user works at the counter, as the many users at once do:
# the staff and opticians' groups, not a superuser (whose permission checks
# skip the database), and admin access for the change list it compares with.
OPTICIAN = "bench-optician"


class NotABenchmarkDatabase(Exception):
    pass


def _marker(cursor) -> dict | None:
    cursor.execute("SELECT obj_description('customers_customer'::regclass, 'pg_class')")
    comment = cursor.fetchone()[0] or ""
    return (
        json.loads(comment.removeprefix(MARKER_PREFIX))
        if comment.startswith(MARKER_PREFIX)
        else None
    )


def _set_marker(cursor, marker: dict) -> None:
    text = MARKER_PREFIX + json.dumps(marker)
    cursor.execute(f"COMMENT ON TABLE customers_customer IS {_literal(cursor, text)}")


def _literal(cursor, text: str) -> str:
    from psycopg import sql

    return sql.Literal(text).as_string(cursor.connection)


def ensure_data(sizes, *, seed: int, reload: bool, log) -> dict:
    """Load ``sizes`` unless the database holds them already; refuse a
    database with customers that the benchmark did not load."""
    from django.db import connection

    from customers.models import Customer
    from opticrm.bench.data import (
        DOCUMENTS_DATA_VERSION,
        INVOICES_DATA_VERSION,
        LOADED_TABLES,
        MESSAGING_DATA_VERSION,
        ORDERS_DATA_VERSION,
        documents_top_up,
        invoices_top_up,
        load,
        orders_top_up,
        top_up,
    )

    wanted = {**sizes.__dict__, "seed": seed}
    with connection.cursor() as cursor:
        marker = _marker(cursor)
        if marker and marker["sizes"] == wanted and not reload:
            log(f"Benchmark data already loaded ({marker['loaded_at']}).")
            if marker.get("messaging_data") != MESSAGING_DATA_VERSION:
                # Loaded before the messaging features: their data is added.
                log("Adding consents, contact lens fittings and messages …")
                seconds = top_up()
                marker["messaging_data"] = MESSAGING_DATA_VERSION
                marker["load_seconds"] = {**marker["load_seconds"], **seconds}
                _set_marker(cursor, marker)
                log(f"Added in {sum(seconds.values()):.0f} s.")
            if marker.get("orders_data") != ORDERS_DATA_VERSION:
                # Loaded before the orders app (issue 28): its orders are added.
                log("Adding orders and their positions …")
                seconds = orders_top_up(
                    customers=sizes.customers, detail_customer_id=marker["detail_customer_id"]
                )
                marker["orders_data"] = ORDERS_DATA_VERSION
                marker["load_seconds"] = {**marker["load_seconds"], **seconds}
                _set_marker(cursor, marker)
                log(f"Added orders in {sum(seconds.values()):.0f} s: {seconds}")
                # The orders' replacement took their invoices along.
                marker.pop("invoices_data", None)
            if marker.get("invoices_data") != INVOICES_DATA_VERSION:
                # Loaded before the invoices app (issue 29): its invoices are added.
                log("Adding invoices, their positions and payments …")
                seconds = invoices_top_up(customers=sizes.customers)
                marker["invoices_data"] = INVOICES_DATA_VERSION
                marker["load_seconds"] = {**marker["load_seconds"], **seconds}
                _set_marker(cursor, marker)
                log(f"Added invoices in {sum(seconds.values()):.0f} s: {seconds}")
            if marker.get("documents_data") != DOCUMENTS_DATA_VERSION:
                _add_documents(cursor, marker, documents_top_up, DOCUMENTS_DATA_VERSION, log)
            return marker
        if marker is None and Customer.objects.exists():
            raise NotABenchmarkDatabase(
                "This database has customers that the benchmark did not load; "
                "it only loads into an empty database or one it loaded before."
            )
        if marker is not None:
            log("Removing the previous benchmark data …")
            cursor.execute(f"TRUNCATE {', '.join(LOADED_TABLES)} CASCADE")
    if marker is not None:
        # Through the ORM: the benchmark's users are in groups, have API
        # keys and sessions, which a plain DELETE would leave dangling.
        from django.contrib.auth import get_user_model

        get_user_model().objects.filter(username__startswith="bench-").delete()
    log(
        f"Loading {sizes.customers:,} customers, {sizes.appointments:,} appointments and "
        f"{sizes.products:,} products …"
    )
    loaded = load(sizes, seed=seed)
    from django.utils import timezone

    marker = {
        "sizes": wanted,
        "loaded_at": timezone.now().isoformat(timespec="seconds"),
        "load_seconds": loaded.seconds,
        "detail_customer_id": loaded.detail_customer_id,
        "calendar_staff_ids": loaded.calendar_staff_ids,
        "busiest_day": loaded.busiest_day.isoformat() if loaded.busiest_day else None,
        "messaging_data": MESSAGING_DATA_VERSION,
        "orders_data": ORDERS_DATA_VERSION,
        "invoices_data": INVOICES_DATA_VERSION,
    }
    with connection.cursor() as cursor:
        _set_marker(cursor, marker)
        _add_documents(cursor, marker, documents_top_up, DOCUMENTS_DATA_VERSION, log)
    log(f"Loaded in {sum(loaded.seconds.values()):.0f} s: {loaded.seconds}")
    return marker


def _add_documents(cursor, marker: dict, documents_top_up, version: int, log) -> None:
    """Customer documents (issue 31) for a few customers, with the marker
    naming them (their documents section is a scenario)."""
    log("Adding customer documents …")
    seconds, customers = documents_top_up()
    marker["documents_data"] = version
    marker["documents_customer_ids"] = customers
    marker["load_seconds"] = {**marker["load_seconds"], **seconds}
    _set_marker(cursor, marker)
    log(f"Added documents in {sum(seconds.values()):.1f} s for {len(customers)} customers.")


def vacuum() -> None:
    """What autovacuum does to a database in use: after a migration that
    rewrote rows of the loaded tables, counts read the index alone again."""
    from django.db import connection

    from opticrm.bench.data import TABLES

    with connection.cursor() as cursor:
        for table in TABLES:
            cursor.execute(f"VACUUM ANALYZE {table}")


# The report of a finished import of 100,000 customers, for its pages.
IMPORT_REPORT_ROWS = 100_000
IMPORT_REPORT_FILE = "bench-report.csv"


def import_report() -> int:
    """A finished import with a report of IMPORT_REPORT_ROWS rows (every
    tenth an error, every twentieth skipped), made once; its id."""
    from django.db import connection

    from imports.models import ImportJob

    job, _created = ImportJob.objects.get_or_create(
        filename=IMPORT_REPORT_FILE,
        defaults={
            "data": b"",
            "file_format": "csv",
            "row_count": IMPORT_REPORT_ROWS,
            "rows_done": IMPORT_REPORT_ROWS,
            "state": ImportJob.State.DONE,
            "headers": ["Kundennr", "Vorname", "Nachname"],
            "mapping": ["external_number", "first_name", "last_name"],
        },
    )
    if job.rows.count() != IMPORT_REPORT_ROWS:
        job.rows.all().delete()
        with connection.cursor() as cursor:
            cursor.execute(
                """
                INSERT INTO imports_importrow (job_id, row_number, outcome, message, object_id)
                SELECT %s, n + 1,
                       CASE WHEN n %% 10 = 0 THEN 'error' WHEN n %% 20 = 5 THEN 'skipped'
                            ELSE 'new' END,
                       CASE WHEN n %% 10 = 0 THEN 'Geburtsdatum: Bitte ein gültiges Datum eingeben.'
                            WHEN n %% 20 = 5 THEN 'keine Fremdnummer' ELSE '' END,
                       NULL
                FROM generate_series(1, %s) AS n
                """,
                [job.pk, IMPORT_REPORT_ROWS],
            )
            # Index-only scans of the report pages need the visibility map.
            cursor.execute("VACUUM ANALYZE imports_importrow")
        counts = {"new": 0, "error": 0, "skipped": 0}
        for n in range(1, IMPORT_REPORT_ROWS + 1):
            outcome = "error" if n % 10 == 0 else "skipped" if n % 20 == 5 else "new"
            counts[outcome] += 1
        ImportJob.objects.filter(pk=job.pk).update(counts=counts)
    return job.pk


def retention_review(log) -> int:
    """A retention review as large as the chain makes it: every customer
    without contact since tomorrow (``years=0``; the loaded customers have no
    history before the load, which may be today), made once and timed; its
    id."""
    import datetime
    import time

    from django.utils import timezone

    from customers import services
    from customers.models import RetentionReview

    review = RetentionReview.objects.filter(years=0, customer_count__gt=0).first()
    if review is None:
        started = time.perf_counter()
        tomorrow = timezone.localdate() + datetime.timedelta(days=1)
        review = services.retention_review_make(years=0, today=tomorrow)
        log(
            f"retention review: {review.customer_count} customers listed in "
            f"{time.perf_counter() - started:.1f} s"
        )
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE customers_retentioncandidate")
    return review.pk


def sign_in() -> dict:
    """A session of an optician (see OPTICIAN) and a fresh API key; earlier
    benchmark keys are revoked."""
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Permission
    from django.test import Client
    from django.utils.crypto import get_random_string

    from api import services as api_services
    from api.models import ApiKey
    from opticrm.lib import roles

    user, _ = get_user_model().objects.update_or_create(
        username=OPTICIAN,
        defaults={
            "is_staff": True,
            "is_superuser": False,
            "first_name": "Bench",
            "last_name": "Optiker",
        },
    )
    user.groups.set([roles.staff_group(), roles.optician_group()])
    # The import pages, the retention review (issue 27) and the reports
    # (issue 30) are the owner's; the optician is given them.
    user.user_permissions.set(
        Permission.objects.filter(codename__in=["add_importjob", "purge_customer", "view_reports"])
    )
    client = Client()
    client.force_login(user)
    for key in ApiKey.objects.filter(name="Benchmark", revoked_at=None):
        api_services.api_key_revoke(key_id=key.pk)
    _key, raw = api_services.api_key_create(name="Benchmark")
    cookie = settings.SESSION_COOKIE_NAME
    # The forms' CSRF secret, as the cookie of a browser that opened a page
    # holds it; sent back as the token with each form (drive._headers).
    csrf = get_random_string(32, string.ascii_letters + string.digits)
    return {
        "session_cookie": f"{cookie}={client.cookies[cookie].value}",
        "csrf_cookie": f"{settings.CSRF_COOKIE_NAME}={csrf}",
        "csrf_token": csrf,
        "api_key": raw,
        "_client": client,
    }


# The orders whose status the benchmark changes (workshop → ready, from
# version 1): made once, put back before each run.
STATUS_POOL_NOTE = "Benchmark: Statuswechsel"


def order_writes(size: int) -> dict:
    """Undo the orders' write scenarios of the last run, so that every run
    does the same work, and give the status change ``size`` orders to move
    on once each: the orders the optician created are removed (with their
    history), the pool's orders are back in the workshop at version 1
    (without history rows; made now where there are fewer than ``size``).
    Returns the pool's ids and the optician's id."""
    from django.contrib.auth import get_user_model
    from django.db import connection, transaction
    from django.utils import timezone

    optician = get_user_model().objects.get(username=OPTICIAN).pk
    now = timezone.now()
    with connection.cursor() as cursor, transaction.atomic():
        cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute("SELECT id FROM orders_order WHERE staff_id = %s", [optician])
        created = [row[0] for row in cursor.fetchall()]
        cursor.execute("DELETE FROM orders_orderlineevent WHERE order_id = ANY(%s)", [created])
        cursor.execute("DELETE FROM orders_orderline WHERE order_id = ANY(%s)", [created])
        cursor.execute("DELETE FROM orders_order WHERE id = ANY(%s)", [created])
        cursor.execute(
            "SELECT id FROM orders_order WHERE notes = %s ORDER BY id", [STATUS_POOL_NOTE]
        )
        pool = [row[0] for row in cursor.fetchall()]
        if len(pool) < size:
            cursor.execute(
                """
                INSERT INTO orders_order (
                    created_at, updated_at, kind, status, promised_date, prescription,
                    own_frame, deposit, notes, status_reason, status_changed_at, version,
                    customer_id, insurance_number, item, lab_pays_remake,
                    plausibility_reason, work
                )
                SELECT %(now)s - interval '5 days', %(now)s, 'glasses', 'workshop',
                    %(today)s + 2, '{}', '', 0, %(note)s, '', %(now)s, 1, c.id,
                    '', '', false, '', ''
                FROM customers_customer c WHERE c.deleted_at IS NULL
                ORDER BY c.id OFFSET 1 LIMIT %(missing)s
                RETURNING id
                """,
                {
                    "now": now, "today": timezone.localdate(now), "note": STATUS_POOL_NOTE,
                    "missing": size - len(pool),
                },
            )  # fmt: skip
            pool = sorted(pool + [row[0] for row in cursor.fetchall()])
        cursor.execute("DELETE FROM orders_orderevent WHERE pgh_obj_id = ANY(%s)", [pool])
        cursor.execute(
            """
            UPDATE orders_order SET status = 'workshop', version = 1,
                status_changed_at = %s, updated_at = %s
            WHERE id = ANY(%s) AND (status <> 'workshop' OR version <> 1)
            """,
            [now, now, pool],
        )
        cursor.execute("SET LOCAL session_replication_role = origin")
    return {"order_status_pool": pool[:size], "optician_id": optician}


def invoice_writes(size: int) -> dict:
    """Undo the last run's issues, so that every run does the same work,
    and give the issue scenario ``size`` drafts (a counter sale of a care
    product each) to issue once each: the optician's invoices are removed
    (their positions, payments, PDFs and queued drawings), each year's counter set back to
    its last number, and the drafts made again. Returns the drafts' ids."""
    from django.contrib.auth import get_user_model
    from django.db import connection, transaction
    from django.utils import timezone

    optician = get_user_model().objects.get(username=OPTICIAN).pk
    now = timezone.now()
    with connection.cursor() as cursor, transaction.atomic():
        # The benchmark's own database: past the guards of issued invoices.
        cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute("SELECT id FROM invoices_invoice WHERE created_by_id = %s", [optician])
        made = [row[0] for row in cursor.fetchall()]
        # Their share of the days' sums (invoices migration 0012), taken off
        # by the function that added it, before they go.
        cursor.execute("SELECT invoices_day_add(x, x, -1) FROM unnest(%s::bigint[]) AS x", [made])
        for table in (
            "invoices_unsettled",
            "invoices_invoicedocument",
            "invoices_payment",
            "invoices_invoiceline",
        ):
            cursor.execute(f"DELETE FROM {table} WHERE invoice_id = ANY(%s)", [made])
        cursor.execute("DELETE FROM invoices_invoice WHERE id = ANY(%s)", [made])
        # Their PDFs the run queued (no worker draws them here).
        cursor.execute(
            "DELETE FROM django_tasks_database_dbtaskresult WHERE task_path = %s",
            ["invoices.tasks.draw_invoice_document"],
        )
        cursor.execute(
            """
            UPDATE invoices_invoicecounter c SET last = coalesce(
                (SELECT max(sequence) FROM invoices_invoice i WHERE i.year = c.year), 0)
            """
        )
        cursor.execute(
            """
            WITH drafts AS (
                INSERT INTO invoices_invoice (
                    created_at, updated_at, kind, status, reason, customer_name,
                    customer_address, shop_name, shop_address, shop_tax_number, shop_vat_id,
                    insurer_share, created_by_id, version
                )
                SELECT %(now)s, %(now)s, 'invoice', 'draft', '', '', '', '', '', '', '', 0,
                    %(optician)s, 1
                FROM generate_series(1, %(size)s)
                RETURNING id
            )
            -- A free position (a service): no stock to run out of in the run.
            INSERT INTO invoices_invoiceline (
                invoice_id, position, product_id, description, quantity, unit_price,
                discount_percent, discount_amount, discount_reason, vat_rate
            )
            SELECT d.id, 1, NULL, 'Brillenreinigung und Justierung', 1, 12.95,
                NULL, NULL, '', 19
            FROM drafts d
            RETURNING invoice_id
            """,
            {"now": now, "optician": optician, "size": size},
        )
        pool = sorted(row[0] for row in cursor.fetchall())
        cursor.execute("SET LOCAL session_replication_role = origin")
    return {"invoice_issue_pool": pool}


def list_page_sql(client, path: str) -> list[str]:
    """The SQL behind one view of ``path``, as the server sends it."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        response = client.get(path, HTTP_HOST="127.0.0.1")
    if response.status_code != 200:
        raise RuntimeError(f"{path} answered {response.status_code}")
    return [query["sql"] for query in captured.captured_queries]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--customers", type=int, required=True)
    parser.add_argument("--appointments", type=int, required=True)
    parser.add_argument("--products", type=int, required=True)
    parser.add_argument("--seed", type=int, default=8)
    parser.add_argument("--reload", action="store_true")
    # Requests a write scenario sends in the run (run.writes_per_run).
    parser.add_argument("--writes", type=int, default=500)
    args = parser.parse_args(argv)

    import django

    django.setup()
    from django.core.management import call_command

    from opticrm.bench.data import Sizes
    from opticrm.bench.scenarios import scenarios

    def log(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    call_command("migrate", "--no-input", verbosity=0)
    sizes = Sizes(customers=args.customers, appointments=args.appointments, products=args.products)
    try:
        marker = ensure_data(sizes, seed=args.seed, reload=args.reload, log=log)
    except NotABenchmarkDatabase as error:
        log(str(error))
        return 2
    vacuum()
    # The customer report reads the snapshot the worker counts every few
    # minutes; a benchmark runs no worker (a second at a chain's scale).
    from reports.services import customer_figures_refresh

    customer_figures_refresh()
    signed_in = sign_in()
    marker["import_report_id"] = import_report()
    marker["retention_review_id"] = retention_review(log)
    marker.update(order_writes(args.writes))
    marker.update(invoice_writes(args.writes))
    client = signed_in.pop("_client")
    plan = scenarios(marker)
    list_path = next(s["paths"][0] for s in plan if s["name"] == "customer list")
    print(
        json.dumps(
            {
                **signed_in,
                "marker": marker,
                "scenarios": plan,
                "list_sql": list_page_sql(client, list_path),
            }
        ),
        flush=True,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
