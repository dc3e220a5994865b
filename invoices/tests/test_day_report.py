"""The day report (Tagesbericht): the invoices and cancellations issued on a
day with net, VAT and gross per rate (cancellations negative), the money
received by method (cash with the till's receipt), the order deposits the
day's invoices settled listed apart (taken before), for a chosen day; as a
page (the day changed by htmx), a PDF and a German CSV that parses back to
the same sums."""

import csv
import datetime
import io
from decimal import Decimal

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation
from playwright.sync_api import expect

from appointments.tests.test_browser_list import settled
from customers.tests import factories as customer_factories
from invoices import accounting, selectors, services
from invoices.accounting_views import DAY_COLUMNS
from invoices.models import Invoice, InvoiceDay, InvoiceDayRate, Kind, Method, Payment
from invoices.tests.factories import ADDRESS, BOOK, FRAME, repair_order
from invoices.tests.test_open_items import _shot, german, issued_with, pay, pdf_text, today

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}
URLS = ("invoices:day_report", "invoices:day_report_pdf", "invoices:day_report_csv")


@pytest.fixture
def erika():
    return customer_factories.customer(**ADDRESS, first_name="Erika", last_name="Muster")


@pytest.fixture
def otto():
    return customer_factories.customer(**ADDRESS, first_name="Otto", last_name="Brillmann")


def from_order(customer, deposit: str) -> Invoice:
    order = repair_order(customer, deposit=Decimal(deposit))
    invoice = services.invoice_from_order(order_id=order.pk)
    return services.invoice_issue(invoice_id=invoice.pk)


@pytest.fixture
def day(erika, otto):
    """Today: two invoices, one of them cancelled, one from an order with a
    deposit of 50,00 €; payments by every method, for today's invoices and
    yesterday's. Yesterday: two invoices and a payment."""
    yesterday_sale = issued_with(otto, ago=1)
    yesterday_shared = issued_with(otto, share="42.50", ago=1)
    pay(yesterday_shared, "20.00", Method.EC, ago=1)

    mixed = issued_with(erika, lines=(FRAME, BOOK))  # 289,00 at 19 %, 19,98 at 7 %
    wrong = issued_with(otto)
    cancellation = services.invoice_cancel(invoice_id=wrong.pk, reason="Falscher Preis")
    ordered = from_order(erika, "50.00")
    pay(mixed, "100.00", Method.CASH, receipt="K-4711")
    pay(mixed, "50.00", Method.EC)
    pay(yesterday_sale, "289.00", Method.TRANSFER)
    pay(yesterday_shared, "42.50", Method.INSURER)
    return {
        "mixed": mixed,
        "wrong": wrong,
        "cancellation": cancellation,
        "ordered": ordered,
        "yesterday_sale": yesterday_sale,
        "yesterday_shared": yesterday_shared,
    }


def amount(cell: str) -> Decimal:
    return Decimal(cell.replace(".", "").replace(",", ".")) if cell else Decimal("0.00")


# --- Access ----------------------------------------------------------------------------


def test_anonymous_users_are_sent_to_the_login(client):
    for name in URLS:
        response = client.get(reverse(name))
        assert response.status_code == 302 and "/login/" in response["Location"]


def test_users_without_the_invoice_rights_are_refused(outsider_client):
    for name in URLS:
        assert outsider_client.get(reverse(name)).status_code == 403


def test_the_front_desk_gets_the_report_to_close_the_till(staff_client):
    for name in URLS:
        assert staff_client.get(reverse(name)).status_code == 200


# --- The numbers -----------------------------------------------------------------------


def test_the_report_of_today(staff_client, day):
    response = staff_client.get(reverse("invoices:day_report"))
    assert response.status_code == 200
    report = response.context["report"]
    assert report.day == today()
    assert [doc.pk for doc in report.documents] == [
        day["mixed"].pk,
        day["wrong"].pk,
        day["cancellation"].pk,
        day["ordered"].pk,
    ]
    # By hand: 289,00 at 19 % is 46,14 VAT and 242,86 net; 19,98 at 7 % is
    # 1,31 VAT and 18,67 net. Three such frames (the repair is 289,00 too)
    # less one cancelled.
    rates = {rate.rate: (rate.net, rate.vat, rate.gross) for rate in report.rates}
    assert rates == {
        19: (Decimal("485.72"), Decimal("92.28"), Decimal("578.00")),
        7: (Decimal("18.67"), Decimal("1.31"), Decimal("19.98")),
    }
    assert (report.net, report.vat, report.gross) == (
        Decimal("504.39"),
        Decimal("93.59"),
        Decimal("597.98"),
    )
    # The cancellation is negative, the invoices' gross as written at the issue.
    assert report.cancelled == Decimal("-289.00") == day["cancellation"].gross
    assert report.invoiced == sum(doc.gross for doc in report.invoices) == Decimal("886.98")
    assert report.invoiced + report.cancelled == report.gross

    # Money taken today, by method; the deposit was taken with the order.
    by_method = {m.method: (m.count, m.amount) for m in report.methods}
    assert by_method == {
        Method.CASH: (1, Decimal("100.00")),
        Method.EC: (1, Decimal("50.00")),
        Method.CREDIT_CARD: (0, Decimal("0.00")),
        Method.TRANSFER: (1, Decimal("289.00")),
        Method.INSURER: (1, Decimal("42.50")),
    }
    assert report.received == Decimal("481.50") and report.cash == Decimal("100.00")
    assert [(p.invoice_id, p.amount) for p in report.deposits] == [
        (day["ordered"].pk, Decimal("50.00"))
    ]
    assert report.deposits_total == Decimal("50.00")

    html = response.content.decode()
    for expected in (
        day["mixed"].number,
        day["cancellation"].number,
        "-289,00\xa0€",
        "597,98\xa0€",
        "481,50\xa0€",
        "K-4711",
    ):
        assert expected in html, expected
    assert day["yesterday_sale"].number in html  # paid today, listed among the payments


def test_the_report_of_another_day(staff_client, day):
    yesterday = today() - datetime.timedelta(days=1)
    response = staff_client.get(reverse("invoices:day_report"), {"day": german(yesterday)})
    report = response.context["report"]
    assert report.day == yesterday
    assert [doc.pk for doc in report.documents] == [
        day["yesterday_sale"].pk,
        day["yesterday_shared"].pk,
    ]
    assert report.gross == Decimal("578.00")
    assert report.received == Decimal("20.00") and report.deposits == []
    assert f"?day={german(yesterday)}" in response.content.decode()  # the downloads' links
    # A day that does not parse: today, with a word why.
    again = staff_client.get(reverse("invoices:day_report"), {"day": "gestern"})
    assert again.context["report"].day == today()
    assert 'id="day-error"' in again.content.decode()


def test_the_ends_of_the_calendar_have_no_day_beyond(staff_client):
    for typed, missing in (
        ("31.12.9999", 'data-day="next"'),
        ("0001-01-01", 'data-day="previous"'),
    ):
        response = staff_client.get(reverse("invoices:day_report"), {"day": typed})
        assert response.status_code == 200
        assert missing not in response.content.decode()


def test_a_day_without_anything_is_an_empty_report(staff_client, day):
    quiet = today() - datetime.timedelta(days=30)
    report = staff_client.get(reverse("invoices:day_report"), {"day": german(quiet)}).context[
        "report"
    ]
    assert report.documents == [] and report.payments == [] and report.gross == 0
    pdf = staff_client.get(reverse("invoices:day_report_pdf"), {"day": german(quiet)})
    assert german(quiet) in pdf_text(pdf.content)


def test_htmx_gets_the_report_alone(staff_client, day):
    response = staff_client.get(reverse("invoices:day_report"), **HTMX)
    html = response.content.decode()
    assert "<html" not in html
    assert html.lstrip().startswith('<div id="day-report">')
    assert day["mixed"].number in html


def test_the_report_reads_the_same_queries_for_more(staff_client, erika, otto):
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            response = staff_client.get(reverse("invoices:day_report"))
        assert response.status_code == 200
        return len(captured)

    first = issued_with(erika, lines=(FRAME, BOOK))
    pay(first, "10.00", Method.CASH)
    from_order(otto, "20.00")
    queries()
    before = queries()
    for _number in range(3):
        invoice = issued_with(erika, lines=(FRAME, BOOK))
        pay(invoice, "10.00", Method.CASH)
        pay(invoice, "10.00", Method.EC)
        services.invoice_cancel(invoice_id=issued_with(otto).pk, reason="Test")
        from_order(otto, "20.00")
    assert queries() == before


def test_a_busy_day_lists_its_first_rows_and_sums_them_all(staff_client, erika, monkeypatch):
    monkeypatch.setattr(accounting, "DAY_LIST_LIMIT", 2)
    invoices = [issued_with(erika, lines=(FRAME, BOOK)) for _number in range(3)]
    for invoice in invoices:
        pay(invoice, "10.00", Method.CASH)
    response = staff_client.get(reverse("invoices:day_report"))
    report = response.context["report"]
    assert [doc.pk for doc in report.documents] == [invoices[0].pk, invoices[1].pk]
    assert len(report.payments) == 2 and report.payment_count == 3
    assert report.invoice_count == 3 and report.invoiced == Decimal("926.94")
    assert report.gross == Decimal("926.94") and report.received == Decimal("30.00")
    html = response.content.decode()
    assert 'id="day-shortened"' in html and invoices[2].number not in html
    # The downloads have every row.
    response = staff_client.get(reverse("invoices:day_report_csv"))
    csv_text = b"".join(response.streaming_content).decode("utf-8")
    assert all(invoice.number in csv_text for invoice in invoices)
    pdf = pdf_text(staff_client.get(reverse("invoices:day_report_pdf")).content)
    assert all(invoice.number in pdf for invoice in invoices)


def test_a_quiet_day_is_not_shortened(staff_client, day):
    assert 'id="day-shortened"' not in staff_client.get(reverse("invoices:day_report")).text


def test_the_sql_twin_of_the_rule(erika):
    """accounting._PER_INVOICE_RATE computes in SQL what orders.rules does
    for an invoice: the positions' gross after discounts (percent, amount,
    all of the position, a half cent), the VAT once per rate, a
    cancellation's negative amounts."""
    lines = [
        {
            "description": "a",
            "quantity": 3,
            "unit_price": Decimal("33.33"),
            "vat_rate": 19,
            "discount_percent": Decimal("12.5"),
            "discount_reason": "Test",
        },
        {
            "description": "b",
            "unit_price": Decimal("0.05"),
            "vat_rate": 19,
            "discount_percent": Decimal("50"),
            "discount_reason": "Test",
        },
        {
            "description": "c",
            "unit_price": Decimal("10.00"),
            "vat_rate": 19,
            "discount_amount": Decimal("10.00"),
            "discount_reason": "Test",
        },
        {
            "description": "d",
            "quantity": 7,
            "unit_price": Decimal("1.07"),
            "vat_rate": 7,
            "discount_amount": Decimal("0.35"),
            "discount_reason": "Test",
        },
        {"description": "e", "unit_price": Decimal("0.10"), "vat_rate": 7},
        {"description": "f", "unit_price": Decimal("12.34"), "vat_rate": 19},
    ]
    documents = [issued_with(erika, lines=lines[:n]) for n in range(1, len(lines) + 1)]
    documents.append(services.invoice_cancel(invoice_id=documents[-1].pk, reason="Test"))
    expected = {}
    for document in documents:
        for rate in selectors.invoice_totals(document).rates:
            expected[(document.pk, rate.rate)] = (rate.net, rate.vat, rate.gross)
    found = accounting.document_rates_between(today(), today())
    assert {(r.invoice_id, r.rate): (r.net, r.vat, r.gross) for r in found} == expected
    sums = {}
    for (_pk, rate), amounts in expected.items():
        sums[rate] = tuple(a + b for a, b in zip(sums.get(rate, (0, 0, 0)), amounts, strict=True))
    assert {
        r.rate: (r.net, r.vat, r.gross) for r in accounting.rates_between(today(), today())
    } == sums


def _raw_day(day: datetime.date) -> tuple:
    """A day's sums counted from the invoices and payments themselves."""
    issued = Invoice.objects.filter(status="issued", issued_on=day)
    invoices = [i for i in issued if i.kind == Kind.INVOICE]
    cancellations = [i for i in issued if i.kind == Kind.CANCELLATION]
    deposits = list(
        Payment.objects.filter(
            method=Method.DEPOSIT, invoice__status="issued", invoice__issued_on=day
        ).values_list("amount", flat=True)
    )
    return (
        len(invoices),
        len(cancellations),
        sum((i.gross for i in invoices), Decimal("0.00")),
        sum((i.gross for i in cancellations), Decimal("0.00")),
        len(deposits),
        sum(deposits, Decimal("0.00")),
    )


def _kept_day(day: datetime.date) -> tuple:
    kept = InvoiceDay.objects.filter(day=day).first()
    if kept is None:
        return (0, 0, Decimal("0.00"), Decimal("0.00"), 0, Decimal("0.00"))
    return (
        kept.invoices,
        kept.cancellations,
        kept.invoiced,
        kept.cancelled,
        kept.deposits,
        kept.deposits_total,
    )


def test_the_days_sums_the_database_keeps_are_the_invoices_own(day, erika):
    """InvoiceDay follows every issue, cancellation (with the deposit carried
    back to the order) and deposit row, and the migration's backfill (the
    same function over all invoices) gives the same."""
    # An order's invoice cancelled after the customer paid: the payment goes
    # back to the order as a negative deposit row on the cancellation.
    ordered = from_order(erika, "30.00")
    pay(ordered, "10.00", Method.CASH)
    services.invoice_cancel(invoice_id=ordered.pk, reason="Neu berechnet")
    days = [today(), today() - datetime.timedelta(days=1)]
    for each in days:
        assert _kept_day(each) == _raw_day(each)
    assert _raw_day(today())[4] == 3  # 50,00 and 30,00 taken over, 40,00 carried back
    assert _raw_day(today())[5] == Decimal("40.00")
    kept_rates = {(r.day, r.vat_rate): (r.gross, r.vat) for r in InvoiceDayRate.objects.all()}
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE invoices_invoiceday, invoices_invoicedayrate")
        cursor.execute("SELECT invoices_day_add(0, 9223372036854775807, 1)")
    for each in days:
        assert _kept_day(each) == _raw_day(each)
    assert {
        (r.day, r.vat_rate): (r.gross, r.vat) for r in InvoiceDayRate.objects.all()
    } == kept_rates


def test_a_drafts_deposit_counts_only_once_it_is_issued(erika):
    order = repair_order(erika, deposit=Decimal("25.00"))
    draft = services.invoice_from_order(order_id=order.pk)
    assert not InvoiceDay.objects.exists()
    services.invoice_issue(invoice_id=draft.pk)
    assert _kept_day(today())[4:] == (1, Decimal("25.00"))


# --- The files -------------------------------------------------------------------------


def test_the_pdf_carries_the_report(staff_client, day):
    response = staff_client.get(reverse("invoices:day_report_pdf"))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    assert today().isoformat() in response["Content-Disposition"]
    assert response["X-Content-Type-Options"] == "nosniff"
    content = pdf_text(response.content)
    for expected in (
        "Augenoptik Muster",
        german(today()),
        day["mixed"].number,
        day["cancellation"].number,
        day["ordered"].number,
        "−289,00 €",
        "485,72 €",
        "92,28 €",
        "578,00 €",
        "18,67 €",
        "1,31 €",
        "597,98 €",
        "481,50 €",
        "K-4711",
        "50,00 €",
    ):
        assert expected in content, expected


def test_the_csv_parses_back_to_the_report(staff_client, day):
    response = staff_client.get(reverse("invoices:day_report_csv"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["X-Content-Type-Options"] == "nosniff"
    text = b"".join(response.streaming_content).decode("utf-8")
    assert text.startswith("\ufeff")  # Excel reads UTF-8
    rows = list(csv.reader(io.StringIO(text[1:]), delimiter=";"))
    header, rows = rows[0], rows[1:]
    assert len(header) == len(DAY_COLUMNS)
    kind, _date, number, _customer, rate, net, vat, gross, method, receipt, received, deposit = (
        range(len(DAY_COLUMNS))
    )
    report = accounting.day_report(today())

    # Invoices and cancellations per VAT rate: the sums are the report's.
    documents = [row for row in rows if row[gross]]
    assert sum(amount(row[gross]) for row in documents) == report.gross == Decimal("597.98")
    assert sum(amount(row[net]) for row in documents) == report.net
    assert sum(amount(row[vat]) for row in documents) == report.vat
    per_rate = {}
    for row in documents:
        per_rate[int(row[rate])] = per_rate.get(int(row[rate]), 0) + amount(row[gross])
    assert per_rate == {r.rate: r.gross for r in report.rates}
    cancelled = [row for row in documents if row[number] == day["cancellation"].number]
    assert [row[gross] for row in cancelled] == ["-289,00"]  # negative, decimal comma
    with translation.override(settings.LANGUAGE_CODE):  # the CSV's language
        cancellation_label, cash_label = str(Kind.CANCELLATION.label), str(Method.CASH.label)
    assert cancelled[0][kind] == cancellation_label

    # The money taken, with the till's receipt; the deposit apart.
    assert sum(amount(row[received]) for row in rows) == report.received == Decimal("481.50")
    cash = [row for row in rows if row[receipt]]
    assert [(row[method], row[receipt], row[received]) for row in cash] == [
        (cash_label, "K-4711", "100,00")
    ]
    assert sum(amount(row[deposit]) for row in rows) == Decimal("50.00")
    assert all(not row[received] for row in rows if row[deposit])


# --- In a browser ----------------------------------------------------------------------


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_changing_the_day_in_a_browser(logged_in_page, live_server):
    page = logged_in_page
    erika = customer_factories.customer(**ADDRESS, first_name="Erika", last_name="Muster")
    yesterday_invoice = issued_with(erika, ago=1)
    todays = issued_with(erika, lines=(FRAME, BOOK))
    pay(todays, "100.00", Method.CASH, receipt="K-4711")
    services.invoice_cancel(invoice_id=issued_with(erika).pk, reason="Falscher Preis")
    yesterday = today() - datetime.timedelta(days=1)

    page.goto(live_server.url + reverse("invoices:list"))
    page.locator("[data-nav=day-report]").click()
    page.wait_for_url(live_server.url + reverse("invoices:day_report"))
    expect(page.locator("#day-report-date")).to_have_text(german(today()))
    expect(page.locator("#day-documents")).to_contain_text(todays.number)
    _shot(page, "day-report")

    settled(page)
    page.locator("#id_day").fill(german(yesterday))
    page.locator("#id_day").press("Enter")
    expect(page.locator("#day-report-date")).to_have_text(german(yesterday))
    expect(page.locator("#day-documents")).to_contain_text(yesterday_invoice.number)
    expect(page.locator("#day-documents")).not_to_contain_text(todays.number)
    assert f"day={german(yesterday)}" in page.url.replace("%2E", ".")
    expect(page.locator("[data-download=pdf]")).to_have_attribute(
        "href", f"{reverse('invoices:day_report_pdf')}?day={german(yesterday)}"
    )

    settled(page)
    page.locator("[data-day=next]").click()
    expect(page.locator("#day-report-date")).to_have_text(german(today()))
    expect(page.locator("#day-received")).to_contain_text("100,00")

    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(live_server.url + reverse("invoices:day_report"))
    expect(page.locator("h1")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    _shot(page, "day-report-390")
