"""The DATEV-style booking list for the tax adviser (docs/datev.md): only
with ``view_accounting`` (the owner's); one row per invoice or cancellation
and VAT rate, per insurer's share, per deposit settled and per payment, on
the accounts of the settings; a German CSV that parses back and balances:
what the customers' account keeps is what they still owe."""

import csv
import datetime
import io
from decimal import Decimal

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from customers.tests import factories as customer_factories
from invoices import accounting, selectors, services
from invoices.models import Invoice, Method
from invoices.tests.factories import ADDRESS, BOOK, FRAME
from invoices.tests.test_day_report import from_order
from invoices.tests.test_open_items import german, issued_with, pay, today

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture(autouse=True)
def accounts(settings):
    """SKR03, as the settings' defaults."""
    settings.DATEV_REVENUE_ACCOUNTS = {19: "8400", 7: "8300", 0: "8120"}
    settings.DATEV_CASH_ACCOUNT = "1000"
    settings.DATEV_BANK_ACCOUNT = "1200"
    settings.DATEV_CARD_ACCOUNT = "1360"
    settings.DATEV_DEBTOR_ACCOUNT = "10000"
    settings.DATEV_INSURER_ACCOUNT = "10001"
    settings.DATEV_DEPOSIT_ACCOUNT = "1710"
    return settings


@pytest.fixture
def erika():
    return customer_factories.customer(**ADDRESS, first_name="Erika", last_name="Muster")


@pytest.fixture
def otto():
    return customer_factories.customer(**ADDRESS, first_name="Otto", last_name="Brillmann")


@pytest.fixture
def period(erika, otto):
    """Yesterday and today: an invoice at two rates with an insurer's share,
    paid in cash, by card and by the insurer; one cancelled; one from an
    order with a deposit of 50,00 €, the rest by transfer. Forty days ago:
    an invoice and its payment, outside the period."""
    outside = issued_with(otto, ago=40)
    pay(outside, "289.00", Method.EC, ago=40)
    mixed = issued_with(erika, lines=(FRAME, BOOK), share="42.50", ago=1)
    pay(mixed, "100.00", Method.CASH, receipt="K-4711")
    pay(mixed, "42.50", Method.INSURER)
    pay(mixed, "50.00", Method.EC)
    wrong = issued_with(otto)
    cancellation = services.invoice_cancel(invoice_id=wrong.pk, reason="Falscher Preis")
    ordered = from_order(erika, "50.00")
    pay(ordered, "239.00", Method.TRANSFER)
    return {
        "mixed": mixed,
        "wrong": wrong,
        "cancellation": cancellation,
        "ordered": ordered,
        "outside": outside,
    }


def query(since: datetime.date, until: datetime.date) -> dict:
    return {"since": german(since), "until": german(until)}


def yesterday() -> datetime.date:
    return today() - datetime.timedelta(days=1)


def download(client, since, until) -> list[list[str]]:
    response = client.get(reverse("invoices:datev_csv"), query(since, until))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["X-Content-Type-Options"] == "nosniff"
    text = b"".join(response.streaming_content).decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:]), delimiter=";"))


def amount(cell: str) -> Decimal:
    assert "." not in cell  # a decimal comma, no grouping
    return Decimal(cell.replace(",", "."))


# --- Access ----------------------------------------------------------------------------


def test_anonymous_users_are_sent_to_the_login(client):
    for name in ("invoices:datev_export", "invoices:datev_csv"):
        response = client.get(reverse(name))
        assert response.status_code == 302 and "/login/" in response["Location"]


def test_only_the_owner_exports_the_booking_list(staff_client, outsider_client, owner_client):
    for name in ("invoices:datev_export", "invoices:datev_csv"):
        url = reverse(name) + "?" + "&".join(f"{k}={v}" for k, v in query(today(), today()).items())
        assert outsider_client.get(url).status_code == 403
        # The front desk closes the till, the owner deals with the tax adviser.
        assert staff_client.get(url).status_code == 403
        assert owner_client.get(url).status_code == 200
    nav = owner_client.get(reverse("invoices:list")).content.decode()
    assert f'href="{reverse("invoices:datev_export")}"' in nav


def test_the_permission_exists_for_groups(db):
    from django.contrib.auth.models import Permission

    permission = Permission.objects.get(codename="view_accounting")
    assert permission.content_type.app_label == "invoices"


# --- The rows --------------------------------------------------------------------------


def test_the_bookings_of_a_period(period):
    mixed, ordered = period["mixed"], period["ordered"]
    wrong, cancellation = period["wrong"], period["cancellation"]
    rows = {
        (b.document, b.account, b.contra, b.side, b.amount, b.date, b.reference)
        for b in accounting.datev_bookings(yesterday(), today())
    }
    day_before, day = yesterday(), today()
    assert rows == {
        # The invoice per VAT rate, gross, to the customers; the share to the insurers.
        (mixed.number, "10000", "8400", "S", Decimal("289.00"), day_before, ""),
        (mixed.number, "10000", "8300", "S", Decimal("19.98"), day_before, ""),
        (mixed.number, "10001", "10000", "S", Decimal("42.50"), day_before, ""),
        # The payments on the accounts of their methods.
        (mixed.number, "1000", "10000", "S", Decimal("100.00"), day, "K-4711"),
        (mixed.number, "1200", "10001", "S", Decimal("42.50"), day, ""),
        (mixed.number, "1360", "10000", "S", Decimal("50.00"), day, ""),
        # The cancelled invoice and its cancellation the other way round.
        (wrong.number, "10000", "8400", "S", Decimal("289.00"), day, ""),
        (cancellation.number, "10000", "8400", "H", Decimal("289.00"), day, ""),
        # The order's deposit settled on the invoice's day, the rest by transfer.
        (ordered.number, "10000", "8400", "S", Decimal("289.00"), day, ""),
        (ordered.number, "1710", "10000", "S", Decimal("50.00"), day, ""),
        (ordered.number, "1200", "10000", "S", Decimal("239.00"), day, ""),
    }
    # Nothing of forty days ago; by date.
    bookings = accounting.datev_bookings(yesterday(), today())
    assert period["outside"].number not in {b.document for b in bookings}
    assert [b.date for b in bookings] == sorted(b.date for b in bookings)


def test_the_csv_parses_back_and_balances(owner_client, period):
    rows = download(owner_client, yesterday(), today())
    assert rows[0] == accounting.DATEV_COLUMNS
    rows = rows[1:]
    assert len(rows) == 11
    (umsatz, side, currency, konto, gegenkonto, bu, belegdatum, beleg1, beleg2, text) = range(10)
    assert {row[currency] for row in rows} == {"EUR"}
    assert {row[bu] for row in rows} == {""}  # the revenue accounts work out the VAT
    assert {row[belegdatum] for row in rows} == {german(yesterday()), german(today())}

    balance: dict[str, Decimal] = {}
    for row in rows:
        signed = amount(row[umsatz]) if row[side] == "S" else -amount(row[umsatz])
        balance[row[konto]] = balance.get(row[konto], 0) + signed
        balance[row[gegenkonto]] = balance.get(row[gegenkonto], 0) - signed
    # Revenue: three frames less the cancelled one at 19 %, the book at 7 %.
    assert balance["8400"] == Decimal("-578.00")
    assert balance["8300"] == Decimal("-19.98")
    # Money: cash, card, bank (transfer and insurer), the deposit dissolved.
    assert balance["1000"] == Decimal("100.00")
    assert balance["1360"] == Decimal("50.00")
    assert balance["1200"] == Decimal("281.50")
    assert balance["1710"] == Decimal("50.00")
    # The insurer paid its share: nothing left on its account.
    assert balance["10001"] == Decimal("0.00")
    # What the customers' account keeps is what they still owe, by open_for.
    owed = sum(
        selectors.open_for(invoice, insurer=False)
        for invoice in Invoice.objects.filter(
            pk__in=[period["mixed"].pk, period["ordered"].pk, period["wrong"].pk]
        ).exclude(cancellation__isnull=False)
    )
    assert balance["10000"] == owed == Decimal("116.48")
    assert sum(balance.values()) == 0

    cancellation = [row for row in rows if row[beleg1] == period["cancellation"].number]
    assert [(row[side], row[umsatz]) for row in cancellation] == [("H", "289,00")]
    assert period["wrong"].number in cancellation[0][text]
    cash = [row for row in rows if row[beleg2]]
    assert [(row[konto], row[beleg2], row[umsatz]) for row in cash] == [
        ("1000", "K-4711", "100,00")
    ]
    assert all(len(row[text]) <= accounting.TEXT_LENGTH for row in rows)


def test_the_accounts_come_from_the_settings(owner_client, period, settings):
    """SKR04, say: revenue 4400 / 4300, customers 12000."""
    settings.DATEV_REVENUE_ACCOUNTS = {19: "4400", 7: "4300"}
    settings.DATEV_DEBTOR_ACCOUNT = "12000"
    rows = download(owner_client, yesterday(), today())[1:]
    accounts = {row[3] for row in rows} | {row[4] for row in rows}
    assert {"4400", "4300", "12000"} <= accounts
    assert not {"8400", "8300", "10000"} & accounts


def test_a_rate_without_an_account_is_said_not_guessed(owner_client, period, settings):
    settings.DATEV_REVENUE_ACCOUNTS = {19: "8400"}
    params = query(yesterday(), today())
    page = owner_client.get(reverse("invoices:datev_export"), params)
    assert "7 %" in page.content.decode() and page.context["download"] == ""
    response = owner_client.get(reverse("invoices:datev_csv"), params)
    assert response.status_code == 302
    assert response["Location"] == reverse("invoices:datev_export")


def test_the_settings_are_loud_on_bad_accounts():
    from opticrm.settings import _datev_revenue_accounts

    assert _datev_revenue_accounts("19:8400, 7%:8300,0:8120") == {
        19: "8400",
        7: "8300",
        0: "8120",
    }
    for bad in ("19:84", "19=8400,7=8300", "19:8400", "x:8400,7:8300", "19:8400,7:83OO"):
        with pytest.raises(ImproperlyConfigured):
            _datev_revenue_accounts(bad)


# --- The page --------------------------------------------------------------------------


def test_the_page_shows_last_month_and_the_sums_per_account(owner_client, period):
    response = owner_client.get(reverse("invoices:datev_export"))
    assert response.status_code == 200
    form = response.context["form"]
    first_of_month = today().replace(day=1)
    assert form.cleaned_data["until"] == first_of_month - datetime.timedelta(days=1)
    assert form.cleaned_data["since"] == (first_of_month - datetime.timedelta(days=1)).replace(
        day=1
    )
    chosen = owner_client.get(reverse("invoices:datev_export"), query(yesterday(), today()))
    sums = {row.account: (row.debit, row.credit) for row in chosen.context["sums"]}
    assert sums["8400"] == (Decimal("289.00"), Decimal("867.00"))
    assert sums["10001"] == (Decimal("42.50"), Decimal("42.50"))
    html = chosen.content.decode()
    assert reverse("invoices:datev_csv") in html and "867,00\xa0€" in html
    assert "DATEV" in html


def test_a_period_that_does_not_fit_is_refused(owner_client):
    backwards = query(today(), yesterday())
    page = owner_client.get(reverse("invoices:datev_export"), backwards)
    assert page.status_code == 200 and page.context["download"] == ""
    assert 'id="period-errors"' in page.content.decode()
    response = owner_client.get(reverse("invoices:datev_csv"), backwards)
    assert response.status_code == 302
    too_long = query(today() - datetime.timedelta(days=400), today())
    assert owner_client.get(reverse("invoices:datev_export"), too_long).context["download"] == ""
    garbled = owner_client.get(reverse("invoices:datev_csv"), {"since": "gestern"})
    assert garbled.status_code == 302


def test_htmx_gets_the_preview_alone(owner_client, period):
    response = owner_client.get(
        reverse("invoices:datev_export"), query(yesterday(), today()), **HTMX
    )
    html = response.content.decode()
    assert "<html" not in html and 'id="datev-preview"' in html and 'id="datev-sums"' in html


def test_the_page_and_the_file_read_the_same_queries_for_more(owner_client, erika, otto):
    def queries(name: str) -> int:
        with CaptureQueriesContext(connection) as captured:
            response = owner_client.get(reverse(name), query(yesterday(), today()))
            if name == "invoices:datev_csv":
                b"".join(response.streaming_content)
        assert response.status_code == 200
        return len(captured)

    issued_with(erika, lines=(FRAME, BOOK), share="10.00")
    from_order(otto, "20.00")
    before = {name: queries(name) for name in ("invoices:datev_export", "invoices:datev_csv")}
    for _number in range(3):
        invoice = issued_with(erika, lines=(FRAME, BOOK), share="10.00")
        pay(invoice, "10.00", Method.CASH)
        pay(invoice, "10.00", Method.INSURER)
        services.invoice_cancel(invoice_id=issued_with(otto).pk, reason="Test")
        from_order(otto, "20.00")
    for name, count in before.items():
        assert queries(name) == count


# --- In a browser ----------------------------------------------------------------------


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_export_page_in_a_browser(page, live_server, owner, password):
    from playwright.sync_api import expect

    from appointments.tests.test_browser_list import settled
    from invoices.tests.test_open_items import _shot

    erika = customer_factories.customer(**ADDRESS, first_name="Erika", last_name="Muster")
    invoice = issued_with(erika, lines=(FRAME, BOOK), share="42.50", ago=1)
    pay(invoice, "100.00", Method.CASH, receipt="K-4711")
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", owner.username)
    page.fill("#id_password", password)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")  # the start page (Heute)
    page.goto(f"{live_server.url}/customers/")
    page.goto(live_server.url + reverse("invoices:list"))
    page.locator("[data-nav=export]").click()
    page.wait_for_url(live_server.url + reverse("invoices:datev_export"))
    settled(page)
    page.locator("#id_since").fill(german(yesterday()))
    page.locator("#id_until").fill(german(today()))
    page.locator("#id_until").press("Enter")
    expect(page.locator("#datev-sums")).to_contain_text("8400")
    expect(page.locator("#datev-sums")).to_contain_text("289,00")
    expect(page.locator("[data-download=csv]")).to_be_visible()
    _shot(page, "datev-export")
    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    expect(page.locator("#datev-sums")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    _shot(page, "datev-export-390")
