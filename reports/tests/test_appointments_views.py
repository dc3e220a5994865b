"""The appointments page: access, presets, a free period (bad input
answered in German), the htmx partial, the tabs between the reports,
constant queries, and CSV and XLSX files of the same numbers."""

import csv
import io
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext, pgettext
from openpyxl import load_workbook

from appointments.models import StaffCalendar
from reports import periods
from reports.tests.factories import booked
from reports.tests.test_views import german, shown
from reports.views import APPOINTMENT_COLUMNS

pytestmark = pytest.mark.django_db

URL = reverse("reports:appointments")
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def diary(owner, staff):
    """Today: an eye test (30 min) done by the owner, a fitting (45 min)
    cancelled and a check (20 min) no-show by the front desk; a year ago: one."""
    from appointments.services import appointment_set_status

    today = timezone.localdate()
    StaffCalendar.objects.create(staff=owner)
    StaffCalendar.objects.create(staff=staff)
    done = booked(staff=owner, day=today, hour=9)
    appointment_set_status(appointment_id=done.pk, status="done")
    cancelled = booked(staff=staff, day=today, hour=10, type_name="Kontaktlinsenanpassung")
    appointment_set_status(appointment_id=cancelled.pk, status="cancelled")
    missed = booked(staff=staff, day=today, hour=11, type_name="Kontaktlinsenkontrolle")
    appointment_set_status(appointment_id=missed.pk, status="no_show")
    booked(staff=owner, day=periods.year_before(today), hour=9)
    return {"done": done}


# --- Access ----------------------------------------------------------------------------


def test_anonymous_users_are_sent_to_the_login(client):
    response = client.get(URL)
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_the_front_desk_is_refused(staff_client):
    assert staff_client.get(URL).status_code == 403
    for file_format in ("csv", "xlsx"):
        download = reverse("reports:appointments_download", args=[file_format])
        assert staff_client.get(download).status_code == 403


# --- The page --------------------------------------------------------------------------


def test_this_month_by_default(owner_client, diary):
    response = owner_client.get(URL)
    assert response.status_code == 200
    report = response.context["report"]
    today = timezone.localdate()
    assert (report.period.since, report.period.until) == (today.replace(day=1), today)
    total = report.total
    assert (total.booked, total.done, total.no_show, total.cancelled) == (3, 1, 1, 1)
    assert total.minutes == 30 + 20  # the cancelled fitting is not booked time
    assert total.done_rate == Decimal("33.3")
    types = {figures.label: figures.booked for figures in report.types}
    assert types == {"Sehtest": 1, "Kontaktlinsenanpassung": 1, "Kontaktlinsenkontrolle": 1}
    staff = {figures.label: figures.minutes for figures in report.staff}
    assert staff == {"Ines Inhaber": 30, "Anna Schmidt": 20}
    assert report.staff_count == 2
    assert total.opening_minutes == report.opening_minutes * 2
    page = response.content.decode()
    assert "<svg" in page and "<title" in page and "<desc" in page
    assert 'id="appointments-buckets"' in page and 'id="appointments-staff"' in page
    assert "33,3 %" in page
    assert "Stand" in page or "As of" in page
    # The tabs between the reports, on both pages.
    assert f'href="{reverse("reports:revenue")}"' in page
    revenue = owner_client.get(reverse("reports:revenue")).content.decode()
    assert f'href="{URL}"' in revenue and 'data-report="revenue" aria-current="page"' in revenue


@pytest.mark.parametrize("preset", periods.PRESETS)
def test_every_preset(owner_client, diary, preset):
    response = owner_client.get(URL, {"period": preset})
    assert response.status_code == 200
    report = response.context["report"]
    assert report.period == periods.preset(preset, timezone.localdate())
    if preset != periods.LAST_QUARTER:
        assert report.total.booked == 3


def test_a_free_period_and_grouping(owner_client, diary):
    today = timezone.localdate()
    since = today - timezone.timedelta(days=400)
    response = owner_client.get(
        URL, {"period": "custom", "since": german(since), "until": german(today), "group": "year"}
    )
    report = response.context["report"]
    assert (report.period.since, report.period.until, report.grouping) == (since, today, "year")
    assert report.total.booked == 4


@pytest.mark.parametrize(
    ("since", "until", "message"),
    [
        ("31.02.2026", "01.03.2026", shown("Please enter a date like 23.11.2026.")),
        ("10.03.2026", "01.03.2026", shown("Please choose an end on or after the start.")),
        ("", "01.03.2026", shown("Please enter both dates of the period.")),
        ("01.01.2000", "01.03.2026", shown("Please choose a period of at most ten years.")),
    ],
)
def test_a_bad_free_period_is_answered_in_german(owner_client, diary, since, until, message):
    response = owner_client.get(URL, {"period": "custom", "since": since, "until": until})
    assert response.status_code == 200
    page = response.content.decode()
    assert message in page and 'role="alert"' in page
    assert shown("The report shows this month.") in page
    assert response.context["preset"] == periods.THIS_MONTH


def test_garbled_parameters_fall_back(owner_client, diary):
    for params in ({"period": "<script>"}, {"group": "decade"}, {"since": "x" * 5000}):
        assert owner_client.get(URL, params).status_code == 200


def test_htmx_gets_the_report_alone(owner_client, diary):
    response = owner_client.get(URL, {"period": "this_year"}, **HTMX)
    page = response.content.decode()
    assert page.lstrip().startswith('<div id="appointments-report">')
    assert 'hx-target="#appointments-report"' in page
    assert "<html" not in page


def test_the_page_reads_the_same_queries_for_more(
    owner_client, diary, owner, staff, django_assert_num_queries
):
    owner_client.get(URL)  # sessions and the like warmed up
    with django_assert_num_queries(9) as first:
        owner_client.get(URL, {"period": "this_year"})
    today = timezone.localdate()
    for day in range(1, 15):
        booked(staff=staff, day=today - timezone.timedelta(days=day), hour=15)
        booked(
            staff=owner,
            day=today - timezone.timedelta(days=day),
            hour=16,
            type_name="Brillenberatung",
        )
    with django_assert_num_queries(len(first.captured_queries)):
        owner_client.get(URL, {"period": "this_year"})


# --- Downloads -------------------------------------------------------------------------


def test_the_csv_has_the_numbers_of_the_page(owner_client, diary):
    page = owner_client.get(URL, {"period": "this_month"}).context["report"]
    response = owner_client.get(
        reverse("reports:appointments_download", args=["csv"]), {"period": "this_month"}
    )
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    header, *rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    with translation.override("de"):
        assert header == [str(name) for name, _value in APPOINTMENT_COLUMNS]
        total, kind, day = (
            gettext("Total"),
            gettext("Appointment type"),
            pgettext("grouping", "Day"),
        )
    table, booked_at, done_rate = 0, 3, 5
    assert [row[booked_at] for row in rows if row[table] == total] == ["3"]
    assert [row[done_rate] for row in rows if row[table] == total] == ["33,3"]
    assert len([row for row in rows if row[table] == kind]) == 3
    days = [row for row in rows if row[table] == day]
    assert len(days) == len(page.buckets)
    assert sum(int(row[booked_at]) for row in days) == 3


def test_the_xlsx_has_typed_numbers(owner_client, diary):
    response = owner_client.get(
        reverse("reports:appointments_download", args=["xlsx"]), {"period": "this_month"}
    )
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    _header, *body = list(book.active.iter_rows(values_only=True))
    with translation.override("de"):
        total = [row for row in body if row[0] == gettext("Total")][0]
    assert total[3] == 3
    assert Decimal(str(total[5])) == Decimal("33.3")


def test_an_unknown_format_is_not_found(owner_client):
    download = reverse("reports:appointments_download", args=["pdf"])
    assert owner_client.get(download).status_code == 404


def test_a_chart_of_counts_has_whole_steps():
    from reports.chart import bar_chart

    ticks = [value for value, _y in bar_chart([("Mo", Decimal(1), Decimal(0))], whole=True).ticks]
    assert ticks == [Decimal(0), Decimal(1)]
