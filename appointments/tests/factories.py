import datetime
import zoneinfo

from django.utils import timezone

from appointments import schedule, services
from appointments.models import Appointment, AppointmentType, StaffCalendar
from customers.tests import factories as customer_factories

BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")
ONE_DAY = datetime.timedelta(days=1)


def open_monday(*, after: datetime.date) -> datetime.date:
    """The first Monday from ``after`` on whose fortnight, from the Sunday
    before to the second Saturday, has no public holiday: tests may use any
    day of the week after it too."""
    monday = after + (-after.weekday() % 7) * ONE_DAY
    while any(schedule.public_holiday(monday + n * ONE_DAY) for n in range(-1, 13)):
        monday += 7 * ONE_DAY
    return monday


# The tests' Monday, derived from the session's today (docs/testing.md):
# at least three weeks ahead, with the seeded opening hours 09:00–18:30.
MONDAY = open_monday(after=timezone.localdate() + 21 * ONE_DAY)
SUNDAY = MONDAY - ONE_DAY  # closed, no public holiday
TUESDAY = MONDAY + ONE_DAY
WEDNESDAY = MONDAY + 2 * ONE_DAY


def german(day: datetime.date) -> str:
    """A date as the forms show and take it: 01.03.2027."""
    return day.strftime("%d.%m.%Y")


def christmas() -> datetime.date:
    """The next Christmas Day, a public holiday in every federal state, that
    falls on a day the shop would open (not a Sunday)."""
    day = datetime.date(timezone.localdate().year, 12, 25)
    while day < timezone.localdate() or day.weekday() == 6:
        day = day.replace(year=day.year + 1)
    return day


def at(hour: int, minute: int = 0, day: datetime.date = MONDAY) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(hour, minute), tzinfo=BERLIN)


def appointment_type(name: str = "Sehtest") -> AppointmentType:
    return AppointmentType.objects.get(name=name)


def calendar_for(user) -> StaffCalendar:
    calendar, _ = StaffCalendar.objects.get_or_create(staff=user)
    return calendar


def appointment(*, staff, start=None, type_name="Sehtest", customer=None, **fields) -> Appointment:
    data = {
        "customer": customer or customer_factories.customer(),
        "staff": staff,
        "type": appointment_type(type_name),
        "start": start or at(10),
        **fields,
    }
    return services.appointment_book(data=data)


def working_day(*, start: datetime.date | None = None, step: int = 1) -> datetime.date:
    """The first weekday (Monday to Friday, open 09:00–18:30) from ``start``
    on, going forward (``step=1``) or back (``step=-1``), that is no public
    holiday or closed day. ``start`` defaults to a week from today: tests
    derive their dates from today and never expire."""
    day = start or timezone.localdate() + datetime.timedelta(days=7)
    while day.weekday() > 4 or schedule.closed_reason(day):
        day += datetime.timedelta(days=step)
    return day


def open_today() -> datetime.date:
    """Today, with opening hours on its weekday (on a Sunday the shop's
    seeded hours have none): for tests of what the calendar shows today."""
    from appointments.models import OpeningHours

    today = timezone.localdate()
    if not OpeningHours.objects.filter(weekday=today.weekday()).exists():
        OpeningHours.objects.create(
            weekday=today.weekday(), opens=datetime.time(9), closes=datetime.time(18)
        )
    return today
