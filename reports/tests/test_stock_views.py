"""The stock page: access, the page and its htmx partial, the months of the
slow movers and the period (bad input answered in German), constant
queries, and CSV and XLSX files of the same numbers."""

import csv
import io
from decimal import Decimal as D

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse
from django.utils import translation
from django.utils.html import escape
from django.utils.translation import gettext, pgettext
from openpyxl import load_workbook

from customers.tests import factories as customer_factories
from invoices.tests.factories import ADDRESS
from products import services as product_services
from products.models import StockMovement
from products.tests.factories import product
from reports import periods
from reports.tests.factories import issued
from reports.views import STOCK_COLUMNS

pytestmark = pytest.mark.django_db

URL = reverse("reports:stock")
HTMX = {"HTTP_HX_REQUEST": "true"}


def shown(text: str) -> str:
    """``text`` as the German page shows it (German once translations.json
    is merged into the catalogue)."""
    with translation.override("de"):
        return escape(gettext(text))


def receive(item, quantity):
    product_services.stock_move(
        product_id=item.pk, kind=StockMovement.Kind.RECEIPT, quantity=quantity
    )
    item.refresh_from_db()
    return item


@pytest.fixture
def goods(owner):
    """A frame in stock never sold (a slow mover, 2 × 119,00 € = 200,00 €
    net), a frame sold today (A), a care product below its minimum."""
    idle = receive(product(name="Ladenhüter", purchase_price=D("119.00")), 2)
    seller = receive(product(name="Renner", sale_price=D("595.00")), 5)
    low = receive(product(name="Pflegemittel knapp", minimum_stock=10, category="care"), 1)
    buyer = customer_factories.customer(**ADDRESS)
    issued([{"product": seller}], user=owner, customer=buyer)
    return {"idle": idle, "seller": seller, "low": low}


# --- Access ----------------------------------------------------------------------------


def test_anonymous_users_are_sent_to_the_login(client):
    response = client.get(URL)
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_the_front_desk_is_refused(staff_client):
    assert staff_client.get(URL).status_code == 403
    for file_format in ("csv", "xlsx"):
        assert (
            staff_client.get(reverse("reports:stock_download", args=[file_format])).status_code
            == 403
        )


def test_a_user_with_the_permission(outsider, outsider_client):
    outsider.user_permissions.add(Permission.objects.get(codename="view_reports"))
    response = outsider_client.get(URL)
    assert response.status_code == 200
    # Without the products' view right: no link to the reorder page.
    assert 'id="stock-reorder-link"' not in response.content.decode()


# --- The page --------------------------------------------------------------------------


def test_the_page(owner_client, goods):
    response = owner_client.get(URL)
    assert response.status_code == 200
    page = response.content.decode()
    report = response.context["report"]
    assert report.months == 6
    assert [item.product.name for item in report.slow_movers] == [
        "Ladenhüter",
        "Pflegemittel knapp",
    ]
    assert report.total.units == 2 + 4 + 1
    assert [item.abc for item in report.abc_products] == ["C"]  # one product: 100 % > 95 %
    assert report.abc_products[0].net == D("500.00")
    assert [item.name for item in report.reorder] == ["Pflegemittel knapp"]
    assert 'data-report="stock"' in page and 'aria-current="page"' in page
    assert f'href="{reverse("products:reorder")}"' in page
    assert "200,00" in page  # the slow mover's value, German
    assert 'data-months="12"' in page
    assert "svg" in page and 'id="stock-categories"' in page and 'id="stock-abc-classes"' in page
    # The grouping means nothing here.
    assert "report-groupings" not in page


def test_the_tab_is_on_the_other_reports(owner_client):
    page = owner_client.get(reverse("reports:revenue")).content.decode()
    assert f'href="{URL}"' in page


def test_months_and_period(owner_client, goods):
    response = owner_client.get(URL, {"period": "this_year", "months": "24"})
    report = response.context["report"]
    assert report.months == 24 and response.context["preset"] == periods.THIS_YEAR
    page = response.content.decode()
    # The presets keep the months, the months keep the period.
    assert "months=24" in page.split('data-period="today"')[0].rsplit("<a", 1)[1]
    assert "period=this_year" in page.split('data-months="3"')[0].rsplit("<a", 1)[1]
    assert 'name="months" value="24"' in page


@pytest.mark.parametrize("months", ["7", "x", "-6", "<b>"])
def test_bad_months_are_answered_in_german(owner_client, goods, months):
    response = owner_client.get(URL, {"months": months})
    assert response.status_code == 200
    page = response.content.decode()
    assert shown("Please choose 3, 6, 12 or 24 months.") in page
    assert 'id="months-error"' in page
    assert response.context["report"].months == 6


@pytest.mark.parametrize(
    ("since", "until", "message"),
    [
        ("31.02.2026", "01.03.2026", "Please enter a date like 23.11.2026."),
        ("10.03.2026", "01.03.2026", "Please choose an end on or after the start."),
    ],
)
def test_a_bad_period_is_answered_in_german(owner_client, goods, since, until, message):
    response = owner_client.get(URL, {"period": "custom", "since": since, "until": until})
    assert response.status_code == 200
    assert shown(message) in response.content.decode()
    assert response.context["preset"] == periods.THIS_MONTH


def test_garbled_parameters_fall_back(owner_client, goods):
    for params in ({"period": "<script>"}, {"group": "decade"}, {"since": "x" * 5000}):
        assert owner_client.get(URL, params).status_code == 200


def test_htmx_gets_the_report_alone(owner_client, goods):
    response = owner_client.get(URL, {"period": "this_year"}, **HTMX)
    page = response.content.decode()
    assert page.lstrip().startswith('<div id="stock-report">')
    assert "<html" not in page


def test_the_page_reads_the_same_queries_for_more(owner_client, goods, owner):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    owner_client.get(URL)
    with CaptureQueriesContext(connection) as first:
        owner_client.get(URL, {"period": "this_year"})
    buyer = customer_factories.customer(**ADDRESS)
    for number in range(70):
        item = receive(product(minimum_stock=20, purchase_price=D(10 + number)), 2)
        if number % 5 == 0:
            issued([{"product": item}], user=owner, ago=number, customer=buyer)
    with CaptureQueriesContext(connection) as second:
        response = owner_client.get(URL, {"period": "this_year"})
    assert len(second.captured_queries) == len(first.captured_queries)
    report = response.context["report"]
    assert len(report.slow_movers) == 50 and report.slow_count > 50
    assert report.reorder_count > 50 and len(report.reorder) == 50
    assert "50" in response.content.decode()


# --- Downloads -------------------------------------------------------------------------


def _csv(owner_client, params=None):
    response = owner_client.get(reverse("reports:stock_download", args=["csv"]), params or {})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text), delimiter=";"))


def test_the_csv_has_the_numbers_of_the_page(owner_client, goods):
    header, *rows = _csv(owner_client, {"months": "6"})
    with translation.override("de"):
        assert header == [str(name) for name, _value in STOCK_COLUMNS]
        stock_value, total = gettext("Stock value"), gettext("Total")
        abc = gettext("ABC analysis")
        reorder = gettext("Reorder list")
        slow = gettext("Slow movers (no sale for %(months)s months)") % {"months": 6}
    table, name, net = 0, 2, 7
    totals = [row for row in rows if row[table] == stock_value and row[name] == total]
    assert len(totals) == 1
    assert [row[name] for row in rows if row[table] == slow] == ["Ladenhüter", "Pflegemittel knapp"]
    assert [row[net] for row in rows if row[name] == "Ladenhüter"] == ["200,00"]
    assert [row[name] for row in rows if row[table] == abc] == ["Renner"]
    assert [row[name] for row in rows if row[table] == reorder] == ["Pflegemittel knapp"]


def test_the_download_has_every_row(owner_client, goods):
    for number in range(55):
        receive(product(purchase_price=D(1 + number)), 1)
    _header, *rows = _csv(owner_client)
    with translation.override("de"):
        slow = gettext("Slow movers (no sale for %(months)s months)") % {"months": 6}
    assert len([row for row in rows if row[0] == slow]) == 57


def test_the_xlsx_has_typed_numbers(owner_client, goods):
    response = owner_client.get(reverse("reports:stock_download", args=["xlsx"]))
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    assert book.active.title == str(pgettext("report", "Stock"))
    _header, *body = list(book.active.iter_rows(values_only=True))
    idle = [row for row in body if row[2] == "Ladenhüter"][0]
    assert idle[7] == 200 and isinstance(idle[7], float | int)


def test_an_unknown_format_is_not_found(owner_client):
    assert owner_client.get(reverse("reports:stock_download", args=["pdf"])).status_code == 404
