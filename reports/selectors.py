"""The revenue report (Umsatz), read from the summary table alone
(models.RevenueDay, kept by the database): a year of a chain is a few
thousand rows, so every figure is summed in SQL in three queries, whatever
the period (per chart bucket, per product group, per staff member), each
for the period and the same period a year before."""

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Q, Sum
from django.db.models.functions import Trunc
from django.utils import formats
from django.utils.translation import gettext as _

from opticrm.lib.display import related_name
from reports import periods
from reports.models import Group, RevenueDay

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

    # The chart: net per bucket of both periods, matched by position.
    kind = {periods.DAY: "day", periods.WEEK: "week", periods.MONTH: "month"}.get(grouping, "year")
    # Each period's own days only (a bucket at the edge may hold days of both).
    per_bucket = {
        row["bucket"]: row
        for row in rows.annotate(bucket=Trunc("day", kind))
        .values("bucket")
        .annotate(
            sum_net=Sum("net", filter=_in(period), default=ZERO),
            sum_previous_net=Sum("net", filter=_in(previous), default=ZERO),
        )
        .order_by()
    }
    starts = periods.buckets(period, grouping)
    previous_starts = periods.buckets(previous, grouping)
    for index, start in enumerate(starts):
        before = previous_starts[index] if index < len(previous_starts) else None
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
    found = {row["category"]: row for row in rows.values("category").annotate(**sums).order_by()}
    empty = dict.fromkeys(sums, ZERO) | {"sum_positions": 0}
    report.groups = [
        _figures(found.get(group.value, empty), group.value, str(group.label)) for group in Group
    ]

    # By staff member, the most revenue first.
    staff = (
        rows.values("staff", "staff__username", "staff__first_name", "staff__last_name")
        .annotate(**sums)
        .order_by()
    )
    for row in staff:
        if row["staff"] is None:
            label = _("Not recorded")
        elif row["staff__username"] is None:
            label = _("Former staff member")
        else:
            label = related_name(_Person(row))
        report.staff.append(_figures(row, str(row["staff"] or ""), label))
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
