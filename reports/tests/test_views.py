"""The revenue page: access, presets, a free period (bad input answered in
German), the htmx partial, constant queries, and CSV and XLSX files of the
same numbers."""

import csv
import io
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.html import escape
from django.utils.translation import gettext, pgettext
from openpyxl import load_workbook

from reports import periods
from reports.models import RevenueDay
from reports.tests.factories import issued, products
from reports.views import COLUMNS

pytestmark = pytest.mark.django_db

URL = reverse("reports:revenue")
HTMX = {"HTTP_HX_REQUEST": "true"}


def german(day) -> str:
    return f"{day.day:02d}.{day.month:02d}.{day.year}"


@pytest.fixture
def sales(owner, staff):
    """Today: a frame (249,00) by the owner, a care product (9,95 at 7 %) by
    the front desk; a year ago: a frame."""
    stock = products()
    today = issued([{"product": stock["frame"]}], user=owner)
    issued([{"product": stock["care"]}], user=staff)
    issued([{"product": stock["frame"]}], user=owner, ago=365)
    return {"today": today, "stock": stock}


# --- Access ----------------------------------------------------------------------------


def test_anonymous_users_are_sent_to_the_login(client):
    response = client.get(URL)
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_the_front_desk_is_refused_and_sees_no_link(staff_client):
    assert staff_client.get(URL).status_code == 403
    for file_format in ("csv", "xlsx"):
        download = reverse("reports:revenue_download", args=[file_format])
        assert staff_client.get(download).status_code == 403
    start = staff_client.get(reverse("home")).content.decode()
    assert URL not in start


def test_the_owner_has_the_link(owner_client):
    assert f'href="{URL}"' in owner_client.get(reverse("home")).content.decode()


def test_a_user_with_the_permission(outsider, outsider_client):
    from django.contrib.auth.models import Permission

    outsider.user_permissions.add(Permission.objects.get(codename="view_reports"))
    assert outsider_client.get(URL).status_code == 200


# --- The page --------------------------------------------------------------------------


def test_this_month_by_default(owner_client, sales, owner, staff):
    response = owner_client.get(URL)
    assert response.status_code == 200
    report = response.context["report"]
    today = timezone.localdate()
    assert (report.period.since, report.period.until) == (today.replace(day=1), today)
    assert report.grouping == periods.DAY
    # 249,00 at 19 % and 9,95 at 7 %: net 209,24 + 9,30.
    assert report.total.net == Decimal("218.54")
    assert report.total.gross == Decimal("258.95")
    groups = {figures.key: figures for figures in report.groups}
    assert groups["frames"].net == Decimal("209.24")
    assert groups["frames"].cost == Decimal("67.23")  # 80,00 gross without 19 %
    assert groups["frames"].margin == Decimal("142.01")
    staff_rows = {figures.label: figures.net for figures in report.staff}
    assert staff_rows == {"Ines Inhaber": Decimal("209.24"), "Anna Schmidt": Decimal("9.30")}
    page = response.content.decode()
    assert "218,54\u00a0€" in page
    assert "<svg" in page and "<title" in page and "<desc" in page
    assert 'id="revenue-buckets"' in page
    assert "Stand" in page or "As of" in page


def test_this_year_compares_the_year_before(owner_client, sales):
    report = owner_client.get(URL, {"period": "this_year"}).context["report"]
    assert report.grouping == periods.MONTH
    assert report.total.net == Decimal("218.54")
    # The frame a year ago counts for the year before if the day falls in its span.
    assert report.total.previous_net in (Decimal("209.24"), Decimal("0.00"))
    bucket = [b for b in report.buckets if b.start.month == timezone.localdate().month][0]
    assert bucket.net == Decimal("218.54")


@pytest.mark.parametrize("preset", periods.PRESETS)
def test_every_preset(owner_client, sales, preset):
    response = owner_client.get(URL, {"period": preset})
    assert response.status_code == 200
    report = response.context["report"]
    assert report.period == periods.preset(preset, timezone.localdate())
    if preset != periods.LAST_QUARTER:
        assert report.total.net == Decimal("218.54")


def test_a_free_period_and_grouping(owner_client, sales):
    today = timezone.localdate()
    since = today - timezone.timedelta(days=400)
    response = owner_client.get(
        URL, {"period": "custom", "since": german(since), "until": german(today), "group": "year"}
    )
    report = response.context["report"]
    assert (report.period.since, report.period.until, report.grouping) == (since, today, "year")
    assert report.total.net == Decimal("218.54") + Decimal("209.24")


def shown(text: str) -> str:
    """``text`` as the German page shows it (German once translations.json
    is merged into the catalogue)."""
    with translation.override("de"):
        return escape(gettext(text))


@pytest.mark.parametrize(
    ("since", "until", "message"),
    [
        ("31.02.2026", "01.03.2026", shown("Please enter a date like 23.11.2026.")),
        ("gestern", "", shown("Please enter a date like 23.11.2026.")),
        ("10.03.2026", "01.03.2026", shown("Please choose an end on or after the start.")),
        ("", "01.03.2026", shown("Please enter both dates of the period.")),
        ("01.01.0001", "01.03.2026", shown("Please enter dates between 1900 and 2199.")),
    ],
)
def test_a_bad_free_period_is_answered_in_german(owner_client, sales, since, until, message):
    response = owner_client.get(URL, {"period": "custom", "since": since, "until": until})
    assert response.status_code == 200
    page = response.content.decode()
    assert message in page
    assert shown("The report shows this month.") in page
    assert 'role="alert"' in page
    assert response.context["preset"] == periods.THIS_MONTH


def test_garbled_parameters_fall_back(owner_client, sales):
    for params in ({"period": "<script>"}, {"group": "decade"}, {"since": "x" * 5000}):
        assert owner_client.get(URL, params).status_code == 200


def test_htmx_gets_the_report_alone(owner_client, sales):
    response = owner_client.get(URL, {"period": "this_year"}, **HTMX)
    page = response.content.decode()
    assert page.lstrip().startswith('<div id="revenue-report">')
    assert "<html" not in page


def test_the_page_reads_the_same_queries_for_more(
    owner_client, sales, staff, django_assert_num_queries
):
    owner_client.get(URL)  # sessions and the like warmed up
    with django_assert_num_queries(6) as first:
        owner_client.get(URL, {"period": "this_year"})
    for day in range(1, 20):
        issued([{"product": sales["stock"]["accessory"]}], user=staff, ago=day)
    with django_assert_num_queries(len(first.captured_queries)):
        owner_client.get(URL, {"period": "this_year"})


# --- Downloads -------------------------------------------------------------------------


def test_the_csv_has_the_numbers_of_the_page(owner_client, sales):
    page = owner_client.get(URL, {"period": "this_month"}).context["report"]
    response = owner_client.get(
        reverse("reports:revenue_download", args=["csv"]), {"period": "this_month"}
    )
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    header, *rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    with translation.override("de"):
        assert header == [str(name) for name, _value in COLUMNS]
        total, group, day, frames = (
            gettext("Total"), gettext("Product group"), pgettext("grouping", "Day"),
            pgettext("product group", "Frames"),
        )  # fmt: skip
    table, name, net, margin = 0, 1, 4, 8
    assert [row[net] for row in rows if row[table] == total] == ["218,54"]
    groups = {row[name]: row for row in rows if row[table] == group}
    assert len(groups) == 6
    assert groups[frames][margin] == "142,01"
    days = [row for row in rows if row[table] == day]
    assert len(days) == len(page.buckets)
    assert sum(Decimal(row[net].replace(",", ".")) for row in days) == Decimal("218.54")


def test_the_xlsx_has_typed_numbers(owner_client, sales):
    response = owner_client.get(
        reverse("reports:revenue_download", args=["xlsx"]), {"period": "this_month"}
    )
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    rows = list(book.active.iter_rows(values_only=True))
    _header, *body = rows
    with translation.override("de"):
        total = [row for row in body if row[0] == gettext("Total")][0]
    assert Decimal(str(total[4])) == Decimal("218.54")
    assert isinstance(total[4], float | int)


def test_an_unknown_format_is_not_found(owner_client):
    assert owner_client.get(reverse("reports:revenue_download", args=["pdf"])).status_code == 404


def test_the_table_is_not_written_by_python():
    assert RevenueDay._meta.default_permissions == ()
