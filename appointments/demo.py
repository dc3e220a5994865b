"""A realistic week of demo appointments around today, for `seed_demo`."""

import datetime
import random

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.utils import timezone

from appointments import schedule, services
from appointments.models import Appointment, AppointmentType, StaffCalendar
from customers.models import Customer

DEMO_STAFF = [
    ("anna.schmidt", "Anna", "Schmidt"),
    ("jonas.weber", "Jonas", "Weber"),
]
# How often each type comes up in a usual week.
TYPE_WEIGHTS = {
    "Sehtest": 6,
    "Brillenabholung": 4,
    "Brillenberatung": 3,
    "Kontaktlinsenkontrolle": 2,
    "Kontaktlinsenanpassung": 1,
    "Service/Reparatur": 2,
    "Führerschein-Sehtest": 1,
}


def demo_staff(owner) -> list:
    """The owner plus two opticians, each with a calendar."""
    users = [owner]
    for position, (username, first, last) in enumerate(DEMO_STAFF, start=1):
        user, created = get_user_model().objects.get_or_create(
            username=username, defaults={"first_name": first, "last_name": last}
        )
        if created:
            user.set_unusable_password()
            user.save()
        users.append(user)
        StaffCalendar.objects.get_or_create(staff=user, defaults={"position": position})
    StaffCalendar.objects.get_or_create(staff=owner, defaults={"position": 0})
    return users


def seed_demo_appointments(owner) -> int:
    """Book demo appointments from three days ago to four days ahead; a second
    run finds its slots taken and books nothing."""
    staff = demo_staff(owner)
    customers = list(Customer.objects.alive().order_by("id")[:80])
    types = {t.name: t for t in AppointmentType.objects.filter(name__in=TYPE_WEIGHTS)}
    if not customers or not types:
        return 0
    names = [name for name in TYPE_WEIGHTS if name in types]
    weights = [TYPE_WEIGHTS[name] for name in names]
    today = timezone.localdate()
    rng = random.Random(today.toordinal())
    booked = 0
    for offset in range(-3, 5):
        day = today + datetime.timedelta(days=offset)
        intervals = schedule.opening_intervals(day)
        if schedule.closed_reason(day) or not intervals:
            continue
        opens, closes = intervals[0][0], intervals[-1][1]
        for member in staff:
            slot = datetime.datetime.combine(day, opens, tzinfo=timezone.get_current_timezone())
            end_of_day = slot.replace(hour=closes.hour, minute=closes.minute)
            while slot < end_of_day:
                slot += datetime.timedelta(minutes=rng.choice([0, 15, 30, 45, 60]))
                kind = types[rng.choices(names, weights)[0]]
                if slot + kind.duration > end_of_day:
                    break
                # Draw every choice before looking at the database, so a second
                # run walks the same slots and finds them taken.
                customer = rng.choice(customers)
                status = Appointment.Status.PLANNED
                if offset < 0:
                    status = rng.choice(
                        [Appointment.Status.DONE] * 8 + [Appointment.Status.NO_SHOW]
                    )
                elif offset == 0 and rng.random() < 0.5:
                    status = Appointment.Status.CONFIRMED
                if Appointment.objects.filter(staff=member, start=slot).exists():
                    slot += kind.duration
                    continue
                try:
                    services.appointment_book(
                        data={
                            "customer": customer,
                            "staff": member,
                            "type": kind,
                            "start": slot,
                            "status": status,
                        }
                    )
                    booked += 1
                except ValidationError:
                    pass  # an earlier run's appointment overlaps: keep it
                slot += kind.duration
    return booked
