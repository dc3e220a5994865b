"""Appointment reminders and confirmations: planned with the booking, moved
with the appointment, removed with a cancellation; quiet hours, short
notice and the shop's settings (messaging.services)."""

import datetime

import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from appointments import services as appointment_services
from appointments.tests.factories import MONDAY, TUESDAY, appointment, at, working_day
from customers.tests import factories
from messaging import services
from messaging.models import Channel, Kind, Message, MessageSettings, Purpose, State
from messaging.selectors import is_quiet, last_allowed, next_allowed
from messaging.tests.conftest import quiet_hours_away_from

pytestmark = pytest.mark.django_db

MOBILE = "0151 23456789"


def reachable_customer(*, channels=(Channel.SMS,), user=None, **fields):
    customer = factories.customer(
        phone=fields.pop("phone", MOBILE), email=fields.pop("email", "erika@example.de"), **fields
    )
    for channel in channels:
        services.consent_give(
            customer_id=customer.pk,
            channel=channel,
            purpose=Purpose.SERVICE,
            method="in_store",
            text="Einverstanden",
            user=user,
        )
    return customer


def reminder_of(appointment_) -> Message:
    return Message.objects.get(appointment=appointment_, kind=Kind.REMINDER)


def test_a_booking_plans_the_reminder_24_hours_before(staff):
    customer = reachable_customer(user=staff)
    booked = appointment(staff=staff, customer=customer, start=at(10, day=TUESDAY))

    reminder = reminder_of(booked)
    assert reminder.state == State.PLANNED
    assert reminder.channel == Channel.SMS
    assert reminder.recipient == "+4915123456789"
    assert reminder.send_at == at(10, day=MONDAY)
    assert reminder.purpose == Purpose.SERVICE


def test_the_reminder_takes_email_when_the_shop_prefers_it(staff):
    MessageSettings.objects.filter(pk=1).update(reminder_channel="email", reminder_hours=48)
    customer = reachable_customer(channels=(Channel.SMS, Channel.EMAIL), user=staff)
    booked = appointment(staff=staff, customer=customer, start=at(10, day=TUESDAY))

    reminder = reminder_of(booked)
    assert (reminder.channel, reminder.recipient) == (Channel.EMAIL, "erika@example.de")
    assert reminder.send_at == at(10, day=MONDAY - datetime.timedelta(days=1))


def test_no_consent_or_no_mobile_number_means_no_reminder(staff):
    without_consent = factories.customer(phone=MOBILE)
    landline_only = reachable_customer(phone="089 1234567", email="", user=staff)

    for customer, hour in ((without_consent, 10), (landline_only, 11)):
        booked = appointment(staff=staff, customer=customer, start=at(hour, day=TUESDAY))
        assert not Message.objects.filter(appointment=booked).exists()


def test_a_type_without_reminders_gets_none(staff):
    customer = reachable_customer(user=staff)
    booked = appointment(
        staff=staff, customer=customer, start=at(10, day=TUESDAY), type_name="Service/Reparatur"
    )
    assert not Message.objects.filter(appointment=booked).exists()


def test_quiet_hours_move_the_reminder_before_them(staff):
    customer = reachable_customer(user=staff)
    # 24 hours before 08:30 is 08:30; before an evening appointment at 20:15
    # (booked outside the opening hours on purpose) it would be night.
    evening = appointment_services.appointment_book(
        data={
            "customer": customer,
            "staff": staff,
            "type": appointment(staff=staff, customer=customer, start=at(9, day=TUESDAY)).type,
            "start": at(20, 15, day=TUESDAY),
        },
        allow_outside_hours=True,
    )
    assert reminder_of(evening).send_at == at(19, 59, day=MONDAY)


def test_quiet_hour_arithmetic():
    cfg = MessageSettings(quiet_from=datetime.time(20), quiet_until=datetime.time(8))
    assert is_quiet(at(20), cfg) and is_quiet(at(3), cfg) and is_quiet(at(7, 59), cfg)
    assert not is_quiet(at(8), cfg) and not is_quiet(at(19, 59), cfg)
    assert next_allowed(at(23), cfg) == at(8, day=TUESDAY)
    assert next_allowed(at(3), cfg) == at(8)
    assert next_allowed(at(12), cfg) == at(12)
    assert last_allowed(at(3, day=TUESDAY), cfg) == at(19, 59)
    assert last_allowed(at(21), cfg) == at(19, 59)
    daytime = MessageSettings(quiet_from=datetime.time(12), quiet_until=datetime.time(13))
    assert is_quiet(at(12, 30), daytime) and not is_quiet(at(13), daytime)


def test_moving_the_appointment_moves_its_reminder(staff):
    customer = reachable_customer(user=staff)
    booked = appointment(staff=staff, customer=customer, start=at(10, day=TUESDAY))

    appointment_services.appointment_update(
        appointment_id=booked.pk,
        data={"start": at(15, day=TUESDAY), "end": at(15, 30, day=TUESDAY)},
        user=staff,
    )

    reminder = reminder_of(booked)
    assert reminder.send_at == at(15, day=MONDAY)
    assert reminder.state == State.PLANNED
    assert Message.objects.filter(appointment=booked, kind=Kind.REMINDER).count() == 1


def test_cancelling_removes_the_reminder_and_confirms_the_cancellation(staff, daytime):
    customer = reachable_customer(user=staff)
    booked = appointment(staff=staff, customer=customer, start=at(10, day=TUESDAY))

    appointment_services.appointment_set_status(
        appointment_id=booked.pk, status="cancelled", user=staff
    )

    reminder = reminder_of(booked)
    assert reminder.state == State.CANCELLED
    assert reminder.reason == "Der Termin wurde abgesagt."
    cancellation = Message.objects.get(appointment=booked, kind=Kind.CANCELLATION)
    assert cancellation.state == State.QUEUED
    assert DBTaskResult.objects.filter(args_kwargs__kwargs__message_ids=[cancellation.pk]).exists()


def test_a_cancelled_appointment_booked_again_gets_its_reminder_back(staff):
    MessageSettings.objects.filter(pk=1).update(confirm_cancel=False, confirm_move=False)
    customer = reachable_customer(user=staff)
    booked = appointment(staff=staff, customer=customer, start=at(10, day=TUESDAY))
    appointment_services.appointment_set_status(
        appointment_id=booked.pk, status="cancelled", user=staff
    )
    appointment_services.appointment_set_status(
        appointment_id=booked.pk, status="planned", user=staff
    )
    assert reminder_of(booked).state == State.PLANNED


@pytest.mark.parametrize("setting", ["confirm", "nothing"])
def test_short_notice_gets_a_confirmation_or_nothing_by_setting(staff, daytime, setting):
    MessageSettings.objects.filter(pk=1).update(short_notice=setting, reminder_hours=24 * 14)
    customer = reachable_customer(user=staff)
    # Within two weeks: less than the reminder time ahead.
    booked = appointment(staff=staff, customer=customer, start=at(10, day=working_day()))

    assert not Message.objects.filter(appointment=booked, kind=Kind.REMINDER).exists()
    confirmations = Message.objects.filter(appointment=booked, kind=Kind.CONFIRMATION)
    if setting == "confirm":
        assert confirmations.get().state == State.QUEUED
    else:
        assert not confirmations.exists()


def test_a_move_is_confirmed_once_per_version(staff, daytime):
    customer = reachable_customer(user=staff)
    booked = appointment(staff=staff, customer=customer, start=at(10, day=TUESDAY))
    assert not Message.objects.filter(kind=Kind.CONFIRMATION).exists()  # bookings: off

    appointment_services.appointment_update(
        appointment_id=booked.pk,
        data={"start": at(11, day=TUESDAY), "end": at(11, 30, day=TUESDAY)},
        user=staff,
    )
    # The same change arriving twice (a retried request) confirms it once.
    services.appointment_notify(appointment_id=booked.pk, change="moved", user=staff)

    assert Message.objects.filter(appointment=booked, kind=Kind.CONFIRMATION).count() == 1


def test_at_night_a_confirmation_waits_for_the_morning(staff, night):
    customer = reachable_customer(user=staff)
    booked = appointment(staff=staff, customer=customer, start=at(10, day=TUESDAY))
    appointment_services.appointment_set_status(
        appointment_id=booked.pk, status="cancelled", user=staff
    )
    cancellation = Message.objects.get(appointment=booked, kind=Kind.CANCELLATION)
    assert cancellation.state == State.PLANNED
    assert cancellation.send_at > timezone.now()
    assert timezone.localtime(cancellation.send_at).time() == night.quiet_until


def test_the_sweep_plans_reminders_the_booking_did_not(staff, daytime):
    """Appointments written without the services (an import, bulk data)
    get their reminder from the scheduler's run."""
    customer = reachable_customer(user=staff)
    booked = appointment(staff=staff, customer=customer, start=at(10, day=TUESDAY))
    Message.objects.all().delete()
    now = at(9, day=MONDAY)
    # Quiet hours away from this run's own time, not the clock's (run at
    # 21:00 the fixture's hours would cover 09:00–10:00 on Monday).
    daytime.quiet_from, daytime.quiet_until = quiet_hours_away_from(now)
    daytime.save()

    report = services.messages_dispatch(now=now)

    assert report.planned == 1
    reminder = reminder_of(booked)
    # Its time (Monday 10:00) has not come at 09:00: planned, not queued.
    assert (reminder.state, reminder.send_at) == (State.PLANNED, at(10, day=MONDAY))
    assert services.messages_dispatch(now=now).planned == 0


def test_dispatch_queues_what_is_due_and_skips_the_rest(staff, daytime):
    customer = reachable_customer(user=staff)
    due = reminder_of(appointment(staff=staff, customer=customer, start=at(10, day=TUESDAY)))
    later = reminder_of(appointment(staff=staff, customer=customer, start=at(16, day=TUESDAY)))
    now = at(12, day=MONDAY)
    daytime.quiet_from, daytime.quiet_until = datetime.time(22), datetime.time(6)
    daytime.save()

    report = services.messages_dispatch(now=now)

    due.refresh_from_db()
    later.refresh_from_db()
    assert (report.queued, due.state, later.state) == (1, State.QUEUED, State.PLANNED)
    assert DBTaskResult.objects.filter(args_kwargs__kwargs__message_ids=[due.pk]).count() == 1
    # A second run finds nothing new to queue.
    assert services.messages_dispatch(now=now).queued == 0


def test_dispatch_sends_nothing_in_the_quiet_hours(staff):
    customer = reachable_customer(user=staff)
    reminder = reminder_of(appointment(staff=staff, customer=customer, start=at(10, day=TUESDAY)))

    assert services.messages_dispatch(now=at(21, day=MONDAY)).queued == 0
    reminder.refresh_from_db()
    assert reminder.state == State.PLANNED


def test_an_interrupted_send_is_shown_as_failed_never_sent_again(staff):
    customer = reachable_customer(user=staff)
    reminder = reminder_of(appointment(staff=staff, customer=customer, start=at(10, day=TUESDAY)))
    Message.objects.filter(pk=reminder.pk).update(state=State.SENDING, updated_at=at(9, day=MONDAY))

    report = services.messages_dispatch(now=at(9, 30, day=MONDAY))

    reminder.refresh_from_db()
    assert report.interrupted == 1
    assert reminder.state == State.FAILED
    assert "unterbrochen" in reminder.reason


def test_the_scheduler_command_reports_what_it_did(staff, daytime):
    from io import StringIO

    from django.core.management import call_command

    customer = reachable_customer(user=staff)
    booked = appointment(staff=staff, customer=customer, start=at(10, day=TUESDAY))
    Message.objects.filter(appointment=booked).update(send_at=timezone.now())
    out = StringIO()

    call_command("dispatch_messages", stdout=out)

    assert "0 reminder(s) planned, 1 message(s) queued" in out.getvalue()
    assert reminder_of(booked).state == State.QUEUED
    quiet = StringIO()
    call_command("dispatch_messages", stdout=quiet)
    assert quiet.getvalue() == ""  # nothing to do, nothing said


def test_giving_the_appointment_to_another_customer_moves_its_reminder(staff):
    first = reachable_customer(user=staff)
    second = reachable_customer(user=staff, phone="0160 9876543")
    booked = appointment(staff=staff, customer=first, start=at(10, day=TUESDAY))

    appointment_services.appointment_update(
        appointment_id=booked.pk, data={"customer": second}, user=staff
    )

    reminder = reminder_of(booked)
    assert (reminder.customer, reminder.recipient) == (second, "+491609876543")


def test_a_reminder_staff_stopped_stays_stopped(staff):
    customer = reachable_customer(user=staff)
    booked = appointment(staff=staff, customer=customer, start=at(10, day=TUESDAY))
    services.message_cancel(message_id=reminder_of(booked).pk, user=staff)

    appointment_services.appointment_update(
        appointment_id=booked.pk, data={"notes": "Bringt die alte Brille mit"}, user=staff
    )

    assert reminder_of(booked).state == State.CANCELLED
