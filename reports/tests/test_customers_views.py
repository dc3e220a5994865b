"""The customers page: access, the snapshot's time ("Stand") or the note
that it is not counted yet, the pies with their tables, the htmx partial,
bad input answered in German, constant queries, CSV and XLSX."""

import csv
import datetime
import io

import pytest
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext, pgettext
from openpyxl import load_workbook

from customers.models import Customer, InsuranceProvider
from customers.tests import factories as customer_factories
from reports import periods, services
from reports.models import CustomerFigure, Snapshot
from reports.tests.test_views import german, shown
from reports.views import CUSTOMER_COLUMNS

pytestmark = pytest.mark.django_db

URL = reverse("reports:customers")
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def register():
    """Today: three customers (a private and a statutory insurer, one
    without), one inactive; a year ago: one; counted."""
    private, _ = InsuranceProvider.objects.get_or_create(
        name="Test PKV", defaults={"kind": InsuranceProvider.Kind.PRIVATE}
    )
    statutory, _ = InsuranceProvider.objects.get_or_create(
        name="AOK Testland", defaults={"kind": InsuranceProvider.Kind.STATUTORY}
    )
    customer_factories.customer(insurance_provider=private, date_of_birth=datetime.date(1950, 1, 1))
    customer_factories.customer(insurance_provider=statutory, status=Customer.Status.INACTIVE)
    customer_factories.customer(date_of_birth=None)
    old = customer_factories.customer(date_of_birth=datetime.date(2015, 6, 1))
    Customer.objects.filter(pk=old.pk).update(
        created_at=timezone.now() - datetime.timedelta(days=365)
    )
    services.customer_figures_refresh()


def test_anonymous_users_are_sent_to_the_login(client):
    response = client.get(URL)
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_the_front_desk_is_refused(staff_client):
    assert staff_client.get(URL).status_code == 403
    for file_format in ("csv", "xlsx"):
        download = reverse("reports:customers_download", args=[file_format])
        assert staff_client.get(download).status_code == 403


def test_this_month_with_pies_and_their_tables(owner_client, register):
    response = owner_client.get(URL)
    assert response.status_code == 200
    report = response.context["report"]
    today = timezone.localdate()
    assert (report.period.since, report.period.until) == (today.replace(day=1), today)
    new_this_month = Customer.objects.filter(created_at__date__gte=today.replace(day=1)).count()
    assert report.new == new_this_month and report.customers == 4
    page = response.content.decode()
    # Three pies, each with its table of the same numbers.
    assert page.count('class="pie-chart"') == 3
    for table in ("customers-statuses", "customers-ages", "customers-kinds", "customers-insurers"):
        assert f'id="{table}"' in page
    assert 'id="customers-recalls"' in page and 'id="customers-buckets"' in page
    assert "Test PKV" in page
    with translation.override("de"):
        stand = report.as_of.astimezone(timezone.get_default_timezone()).strftime("%d.%m.%Y %H:%M")
    assert stand in page
    assert 'data-report="customers" aria-current="page"' in page
    revenue = owner_client.get(reverse("reports:revenue")).content.decode()
    assert f'href="{URL}"' in revenue


def test_before_the_first_count_the_page_says_so(owner_client):
    Snapshot.objects.all().delete()
    CustomerFigure.objects.all().delete()
    page = owner_client.get(URL).content.decode()
    assert (
        shown("The customers have not been counted yet: the figures appear within a few minutes.")
        in page
    )


def test_htmx_gets_the_report_alone(owner_client, register):
    response = owner_client.get(URL, {"period": "this_year"}, **HTMX)
    page = response.content.decode()
    assert page.lstrip().startswith('<div id="customers-report">')
    assert 'hx-target="#customers-report"' in page and "<html" not in page


@pytest.mark.parametrize("preset", periods.PRESETS)
def test_every_preset(owner_client, register, preset):
    response = owner_client.get(URL, {"period": preset})
    assert response.status_code == 200
    assert response.context["report"].period == periods.preset(preset, timezone.localdate())


def test_a_free_period_of_two_years(owner_client, register):
    today = timezone.localdate()
    since = today - datetime.timedelta(days=700)
    response = owner_client.get(
        URL, {"period": "custom", "since": german(since), "until": german(today), "group": "year"}
    )
    report = response.context["report"]
    assert report.grouping == "year" and report.new == 4


def test_a_bad_free_period_is_answered_in_german(owner_client, register):
    response = owner_client.get(URL, {"period": "custom", "since": "31.02.2026", "until": "x"})
    page = response.content.decode()
    assert response.status_code == 200
    assert shown("Please enter a date like 23.11.2026.") in page and 'role="alert"' in page
    for params in ({"period": "<script>"}, {"group": "decade"}, {"since": "x" * 5000}):
        assert owner_client.get(URL, params).status_code == 200


def test_the_page_reads_the_same_queries_for_more(
    owner_client, register, django_assert_num_queries
):
    owner_client.get(URL)
    with django_assert_num_queries(10) as first:
        owner_client.get(URL, {"period": "this_year"})
    for number in range(12):
        insurer, _ = InsuranceProvider.objects.get_or_create(name=f"Kasse {number}")
        customer_factories.customer(insurance_provider=insurer)
    services.customer_figures_refresh()
    with django_assert_num_queries(len(first.captured_queries)):
        page = owner_client.get(URL, {"period": "this_year"}).content.decode()
    # Ten insurers by name, the rest in one row.
    assert shown("Other insurers (%(count)s)") % {"count": 4} in page


def test_the_csv_has_the_numbers_of_the_page(owner_client, register):
    report = owner_client.get(URL, {"period": "this_year"}).context["report"]
    response = owner_client.get(
        reverse("reports:customers_download", args=["csv"]), {"period": "this_year"}
    )
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    header, *rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    with translation.override("de"):
        assert header == [str(name) for name, _value in CUSTOMER_COLUMNS]
        status, month = gettext("Status"), pgettext("grouping", "Month")
        inactive = str(Customer.Status.INACTIVE.label)
    table, name, count, share = 0, 1, 3, 5
    months = [row for row in rows if row[table] == month]
    assert len(months) == len(report.buckets)
    assert sum(int(row[count]) for row in months) == report.new
    assert [
        (row[count], row[share]) for row in rows if row[table] == status and row[name] == inactive
    ] == [("1", "25,0")]


def test_the_xlsx_has_typed_numbers(owner_client, register):
    response = owner_client.get(reverse("reports:customers_download", args=["xlsx"]))
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    _header, *body = list(book.active.iter_rows(values_only=True))
    with translation.override("de"):
        status = gettext("Status")
    counts = [row[3] for row in body if row[0] == status]
    assert sum(counts) == 4 and all(isinstance(value, int) for value in counts)


def test_a_pie_turns_counts_into_slices():
    from reports.chart import pie_chart

    pie = pie_chart([("A", 1, None), ("B", 3, None), ("C", 0, None)])
    first, second, empty = pie.slices
    # A quarter from twelve to three o'clock, then the rest the long way round.
    assert first.path == "M100.0,100.0 L100.0,0.0 A100.0,100.0 0 0 1 200.0,100.0 Z"
    assert second.path.endswith("A100.0,100.0 0 1 1 100.0,0.0 Z")
    assert empty.path == "" and not pie.empty
    assert pie_chart([("All", 5, None), ("None", 0, None)]).slices[0].whole
    assert pie_chart([("A", 0, None)]).empty
