"""Day and week calendars: the grid views of appointments."""

import datetime
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import permission_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from appointments import calendar, schedule, selectors
from appointments.forms import CalendarDateForm
from appointments.models import BLOCKING_STATUSES, staff_display_name
from customers.models import DELETED_CUSTOMER, photo_url, shown_name
from opticrm.lib.htmx import render_page_or_partial


@dataclass
class Column:
    """One column of the grid: a staff member (day view) or a day (week view)."""

    title: str
    day: datetime.date
    staff_id: int | None = None
    blocks: list[calendar.Block] = field(default_factory=list)
    closed: str | None = None
    open_rows: set[int] = field(default_factory=set)


@dataclass(slots=True)
class Entry:
    """What the calendar shows of an appointment, read as plain values: as
    models (appointment, customer, type, staff member) the 70 appointments of
    a busy day were a quarter of its page's time (issue 8)."""

    pk: int
    start: datetime.datetime
    end: datetime.datetime
    status: str
    staff_id: int
    staff: object  # the staff member (a User), one instance per person
    customer_name: str
    customer_surname: str
    type_name: str
    type_colour: str
    # The customer's small photo ("" without one, or once deleted).
    customer_photo: str = ""
    # Worked out by _label for the appointments on the grid.
    local_start: datetime.datetime | None = None
    local_end: datetime.datetime | None = None
    time_range: str = ""
    staff_name: str = ""
    staff_initials: str = ""


def _requested_day(request: HttpRequest) -> tuple[datetime.date, str | None]:
    """The day in ?date= (DD.MM.YYYY as typed into the date field, or
    YYYY-MM-DD as the calendar's links send it), or today; nonsense falls
    back to today with a message saying so."""
    form = CalendarDateForm(request.GET)
    if form.is_valid():
        return form.cleaned_data["date"] or timezone.localdate(), None
    return timezone.localdate(), " ".join(form.errors["date"])


def staff_initials(members) -> dict[int, str]:
    """Short names for the week's compact blocks: "AS" for Anna Schmidt;
    where two would share them, more of the first name ("AnS", "AnnS")."""
    members = list({member.pk: member for member in members}.values())

    def short(member, letters: int) -> str:
        first, last = member.first_name.strip(), member.last_name.strip()
        if not first and not last:
            return member.get_username()[: letters + 1]
        return (first[:letters] + last[:1]) or last[: letters + 1]

    initials = {}
    for letters in (1, 2, 3, 20):
        taken: dict[str, int] = {}
        for member in members:
            if member.pk not in initials:
                taken.setdefault(short(member, letters), 0)
                taken[short(member, letters)] += 1
        for member in members:
            if member.pk not in initials and (taken[short(member, letters)] == 1 or letters == 20):
                initials[member.pk] = short(member, letters)
    return initials


def _open_rows(
    slots: list[datetime.datetime], intervals: list[tuple[datetime.time, datetime.time]]
) -> set[int]:
    return {
        row
        for row, slot in enumerate(slots)
        if any(opens <= slot.time() < closes for opens, closes in intervals)
    }


def _closed_label(grid: dict, day: datetime.date) -> str | None:
    """How a closed day is labelled over its hatching: "geschlossen" and
    why (a holiday's name, the reason of a closed day), or just
    "geschlossen" on a weekday without opening hours; None when open."""
    reason = grid["closed"][day]
    if reason:
        return _("closed: %(reason)s") % {"reason": reason}
    return None if grid["opening"][day] else _("closed")


def _grid(days: list[datetime.date], appointments: list) -> dict:
    """Rows shared by all columns: the hours any of the days needs."""
    opening, closed = schedule.days_schedule(days)
    first, last = calendar.visible_hours(
        [interval for day in days if not closed[day] for interval in opening[day]],
        [(a.local_start, a.local_end) for a in appointments],
    )
    tz = timezone.get_current_timezone()
    slots = {day: calendar.slot_times(day, first, last, tz) for day in days}
    return {"opening": opening, "closed": closed, "slots": slots}


def _now_marker(day: datetime.date, slots: list[datetime.datetime]) -> float | None:
    now = timezone.localtime()
    if not slots or now.date() != day or not slots[0] <= now < slots[-1] + calendar.SLOT:
        return None
    return (now - slots[0]) / calendar.SLOT


def _label(appointments: list) -> None:
    """What each block shows, worked out once per appointment rather than
    by several template filters each, and its local start and end, which
    placing it needs several times."""
    zone = timezone.get_current_timezone()
    for appointment in appointments:
        start, end = appointment.start.astimezone(zone), appointment.end.astimezone(zone)
        appointment.local_start, appointment.local_end = start, end
        appointment.time_range = f"{start:%H:%M}–{end:%H:%M}"
    names = {}
    for appointment in appointments:
        if appointment.staff_id not in names:
            names[appointment.staff_id] = staff_display_name(appointment.staff)
        appointment.staff_name = names[appointment.staff_id]


def _place(column: Column, appointments: list, slots: list[datetime.datetime]) -> None:
    if slots:
        column.blocks = calendar.layout(
            appointments,
            grid_start=slots[0],
            grid_end=slots[-1] + calendar.SLOT,
            interval=lambda a: (a.local_start, a.local_end),
        )


def _day_appointments(
    first_day: datetime.date, last_day: datetime.date, staff_ids=None
) -> list[Entry]:
    appointments = (
        selectors.appointment_between(
            selectors.appointment_list(), first_day=first_day, last_day=last_day
        )
        .order_by("start", "id")
        .values_list(
            "pk",
            "start",
            "end",
            "status",
            "staff_id",
            "staff__first_name",
            "staff__last_name",
            "staff__username",
            "customer__first_name",
            "customer__last_name",
            "customer__deleted_at",
            "type__name",
            "type__colour",
            "customer_id",
            "customer__photo",
        )
    )
    if staff_ids is not None:
        appointments = appointments.filter(staff_id__in=staff_ids)
    user = get_user_model()
    staff = {}
    entries = []
    for (
        pk, start, end, status, staff_id, staff_first, staff_last, username,
        first_name, last_name, deleted_at, type_name, colour, customer_id, photo,
    ) in appointments:  # fmt: skip
        if staff_id not in staff:
            staff[staff_id] = user(
                pk=staff_id, first_name=staff_first, last_name=staff_last, username=username
            )
        entries.append(
            Entry(
                pk=pk,
                start=start,
                end=end,
                status=status,
                staff_id=staff_id,
                staff=staff[staff_id],
                customer_name=shown_name(first_name, last_name, deleted_at),
                customer_surname=str(DELETED_CUSTOMER) if deleted_at else (last_name or first_name),
                type_name=type_name,
                type_colour=colour,
                customer_photo=(
                    photo_url(customer_id, photo, thumb=True) if photo and not deleted_at else ""
                ),
            )
        )
    return entries


@permission_required("appointments.view_appointment", raise_exception=True)
@require_GET
def day_view(request: HttpRequest) -> HttpResponse:
    day, date_error = _requested_day(request)
    appointments = _day_appointments(day, day)
    active = [a for a in appointments if a.status in BLOCKING_STATUSES]
    _label(active)
    staff = list(selectors.bookable_staff())
    calendar_feed = selectors.has_staff_calendar(request.user, bookable=staff)
    # Someone whose calendar was switched off may still have bookings that day:
    # they get a column too, rather than their customers vanishing.
    shown = {member.pk for member in staff}
    for booked in active:
        if booked.staff_id not in shown:
            shown.add(booked.staff_id)
            staff.append(booked.staff)
    grid = _grid([day], active)
    slots = grid["slots"][day]
    open_rows = set() if grid["closed"][day] else _open_rows(slots, grid["opening"][day])
    columns = []
    for member in staff:
        column = Column(
            title=staff_display_name(member),
            day=day,
            staff_id=member.pk,
            closed=grid["closed"][day],
            open_rows=open_rows,
        )
        _place(column, [a for a in active if a.staff_id == member.pk], slots)
        columns.append(column)
    context = {
        "view": "day",
        "day": day,
        "previous": day - datetime.timedelta(days=1),
        "next": day + datetime.timedelta(days=1),
        "today": timezone.localdate(),
        "columns": columns,
        "slots": slots,
        "closed": _closed_label(grid, day),
        "now_row": _now_marker(day, slots),
        "inactive": [a for a in appointments if a.status not in BLOCKING_STATUSES],
        "calendar_feed": calendar_feed,
        "date_error": date_error,
        # "New appointment" opens on the day on screen.
        "new_day": day,
    }
    return render_page_or_partial(request, "appointments/calendar.html", "grid", context)


@permission_required("appointments.view_appointment", raise_exception=True)
@require_GET
def week_view(request: HttpRequest) -> HttpResponse:
    day, date_error = _requested_day(request)
    monday = day - datetime.timedelta(days=day.weekday())
    staff = list(selectors.bookable_staff())
    chosen = next((m for m in staff if str(m.pk) == request.GET.get("staff")), None)
    week = [monday + datetime.timedelta(days=offset) for offset in range(7)]
    appointments = _day_appointments(week[0], week[-1], [chosen.pk] if chosen else None)
    active = [a for a in appointments if a.status in BLOCKING_STATUSES]
    _label(active)
    if not chosen:
        # All staff in one week: blocks name them by initials (issue 23).
        initials = staff_initials([*staff, *(a.staff for a in active)])
        for entry in active:
            entry.staff_initials = initials[entry.staff_id]
        legend = [
            (initials[member.pk], staff_display_name(member))
            for member in {m.pk: m for m in [*staff, *(a.staff for a in active)]}.values()
        ]
    else:
        legend = []
    grid = _grid(week, active)
    columns = []
    for current in week:
        todays = [a for a in active if timezone.localtime(a.start).date() == current]
        # Sunday only when the shop opens or something is booked.
        if current.weekday() == 6 and not todays and not grid["opening"][current]:
            continue
        slots = grid["slots"][current]
        column = Column(
            title="",
            day=current,
            staff_id=chosen.pk if chosen else None,
            closed=_closed_label(grid, current),
            open_rows=set()
            if grid["closed"][current]
            else _open_rows(slots, grid["opening"][current]),
        )
        _place(column, todays, slots)
        columns.append(column)
    slots = grid["slots"][monday]
    today = timezone.localdate()
    context = {
        "view": "week",
        "day": day,
        "week": week,
        "previous": monday - datetime.timedelta(days=7),
        "next": monday + datetime.timedelta(days=7),
        "today": today,
        "columns": columns,
        "slots": slots,
        "staff": staff,
        "chosen": chosen,
        "now_row": _now_marker(today, grid["slots"].get(today, [])) if today in week else None,
        "now_column": today,
        "calendar_feed": selectors.has_staff_calendar(request.user, bookable=staff),
        "date_error": date_error,
        "legend": legend,
        # "New appointment" opens on today if it is in the week on screen.
        "new_day": today if today in week else day,
    }
    return render_page_or_partial(request, "appointments/calendar.html", "grid", context)


@permission_required("appointments.view_appointment", raise_exception=True)
@require_GET
def day_print(request: HttpRequest) -> HttpResponse:
    """A day's schedule to print (A4), for one staff member (?staff=<id>) or
    for each in turn: the appointments in time order with the customer's
    phone and the notes. Cancelled and no-show appointments are left out."""
    day, date_error = _requested_day(request)
    staff = list(selectors.bookable_staff())
    wanted = request.GET.get("staff", "")
    appointments = list(
        selectors.appointment_between(selectors.appointment_list(), first_day=day, last_day=day)
        .filter(status__in=BLOCKING_STATUSES)
        .order_by("start", "id")
    )
    # As in the day view: someone with bookings that day gets a page too.
    shown = {member.pk for member in staff}
    for booked in appointments:
        if booked.staff_id not in shown:
            shown.add(booked.staff_id)
            staff.append(booked.staff)
    if wanted:
        staff = [member for member in staff if str(member.pk) == wanted]
    opening, closed = schedule.days_schedule([day])
    pages = [
        {
            "staff": member,
            "name": staff_display_name(member),
            "appointments": [a for a in appointments if a.staff_id == member.pk],
        }
        for member in staff
    ]
    context = {
        "day": day,
        "date_error": date_error,
        "pages": pages,
        "unknown_staff": bool(wanted) and not staff,
        "closed": _closed_label({"opening": opening, "closed": closed}, day),
        "hours": ", ".join(f"{o:%H:%M}–{c:%H:%M}" for o, c in opening[day]),
        "printed_at": timezone.localtime(),
    }
    return render(request, "appointments/day_print.html", context)
