"""What the benchmark measures: every page and API call the issue names, as
requests that any HTTP client can send. Built where Django is set up (the
URLs are reversed, the ids come from the benchmark database)."""

import json

from django.db.models import Count
from django.urls import NoReverseMatch, reverse
from django.utils.http import urlencode

SESSION, API = "session", "api"
# How many different customers the API detail and update calls spread over.
API_CUSTOMERS = 64
# A scenario's own targets, p95 ms by clients, replace the common ones
# (report.target_ms): a client count not named has none.
# The API's detail calls: tighter at 1 client (issue 25).
DETAIL = {1: 5.0, 16: 200.0}
# Issue 30: "every report for a year answers p95 under 500 ms and the start
# page under 50 ms at 1 client".
REPORT = {1: 500.0}
START_PAGE = {1: 50.0}
# Issue 31: a customer's 50 documents under 50 ms.
DOCUMENTS = {1: 50.0, 16: 200.0}


def _page(name: str, path: str, params: dict | None = None, *, group: str = "page") -> dict:
    query = f"?{urlencode(params)}" if params else ""
    return {"name": name, "group": group, "method": "GET", "paths": [path + query], "auth": SESSION}


def scenarios(marker: dict) -> list[dict]:
    from customers.models import SORT_KEYS
    from products.models import Category, Product

    customers = reverse("customers:list")
    insurer = _busiest_insurer()
    plan = [
        # The start page "Heute" (issue 30): every tile an optician sees;
        # the issue's target is for one client, as for the reports.
        {**_page("start page", reverse("home")), "targets": START_PAGE},
        _page("customer list", customers),
        _page("customer list, page 2000", customers, {"page": 2000}),
        *(
            _page(
                f"customer list, sort {direction}{column}", customers, {"sort": direction + column}
            )
            for column in SORT_KEYS
            for direction in ("", "-")
        ),
        _page("customer list, status inactive", customers, {"status": "inactive"}),
        _page("customer list, insurer", customers, {"insurance": insurer}),
        _page("customer list, refraction due", customers, {"recall": "on"}),
        # Registered by messaging (customers.list_filters): known to be slow.
        _page("customer list, without consent", customers, {"without_consent": "on"}),
        _page("customer search Müller", customers, {"q": "Müller"}),
        _page("customer search Mueller", customers, {"q": "Mueller"}),
        _page("customer search Schmidt", customers, {"q": "Schmidt"}),
        # By town (its words, as names) and postcode (its digits, as phones): issue 23.
        _page("customer search town Hamburg", customers, {"q": "Hamburg"}),
        _page("customer search postcode 10115", customers, {"q": "10115"}),
        _page("customer detail", reverse("customers:detail", args=[marker["detail_customer_id"]])),
        _page(
            "day calendar, 8 staff", reverse("appointments:day"), {"date": marker["busiest_day"]}
        ),
        # The appointment modal's next free slots, any of the 8, from the busiest day (issue 23).
        _page(
            "free slots, 8 staff",
            reverse("appointments:free_slots"),
            {"type": _eye_test_type(), "date": marker["busiest_day"] or ""},
        ),
        _page("product list", reverse("products:list")),
        _page(
            "product list, frames in stock",
            reverse("products:list"),
            {"category": Category.FRAME, "active": "active", "sort": "sale_price"},
        ),
        _page("product list, search", reverse("products:list"), {"q": _common_brand(Product)}),
        _page("reorder list", reverse("products:reorder")),
        _page("admin customer list", reverse("admin:customers_customer_changelist"), group="admin"),
        *_recall(),
        *_imports(marker),
        *_retention(marker),
        _page("failed messages", reverse("messaging:failed")),
        _page("failed messages, page 50", reverse("messaging:failed"), {"page": 50}),
        *_orders(marker),
        *_invoices(marker),
        *_documents(marker),
    ]
    plan += _api(marker)
    return plan


def _post(name: str, paths: list[str], bodies: list[dict], **extra) -> dict:
    """A form sent from a page (session and CSRF token); a valid one
    answers with a redirect."""
    return {
        "name": name,
        "group": "page",
        "method": "POST",
        "paths": paths,
        "bodies": [urlencode(body) for body in bodies],
        "auth": SESSION,
        "expect": 302,
        **extra,
    }


def _invoices(marker: dict) -> list[dict]:
    """Invoices (issue 29) at five million: the list newest first, its open
    ones, a search by number and by name, a customer's invoices (the
    customer page's link), the invoice page, and issuing a counter sale
    (number, PDF drawn and kept; each draft once: prepare.invoice_writes)."""
    from invoices.models import Invoice, Kind, Status

    try:
        invoices = reverse("invoices:list")
    except NoReverseMatch:
        return []
    newest = list(
        Invoice.objects.filter(status=Status.ISSUED, kind=Kind.INVOICE, customer__isnull=False)
        .order_by("-created_at", "-id")
        .values_list("pk", "number", "customer_id")[:API_CUSTOMERS]
    )
    if not newest:
        return []
    number = newest[0][1]
    # The day report of the chain's last day of invoices (2,700 of them),
    # not of today, which the load may not reach.
    last_day = Invoice.objects.filter(pk=newest[0][0]).values_list("issued_on", flat=True).get()
    plan = [
        _page("invoice list", invoices),
        _page("invoice list, open", invoices, {"state": "open"}),
        _page("invoice list, search number", invoices, {"q": number[-9:]}),
        _page("invoice list, search Müller", invoices, {"q": "Müller"}),
        {
            **_page("invoice list, a customer's", invoices, {"customer": newest[0][2]}),
            "paths": [f"{invoices}?customer={customer}" for _pk, _n, customer in newest],
        },
        {
            **_page("invoice page", reverse("invoices:detail", args=[newest[0][0]])),
            "paths": [reverse("invoices:detail", args=[pk]) for pk, _n, _c in newest],
        },
    ]
    plan += [
        _page("open items", reverse("invoices:open_items")),
        _page("open items, overdue", reverse("invoices:open_items"), {"overdue": "on"}),
        _page("day report", reverse("invoices:day_report"), {"day": last_day.strftime("%d.%m.%Y")}),
        # The revenue report of the chain's year up to its last day, with the
        # year before (reports_revenueday, filled at the load's end).
        _page(
            "revenue report, year",
            reverse("reports:revenue"),
            {
                "period": "custom",
                "since": last_day.replace(month=1, day=1).strftime("%d.%m.%Y"),
                "until": last_day.strftime("%d.%m.%Y"),
                "group": "month",
            },
        )
        | {"targets": REPORT},
        # The customer report of the same year: new customers and the
        # customers now from the snapshot (reports_customerfigure, counted
        # before the run), the recalls sent from the messages.
        _page(
            "customer report, year",
            reverse("reports:customers"),
            {
                "period": "custom",
                "since": last_day.replace(month=1, day=1).strftime("%d.%m.%Y"),
                "until": last_day.strftime("%d.%m.%Y"),
                "group": "month",
            },
        )
        | {"targets": REPORT},
        # The appointments report of the same year (reports_appointmentday,
        # filled at the load's end; the utilisation reads the opening hours).
        _page(
            "appointments report, year",
            reverse("reports:appointments"),
            {
                "period": "custom",
                "since": last_day.replace(month=1, day=1).strftime("%d.%m.%Y"),
                "until": last_day.strftime("%d.%m.%Y"),
                "group": "month",
            },
        )
        | {"targets": REPORT},
        # The stock report: the stock value and slow movers of every
        # product, the ABC analysis of the year's sales (reports_productsale
        # month and day, filled at the load's end), the reorder list.
        _page(
            "stock report, year",
            reverse("reports:stock"),
            {
                "period": "custom",
                "since": last_day.replace(month=1, day=1).strftime("%d.%m.%Y"),
                "until": last_day.strftime("%d.%m.%Y"),
                "months": "6",
            },
        )
        | {"targets": REPORT},
    ]
    pool = marker.get("invoice_issue_pool") or []
    if pool:
        plan.append(
            _post(
                "invoice issue",
                [reverse("invoices:issue", args=[pk]) for pk in pool],
                [{"version": 1}] * len(pool),
                once=True,
                verify=(
                    "SELECT count(*) FROM invoices_invoice WHERE status = 'issued' "
                    f"AND id IN ({', '.join(str(int(pk)) for pk in pool)})"
                ),
            )
        )
    return plan


def _open_orders_of_three_positions() -> list[int]:
    """Open glasses orders with three positions (a frame and a lens per
    eye), as the shop opens them all day: the order page and the API's
    detail spread over API_CUSTOMERS of them."""
    from orders.models import OPEN_STATUSES, Kind, Order

    return list(
        Order.objects.filter(status__in=OPEN_STATUSES, kind=Kind.GLASSES)
        .annotate(n=Count("lines"))
        .filter(n=3)
        .order_by("id")
        .values_list("pk", flat=True)[:API_CUSTOMERS]
    )


def _orders(marker: dict) -> list[dict]:
    """Orders (issue 28): the board of the chain's open orders (everything,
    and one staff member's), the order page, creating an order from the
    customer page and the board's status button."""
    from customers.models import Customer

    try:
        board = reverse("orders:board")
    except NoReverseMatch:
        return []
    plan = [_page("order board", board)]
    staff = (marker.get("calendar_staff_ids") or [None])[0]
    if staff:
        plan.append(_page("order board, staff", board, {"staff": staff}))
    orders = _open_orders_of_three_positions()
    if orders:
        plan.append(
            {
                **_page("order page", reverse("orders:detail", args=[orders[0]])),
                "paths": [reverse("orders:detail", args=[pk]) for pk in orders],
            }
        )
        # The order's frame picker searching the chain's frames as one types
        # a brand (the documents' picker asks the same: frame_search).
        plan.append(
            {
                **_page(
                    "frame search, Rodenstock",
                    reverse("orders:frame", args=[orders[0]]),
                    {"q": "Rodenstock"},
                ),
                "headers": {"HX-Request": "true"},
            }
        )
    optician = marker.get("optician_id")
    if optician:
        # "Neuer Auftrag" on the pages of API_CUSTOMERS customers: glasses
        # for the newest refraction; each request makes an order (counted).
        customers = list(
            Customer.objects.alive()
            .exclude(pk=marker.get("detail_customer_id"))
            .order_by("id")
            .values_list("pk", flat=True)[:API_CUSTOMERS]
        )
        plan.append(
            _post(
                "order create",
                [reverse("orders:create", args=[pk]) for pk in customers],
                [{"kind": "glasses", "refraction": ""}] * len(customers),
                verify=f"SELECT count(*) FROM orders_order WHERE staff_id = {int(optician)}",
            )
        )
    pool = marker.get("order_status_pool") or []
    if pool:
        # The board's button "→ Abholbereit", from the version the board
        # showed: each order once (prepare.order_writes puts them back).
        plan.append(
            _post(
                "order status change",
                [reverse("orders:status", args=[pk]) for pk in pool],
                [{"status": "ready", "version": 1}] * len(pool),
                once=True,
                verify=(
                    "SELECT count(*) FROM orders_order WHERE id BETWEEN "
                    f"{int(min(pool))} AND {int(max(pool))} AND status = 'ready' "
                    f"AND id IN ({', '.join(str(int(pk)) for pk in pool)})"
                ),
            )
        )
    return plan


def _documents(marker: dict) -> list[dict]:
    """Issue 31: a customer page with 50 documents in constant queries and
    under 50 ms: its documents section (the part that grows with them,
    loaded by htmx from its own URL), of the customers the loader gave 50."""
    customers = marker.get("documents_customer_ids") or []
    if not customers:
        return []
    return [
        {
            "name": "customer documents, 50",
            "group": "page",
            "method": "GET",
            "paths": [reverse("documents:customer", args=[pk]) for pk in customers],
            "auth": SESSION,
            # As the customer page asks for it: the section alone.
            "headers": {"HX-Request": "true"},
            "targets": DOCUMENTS,
        }
    ]


def _imports(marker: dict) -> list[dict]:
    """The import page and a finished import's report of 100,000 rows."""
    if not marker.get("import_report_id"):
        return []
    job = reverse("imports:job", args=[marker["import_report_id"]])
    return [
        _page("import list", reverse("imports:list")),
        _page("import report", job),
        _page("import report, page 1000", job, {"page": 1000}),
        _page("import report, errors, page 100", job, {"outcome": "error", "page": 100}),
    ]


def _retention(marker: dict) -> list[dict]:
    """The retention review's list, as long as the chain (every customer)."""
    if not marker.get("retention_review_id"):
        return []
    url = reverse("customers:retention")
    return [
        _page("retention list", url),
        _page("retention list, page 1000", url, {"page": 1000}),
    ]


def _recall() -> list[dict]:
    """The recall list (messaging), by default and by each of its filters;
    none while the list has no URL yet."""
    from django.utils import timezone

    from messaging.recall import AgeGroup, Reach, Rule, months_offered
    from messaging.recall_forms import MONTH_FORMAT

    try:
        recall = reverse("recall:list")
    except NoReverseMatch:
        return []
    next_month = months_offered(timezone.localdate())[1].strftime(MONTH_FORMAT)
    return [
        _page("recall list", recall),
        _page("recall list, contact lens check", recall, {"rule": Rule.FITTING}),
        _page("recall list, contact lens reorder", recall, {"rule": Rule.REORDER}),
        _page("recall list, next month", recall, {"month": next_month}),
        *(
            _page(f"recall list, reach {reach}", recall, {"reach": reach})
            for reach in (Reach.EMAIL, Reach.SMS, Reach.LETTER, Reach.NONE)
        ),
        *(
            _page(f"recall list, {group}", recall, {"age_group": group})
            for group in (AgeGroup.CHILDREN, AgeGroup.SENIORS)
        ),
        _page(
            "recall list, next month, children by SMS",
            recall,
            {"month": next_month, "reach": Reach.SMS, "age_group": AgeGroup.CHILDREN},
        ),
    ]


def _eye_test_type() -> int | None:
    """The first appointment type offered (the eye test in the seeded data)."""
    from appointments.models import AppointmentType

    return (
        AppointmentType.objects.filter(active=True)
        .order_by("position", "name")
        .values_list("pk", flat=True)
        .first()
    )


def _common_brand(product_model) -> str:
    return (
        product_model.objects.values("brand")
        .annotate(n=Count("id"))
        .order_by("-n")
        .values_list("brand", flat=True)
        .first()
        or "Ray"
    )


def _api(marker: dict) -> list[dict]:
    from customers.models import Customer

    base = "/api/v1/customers"
    ids = list(
        Customer.objects.alive()
        .exclude(pk=marker["detail_customer_id"])
        .order_by("id")
        .values_list("pk", flat=True)[:API_CUSTOMERS]
    )
    new_customer = {
        "first_name": "Lena",
        "last_name": "Benchmark",
        "email": "",
        "phone": "+49 30 1234567",
        "date_of_birth": "1980-05-17",
        "status": "prospect",
        # The same person many times over: confirmed, as an integration
        # does after its user said "a different person" (otherwise 409).
        "confirm_duplicates": True,
    }

    def call(name, method, paths, body=None, expect=200, targets=None):
        return {
            "targets": targets or {},
            "name": name,
            "group": "api",
            "method": method,
            "paths": paths,
            "auth": API,
            "body": json.dumps(body) if body is not None else None,
            "expect": expect,
        }

    from api.customers import ORDERINGS
    from appointments.models import Appointment
    from customers.models import InsuranceProvider
    from products.models import Product

    insurer = (
        InsuranceProvider.objects.filter(pk=_busiest_insurer())
        .values_list("name", flat=True)
        .first()
    )
    day = marker["busiest_day"]
    staff = (marker.get("calendar_staff_ids") or [None])[0]
    appointments, products = "/api/v1/appointments", "/api/v1/products"
    appointment_ids = list(
        Appointment.objects.order_by("-start").values_list("pk", flat=True)[:API_CUSTOMERS]
    )
    product_ids = list(Product.objects.order_by("id").values_list("pk", flat=True)[:API_CUSTOMERS])

    def listing(name, path, params):
        given = {key: value for key, value in params.items() if value is not None}
        return call(name, "GET", [f"{path}?{urlencode(given)}"])

    return [
        call("API customer list", "GET", [f"{base}?page_size=50"]),
        # Every request the web list has a scenario for, through the API (issue 25).
        listing("API customer list, page 2000", base, {"page": 2000}),
        *(
            listing(
                f"API customer list, ordering {direction}{field}",
                base,
                {"ordering": direction + field},
            )
            for field in ORDERINGS
            for direction in ("", "-")
        ),
        listing("API customer list, status inactive", base, {"status": "inactive"}),
        listing("API customer list, insurer", base, {"insurance_provider": insurer}),
        listing("API customer search Müller", base, {"search": "Müller"}),
        listing("API customer search Mueller", base, {"search": "Mueller"}),
        listing("API customer search Schmidt", base, {"search": "Schmidt"}),
        # One record by id: p95 under 5 ms for one client (issue 25).
        call("API customer detail", "GET", [f"{base}/{pk}" for pk in ids], targets=DETAIL),
        call("API customer create", "POST", [base], new_customer, expect=201),
        call(
            "API customer update",
            "PUT",
            [f"{base}/{pk}" for pk in ids],
            {"notes": "Benchmark: Kontrolle in 6 Monaten"},
        ),
        listing("API appointment list", appointments, {}),
        listing("API appointment list, page 2000", appointments, {"page": 2000}),
        listing("API appointment list, one day", appointments, {"date_from": day, "date_to": day}),
        listing(
            "API appointment list, staff from a day",
            appointments,
            {"staff": staff, "date_from": day},
        ),
        listing("API appointment list, status", appointments, {"status": "cancelled"}),
        call(
            "API appointment detail",
            "GET",
            [f"{appointments}/{pk}" for pk in appointment_ids],
            targets=DETAIL,
        ),
        listing("API product list", products, {}),
        listing("API product list, page 200", products, {"page": 200}),
        listing("API product list, frames", products, {"category": "frame", "active": "true"}),
        listing("API product list, below minimum", products, {"below_minimum": "true"}),
        listing("API product search", products, {"search": _common_brand(Product)}),
        call(
            "API product detail",
            "GET",
            [f"{products}/{pk}" for pk in product_ids],
            targets=DETAIL,
        ),
        *_api_orders(listing, call),
        *_api_invoices(listing, call),
    ]


def _api_orders(listing, call) -> list[dict]:
    """/api/v1/orders (issue 28): the list newest first, the orders ready
    for pick-up, and one order with its positions and totals."""
    orders = "/api/v1/orders"
    ids = _open_orders_of_three_positions()
    plan = [
        listing("API order list", orders, {}),
        listing("API order list, status ready", orders, {"status": "ready"}),
    ]
    if ids:
        plan.append(
            # The standard targets, as issue 28 sets them for its endpoints:
            # DETAIL (5 ms) is issue 25's for one customer's, product's or
            # appointment's record; an order is read with its positions,
            # totals and insurer's share (three queries, not one).
            call("API order detail", "GET", [f"{orders}/{pk}" for pk in ids])
        )
    return plan


def _api_invoices(listing, call) -> list[dict]:
    """/api/v1/invoices (issue 29): the list newest first, the open ones,
    and one invoice with its positions, totals and payments."""
    from invoices.models import Invoice, Kind, Status

    invoices = "/api/v1/invoices"
    ids = list(
        Invoice.objects.filter(status=Status.ISSUED, kind=Kind.INVOICE)
        .order_by("-created_at", "-id")
        .values_list("pk", flat=True)[:API_CUSTOMERS]
    )
    plan = [
        listing("API invoice list", invoices, {}),
        listing("API invoice list, open", invoices, {"state": "open"}),
    ]
    if ids:
        plan.append(
            # The standard targets (issue 29), as for the order's detail.
            call("API invoice detail", "GET", [f"{invoices}/{pk}" for pk in ids])
        )
    return plan


def _busiest_insurer() -> int | None:
    """The insurer most customers have (the customer list's insurer filter)."""
    from customers.models import Customer

    return (
        Customer.objects.alive()
        .exclude(insurance_provider=None)
        .values("insurance_provider")
        .annotate(n=Count("id"))
        .order_by("-n")
        .values_list("insurance_provider", flat=True)
        .first()
    )
