"""What the start page's tests build: a row for each tile, made as the apps
make them, with the dates and statuses set directly where the way there
(a day of status buttons) is not what is tested."""

import datetime

from django.utils import timezone

from appointments.models import Appointment, AppointmentStatus
from appointments.tests.factories import appointment_type
from customers.tests import factories as customer_factories
from customers.validators import years_before
from messaging.models import Purpose
from messaging.tests.test_consent_services import give
from messaging.tests.test_message_views import failed_message
from orders import services as order_services
from orders.models import Kind, Order, Status
from products.tests.factories import product

ONE_DAY = datetime.timedelta(days=1)


def today() -> datetime.date:
    return timezone.localdate()


def at(day: datetime.date, hour: int, minute: int = 0) -> datetime.datetime:
    return datetime.datetime.combine(
        day, datetime.time(hour, minute), tzinfo=timezone.get_current_timezone()
    )


def appointment(staff, start, *, customer=None, status=AppointmentStatus.PLANNED, minutes=30):
    """An appointment at ``start``, made in the table (the booking service
    refuses times gone by and outside the opening hours)."""
    return Appointment.objects.create(
        customer=customer or customer_factories.customer(),
        staff=staff,
        type=appointment_type(),
        start=start,
        end=start + datetime.timedelta(minutes=minutes),
        status=status,
    )


def order(customer, user, *, status, promised=None, changed=None, kind=Kind.REPAIR, **create):
    made = order_services.order_create(customer_id=customer.pk, user=user, kind=kind, **create)
    Order.objects.filter(pk=made.pk).update(
        status=status,
        promised_date=promised,
        status_changed_at=changed or timezone.now(),
    )
    made.refresh_from_db()
    return made


def ready_order(user, **fields):
    return order(customer_factories.customer(**fields), user, status=Status.READY)


def overdue_order(user, *, days=1, **fields):
    return order(
        customer_factories.customer(**fields),
        user,
        status=Status.LENSES_ORDERED,
        promised=today() - days * ONE_DAY,
    )


def due_for_eye_test(**fields):
    """An adult without glasses whose eye test (every two years) is due today."""
    return customer_factories.customer(last_exam_date=years_before(today(), 2), **fields)


def low_product(**fields):
    """A product below its minimum stock (none in stock, three wanted)."""
    return product(**({"minimum_stock": 3} | fields))


def birthday_child(*, consent=Purpose.MARKETING, **fields):
    """A customer born on this day of the year (in 1980, a leap year), with a
    consent for ``consent`` (None: none)."""
    day = today()
    customer = customer_factories.customer(
        date_of_birth=datetime.date(1980, day.month, day.day), **fields
    )
    if consent:
        give(customer, purpose=consent)
    return customer


def failed(**fields):
    return failed_message(customer_factories.customer(**fields))
