"""The reports, read from the summary tables alone (kept by the database):
a year of a chain is a few thousand rows, so every figure is summed in SQL
in three queries, whatever the period (per chart bucket, per product group
or appointment type, per staff member), each for the period and the same
period a year before.

The revenue report (Umsatz) reads models.RevenueDay; the appointments
report (Termine) models.AppointmentDay and, for the utilisation, the
shop's opening hours (appointments.schedule); the customer report (Kunden)
the customer snapshot (models.CustomerFigure) and the recalls sent."""

import datetime
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.db import connection
from django.db.models import Q, Sum
from django.db.models.functions import Trunc
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from appointments import schedule
from appointments.models import StaffCalendar
from opticrm.lib.dates import start_of_day
from opticrm.lib.display import related_name
from reports import periods
from reports.models import (
    CUSTOMER_SNAPSHOT,
    AppointmentDay,
    CustomerFigure,
    Dimension,
    Group,
    RevenueDay,
    Snapshot,
)

ZERO = Decimal("0.00")


@dataclass
class Figures:
    """Sums of one row of a table (a product group, a staff member, all)."""

    key: str
    label: str
    net: Decimal = ZERO
    gross: Decimal = ZERO
    cost: Decimal = ZERO
    positions: int = 0
    previous_net: Decimal = ZERO

    @property
    def vat(self) -> Decimal:
        return self.gross - self.net

    @property
    def margin(self) -> Decimal:
        """Net revenue less the net purchase cost of the products sold."""
        return self.net - self.cost

    @property
    def margin_percent(self) -> Decimal | None:
        """The margin in per cent of the net revenue (as products.models.margin
        gives it of the sale price), one decimal."""
        return (self.margin * 100 / self.net).quantize(Decimal("0.1")) if self.net else None

    @property
    def change_percent(self) -> Decimal | None:
        """The change of the net against the year before, in per cent."""
        if not self.previous_net:
            return None
        change = (self.net - self.previous_net) * 100 / abs(self.previous_net)
        return change.quantize(Decimal("0.1"))


@dataclass
class Bucket:
    start: datetime.date
    label: str
    net: Decimal
    # The same bucket a year before (None beyond its end).
    previous_start: datetime.date | None
    previous_net: Decimal | None


@dataclass
class RevenueReport:
    period: periods.Period
    previous: periods.Period
    grouping: str
    buckets: list[Bucket] = field(default_factory=list)
    groups: list[Figures] = field(default_factory=list)
    staff: list[Figures] = field(default_factory=list)
    total: Figures = field(default_factory=lambda: Figures("total", ""))


def bucket_label(start: datetime.date, grouping: str) -> str:
    if grouping == periods.DAY:
        return formats.date_format(start, "d.m.")
    if grouping == periods.WEEK:
        week = start.isocalendar()  # the year is in the table and the title
        return _("wk %(week)s") % {"week": week.week}
    if grouping == periods.MONTH:
        return formats.date_format(start, "M y")
    return str(start.year)


def _per_bucket(rows, grouping: str, **sums) -> dict:
    """The ``sums`` of ``rows`` (a summary table's, with a ``day``) per
    bucket of the grouping, by the bucket's first day."""
    kind = {periods.DAY: "day", periods.WEEK: "week", periods.MONTH: "month"}.get(grouping, "year")
    return {
        row["bucket"]: row
        for row in rows.annotate(bucket=Trunc("day", kind))
        .values("bucket")
        .annotate(**sums)
        .order_by()
    }


def matched_buckets(
    period: periods.Period, previous: periods.Period, grouping: str
) -> list[tuple[datetime.date, datetime.date | None]]:
    """The first day of each bucket of ``period`` and of the bucket at the
    same position of ``previous`` (None beyond its end)."""
    previous_starts = periods.buckets(previous, grouping)
    return [
        (start, previous_starts[index] if index < len(previous_starts) else None)
        for index, start in enumerate(periods.buckets(period, grouping))
    ]


def _staff_label(row: dict) -> str:
    if row["staff"] is None:
        return _("Not recorded")
    if row["staff__username"] is None:
        return _("Former staff member")
    return related_name(_Person(row))


def _in(period: periods.Period) -> Q:
    return Q(day__range=(period.since, period.until))


def _sums(period: periods.Period, previous: periods.Period) -> dict:
    now, before = _in(period), _in(previous)
    return {
        "sum_net": Sum("net", filter=now, default=ZERO),
        "sum_gross": Sum("gross", filter=now, default=ZERO),
        "sum_cost": Sum("cost", filter=now, default=ZERO),
        "sum_positions": Sum("positions", filter=now, default=0),
        "sum_previous_net": Sum("net", filter=before, default=ZERO),
    }


def _figures(row: dict, key: str, label: str) -> Figures:
    return Figures(
        key=key,
        label=label,
        net=row["sum_net"],
        gross=row["sum_gross"],
        cost=row["sum_cost"],
        positions=row["sum_positions"],
        previous_net=row["sum_previous_net"],
    )


def revenue_report(period: periods.Period, grouping: str) -> RevenueReport:
    previous = period.year_before()
    report = RevenueReport(period=period, previous=previous, grouping=grouping)
    rows = RevenueDay.objects.filter(_in(period) | _in(previous))
    # Each invoice is in a row of its product groups and a row of its staff
    # member (models.RevenueDay): the chart and the groups read the former.
    by_group = rows.exclude(category="")
    by_staff = rows.filter(category="")

    # The chart: net per bucket of both periods, matched by position.
    # Each period's own days only (a bucket at the edge may hold days of both).
    per_bucket = _per_bucket(
        by_group,
        grouping,
        sum_net=Sum("net", filter=_in(period), default=ZERO),
        sum_previous_net=Sum("net", filter=_in(previous), default=ZERO),
    )
    for start, before in matched_buckets(period, previous, grouping):
        previous_net = per_bucket.get(before, {}).get("sum_previous_net", ZERO) if before else None
        report.buckets.append(
            Bucket(
                start=start,
                label=bucket_label(start, grouping),
                net=per_bucket.get(start, {}).get("sum_net", ZERO),
                previous_start=before,
                previous_net=previous_net,
            )
        )

    # By product group: every group, in the order of the choices.
    sums = _sums(period, previous)
    found = {
        row["category"]: row for row in by_group.values("category").annotate(**sums).order_by()
    }
    empty = dict.fromkeys(sums, ZERO) | {"sum_positions": 0}
    report.groups = [
        _figures(found.get(group.value, empty), group.value, str(group.label)) for group in Group
    ]

    # By staff member, the most revenue first.
    staff = (
        by_staff.values("staff", "staff__username", "staff__first_name", "staff__last_name")
        .annotate(**sums)
        .order_by()
    )
    for row in staff:
        report.staff.append(_figures(row, str(row["staff"] or ""), _staff_label(row)))
    report.staff.sort(key=lambda figures: (-figures.net, figures.label))

    total = report.total
    total.label = _("Total")
    for figures in report.groups:
        total.net += figures.net
        total.gross += figures.gross
        total.cost += figures.cost
        total.positions += figures.positions
        total.previous_net += figures.previous_net
    return report


class _Person:
    """A user's names as related_name reads them, from a values() row."""

    def __init__(self, row: dict):
        self.row = row

    def get_full_name(self) -> str:
        return f"{self.row['staff__first_name']} {self.row['staff__last_name']}".strip()

    def get_username(self) -> str:
        return self.row["staff__username"]


# --- Appointments (Termine) ------------------------------------------------------------


def percent(part: int, whole: int) -> Decimal | None:
    """``part`` in per cent of ``whole``, one decimal rounded half up; None
    of nothing."""
    if not whole:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1"), ROUND_HALF_UP)


@dataclass
class AppointmentFigures:
    """The appointments of one row of a table (a type, a staff member, a
    chart bucket, all). ``opening_minutes`` is the calendar's capacity (None
    where it means nothing: an appointment type)."""

    key: str
    label: str
    booked: int = 0
    done: int = 0
    no_show: int = 0
    cancelled: int = 0
    minutes: int = 0
    opening_minutes: int | None = None
    previous_booked: int | None = 0
    start: datetime.date | None = None

    @property
    def done_rate(self) -> Decimal | None:
        return percent(self.done, self.booked)

    @property
    def no_show_rate(self) -> Decimal | None:
        return percent(self.no_show, self.booked)

    @property
    def cancelled_rate(self) -> Decimal | None:
        return percent(self.cancelled, self.booked)

    @property
    def hours(self) -> Decimal:
        return (Decimal(self.minutes) / 60).quantize(Decimal("0.1"), ROUND_HALF_UP)

    @property
    def utilisation(self) -> Decimal | None:
        """Booked minutes (not cancelled) in per cent of the opening minutes."""
        return percent(self.minutes, self.opening_minutes or 0)


@dataclass
class AppointmentsReport:
    period: periods.Period
    previous: periods.Period
    grouping: str
    # Minutes the shop is open in the period, and how many staff members'
    # calendars it counts (the utilisation's denominator is their product).
    opening_minutes: int = 0
    staff_count: int = 0
    buckets: list[AppointmentFigures] = field(default_factory=list)
    types: list[AppointmentFigures] = field(default_factory=list)
    staff: list[AppointmentFigures] = field(default_factory=list)
    total: AppointmentFigures = field(default_factory=lambda: AppointmentFigures("total", ""))

    @property
    def opening_hours(self) -> Decimal:
        return (Decimal(self.opening_minutes) / 60).quantize(Decimal("0.1"), ROUND_HALF_UP)


def opening_minutes_by_day(period: periods.Period) -> dict[datetime.date, int]:
    """The minutes the shop is open on each day of the period: its weekday's
    opening hours (merged), none on a public holiday or a closed day."""
    days = [period.since + datetime.timedelta(days=n) for n in range(period.days)]
    opening, closed = schedule.days_schedule(days)
    minutes = {}
    for day in days:
        minutes[day] = (
            0
            if closed[day]
            else sum(
                (closes.hour * 60 + closes.minute) - (opens.hour * 60 + opens.minute)
                for opens, closes in opening[day]
            )
        )
    return minutes


def _appointment_sums(only: Q) -> dict:
    return {
        "sum_booked": Sum("booked", filter=only, default=0),
        "sum_done": Sum("done", filter=only, default=0),
        "sum_no_show": Sum("no_show", filter=only, default=0),
        "sum_cancelled": Sum("cancelled", filter=only, default=0),
        "sum_minutes": Sum("minutes", filter=only, default=0),
    }


def _appointment_figures(row: dict, key: str, label: str, **more) -> AppointmentFigures:
    return AppointmentFigures(
        key=key,
        label=label,
        booked=row["sum_booked"],
        done=row["sum_done"],
        no_show=row["sum_no_show"],
        cancelled=row["sum_cancelled"],
        minutes=row["sum_minutes"],
        **more,
    )


def appointments_report(period: periods.Period, grouping: str) -> AppointmentsReport:
    previous = period.year_before()
    report = AppointmentsReport(period=period, previous=previous, grouping=grouping)
    now = _in(period)
    # Each appointment is in a row of its type and a row of its staff member.
    by_type = AppointmentDay.objects.filter(staff__isnull=True)
    in_period = AppointmentDay.objects.filter(now)
    sums = _appointment_sums(now)
    empty = dict.fromkeys(sums, 0)

    # Who the calendar counts: every staff member with an appointment in the
    # period and everyone whose calendar takes appointments now.
    staff_rows = {
        row["staff"]: row
        for row in in_period.filter(type__isnull=True)
        .values("staff", "staff__username", "staff__first_name", "staff__last_name")
        .annotate(**sums)
        .order_by()
    }
    for row in StaffCalendar.objects.filter(active=True).values(
        "staff", "staff__username", "staff__first_name", "staff__last_name"
    ):
        staff_rows.setdefault(row["staff"], row | empty)
    report.staff_count = len(staff_rows)
    opening = opening_minutes_by_day(period)
    report.opening_minutes = sum(opening.values())

    # The chart: booked per bucket, and a year before, matched by position.
    per_bucket = _per_bucket(
        by_type.filter(now | _in(previous)),
        grouping,
        **sums,
        sum_previous_booked=Sum("booked", filter=_in(previous), default=0),
    )
    capacity: dict[datetime.date, int] = {}
    for day, minutes in opening.items():
        start = periods.start_of(day, grouping)
        capacity[start] = capacity.get(start, 0) + minutes
    for start, before in matched_buckets(period, previous, grouping):
        row = per_bucket.get(start, empty)
        previous_booked = (
            per_bucket.get(before, {}).get("sum_previous_booked", 0) if before else None
        )
        report.buckets.append(
            _appointment_figures(
                row,
                start.isoformat(),
                bucket_label(start, grouping),
                opening_minutes=capacity.get(start, 0) * report.staff_count,
                previous_booked=previous_booked,
                start=start,
            )
        )

    # By appointment type, in the order of the types.
    types = (
        by_type.filter(now)
        .values("type", "type__name", "type__position")
        .annotate(**sums)
        .order_by("type__position", "type__name")
    )
    report.types = [
        _appointment_figures(
            row, str(row["type"]), row["type__name"] or _("Former appointment type")
        )
        for row in types
    ]

    # By staff member, the most booked first.
    report.staff = [
        _appointment_figures(
            row, str(pk), _staff_label(row), opening_minutes=report.opening_minutes
        )
        for pk, row in staff_rows.items()
    ]
    report.staff.sort(key=lambda figures: (-figures.booked, figures.label))

    total = report.total
    total.label = _("Total")
    total.opening_minutes = report.opening_minutes * report.staff_count
    for figures in report.buckets:
        total.booked += figures.booked
        total.done += figures.done
        total.no_show += figures.no_show
        total.cancelled += figures.cancelled
        total.minutes += figures.minutes
    total.previous_booked = sum(row["sum_previous_booked"] for row in per_bucket.values())
    return report


# --- Customers (Kunden) ----------------------------------------------------------------

# Age groups (docs/rules.md "Reports"): the lower bound of each, in years;
# 45 is where reading glasses begin (presbyopia), 75 where cataracts do.
AGE_GROUPS = (0, 18, 30, 45, 60, 75)
# A recall counts as a success when the customer books within this time.
RECALL_WINDOW = datetime.timedelta(weeks=8)
# The insurers shown by name, the most customers first; the rest in one row.
TOP_INSURERS = 10


@dataclass
class CountRow:
    """A row of a count table: a label, how many, its share of all."""

    key: str
    label: str
    count: int = 0
    share: Decimal | None = None


@dataclass
class RecallFigures:
    """The recalls of one kind sent in the period: how many, how many of
    them led to an appointment booked within RECALL_WINDOW, how many are
    still inside their window without one (yet)."""

    key: str
    label: str
    sent: int = 0
    booked: int = 0
    waiting: int = 0

    @property
    def decided(self) -> int:
        return self.sent - self.waiting

    @property
    def success_rate(self) -> Decimal | None:
        """Booked in per cent of the recalls whose window has ended or that
        led to a booking already (the waiting ones may still)."""
        return percent(self.booked, self.decided)


@dataclass
class NewCustomers:
    start: datetime.date
    label: str
    count: int
    previous_start: datetime.date | None
    previous_count: int | None


@dataclass
class CustomersReport:
    period: periods.Period
    previous: periods.Period
    grouping: str
    # When the snapshot was counted (None: not yet).
    as_of: datetime.datetime | None = None
    buckets: list[NewCustomers] = field(default_factory=list)
    new: int = 0
    previous_new: int = 0
    customers: int = 0
    statuses: list[CountRow] = field(default_factory=list)
    ages: list[CountRow] = field(default_factory=list)
    insurer_kinds: list[CountRow] = field(default_factory=list)
    insurers: list[CountRow] = field(default_factory=list)
    recalls: list[RecallFigures] = field(default_factory=list)
    recall_total: RecallFigures = field(default_factory=lambda: RecallFigures("total", ""))

    @property
    def change_percent(self) -> Decimal | None:
        if not self.previous_new:
            return None
        change = (self.new - self.previous_new) * 100 / Decimal(self.previous_new)
        return change.quantize(Decimal("0.1"), ROUND_HALF_UP)


def _shares(rows: list[CountRow], whole: int) -> list[CountRow]:
    for row in rows:
        row.share = percent(row.count, whole)
    return rows


def age_group_label(low: int, high: int | None) -> str:
    if low == 0:
        return _("under %(age)s") % {"age": high}
    if high is None:
        return _("%(age)s and older") % {"age": low}
    return _("%(low)s–%(high)s") % {"low": low, "high": high - 1}


def _ages(figures, until: datetime.date) -> list[CountRow]:
    """The customers per age group on ``until`` (their age that day), from
    the snapshot's dates of birth: a customer is at least n years old on
    the day n years after their birth (29 February: the 28th)."""
    from customers.validators import years_before

    bounds = list(AGE_GROUPS[1:])
    sums = {}
    for index, low in enumerate(AGE_GROUPS):
        # Born after the day ``high`` years before, on or before ``low``.
        only = Q(day__isnull=False)
        if low:
            only &= Q(day__lte=years_before(until, low))
        if index < len(bounds):
            only &= Q(day__gt=years_before(until, bounds[index]))
        sums[f"age_{low}"] = Sum("count", filter=only, default=0)
    sums["unknown"] = Sum("count", filter=Q(day__isnull=True), default=0)
    row = figures.filter(dimension=Dimension.BIRTH).aggregate(**sums)
    groups = [
        CountRow(
            str(low),
            age_group_label(low, bounds[index] if index < len(bounds) else None),
            row[f"age_{low}"],
        )
        for index, low in enumerate(AGE_GROUPS)
    ]
    groups.append(CountRow("unknown", _("Date of birth not known"), row["unknown"]))
    return groups


_RECALLS = """
SELECT kind, count(*), count(*) FILTER (WHERE booked),
       count(*) FILTER (WHERE NOT booked AND sent_at > %(open_since)s)
FROM (
    SELECT m.kind, m.sent_at, EXISTS (
        SELECT 1 FROM appointments_appointment a
        WHERE a.customer_id = m.customer_id
          AND a.created_at >= m.sent_at AND a.created_at < m.sent_at + %(window)s
          AND a.status <> %(cancelled)s
    ) AS booked
    FROM messaging_message m
    WHERE m.kind = ANY(%(kinds)s) AND m.sent_at >= %(since)s AND m.sent_at < %(until)s
    OFFSET 0  -- keeps each look-up to one: not folded into the counts
) recalls
GROUP BY kind
"""


def _recalls(period: periods.Period, now: datetime.datetime) -> list[RecallFigures]:
    """The recalls sent in the period per kind, with their successes: an
    appointment (not cancelled) booked by the customer within RECALL_WINDOW
    after the recall was sent. In SQL of its own so that each recall's
    look-up runs once (the ORM would repeat it for each count)."""
    from appointments.models import AppointmentStatus
    from messaging.models import RECALL_KINDS

    with connection.cursor() as cursor:
        cursor.execute(
            _RECALLS,
            {
                "open_since": now - RECALL_WINDOW,
                "window": RECALL_WINDOW,
                "cancelled": AppointmentStatus.CANCELLED.value,
                "kinds": [kind.value for kind in RECALL_KINDS],
                "since": start_of_day(period.since),
                "until": start_of_day(period.until + datetime.timedelta(days=1)),
            },
        )
        found = {kind: (sent, booked, waiting) for kind, sent, booked, waiting in cursor}
    rows = []
    for kind in RECALL_KINDS:
        sent, booked, waiting = found.get(kind.value, (0, 0, 0))
        rows.append(RecallFigures(kind.value, str(kind.label), sent, booked, waiting))
    return rows


def customers_report(period: periods.Period, grouping: str) -> CustomersReport:
    """New customers per bucket (and a year before) and the period's
    recalls from the live tables; status, age groups and insurers from the
    snapshot (models.CustomerFigure, counted every few minutes)."""
    from customers.models import Customer, InsuranceProvider

    previous = period.year_before()
    report = CustomersReport(period=period, previous=previous, grouping=grouping)
    snapshot = Snapshot.objects.filter(name=CUSTOMER_SNAPSHOT).first()
    report.as_of = snapshot.refreshed_at if snapshot else None
    figures = CustomerFigure.objects.all()

    # New customers per bucket of both periods, matched by position.
    created = figures.filter(dimension=Dimension.CREATED)
    per_bucket = _per_bucket(
        created.filter(_in(period) | _in(previous)),
        grouping,
        sum_new=Sum("count", filter=_in(period), default=0),
        sum_previous=Sum("count", filter=_in(previous), default=0),
    )
    for start, before in matched_buckets(period, previous, grouping):
        count = per_bucket.get(start, {}).get("sum_new", 0)
        previous_count = per_bucket.get(before, {}).get("sum_previous", 0) if before else None
        report.buckets.append(
            NewCustomers(start, bucket_label(start, grouping), count, before, previous_count)
        )
        report.new += count
    report.previous_new = sum(row["sum_previous"] for row in per_bucket.values())

    # Status, insurer and age: how the customers are now (the snapshot's).
    by_status = {row.key: row.count for row in figures.filter(dimension=Dimension.STATUS)}
    report.customers = sum(by_status.values())
    report.statuses = _shares(
        [
            CountRow(status.value, str(status.label), by_status.get(status.value, 0))
            for status in Customer.Status
        ],
        report.customers,
    )
    report.ages = _shares(_ages(figures, period.until), report.customers)

    by_insurer = {row.key: row.count for row in figures.filter(dimension=Dimension.INSURER)}
    providers = InsuranceProvider.objects.in_bulk(
        [int(key) for key in by_insurer if key], field_name="pk"
    )
    kinds = {kind.value: 0 for kind in InsuranceProvider.Kind}
    named = []
    for key, count in by_insurer.items():
        provider = providers.get(int(key)) if key else None
        if provider is None:
            continue
        kinds[provider.kind] = kinds.get(provider.kind, 0) + count
        named.append(CountRow(key, provider.name, count))
    none = by_insurer.get("", 0)
    report.insurer_kinds = _shares(
        [
            CountRow(kind.value, str(kind.label), kinds.get(kind.value, 0))
            for kind in InsuranceProvider.Kind
        ]
        + [CountRow("none", _("No insurer recorded"), none)],
        report.customers,
    )
    named.sort(key=lambda row: (-row.count, row.label))
    insurers = named[:TOP_INSURERS]
    rest = named[TOP_INSURERS:]
    if rest:
        insurers.append(
            CountRow(
                "other",
                _("Other insurers (%(count)s)") % {"count": len(rest)},
                sum(row.count for row in rest),
            )
        )
    insurers.append(CountRow("none", _("No insurer recorded"), none))
    report.insurers = _shares(insurers, report.customers)

    report.recalls = _recalls(period, timezone.now())
    total = report.recall_total
    total.label = _("Total")
    for row in report.recalls:
        total.sent += row.sent
        total.booked += row.booked
        total.waiting += row.waiting
    return report
