"""Open items (Offene Posten): the issued invoices whose customer still owes
something, the insurers' shares still expected, overdue first, searched and
filtered, in as many queries for many rows as for one; open amounts by
open_for's rule (the set-based selectors.with_open agrees with it); and the
payment reminder, a PDF drawn on demand that changes nothing."""

import datetime
import io
import os
from decimal import Decimal
from pathlib import Path

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import Page, expect
from pypdf import PdfReader

from appointments.tests.test_browser_list import settled
from customers.tests import factories as customer_factories
from invoices import accounting, selectors, services
from invoices.models import Invoice, InvoiceDocument, Method, Payment, Status
from invoices.tests.factories import ADDRESS, BOOK, FRAME, draft, issued

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}
SHOTS = Path("/tmp/invoice_shots")


@pytest.fixture(autouse=True)
def terms(settings):
    settings.INVOICE_PAYMENT_DAYS = 14
    settings.SHOP_BANK_IBAN = "DE89370400440532013000"
    settings.SHOP_BANK_BIC = "COBADEFFXXX"
    settings.SHOP_BANK_NAME = "Commerzbank München"


@pytest.fixture
def erika():
    return customer_factories.customer(
        first_name="Erika",
        last_name="Muster",
        salutation="ms",
        street="Lindenweg 3",
        postcode="80331",
        town="München",
    )


@pytest.fixture
def otto():
    return customer_factories.customer(
        first_name="Otto",
        last_name="Brillmann",
        street="Am Markt 2",
        postcode="80333",
        town="München",
    )


# --- Helpers the other accounting tests share ------------------------------------------


def today() -> datetime.date:
    return timezone.localdate()


def german(day: datetime.date) -> str:
    return f"{day.day:02d}.{day.month:02d}.{day.year}"


def days_ago(days: int):
    """The clock ``days`` days back (noon in Berlin), for issuing and paying then."""
    moment = timezone.localtime().replace(hour=12, minute=0) - datetime.timedelta(days=days)
    return time_machine.travel(moment, tick=False)


def issued_with(customer, *, lines=(FRAME,), share: str | None = None, ago: int = 0) -> Invoice:
    """An invoice issued ``ago`` days back, with the insurer's ``share``."""
    with days_ago(ago):
        invoice = draft(customer, lines)
        if share is not None:
            Invoice.objects.filter(pk=invoice.pk).update(insurer_share=Decimal(share))
        return services.invoice_issue(invoice_id=invoice.pk)


def pay(invoice: Invoice, amount: str, method: str = Method.EC, *, ago: int = 0, receipt=""):
    paid_on = today() - datetime.timedelta(days=ago)
    return services.payment_add(
        invoice_id=invoice.pk,
        method=method,
        amount=Decimal(amount),
        paid_on=paid_on,
        receipt_number=receipt or ("K-1" if method == Method.CASH else ""),
    )


def pdf_text(content: bytes) -> str:
    assert content.startswith(b"%PDF-")
    reader = PdfReader(io.BytesIO(content))
    return "\n".join((page.extract_text() or "") for page in reader.pages).replace("\xa0", " ")


def shown(client, **params) -> list[int]:
    response = client.get(reverse("invoices:open_items"), params)
    assert response.status_code == 200
    return [row.pk for row in response.context["rows"]]


# --- Access ----------------------------------------------------------------------------


def test_anonymous_users_are_sent_to_the_login(client, erika):
    invoice = issued(erika)
    for url in (
        reverse("invoices:open_items"),
        reverse("invoices:reminder_pdf", args=[invoice.pk]),
    ):
        response = client.get(url)
        assert response.status_code == 302 and "/login/" in response["Location"]


def test_users_without_the_invoice_rights_are_refused(outsider_client, erika):
    invoice = issued(erika)
    for url in (
        reverse("invoices:open_items"),
        reverse("invoices:reminder_pdf", args=[invoice.pk]),
    ):
        assert outsider_client.get(url).status_code == 403


def test_the_front_desk_sees_the_open_items_and_the_nav_leads_there(staff_client, erika):
    invoice = issued(erika)
    html = staff_client.get(reverse("invoices:list")).content.decode()
    assert f'href="{reverse("invoices:open_items")}"' in html
    assert f'href="{reverse("invoices:day_report")}"' in html
    # The booking list for the tax adviser is the owner's.
    assert f'href="{reverse("invoices:datev_export")}"' not in html
    response = staff_client.get(reverse("invoices:open_items"))
    assert response.status_code == 200
    assert invoice.number in response.content.decode()


# --- What is open ----------------------------------------------------------------------


def test_open_items_are_issued_invoices_the_customer_still_owes(staff_client, erika, otto):
    unpaid = issued_with(erika)
    partly = issued_with(erika)
    pay(partly, "100.00")
    paid = issued_with(otto)
    pay(paid, "289.00", Method.CASH)
    cancelled = issued_with(otto)
    services.invoice_cancel(invoice_id=cancelled.pk, reason="Falscher Preis")
    draft(erika)
    # The insurer's share is the insurer's: the customer owes the rest.
    shared = issued_with(otto, share="42.50")
    customer_paid = issued_with(otto, share="42.50")
    pay(customer_paid, "246.50")
    insurer_paid = issued_with(erika, share="42.50")
    pay(insurer_paid, "42.50", Method.INSURER)
    all_paid = issued_with(erika, share="42.50")
    pay(all_paid, "42.50", Method.INSURER)
    pay(all_paid, "246.50", Method.TRANSFER)

    assert shown(staff_client) == [unpaid.pk, partly.pk, shared.pk, insurer_paid.pk]
    assert shown(staff_client, show="insurers") == [shared.pk, customer_paid.pk]

    page = staff_client.get(reverse("invoices:open_items"))
    rows = {row.pk: row.customer_open for row in page.context["rows"]}
    assert rows == {
        unpaid.pk: Decimal("289.00"),
        partly.pk: Decimal("189.00"),
        shared.pk: Decimal("246.50"),
        insurer_paid.pk: Decimal("246.50"),
    }
    # The tab's sum is the sum of its rows, and the page shows it.
    sums = page.context["sums"]
    assert sums["customers"].count == 4
    assert sums["customers"].total == sum(rows.values()) == Decimal("971.00")
    assert sums["insurers"].count == 2 and sums["insurers"].total == Decimal("85.00")
    html = page.content.decode()
    assert "971,00\xa0€" in html and "85,00\xa0€" in html
    # What each payer has paid so far.
    paid = {row.pk: row.customer_paid for row in page.context["rows"]}
    assert paid[partly.pk] == Decimal("100.00") and paid[unpaid.pk] == Decimal("0.00")
    assert paid[insurer_paid.pk] == Decimal("0.00")
    assert 'data-label="Bezahlt">100,00\xa0€' in html
    insurers = staff_client.get(reverse("invoices:open_items"), {"show": "insurers"})
    paid = {row.pk: row.insurer_paid for row in insurers.context["rows"]}
    assert paid == {shared.pk: Decimal("0.00"), customer_paid.pk: Decimal("0.00")}
    assert 'data-label="Bezahlt">0,00\xa0€' in insurers.content.decode()


def test_the_list_and_open_for_agree_on_every_invoice(erika):
    """One rule: the set-based amounts are open_for's, payer by payer."""
    invoices = [
        issued_with(erika),
        issued_with(erika, share="42.50"),
        issued_with(erika, share="42.50"),
        issued_with(erika, share="10.00"),
        issued_with(erika, lines=(FRAME, BOOK)),
    ]
    pay(invoices[0], "0.01")
    pay(invoices[1], "42.50", Method.INSURER)
    pay(invoices[1], "200.00", Method.CASH)
    pay(invoices[2], "20.00", Method.INSURER)
    pay(invoices[3], "279.00", Method.CREDIT_CARD)
    services.invoice_cancel(invoice_id=invoices[4].pk, reason="Test")
    found = selectors.with_open(
        Invoice.objects.filter(status=Status.ISSUED, kind="invoice").order_by("pk")
    )
    assert len(found) == 5
    for invoice in found:
        assert invoice.customer_open == selectors.open_for(invoice, insurer=False)
        assert invoice.insurer_open == selectors.open_for(invoice, insurer=True)


def test_overdue_items_come_first_with_their_days_and_can_be_shown_alone(staff_client, erika):
    recent = issued_with(erika, ago=0)
    oldest = issued_with(erika, ago=30)
    older = issued_with(erika, ago=20)
    due_today = issued_with(erika, ago=14)

    page = staff_client.get(reverse("invoices:open_items"))
    rows = page.context["rows"]
    assert [row.pk for row in rows] == [oldest.pk, older.pk, due_today.pk, recent.pk]
    for row in rows:
        assert row.due_on == row.issued_on + datetime.timedelta(days=14)
        assert row.days_overdue == max((today() - row.due_on).days, 0)
    assert [row.days_overdue for row in rows] == [16, 6, 0, 0]
    html = page.content.decode()
    assert german(today() - datetime.timedelta(days=16)) in html  # the oldest's due date

    # Due today is not overdue yet.
    assert shown(staff_client, overdue="on") == [oldest.pk, older.pk]
    assert [r.pk for r in accounting.customer_open_items(overdue_only=True, today=today())] == [
        oldest.pk,
        older.pk,
    ]


def test_the_search_finds_number_and_customer(staff_client, erika, otto):
    hers, his = issued_with(erika), issued_with(otto)
    assert shown(staff_client, q="brillm") == [his.pk]
    assert shown(staff_client, q=hers.number) == [hers.pk]
    assert shown(staff_client, q="niemand") == []


def test_htmx_gets_the_table_alone(staff_client, erika):
    invoice = issued_with(erika, share="42.50")
    response = staff_client.get(reverse("invoices:open_items"), {"show": "insurers"}, **HTMX)
    html = response.content.decode()
    assert "<html" not in html
    assert 'id="open-items"' in html and invoice.number in html
    assert 'value="insurers"' in html  # the tab stays with the next search


def test_the_page_reads_the_same_queries_for_more_rows(staff_client, erika, otto):
    def queries(**params) -> int:
        with CaptureQueriesContext(connection) as captured:
            response = staff_client.get(reverse("invoices:open_items"), params)
        assert response.status_code == 200
        return len(captured)

    # Something on every list from the start: an empty page reads no rows.
    issued_with(erika, share="10.00", ago=30)
    queries()
    before = {name: queries(show=name) for name in ("customers", "insurers")}
    searched = queries(q="Muster", overdue="on")
    for number in range(4):
        invoice = issued_with(otto if number % 2 else erika, share="10.00", ago=number * 10)
        pay(invoice, "5.00")
    for name in ("customers", "insurers"):
        assert queries(show=name) == before[name]
    assert queries(q="Muster", overdue="on") == searched
    # Two sums (one per tab, from the unsettled list alone) and the page's
    # rows, besides the session's.
    with CaptureQueriesContext(connection) as captured:
        staff_client.get(reverse("invoices:open_items"))
    sums = [q["sql"] for q in captured if 'FROM "invoices_unsettled"' in q["sql"]]
    rows = [q["sql"] for q in captured if 'FROM "invoices_invoice"' in q["sql"]]
    assert (len(sums), len(rows)) == (2, 1)


# --- The payment reminder --------------------------------------------------------------


def test_the_reminder_names_the_invoice_and_what_is_open(staff_client, erika):
    invoice = issued_with(erika, lines=(FRAME, BOOK), share="42.50", ago=30)
    pay(invoice, "100.00")
    response = staff_client.get(reverse("invoices:reminder_pdf", args=[invoice.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    assert invoice.number in response["Content-Disposition"]
    assert response["X-Content-Type-Options"] == "nosniff"
    content = pdf_text(response.content)
    # 289,00 + 19,98 = 308,98 gross; less 42,50 share and 100,00 paid: 166,48 open.
    for expected in (
        "Augenoptik Muster",
        "Hauptstraße 1",
        "Erika Muster",
        "Lindenweg 3",
        "80331 München",
        "Frau Muster",  # the salutation, formal
        invoice.number,
        german(invoice.issued_on),
        german(today()),
        german(today() + datetime.timedelta(days=accounting.REMINDER_DAYS)),
        "308,98 €",
        "−42,50 €",
        "−100,00 €",
        "166,48 €",
        "DE89 3704 0044 0532 0130 00",
        "COBADEFFXXX",
    ):
        assert expected in content, expected


def test_the_reminder_changes_nothing(staff_client, erika):
    invoice = issued_with(erika, ago=20)
    counts = (Invoice.objects.count(), Payment.objects.count(), InvoiceDocument.objects.count())
    with CaptureQueriesContext(connection) as captured:
        response = staff_client.get(reverse("invoices:reminder_pdf", args=[invoice.pk]))
    assert response.status_code == 200
    writes = [
        q["sql"]
        for q in captured
        if "invoices_" in q["sql"]
        and q["sql"].lstrip().split()[0].upper() in {"INSERT", "UPDATE", "DELETE"}
    ]
    assert writes == []
    assert counts == (
        Invoice.objects.count(),
        Payment.objects.count(),
        InvoiceDocument.objects.count(),
    )


def test_only_an_open_invoice_gets_a_reminder(staff_client, erika):
    paid = issued_with(erika)
    pay(paid, "289.00")
    cancelled = issued_with(erika)
    cancellation = services.invoice_cancel(invoice_id=cancelled.pk, reason="Test")
    only_insurer_open = issued_with(erika, share="42.50")
    pay(only_insurer_open, "246.50")
    for invoice in (paid, cancelled, cancellation, draft(erika), only_insurer_open):
        url = reverse("invoices:reminder_pdf", args=[invoice.pk])
        assert staff_client.get(url).status_code == 404


def test_a_counter_sale_is_reminded_at_the_invoice_copy(staff_client):
    invoice = issued_with(None, lines=(BOOK,))
    response = staff_client.get(reverse("invoices:reminder_pdf", args=[invoice.pk]))
    content = pdf_text(response.content)
    assert invoice.number in content and "19,98 €" in content


# --- In a browser ----------------------------------------------------------------------


def _shot(page: Page, name: str) -> None:
    if os.environ.get("SCREENSHOTS") != "1":
        return
    SHOTS.mkdir(parents=True, exist_ok=True)
    settled(page)
    page.screenshot(path=SHOTS / f"{name}.png", full_page=True)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_open_items_in_a_browser(logged_in_page, live_server, settings):
    settings.INVOICE_PAYMENT_DAYS = 14
    page = logged_in_page
    erika = customer_factories.customer(**ADDRESS, first_name="Erika", last_name="Muster")
    old = issued_with(erika, share="42.50", ago=25)
    recent = issued_with(erika)
    page.goto(live_server.url + reverse("invoices:list"))
    page.locator("[data-nav=open-items]").click()
    page.wait_for_url(live_server.url + reverse("invoices:open_items"))
    table = page.locator("#open-item-table")
    expect(table.locator("tbody tr").first).to_contain_text(old.number)
    expect(table).to_contain_text(recent.number)
    expect(table.locator("[data-overdue]")).to_have_text("11")
    _shot(page, "open-items")
    page.locator("#id_overdue").check()
    expect(table).not_to_contain_text(recent.number)
    settled(page)
    page.locator("[data-tab=insurers]").click()
    expect(page.locator("[data-tab=insurers]")).to_have_attribute("aria-current", "page")
    expect(page.locator("#open-item-table")).to_contain_text("42,50")
    _shot(page, "open-items-insurers")
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(live_server.url + reverse("invoices:open_items"))
    expect(page.locator("h1")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    _shot(page, "open-items-390")
