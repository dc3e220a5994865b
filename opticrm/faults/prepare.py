"""The scratch database's side of ``manage.py faults``, run in a process of
its own whose DATABASE_URL names the scratch database: migrate, create what
the API cannot create (a staff member with a calendar, an API key) and the
customers who book, find a slot the shop is open, and print what the HTTP
clients need as one line of JSON."""

import argparse
import datetime
import json
import sys

STAFF_USERNAME = "faults-staff"
KEY_NAME = "Faults"


def _slot(duration: datetime.timedelta) -> datetime.datetime:
    """10:00 on the first day from a week ahead that is open then, by the
    shop's own rules (opening hours, closed days, public holidays)."""
    from django.utils import timezone

    from appointments import schedule

    day = timezone.localdate() + datetime.timedelta(days=7)
    for _ in range(60):
        start = timezone.make_aware(datetime.datetime.combine(day, datetime.time(10)))
        if schedule.outside_hours_reason(start, start + duration) is None:
            return start
        day += datetime.timedelta(days=1)
    raise RuntimeError("no open 10:00 slot in the 60 days from a week ahead")


def prepare(*, bookings: int) -> dict:
    from django.contrib.auth import get_user_model

    from api import services as api_services
    from appointments.models import AppointmentType, StaffCalendar
    from customers import services as customer_services
    from opticrm.lib import roles

    staff, _ = get_user_model().objects.update_or_create(
        username=STAFF_USERNAME, defaults={"first_name": "Fiona", "last_name": "Fehler"}
    )
    staff.groups.set([roles.staff_group()])
    StaffCalendar.objects.update_or_create(staff=staff, defaults={"active": True})
    _key, raw = api_services.api_key_create(name=KEY_NAME)
    eye_test = AppointmentType.objects.get(name="Sehtest")
    customers = [
        customer_services.customer_create(
            data={"first_name": "Bettina", "last_name": f"Buchend {number}", "status": "active"}
        ).pk
        for number in range(1, bookings + 1)
    ]
    return {
        "api_key": raw,
        "staff_id": staff.pk,
        "type_id": eye_test.pk,
        "booking_customer_ids": customers,
        "slot_start": _slot(eye_test.duration).isoformat(),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--bookings", type=int, required=True)
    args = parser.parse_args(argv)

    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", "--no-input", verbosity=0)
    print(json.dumps(prepare(bookings=args.bookings)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
