"""/api/v1/invoices through Django's test client, on real PostgreSQL: keys,
the list's filters, pages and query count, one invoice with its positions,
totals per VAT rate, payments and state, the PDF kept since the issue, and
payments booked and removed through the services' rules; invoices
themselves are not changed through the API."""

import datetime
import hashlib
import json
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from pghistory.models import Events

from api import services as api_services
from api.models import ApiKey
from customers.tests import factories as customer_factories
from invoices import selectors, services
from invoices.models import Invoice, InvoiceLine, Method, Payment
from invoices.tests.factories import (
    ADDRESS,
    BOOK,
    FRAME,
    draft,
    issued,
    kept_document,
    repair_order,
)
from opticrm.lib.pagination import forget_estimates

pytestmark = pytest.mark.django_db
URL = "/api/v1/invoices"
TODAY = timezone.localdate()


def bearer(secret: str) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}


@pytest.fixture
def auth() -> dict:
    """A plain key: reads and writes, no health data."""
    return bearer(api_services.api_key_create(name="Buchhaltung")[1])


@pytest.fixture
def read_auth() -> dict:
    return bearer(api_services.api_key_create(name="Steuerbüro", read_only=True)[1])


@pytest.fixture(autouse=True)
def still_clock(monkeypatch):
    """One rate-limit window for the whole test (see test_query_counts)."""
    monkeypatch.setattr("opticrm.lib.ratelimit.clock", lambda: 1_800_000_030.0)
    # And one verification of the key: on a busy machine two requests could
    # lie either side of its API_KEY_CACHE_SECONDS, one query more.
    monkeypatch.setattr("api.services.clock", lambda: 1_000.0)


@pytest.fixture(autouse=True)
def shop(settings):
    """What an invoice names of the shop (UStG § 14 (4)), as the invoice
    tests set it."""
    settings.SHOP_NAME = "Augenoptik Muster"
    settings.SHOP_ADDRESS = "Hauptstraße 1, 80331 München"
    settings.SHOP_TAX_NUMBER = "143/123/45678"
    settings.SHOP_VAT_ID = "DE123456789"
    settings.INVOICE_NUMBER_PREFIX = ""
    return settings


@pytest.fixture
def erika():
    return customer_factories.customer(
        first_name="Erika",
        last_name="Muster",
        street="Lindenweg 5",
        postcode="80331",
        town="München",
    )


def send(client, auth, method, url, body=None, **extra):
    if body is not None:
        extra.update(data=json.dumps(body), content_type="application/json")
    return getattr(client, method)(url, **extra, **auth)


def pay(invoice, amount, method=Method.EC, **kwargs) -> Payment:
    return services.payment_add(
        invoice_id=invoice.pk,
        method=method,
        amount=Decimal(amount),
        paid_on=kwargs.pop("paid_on", TODAY),
        **kwargs,
    )


def book(client, auth, invoice, body):
    return send(client, auth, "post", f"{URL}/{invoice.pk}/payments", body)


# --- Keys ----------------------------------------------------------------


def test_a_key_is_required_and_a_read_only_key_only_reads(client, auth, read_auth, erika):
    invoice = issued(erika)
    payment = pay(invoice, "10.00")
    one = f"{URL}/{invoice.pk}"
    reads = (URL, one, f"{one}/pdf")
    for url in reads:
        assert client.get(url).status_code == 401, url
        assert client.get(url, HTTP_AUTHORIZATION="Bearer ocrm_falsch").status_code == 401, url
        assert send(client, read_auth, "get", url).status_code == 200, url
    no_key = send(client, {}, "post", f"{one}/payments", {"method": "ec", "amount": "1.00"})
    assert no_key.status_code == 401 and no_key["WWW-Authenticate"] == "Bearer"
    assert client.delete(f"{one}/payments/{payment.pk}").status_code == 401
    writes = [
        ("post", f"{one}/payments", {"method": "ec", "amount": "1.00"}),
        ("delete", f"{one}/payments/{payment.pk}", None),
    ]
    for method, url, body in writes:
        refused = send(client, read_auth, method, url, body)
        assert refused.status_code == 403, (method, url, refused.content)
        assert refused.json() == {"detail": "Dieser API-Schlüssel darf nur lesen."}
    assert list(Payment.objects.values_list("pk", flat=True)) == [payment.pk]
    # A revoked key is no key.
    stored = ApiKey.objects.get(name="Steuerbüro")
    api_services.api_key_revoke(key_id=stored.pk)
    assert send(client, read_auth, "get", one).status_code == 401


def test_invoices_cannot_be_changed_through_the_api(client, auth, erika):
    invoice = issued(erika)
    payment = pay(invoice, "10.00")
    the_draft = draft(erika)
    for target in (invoice, the_draft):
        one = f"{URL}/{target.pk}"
        for method, body in (
            ("put", {"reason": "x"}),
            ("patch", {"reason": "x"}),
            ("delete", None),
        ):
            answer = send(client, auth, method, one, body)
            assert answer.status_code == 405, (method, target.status, answer.content)
            assert answer["Allow"] == "GET"
    assert send(client, auth, "post", URL, {"customer": erika.pk}).status_code == 405
    for method in ("put", "patch"):
        answer = send(client, auth, method, f"{URL}/{invoice.pk}/payments/{payment.pk}", {})
        assert answer.status_code == 405
    assert send(client, auth, "post", f"{URL}/{invoice.pk}/pdf", {}).status_code == 405
    stored = Invoice.objects.get(pk=invoice.pk)
    assert (stored.version, stored.status, stored.reason) == (invoice.version, "issued", "")
    assert Invoice.objects.get(pk=the_draft.pk).version == the_draft.version
    assert InvoiceLine.objects.filter(invoice=invoice).count() == 1
    assert Payment.objects.get().amount == Decimal("10.00")


# --- One invoice ---------------------------------------------------------------------


def test_one_invoice_with_positions_totals_per_rate_payments_and_state(
    client, auth, erika, staff, django_assert_num_queries
):
    discounted = {**FRAME, "discount_percent": Decimal("10"), "discount_reason": "Stammkunde"}
    invoice = issued(erika, lines=(discounted, BOOK), user=staff)
    first = pay(invoice, "100.00", paid_on=TODAY - datetime.timedelta(days=1))
    answer = send(client, auth, "get", f"{URL}/{invoice.pk}")
    assert answer.status_code == 200, answer.content
    data = answer.json()
    assert (data["id"], data["number"], data["kind"], data["status"], data["state"]) == (
        invoice.pk, invoice.number, "invoice", "issued", "partly_paid",
    )  # fmt: skip
    assert (data["customer"], data["customer_name"], data["order"]) == (
        erika.pk,
        "Erika Muster",
        None,
    )
    assert data["customer_address"] == invoice.customer_address
    assert "Lindenweg 5" in data["customer_address"]
    assert (data["shop_name"], data["shop_tax_number"], data["shop_vat_id"]) == (
        "Augenoptik Muster", "143/123/45678", "DE123456789",
    )  # fmt: skip
    assert (data["issued_on"], data["delivered_on"]) == (TODAY.isoformat(), TODAY.isoformat())
    assert (data["cancels"], data["cancelled_by"], data["reason"]) == (None, None, "")
    assert data["pdf"] == f"{URL}/{invoice.pk}/pdf"
    assert (data["small_amount"], data["lacks_address"]) == (False, False)
    # 289,00 less 10 % = 260,10 at 19 %; 2 × 9,99 = 19,98 at 7 %.
    assert [
        (line["position"], line["description"], line["quantity"], line["discount"], line["total"])
        for line in data["lines"]
    ] == [
        (1, "Fassung Lindberg", 1, "28.90", "260.10"),
        (2, "Fachbuch", 2, "0.00", "19.98"),
    ]
    assert (data["lines"][0]["discount_percent"], data["lines"][0]["discount_reason"]) == (
        "10.00", "Stammkunde",
    )  # fmt: skip
    # The totals are the selectors' (the VAT once per rate).
    expected = selectors.invoice_totals(invoice)
    assert data["totals"]["rates"] == [
        {"rate": rate.rate, "gross": str(rate.gross), "net": str(rate.net), "vat": str(rate.vat)}
        for rate in expected.rates
    ]
    assert [rate["rate"] for rate in data["totals"]["rates"]] == [19, 7]
    assert data["totals"]["rates"][0] == {
        "rate": 19, "gross": "260.10", "net": "218.57", "vat": "41.53",
    }  # fmt: skip
    assert {key: value for key, value in data["totals"].items() if key != "rates"} == {
        "net": str(expected.net),
        "vat": str(expected.vat),
        "gross": "280.08",
        "discount": "28.90",
        "insurer_share": "0.00",
        "customer_pays": "280.08",
        "paid": "100.00",
        "open": "180.08",
        "customer_open": "180.08",
    }
    assert (data["gross"], data["paid"]) == ("280.08", "100.00")
    assert data["payments"] == [
        {
            "id": first.pk,
            "method": "ec",
            "amount": "100.00",
            "paid_on": (TODAY - datetime.timedelta(days=1)).isoformat(),
            "receipt_number": "",
            "note": "",
            "created_by_name": None,
            "created_at": data["payments"][0]["created_at"],
        }
    ]
    assert data["created_at"].endswith(("+01:00", "+02:00"))
    # The ETag follows the answer: the same again, another after a payment.
    assert answer["ETag"].startswith('"')
    # The rate count, the invoice (with customer, order and cancellation),
    # its positions, its payments: however many there are.
    with django_assert_num_queries(4):
        assert send(client, auth, "get", f"{URL}/{invoice.pk}")["ETag"] == answer["ETag"]
    pay(invoice, "180.08")
    again = send(client, auth, "get", f"{URL}/{invoice.pk}")
    assert again.json()["state"] == "paid" and again["ETag"] != answer["ETag"]


def test_a_draft_a_cancellation_and_a_counter_sale(client, auth, erika):
    the_draft = draft(erika)
    data = send(client, auth, "get", f"{URL}/{the_draft.pk}").json()
    assert (data["number"], data["status"], data["state"], data["issued_on"]) == (
        None, "draft", "draft", None,
    )  # fmt: skip
    # A draft names the customer as they are now; the copy comes with the issue.
    assert (data["customer_name"], data["customer_address"], data["pdf"]) == (
        "Erika Muster", "", None,
    )  # fmt: skip
    assert (data["gross"], data["totals"]["gross"], data["paid"]) == ("289.00", "289.00", "0.00")

    original = issued(erika)
    pay(original, "50.00")
    cancellation = services.invoice_cancel(invoice_id=original.pk, reason="Rückgabe")
    cancelled = send(client, auth, "get", f"{URL}/{original.pk}").json()
    assert (cancelled["state"], cancelled["cancelled_by"]) == ("cancelled", cancellation.pk)
    assert [payment["amount"] for payment in cancelled["payments"]] == ["50.00"]  # they stay
    storno = send(client, auth, "get", f"{URL}/{cancellation.pk}").json()
    assert (storno["kind"], storno["state"], storno["cancels"], storno["reason"]) == (
        "cancellation", "cancelled", original.pk, "Rückgabe",
    )  # fmt: skip
    assert (storno["gross"], storno["lines"][0]["quantity"], storno["lines"][0]["total"]) == (
        "-289.00", -1, "-289.00",
    )  # fmt: skip
    assert storno["customer_name"] == "Erika Muster"

    counter = issued(None, lines=(BOOK,))
    sale = send(client, auth, "get", f"{URL}/{counter.pk}").json()
    assert (sale["customer"], sale["customer_name"], sale["small_amount"]) == (None, "", True)


def test_unknown_invoices_and_payments_are_404(client, auth, erika):
    invoice = issued(erika)
    other = issued(erika)
    foreign = pay(other, "1.00")
    missing = f"{URL}/999999"
    assert send(client, auth, "get", missing).status_code == 404
    assert send(client, auth, "get", f"{missing}/pdf").status_code == 404
    body = {"method": "ec", "amount": "1.00"}
    assert send(client, auth, "post", f"{missing}/payments", body).status_code == 404
    assert send(client, auth, "delete", f"{missing}/payments/{foreign.pk}").status_code == 404
    # A payment of another invoice is not this invoice's.
    answer = send(client, auth, "delete", f"{URL}/{invoice.pk}/payments/{foreign.pk}")
    assert answer.status_code == 404
    assert answer["Content-Type"].startswith("application/json")
    assert send(client, auth, "delete", f"{URL}/{invoice.pk}/payments/999999").status_code == 404
    assert send(client, auth, "get", f"{URL}/abc").status_code == 404
    assert Payment.objects.get().pk == foreign.pk


@pytest.mark.parametrize(
    "path",
    [
        "/99999999999999999999999999",
        "/99999999999999999999999999/pdf",
        "/{invoice}/payments/99999999999999999999999999",
    ],
)
def test_huge_ids_in_the_path_are_404(client, auth, erika, path):
    invoice = issued(erika)
    url = URL + path.format(invoice=invoice.pk)
    method = "delete" if "payments" in url else "get"
    assert send(client, auth, method, url).status_code == 404
    body = {"method": "ec", "amount": "1.00"}
    huge = send(client, auth, "post", f"{URL}/99999999999999999999999999/payments", body)
    assert huge.status_code == 404


# --- The PDF -------------------------------------------------------------------------


def test_the_pdf_is_the_kept_document_byte_for_byte(client, auth, erika, owner_client):
    invoice = issued(erika)
    kept = kept_document(invoice)
    answer = send(client, auth, "get", f"{URL}/{invoice.pk}/pdf")
    assert answer.status_code == 200
    assert answer.content == bytes(kept.pdf)
    assert answer.content.startswith(b"%PDF")
    assert hashlib.sha256(answer.content).hexdigest() == kept.sha256
    assert answer["Content-Type"] == "application/pdf"
    assert answer["Content-Disposition"] == f'attachment; filename="Rechnung-{invoice.number}.pdf"'
    assert answer["X-Content-Type-Options"] == "nosniff"
    assert answer["ETag"] == f'"{kept.sha256}"'
    # A payment after the issue changes nothing of the document sent.
    pay(invoice, "289.00")
    assert send(client, auth, "get", f"{URL}/{invoice.pk}/pdf").content == bytes(kept.pdf)
    # The same as the invoice page's download.
    page = owner_client.get(reverse("invoices:pdf", args=[invoice.pk]))
    assert (page.content, page["Content-Disposition"]) == (
        answer.content, answer["Content-Disposition"],
    )  # fmt: skip

    cancellation = services.invoice_cancel(invoice_id=invoice.pk, reason="Rückgabe")
    storno = send(client, auth, "get", f"{URL}/{cancellation.pk}/pdf")
    assert storno.content == bytes(kept_document(cancellation).pdf)
    assert storno["Content-Disposition"] == (
        f'attachment; filename="Stornorechnung-{cancellation.number}.pdf"'
    )


def test_a_draft_has_no_pdf(client, auth, erika):
    the_draft = draft(erika)
    answer = send(client, auth, "get", f"{URL}/{the_draft.pk}/pdf")
    assert answer.status_code == 404
    assert answer["Content-Type"].startswith("application/json")
    assert answer.json() == {
        "detail": _("This invoice is a draft; it has no PDF until it is issued.")
    }


# --- Payments ------------------------------------------------------------------------


def test_book_and_remove_payments(client, auth, erika):
    invoice = issued(erika)  # 289,00 €
    booked = book(client, auth, invoice, {"method": "ec", "amount": "89.00", "note": " Karte "})
    assert booked.status_code == 201, booked.content
    data = booked.json()
    payment = Payment.objects.get()
    assert (payment.amount, payment.paid_on, payment.note, payment.created_by) == (
        Decimal("89.00"), TODAY, "Karte", None,
    )  # fmt: skip
    assert (data["state"], data["paid"], data["totals"]["open"]) == (
        "partly_paid",
        "89.00",
        "200.00",
    )
    assert [(p["id"], p["method"], p["amount"]) for p in data["payments"]] == [
        (payment.pk, "ec", "89.00")
    ]
    assert booked["ETag"] == send(client, auth, "get", f"{URL}/{invoice.pk}")["ETag"]
    cash = book(
        client,
        auth,
        invoice,
        {
            "method": "cash",
            "amount": "200",
            "paid_on": (TODAY - datetime.timedelta(days=2)).isoformat(),
            "receipt_number": "K-4711",
        },
    )
    assert cash.status_code == 201, cash.content
    assert (cash.json()["state"], cash.json()["totals"]["customer_open"]) == ("paid", "0.00")
    assert [p["method"] for p in cash.json()["payments"]] == ["cash", "ec"]  # by date

    removed = send(client, auth, "delete", f"{URL}/{invoice.pk}/payments/{payment.pk}")
    assert removed.status_code == 200, removed.content
    assert (removed.json()["state"], removed.json()["paid"]) == ("partly_paid", "200.00")
    assert not Payment.objects.filter(pk=payment.pk).exists()
    # Both in the history, naming the key.
    events = Events.objects.references(payment).order_by("pgh_id")
    assert [event.pgh_label for event in events] == ["insert", "delete"]
    assert {event.pgh_context["api_key"] for event in events} == {"Buchhaltung"}
    again = send(client, auth, "delete", f"{URL}/{invoice.pk}/payments/{payment.pk}")
    assert again.status_code == 404


def test_an_overpayment_is_refused_with_the_open_amount(client, auth, erika):
    invoice = issued(erika)
    pay(invoice, "89.00")
    refused = book(client, auth, invoice, {"method": "transfer", "amount": "200.01"})
    assert refused.status_code == 422
    message = _("The payment is more than the amount open (%(open)s).") % {"open": "200,00\xa0€"}
    assert refused.json() == {"detail": [{"field": "amount", "message": message}]}
    assert Payment.objects.count() == 1
    exactly = book(client, auth, invoice, {"method": "transfer", "amount": "200.00"})
    assert exactly.status_code == 201 and exactly.json()["state"] == "paid"
    nothing_open = book(client, auth, invoice, {"method": "ec", "amount": "0.01"})
    assert nothing_open.status_code == 422
    assert nothing_open.json()["detail"][0]["field"] == "amount"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"method": "cash", "amount": "10.00"}, "receipt_number"),
        ({"method": "ec", "amount": "10.00", "paid_on": "2999-01-01"}, "paid_on"),
        ({"method": "ec", "amount": "0.00"}, "amount"),
        ({"method": "ec", "amount": "-5"}, "amount"),
        ({"method": "ec", "amount": "0.001"}, "amount"),
        ({"method": "ec", "amount": "1e30"}, "amount"),
        ({"method": "ec", "amount": "NaN"}, "amount"),
        ({"method": "ec", "amount": True}, "amount"),
        ({"method": "ec"}, "amount"),
        ({"method": "deposit", "amount": "10.00"}, "method"),
        ({"method": "bitcoin", "amount": "10.00"}, "method"),
        ({"amount": "10.00"}, "method"),
        ({"method": "ec", "amount": "10.00", "paid_on": "9999-12-31"}, "paid_on"),
        ({"method": "ec", "amount": "10.00", "paid_on": "gestern"}, "paid_on"),
        ({"method": "ec", "amount": "10.00", "note": "a\x00b"}, "note"),
        ({"method": "ec", "amount": "10.00", "note": "x" * 1000}, "note"),
        ({"method": "cash", "amount": "10.00", "receipt_number": "x" * 1000}, "receipt_number"),
    ],
)
def test_refused_payments_name_the_field_and_book_nothing(client, auth, erika, body, field):
    invoice = issued(erika)
    answer = book(client, auth, invoice, body)
    assert answer.status_code == 422, answer.content
    assert answer["Content-Type"].startswith("application/json")
    errors = answer.json()["detail"]
    assert {error["field"] for error in errors} == {field}, errors
    assert all(error["message"] for error in errors)
    assert not Payment.objects.exists()


def test_no_payments_on_a_draft_or_a_cancelled_invoice(client, auth, erika):
    the_draft = draft(erika)
    on_draft = book(client, auth, the_draft, {"method": "ec", "amount": "1.00"})
    assert on_draft.status_code == 422
    assert on_draft.json()["detail"] == [
        {"field": None, "message": _("Please issue the invoice before recording a payment.")}
    ]
    invoice = issued(erika)
    payment = pay(invoice, "50.00")
    cancellation = services.invoice_cancel(invoice_id=invoice.pk, reason="Rückgabe")
    message = _("Invoice %(number)s has been cancelled; its payments stay as they are.")
    for target, number in ((invoice, invoice.number), (cancellation, cancellation.number)):
        refused = book(client, auth, target, {"method": "ec", "amount": "1.00"})
        assert refused.status_code == 422
        assert refused.json()["detail"] == [
            {"field": None, "message": message % {"number": number}}
        ]
    removed = send(client, auth, "delete", f"{URL}/{invoice.pk}/payments/{payment.pk}")
    assert removed.status_code == 422
    assert removed.json()["detail"][0]["message"] == message % {"number": invoice.number}
    assert list(Payment.objects.values_list("pk", flat=True)) == [payment.pk]


def test_the_orders_deposit_stays_and_the_insurer_pays_its_share(client, auth, erika, staff):
    order = repair_order(erika, deposit=Decimal("100.00"))
    invoice = services.invoice_from_order(order_id=order.pk, user=staff)
    invoice = services.invoice_issue(invoice_id=invoice.pk, user=staff)
    data = send(client, auth, "get", f"{URL}/{invoice.pk}").json()
    (deposit,) = data["payments"]
    assert (data["order"], deposit["method"], deposit["amount"]) == (order.pk, "deposit", "100.00")
    assert deposit["created_by_name"] == "Anna Schmidt"
    refused = send(client, auth, "delete", f"{URL}/{invoice.pk}/payments/{deposit['id']}")
    assert refused.status_code == 422
    assert refused.json()["detail"][0]["message"] == _(
        "The deposit of the order cannot be removed from its invoice."
    )
    # No insurer's share on this invoice: the insurer has nothing open.
    insurer = book(client, auth, invoice, {"method": "insurer", "amount": "1.00"})
    assert insurer.status_code == 422 and insurer.json()["detail"][0]["field"] == "amount"
    assert Payment.objects.filter(invoice=invoice).count() == 1


# --- Health data ---------------------------------------------------------------------


def test_an_invoice_of_an_order_carries_no_refraction_values(client, auth, erika, optician):
    """The order's copy of the refraction is health data; its invoice holds
    the positions as the paper invoice does (descriptions, prices), not the
    values."""
    from orders import services as order_services
    from prescriptions.tests.factories import refraction

    refraction(erika, optician, right_sphere=Decimal("-4.75"), left_sphere=Decimal("-3.25"))
    order = order_services.order_create(customer_id=erika.pk, user=optician)
    lens = {"kind": "lens", "eye": "right", "description": "Einstärkenglas 1,6"}
    order_services.line_save(
        order_id=order.pk, data={**lens, "unit_price": Decimal("120.00")}, version=None
    )
    order.refresh_from_db()
    order_services.order_status_change(order_id=order.pk, status="ordered", version=order.version)
    invoice = services.invoice_from_order(order_id=order.pk, user=optician)
    services.invoice_issue(invoice_id=invoice.pk, user=optician)
    one = send(client, auth, "get", f"{URL}/{invoice.pk}")
    assert [line["description"] for line in one.json()["lines"]] == ["Einstärkenglas 1,6"]
    for answer in (one, send(client, auth, "get", URL)):
        text = answer.content.decode()
        assert not [value for value in ("4.75", "4,75", "3.25", "3,25") if value in text]


# --- The list ------------------------------------------------------------------------


def test_filters_and_pages(client, auth, erika):
    otto = customer_factories.customer(**ADDRESS, first_name="Otto", last_name="Brillmann")
    open_one = issued(erika)
    paid = issued(otto, lines=(BOOK,))
    pay(paid, "19.98")
    partly = issued(erika)
    pay(partly, "1.00")
    the_draft = draft(otto)
    cancelled = issued(otto)
    cancellation = services.invoice_cancel(invoice_id=cancelled.pk, reason="Irrtum")

    def ids(**query):
        answer = send(client, auth, "get", URL, None, data=query)
        assert answer.status_code == 200, answer.content
        return [item["id"] for item in answer.json()["items"]]

    everything = [cancellation.pk, cancelled.pk, the_draft.pk, partly.pk, paid.pk, open_one.pk]
    assert ids() == everything  # newest first
    assert ids(state="open") == [open_one.pk]
    assert ids(state="partly_paid") == [partly.pk]
    assert ids(state="paid") == [paid.pk]
    assert ids(state="draft") == [the_draft.pk]
    assert ids(state="cancelled") == [cancellation.pk, cancelled.pk]
    assert ids(customer=erika.pk) == [partly.pk, open_one.pk]
    assert ids(customer=otto.pk, state="cancelled") == [cancellation.pk, cancelled.pk]
    assert ids(customer=10**30) == ids(customer=999_999) == []
    issued_ones = [pk for pk in everything if pk != the_draft.pk]  # a draft has no date
    assert ids(year=TODAY.year) == issued_ones
    assert ids(year=TODAY.year - 1) == ids(year=TODAY.year + 1) == []
    yesterday, tomorrow = TODAY - datetime.timedelta(days=1), TODAY + datetime.timedelta(days=1)
    assert ids(date_from=TODAY.isoformat(), date_to=TODAY.isoformat()) == issued_ones
    assert ids(date_from=tomorrow.isoformat()) == ids(date_to=yesterday.isoformat()) == []
    assert ids(year=TODAY.year, date_from=tomorrow.isoformat()) == []
    assert ids(search=open_one.number) == [open_one.pk]
    assert ids(search=open_one.number[-3:]) == [open_one.pk]
    # A draft has no number or name as issued yet: the search finds it not.
    assert ids(search="brillmann") == [cancellation.pk, cancelled.pk, paid.pk]
    assert ids(search="Erika Muster", state="open") == [open_one.pk]
    page = send(client, auth, "get", URL, None, data={"page_size": 2, "page": 2}).json()
    assert (page["total"], page["page"], page["page_size"], page["total_is_estimate"]) == (
        6, 2, 2, False,
    )  # fmt: skip
    assert [item["id"] for item in page["items"]] == [the_draft.pk, partly.pk]
    # The open ones are counted from the database's list of unsettled
    # invoices (27 ms for a chain's list counted through the invoices).
    with CaptureQueriesContext(connection) as captured:
        opened = send(client, auth, "get", URL, None, data={"state": "open"}).json()
    assert (opened["total"], opened["total_is_estimate"]) == (1, False)
    counts = [q["sql"] for q in captured if "COUNT(" in q["sql"]]
    assert len(counts) == 1 and 'FROM "invoices_unsettled"' in counts[0], counts
    assert '"invoices_invoice"' not in counts[0]
    beyond = send(client, auth, "get", URL, None, data={"page": 9}).json()
    assert (beyond["items"], beyond["total"]) == ([], 6)
    items = {item["id"]: item for item in send(client, auth, "get", URL).json()["items"]}
    assert {pk: item["state"] for pk, item in items.items()} == {
        cancellation.pk: "cancelled", cancelled.pk: "cancelled", the_draft.pk: "draft",
        partly.pk: "partly_paid", paid.pk: "paid", open_one.pk: "open",
    }  # fmt: skip
    assert (items[partly.pk]["gross"], items[partly.pk]["paid"]) == ("289.00", "1.00")
    assert (items[the_draft.pk]["gross"], items[the_draft.pk]["number"]) == ("289.00", None)
    assert (items[cancellation.pk]["gross"], items[cancellation.pk]["cancels"]) == (
        "-289.00", cancelled.pk,
    )  # fmt: skip
    assert items[cancelled.pk]["cancelled_by"] == cancellation.pk
    assert items[the_draft.pk]["customer_name"] == "Otto Brillmann"
    assert "lines" not in items[open_one.pk] and "payments" not in items[open_one.pk]
    for bad in (
        {"state": "bezahlt"},
        {"year": 10_000},
        {"year": "dieses"},
        {"date_from": "gestern"},
        {"date_to": "9999-12-31"},
        {"customer": "Erika"},
        {"search": "x" * 81},
        {"page_size": 101},
        {"page": 0},
    ):
        assert send(client, auth, "get", URL, None, data=bad).status_code == 422, bad


FEW, MANY = 2, 20


def make_invoices(number: int, *, start: int) -> None:
    """``number`` invoices of each kind a row shows differently, each with
    its own customer: issued with a payment, a draft with positions, and
    one cancelled by its cancellation invoice."""
    for index in range(start, start + number):
        customer = customer_factories.customer(**ADDRESS, last_name=f"Rechnung{index}")
        pay(issued(customer, lines=(FRAME, BOOK)), "10.00")
        draft(customer, lines=(FRAME, BOOK))
        cancelled = issued(customer, lines=(BOOK,))
        services.invoice_cancel(invoice_id=cancelled.pk, reason="Irrtum")


def test_list_queries_do_not_grow_with_invoices(client, auth, django_assert_num_queries):
    # The rate count; the count (unfiltered: the planner's estimate and a
    # capped count; filtered: exactly); the page's ids; their rows with
    # customer, cancellation and the sum paid; the drafts' positions. The
    # key is verified once per few seconds.
    queries = [({}, 4, 6), ({"state": "partly_paid"}, 1, 5), ({"search": "Rechnung"}, 3, 5)]
    for start, number in ((0, FEW), (FEW, MANY - FEW)):
        make_invoices(number, start=start)
        customers = start + number
        for query, per_customer, expected in queries:
            query = {**query, "page_size": 100}
            # A request before: the key's use noted, the rate window opened.
            assert send(client, auth, "get", URL, None, data=query).status_code == 200
            forget_estimates()
            with django_assert_num_queries(expected):
                answer = send(client, auth, "get", URL, None, data=query)
            assert answer.status_code == 200, answer.content
            items = answer.json()["items"]
            assert len(items) == per_customer * customers, query
            assert len({item["customer_name"] for item in items}) == customers, query


# --- OpenAPI -------------------------------------------------------------------------


def test_openapi_describes_the_invoices(client):
    schema = client.get("/api/v1/openapi.json").json()
    paths = schema["paths"]
    assert {
        "/api/v1/invoices",
        "/api/v1/invoices/{invoice_id}",
        "/api/v1/invoices/{invoice_id}/pdf",
        "/api/v1/invoices/{invoice_id}/payments",
        "/api/v1/invoices/{invoice_id}/payments/{payment_id}",
    } <= set(paths)
    assert set(paths["/api/v1/invoices"]) == {"get"}
    assert set(paths["/api/v1/invoices/{invoice_id}"]) == {"get"}
    assert set(paths["/api/v1/invoices/{invoice_id}/payments/{payment_id}"]) == {"delete"}
    listing = paths["/api/v1/invoices"]["get"]
    assert (listing["summary"], listing["tags"]) == ("List invoices", ["invoices"])
    pdf = paths["/api/v1/invoices/{invoice_id}/pdf"]["get"]
    assert set(pdf["responses"]["200"]["content"]) == {"application/pdf"}
    assert {"201", "403", "404", "422"} <= set(
        paths["/api/v1/invoices/{invoice_id}/payments"]["post"]["responses"]
    )
    components = schema["components"]["schemas"]
    detail = components["InvoiceDetail"]["properties"]
    assert {"lines", "totals", "payments", "state", "pdf"} <= set(detail)
    assert detail["issued_on"]["description"] == "Rechnungsdatum / Invoice date"
    assert components["PaymentIn"]["properties"]["method"]["enum"] == [
        "cash", "ec", "credit_card", "transfer", "insurer",
    ]  # fmt: skip


def test_an_invoice_to_a_company_is_an_e_invoice_through_the_api(client, auth, erika):
    import facturx

    invoice = draft(erika)
    services.invoice_update(
        invoice_id=invoice.pk,
        data={
            "company_name": "Muster Versicherungs GmbH",
            "company_vat_id": "DE136695976",
            "company_address": "Industriestraße 5\n80939 München",
            "buyer_reference": "04011000-12345-06",
        },
        version=None,
    )
    issued_one = services.invoice_issue(invoice_id=invoice.pk)
    one = send(client, auth, "get", f"{URL}/{issued_one.pk}").json()
    assert (one["company_name"], one["company_vat_id"], one["e_invoice"]) == (
        "Muster Versicherungs GmbH", "DE136695976", True,
    )  # fmt: skip
    assert one["company_address"] == "Industriestraße 5\n80939 München"
    assert one["buyer_reference"] == "04011000-12345-06"
    pdf = send(client, auth, "get", one["pdf"]).content
    name, xml = facturx.get_xml_from_pdf(pdf, check_xsd=True)
    assert name == "factur-x.xml" and issued_one.number.encode() in xml
    private = send(client, auth, "get", f"{URL}/{issued(erika).pk}").json()
    assert (private["company_name"], private["e_invoice"]) == ("", False)
