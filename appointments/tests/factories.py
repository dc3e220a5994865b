import datetime
import zoneinfo

from appointments import services
from appointments.models import Appointment, AppointmentType, StaffCalendar
from customers.tests import factories as customer_factories

BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")
# A Monday in the future, with the seeded opening hours 09:00–18:30.
MONDAY = datetime.date(2027, 3, 1)


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
    from django.utils import timezone

    from appointments import schedule

    day = start or timezone.localdate() + datetime.timedelta(days=7)
    while day.weekday() > 4 or schedule.closed_reason(day):
        day += datetime.timedelta(days=step)
    return day
