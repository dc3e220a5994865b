"""What the benchmark measures: every page and API call the issue names, as
requests that any HTTP client can send. Built where Django is set up (the
URLs are reversed, the ids come from the benchmark database)."""

import json

from django.db.models import Count
from django.urls import reverse
from django.utils.http import urlencode

SESSION, API = "session", "api"
# How many different customers the API detail and update calls spread over.
API_CUSTOMERS = 64


def _page(name: str, path: str, params: dict | None = None, *, group: str = "page") -> dict:
    query = f"?{urlencode(params)}" if params else ""
    return {"name": name, "group": group, "method": "GET", "paths": [path + query], "auth": SESSION}


def scenarios(marker: dict) -> list[dict]:
    from customers.models import SORT_KEYS, Customer
    from products.models import Category, Product

    customers = reverse("customers:list")
    insurer = (
        Customer.objects.alive()
        .exclude(insurance_provider=None)
        .values("insurance_provider")
        .annotate(n=Count("id"))
        .order_by("-n")
        .values_list("insurance_provider", flat=True)
        .first()
    )
    plan = [
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
    ]
    plan += _api(marker)
    return plan


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

    def call(name, method, paths, body=None, expect=200):
        return {
            "name": name,
            "group": "api",
            "method": method,
            "paths": paths,
            "auth": API,
            "body": json.dumps(body) if body is not None else None,
            "expect": expect,
        }

    return [
        call("API customer list", "GET", [f"{base}?page_size=50"]),
        call("API customer detail", "GET", [f"{base}/{pk}" for pk in ids]),
        call("API customer create", "POST", [base], new_customer, expect=201),
        call(
            "API customer update",
            "PUT",
            [f"{base}/{pk}" for pk in ids],
            {"notes": "Benchmark: Kontrolle in 6 Monaten"},
        ),
    ]
