"""The appointments summary (reports_appointmentday), kept by the database
through inserts, updates and deletes, and the report read from it, equal
what is computed here independently from the raw appointment rows: each
count, rate and the utilisation against the opening hours."""

import datetime
from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal

import holidays
import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone

from appointments.models import Appointment, ClosedDay, OpeningHours, StaffCalendar
from reports import periods
from reports.models import AppointmentDay
from reports.selectors import appointments_report
from reports.tests.factories import appointment_data, booked

pytestmark = pytest.mark.django_db


@pytest.fixture
def users(django_user_model):
    made = {
        name: django_user_model.objects.create_user(username=name, first_name=name.title())
        for name in ("anna", "bernd", "clara", "dora")
    }
    # Dora takes appointments but has none: her calendar counts for the capacity.
    for name in ("anna", "bernd", "dora"):
        StaffCalendar.objects.create(staff=made[name])
    return made


def rows() -> list[dict]:
    """Each appointment as the report should count it, from the table."""
    return [
        {
            "day": timezone.localtime(a.start).date(),
            "type": a.type_id,
            "staff": a.staff_id,
            "status": a.status,
            "minutes": int((a.end - a.start).total_seconds()) // 60,
        }
        for a in Appointment.objects.all()
    ]


def expected_summary() -> dict:
    """(day, type, None) and (day, None, staff) -> the five sums."""
    sums = defaultdict(lambda: [0, 0, 0, 0, 0])
    for row in rows():
        for key in ((row["day"], row["type"], None), (row["day"], None, row["staff"])):
            sums[key][0] += 1
            sums[key][1] += row["status"] == "done"
            sums[key][2] += row["status"] == "no_show"
            sums[key][3] += row["status"] == "cancelled"
            sums[key][4] += 0 if row["status"] == "cancelled" else row["minutes"]
    return dict(sums)


def kept() -> dict:
    return {
        (row.day, row.type_id, row.staff_id): [
            row.booked, row.done, row.no_show, row.cancelled, row.minutes,
        ]
        for row in AppointmentDay.objects.all()
    }  # fmt: skip


def test_the_summary_equals_the_appointments_through_every_change(users):
    made = appointment_data(users)
    want = expected_summary()
    assert kept() == want
    # The data set reaches what it is meant to.
    statuses = {row["status"] for row in rows()}
    assert statuses == {"planned", "confirmed", "done", "no_show", "cancelled"}
    assert not Appointment.objects.filter(pk__in=made["deleted"]).exists()
    moved = Appointment.objects.get(pk=made["moved"].pk)
    assert moved.staff_id == users["clara"].pk
    # Half past midnight in Berlin counts for Berlin's day.
    midnight = Appointment.objects.get(pk=made["appointments"][-1].pk)
    assert (
        midnight.start.astimezone(datetime.UTC).date() < timezone.localtime(midnight.start).date()
    )
    assert (
        timezone.localtime(midnight.start).date(),
        None,
        midnight.staff_id,
    ) in kept()


def test_the_fill_function_gives_the_same(users):
    """The backfill of migration 0004 and the benchmark's load."""
    appointment_data(users)
    before = kept()
    with connection.cursor() as cursor:
        cursor.execute("SELECT reports_appointment_fill()")
    assert kept() == before == expected_summary()


def test_a_row_left_empty_goes(users):
    appointment = booked(staff=users["anna"], day=timezone.localdate(), hour=10)
    assert AppointmentDay.objects.count() == 2  # its type's and its staff member's
    appointment.delete()
    assert not AppointmentDay.objects.exists()


def opening_minutes(since: datetime.date, until: datetime.date) -> int:
    """The shop's open minutes, computed from the rows: weekday hours, none
    on a public holiday of the shop's state or a closed day."""
    state = holidays.country_holidays(
        "DE", subdiv=settings.SHOP_FEDERAL_STATE, years=range(since.year, until.year + 1)
    )
    closed = list(ClosedDay.objects.all())
    total, day = 0, since
    while day <= until:
        if day not in state and not any(c.first_day <= day <= c.last_day for c in closed):
            for hours in OpeningHours.objects.filter(weekday=day.weekday()):
                opens = hours.opens.hour * 60 + hours.opens.minute
                total += hours.closes.hour * 60 + hours.closes.minute - opens
        day += datetime.timedelta(days=1)
    return total


def share(part: int, whole: int) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(part * 100) / whole).quantize(Decimal("0.1"), ROUND_HALF_UP)


def counted(selected: list[dict]) -> dict:
    return {
        "booked": len(selected),
        "done": sum(row["status"] == "done" for row in selected),
        "no_show": sum(row["status"] == "no_show" for row in selected),
        "cancelled": sum(row["status"] == "cancelled" for row in selected),
        "minutes": sum(row["minutes"] for row in selected if row["status"] != "cancelled"),
    }


def same(figures, want: dict, capacity: int | None = None) -> None:
    got = {name: getattr(figures, name) for name in want}
    assert got == want, figures.label
    assert figures.done_rate == share(want["done"], want["booked"])
    assert figures.no_show_rate == share(want["no_show"], want["booked"])
    assert figures.cancelled_rate == share(want["cancelled"], want["booked"])
    if capacity is not None:
        assert figures.opening_minutes == capacity
        assert figures.utilisation == share(want["minutes"], capacity)


@pytest.mark.parametrize("grouping", [periods.MONTH, periods.WEEK])
def test_the_report_equals_the_raw_appointments(users, grouping):
    appointment_data(users)
    today = timezone.localdate()
    ClosedDay.objects.create(
        first_day=today - datetime.timedelta(days=10),
        last_day=today - datetime.timedelta(days=8),
        reason="Inventur",
    )
    period = periods.Period(
        today - datetime.timedelta(days=200), today + datetime.timedelta(days=30)
    )
    report = appointments_report(period, grouping)
    everything = rows()
    inside = [row for row in everything if period.since <= row["day"] <= period.until]
    previous = period.year_before()
    open_minutes = opening_minutes(period.since, period.until)
    # Anna, Bernd and Clara have appointments; Dora's calendar takes them.
    staff_count = 4
    assert (report.opening_minutes, report.staff_count) == (open_minutes, staff_count)

    same(report.total, counted(inside), open_minutes * staff_count)
    assert report.total.previous_booked == sum(
        previous.since <= row["day"] <= previous.until for row in everything
    )
    by_type = {figures.key: figures for figures in report.types}
    assert set(by_type) == {str(row["type"]) for row in inside}
    for key, figures in by_type.items():
        same(figures, counted([row for row in inside if str(row["type"]) == key]))
        assert figures.utilisation is None
    by_staff = {figures.key: figures for figures in report.staff}
    assert set(by_staff) == {str(user.pk) for user in users.values()}
    for key, figures in by_staff.items():
        same(figures, counted([r for r in inside if str(r["staff"]) == key]), open_minutes)
    assert by_staff[str(users["dora"].pk)].booked == 0
    # The chart's buckets: each period's own days.
    assert [b.start for b in report.buckets] == periods.buckets(period, grouping)
    for bucket in report.buckets:
        days = [
            day
            for day in (period.since + datetime.timedelta(n) for n in range(period.days))
            if periods.start_of(day, grouping) == bucket.start
        ]
        mine = [row for row in inside if row["day"] in days]
        capacity = opening_minutes(days[0], days[-1]) * staff_count
        same(bucket, counted(mine), capacity)
    assert sum(bucket.booked for bucket in report.buckets) == report.total.booked
