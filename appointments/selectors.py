"""Reads of appointments that are more than one ORM call."""

import datetime
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from django.contrib.auth import get_user_model
from django.db.models import Case, DateTimeField, F, Func, IntegerField, Q, QuerySet, Value, When
from django.utils import timezone

from appointments import calendar, schedule
from appointments.models import BLOCKING_STATUSES, Appointment, AppointmentType, StaffCalendar
from customers.selectors import CUSTOMER_CHOICES_LIMIT, customer_choices  # noqa: F401 (the picker)
from opticrm.lib.dates import start_of_day
from opticrm.lib.prepared import Prepared

DEFAULT_SORT = "start"

# Statuses sort in the order an appointment goes through them, not by their codes.
_STATUS_ORDER = Case(
    *[When(status=status, then=Value(order)) for order, status in enumerate(Appointment.Status)],
    output_field=IntegerField(),
)
# Sort keys of the appointment table: column -> expressions, then by id.
SORT_KEYS = {
    "start": (F("start"),),
    "customer": (F("customer__sort_name"), F("start")),
    "staff": (F("staff__first_name"), F("staff__last_name"), F("staff__username"), F("start")),
    "type": (F("type__name"), F("start")),
    "status": (_STATUS_ORDER, F("start")),
}


class NextAppointmentStart(Func):
    """``appointments_next_start(id)``: the start of the customer's earliest
    upcoming planned or confirmed appointment, as the database function that
    the trigger keeping ``next_appointment_at`` uses (appointments migration
    0005). The rule lives there alone; Python only calls it."""

    function = "appointments_next_start"
    output_field = DateTimeField()

    def __init__(self, customer_id="id", **extra):
        super().__init__(F(customer_id) if isinstance(customer_id, str) else customer_id, **extra)


def appointment_list() -> QuerySet[Appointment]:
    """Appointments with everything a table row shows, in one query."""
    return Appointment.objects.select_related("customer", "staff", "type")


def appointment_between(
    queryset: QuerySet[Appointment],
    *,
    first_day: datetime.date | None = None,
    last_day: datetime.date | None = None,
) -> QuerySet[Appointment]:
    """Appointments starting on one of the days (local time); both ends included.
    Compared as instants so that the index on ``start`` is used."""
    if first_day:
        queryset = queryset.filter(start__gte=start_of_day(first_day))
    if last_day:
        queryset = queryset.filter(start__lt=start_of_day(last_day + datetime.timedelta(days=1)))
    return queryset


def blocking_overlapping(
    *, staff_ids: Sequence[int], start: datetime.datetime, end: datetime.datetime
) -> QuerySet[Appointment]:
    """The appointments holding time of these staff members within [start,
    end): cancelled and no-show ones free their slot, and one may end when
    the next starts, as in the exclusion constraint on the table."""
    return Appointment.objects.filter(
        staff_id__in=staff_ids, status__in=BLOCKING_STATUSES, start__lt=end, end__gt=start
    )


def appointment_sort(queryset: QuerySet[Appointment], sort: str) -> QuerySet[Appointment]:
    column = sort.lstrip("-")
    if column not in SORT_KEYS:
        column, sort = DEFAULT_SORT, DEFAULT_SORT
    keys = [*SORT_KEYS[column], F("id")]
    if sort.startswith("-"):
        return queryset.order_by(*[key.desc(nulls_last=True) for key in keys])
    return queryset.order_by(*[key.asc(nulls_last=True) for key in keys])


def has_staff_calendar(user, *, bookable=()) -> bool:
    """Whether ``user`` has a staff calendar, switched on or off (their
    calendar feed). ``bookable``: bookable_staff() where the caller has it
    already; a user in it needs no query."""
    return any(member.pk == user.pk for member in bookable) or (
        StaffCalendar.objects.filter(staff_id=user.pk).exists()
    )


def bookable_staff(*, including: int | None = None) -> QuerySet:
    """Users who take appointments (an active staff calendar), in calendar
    order; ``including`` adds one more user, e.g. the one an appointment has."""
    condition = Q(is_active=True, calendar__active=True)
    if including is not None:
        condition |= Q(pk=including)
    return (
        get_user_model()
        .objects.filter(condition)
        .order_by("calendar__position", "first_name", "last_name", "username")
    )


# How much of a staff member's calendar the subscription feed carries.
FEED_PAST = datetime.timedelta(days=30)
FEED_FUTURE = datetime.timedelta(days=366)


def staff_feed_appointments(calendar) -> QuerySet[Appointment]:
    """A staff member's appointments for their calendar subscription: the last
    month and the coming year, cancelled ones included so that phones drop them."""
    now = timezone.now()
    return (
        appointment_list()
        .filter(staff_id=calendar.staff_id, start__gte=now - FEED_PAST, start__lt=now + FEED_FUTURE)
        .order_by("start", "id")
    )


# --- Free slots ----------------------------------------------------------------

FREE_SLOT_COUNT = 5
# Searched a week ahead first, then up to six weeks: one or two queries of
# appointments, however full the calendar is.
FREE_SLOT_WINDOWS = (7, 42)


@dataclass(frozen=True)
class FreeSlot:
    """A time a staff member could take an appointment of the type asked for."""

    start: datetime.datetime  # local time
    end: datetime.datetime
    staff: Any  # the staff member (a User)


def _busy_by_day(
    staff_ids: list[int], days: list[datetime.date], exclude_id: int | None
) -> dict[tuple[int, datetime.date], list[tuple[datetime.datetime, datetime.datetime]]]:
    """Each staff member's taken intervals, by local day, in one query."""
    zone = timezone.get_current_timezone()
    taken = blocking_overlapping(
        staff_ids=staff_ids,
        start=start_of_day(days[0]),
        end=start_of_day(days[-1] + datetime.timedelta(days=1)),
    )
    if exclude_id is not None:
        # The appointment being moved does not stand in its own way.
        taken = taken.exclude(pk=exclude_id)
    busy: dict = {}
    for staff_id, start, end in taken.values_list("staff_id", "start", "end"):
        day = start.astimezone(zone).date()
        while day <= end.astimezone(zone).date():
            busy.setdefault((staff_id, day), []).append((start, end))
            day += datetime.timedelta(days=1)
    return busy


def _candidate_starts(
    day: datetime.date, intervals: list[schedule.Interval], duration: datetime.timedelta
):
    """Every slot start of the calendar's grid on ``day`` at which an
    appointment of ``duration`` lies within the opening hours, with its end."""
    zone = timezone.get_current_timezone()
    for opens, closes in intervals:
        for start in calendar.slot_times(day, opens, closes, zone):
            # In UTC, as the booking service counts durations.
            end = (start.astimezone(datetime.UTC) + duration).astimezone(zone)
            if schedule.within_opening(start, end, intervals):
                yield start, end


def free_slots(
    *,
    appointment_type: AppointmentType,
    staff: Sequence,
    after: datetime.datetime | None = None,
    count: int = FREE_SLOT_COUNT,
    exclude_id: int | None = None,
) -> list[FreeSlot]:
    """The next ``count`` times from ``after`` (never before now) at which one
    of ``staff`` (in that order of preference) is free for an appointment of
    ``appointment_type``: within the opening hours, not on a closed day or a
    public holiday, not overlapping what they have booked. Each time once,
    with the first staff member free then. At most four queries."""
    if not staff or count <= 0:
        return []
    now = timezone.now()
    after = max(after or now, now)
    first_day = timezone.localdate(after)
    days = [first_day + datetime.timedelta(days=n) for n in range(FREE_SLOT_WINDOWS[-1])]
    opening, closed = schedule.days_schedule(days)
    staff_ids = [member.pk for member in staff]
    found: list[FreeSlot] = []
    searched = 0
    for window_end in FREE_SLOT_WINDOWS:
        window = days[searched:window_end]
        searched = window_end
        busy = _busy_by_day(staff_ids, window, exclude_id)
        for day in window:
            if closed[day]:
                continue
            for start, end in _candidate_starts(day, opening[day], appointment_type.duration):
                if start < after:
                    continue
                member = next(
                    (
                        member
                        for member in staff
                        if not any(
                            taken_start < end and taken_end > start
                            for taken_start, taken_end in busy.get((member.pk, day), ())
                        )
                    ),
                    None,
                )
                if member is not None:
                    found.append(FreeSlot(start=start, end=end, staff=member))
                    if len(found) == count:
                        return found
    return found


class AppointmentLine(NamedTuple):
    """What the customer page shows of an appointment."""

    pk: int
    start: datetime.datetime
    status_label: str
    type_name: str
    type_colour: str
    staff_name: str


def _customer_appointment_rows(customer_id: int, now):
    # One query (a union) instead of two; each part sorted by the caller,
    # as a union's order is not its parts' order.
    appointments = Appointment.objects.filter(customer_id=customer_id).values_list(
        "pk",
        "start",
        "status",
        "type__name",
        "type__colour",
        "staff__first_name",
        "staff__last_name",
        "staff__username",
    )
    return (
        appointments.filter(start__gte=now)
        .order_by()
        .union(appointments.filter(start__lt=now).order_by("-start")[:50], all=True)
    )


# Compiled once per process (opticrm.lib.prepared): the customer page's.
_CUSTOMER_APPOINTMENT_ROWS = Prepared(_customer_appointment_rows)


def customer_appointments(customer) -> dict[str, list[AppointmentLine]]:
    """Upcoming and past appointments of one customer, for the detail page.

    As tuples of the shown columns: a long-standing customer has a hundred
    appointments, and three model instances each (with their type and staff
    member) were a third of the page's time (issue 8)."""
    labels = {status: str(label) for status, label in Appointment.Status.choices}

    def lines(rows) -> list[AppointmentLine]:
        return [
            AppointmentLine(
                pk,
                start,
                labels[status],
                type_name,
                colour,
                # As User.get_full_name(), falling back to the user name.
                f"{first} {last}".strip() or user,
            )
            for pk, start, status, type_name, colour, first, last, user in rows
        ]

    now = timezone.now()
    rows = _CUSTOMER_APPOINTMENT_ROWS(customer.pk, now)
    upcoming, past = [], []
    for row in rows:
        (upcoming if row[1] >= now else past).append(row)
    upcoming.sort(key=lambda row: (row[1], row[0]))
    past.sort(key=lambda row: (row[1], row[0]), reverse=True)
    return {"upcoming": lines(upcoming), "past": lines(past)}
