"""Every write to appointments goes through here (views, admin, commands, API)."""

import datetime
from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from appointments import schedule, selectors
from appointments.models import (
    Appointment,
    StaffCalendar,
    new_feed_token,
    staff_display_name,
)
from appointments.signals import appointment_changed
from customers.models import Customer
from customers.services import customer_record_exam

EDITABLE_FIELDS = ("customer", "staff", "type", "start", "end", "status", "notes")
DOUBLE_BOOKING_CONSTRAINT = "appointment_no_double_booking"


class AppointmentConflict(Exception):
    """Someone saved the appointment after the editor loaded it."""

    def __init__(self, current: Appointment):
        self.current = current
        super().__init__(_("The appointment was changed by someone else in the meantime."))


def appointment_check_version(appointment: Appointment, expected_version: int | None) -> None:
    """The edit conflict rule of appointments: a save based on another
    version than the stored one is refused (``AppointmentConflict``);
    ``None``: the caller named no version. Screens, admin and API all end here."""
    if expected_version is not None and appointment.version != expected_version:
        raise AppointmentConflict(current=appointment)


def _overlapping(appointment: Appointment):
    return (
        selectors.blocking_overlapping(
            staff_ids=[appointment.staff_id], start=appointment.start, end=appointment.end
        )
        .exclude(pk=appointment.pk)
        .select_related("customer", "type")
        .order_by("start")
        .first()
    )


def double_booking_error(conflict: Appointment) -> ValidationError:
    start = timezone.localtime(conflict.start)
    end = timezone.localtime(conflict.end)
    message = _(
        "Double booking: %(staff)s already has “%(type)s” with %(customer)s "
        "on %(day)s from %(start)s to %(end)s."
    ) % {
        "staff": staff_display_name(conflict.staff),
        "type": conflict.type.name,
        "customer": conflict.customer.shown_name,
        "day": formats.date_format(start, "SHORT_DATE_FORMAT"),
        "start": start.strftime("%H:%M"),
        "end": end.strftime("%H:%M"),
    }
    # The code sits on the inner error: a dict's own code is dropped.
    error = ValidationError({"start": ValidationError(message, code="double_booking")})
    # The API answers 409 naming the appointment in the way.
    error.conflict_id = conflict.pk
    return error


def is_in_past(appointment: Appointment) -> bool:
    """Over already: a booking there is a typo (2025 for 2026) or a visit
    recorded afterwards; one still under way is neither."""
    return appointment.end <= timezone.now()


def past_error(appointment: Appointment) -> ValidationError:
    start = timezone.localtime(appointment.start)
    message = _(
        "This appointment lies in the past (%(day)s, %(start)s). Please check the date; "
        "to enter it in the past anyway, confirm below."
    ) % {
        "day": formats.date_format(start, "SHORT_DATE_FORMAT"),
        "start": start.strftime("%H:%M"),
    }
    return ValidationError({"start": ValidationError(message, code="in_past")})


def appointment_validate(
    appointment: Appointment,
    *,
    allow_outside_hours: bool,
    check_customer: bool = True,
    allow_past: bool = True,
) -> None:
    """Every booking rule, without saving: for the admin's form, and below.
    ``allow_past=False``: refuse an appointment that is over already unless
    the user confirms it (the booking form asks; imports and the API record
    what they are given)."""
    # Durations and order in UTC: local wall-clock arithmetic would make a
    # 30-minute eye test at 02:30 on the night the clocks go back last 90.
    if appointment.start:
        appointment.start = appointment.start.astimezone(datetime.UTC)
    if appointment.start and appointment.type_id and not appointment.end:
        appointment.end = appointment.start + appointment.type.duration
    if appointment.end:
        appointment.end = appointment.end.astimezone(datetime.UTC)
    # The exclusion constraint is checked below with a message naming the
    # other appointment, and by PostgreSQL on save.
    appointment.full_clean(validate_constraints=False)
    if appointment.end <= appointment.start:
        raise ValidationError(
            {"end": ValidationError(_("The end must be after the start."), code="end_order")}
        )
    if (
        check_customer
        and Customer.objects.filter(pk=appointment.customer_id, deleted_at__isnull=False).exists()
    ):
        raise ValidationError({"customer": _("This customer has been deleted.")})
    if appointment.is_blocking:
        if not allow_outside_hours:
            reason = schedule.outside_hours_reason(appointment.start, appointment.end)
            if reason:
                raise ValidationError({"start": ValidationError(reason, code="outside_hours")})
        conflict = _overlapping(appointment)
        if conflict:
            raise double_booking_error(conflict)
    # Last: worth confirming only once nothing else stands in the way.
    if not allow_past and is_in_past(appointment):
        raise past_error(appointment)


def _validate_and_save(
    appointment: Appointment,
    *,
    allow_outside_hours: bool,
    check_customer: bool = True,
    allow_past: bool = True,
) -> Appointment:
    appointment_validate(
        appointment,
        allow_outside_hours=allow_outside_hours,
        check_customer=check_customer,
        allow_past=allow_past,
    )
    try:
        with transaction.atomic():
            appointment.save()
    except IntegrityError as error:
        # Lost a race against a booking made at the same moment.
        if DOUBLE_BOOKING_CONSTRAINT not in str(error):
            raise
        conflict = _overlapping(appointment)
        if conflict is None:
            raise
        raise double_booking_error(conflict) from error
    return appointment


def _assign(appointment: Appointment, data: Mapping[str, Any]) -> None:
    for field in EDITABLE_FIELDS:
        if field in data:
            setattr(appointment, field, data[field])


@transaction.atomic
def appointment_book(
    *,
    data: Mapping[str, Any],
    user=None,
    allow_outside_hours: bool = False,
    allow_past: bool = True,
    imported: bool = False,
) -> Appointment:
    """Book an appointment; the end defaults to start plus the type's duration.
    ``allow_past=False`` refuses one that is over already (see appointment_validate).
    ``imported``: booked in the shop's previous system, brought over; its
    reminder is planned, but no confirmation goes out (change "imported")."""
    appointment = Appointment(created_by=user, updated_by=user)
    _assign(appointment, data)
    _validate_and_save(appointment, allow_outside_hours=allow_outside_hours, allow_past=allow_past)
    _record_exam(appointment, user=user)
    _changed(appointment, "imported" if imported else "booked", user=user)
    return appointment


def _changed(appointment: Appointment, change: str, *, user=None) -> None:
    appointment_changed.send(Appointment, appointment=appointment, change=change, user=user)


def _change_of(appointment: Appointment, *, start_before, status_before) -> str:
    if appointment.status == Appointment.Status.CANCELLED != status_before:
        return "cancelled"
    if appointment.start != start_before:
        return "moved"
    return "changed"


@transaction.atomic
def appointment_update(
    *,
    appointment_id: int,
    data: Mapping[str, Any],
    user=None,
    expected_version: int | None = None,
    allow_outside_hours: bool = False,
    allow_past: bool = True,
) -> Appointment:
    """``allow_past=False`` refuses moving the appointment into the past; one
    there already stays editable (notes, status) without being asked again."""
    appointment = Appointment.objects.select_for_update(no_key=True).get(pk=appointment_id)
    appointment_check_version(appointment, expected_version)
    was_done = appointment.status == Appointment.Status.DONE
    before = (appointment.start, appointment.end, appointment.staff_id, appointment.is_blocking)
    status_before = appointment.status
    customer_before = appointment.customer_id
    _assign(appointment, data)
    appointment.version += 1
    appointment.updated_by = user
    _validate_and_save(
        appointment,
        # An appointment booked outside opening hours on purpose stays
        # editable (notes, status) without ticking the override again.
        allow_outside_hours=allow_outside_hours
        or before == (appointment.start, appointment.end, appointment.staff_id, True),
        # A deleted customer's appointments can still be cancelled or moved.
        check_customer=appointment.customer_id != customer_before,
        allow_past=allow_past or appointment.start == before[0],
    )
    if not was_done:
        _record_exam(appointment, user=user)
    _changed(
        appointment,
        _change_of(appointment, start_before=before[0], status_before=status_before),
        user=user,
    )
    return appointment


@transaction.atomic
def appointment_set_status(*, appointment_id: int, status: str, user=None) -> Appointment:
    """One-click status change; opening hours are not re-checked for it."""
    appointment = Appointment.objects.select_for_update(no_key=True).get(pk=appointment_id)
    was_done = appointment.status == Appointment.Status.DONE
    status_before = appointment.status
    appointment.status = status
    appointment.version += 1
    appointment.updated_by = user
    _validate_and_save(appointment, allow_outside_hours=True, check_customer=False)
    if not was_done:
        _record_exam(appointment, user=user)
    _changed(
        appointment,
        _change_of(appointment, start_before=appointment.start, status_before=status_before),
        user=user,
    )
    return appointment


def _record_exam(appointment: Appointment, *, user=None) -> None:
    """A completed eye test is the customer's latest exam, recorded as
    every exam is (customers.services.customer_record_exam: the customer
    locked, a deleted one left alone, the version moved on and ``updated_by``
    set, so an editor who loaded the customer before cannot silently
    overwrite the new date)."""
    if appointment.status != Appointment.Status.DONE or not appointment.type.is_eye_exam:
        return
    exam_day: datetime.date = timezone.localtime(appointment.start).date()
    if exam_day > timezone.localdate():
        return
    customer_record_exam(customer_id=appointment.customer_id, day=exam_day, user=user)


@transaction.atomic
def calendar_renew_feed_token(*, calendar_id: int) -> str:
    """Revoke a staff member's feed URL by giving it a new token."""
    calendar = StaffCalendar.objects.select_for_update(no_key=True).get(pk=calendar_id)
    calendar.feed_token = new_feed_token()
    calendar.save(update_fields=["feed_token", "updated_at"])
    return calendar.feed_token
