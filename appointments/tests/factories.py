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
