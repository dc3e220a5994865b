"""Appointments as iCalendar events, for the download and the staff feed alike."""

from django.utils import timezone

from appointments import ics
from appointments.models import Appointment

ICS_STATUS = {
    Appointment.Status.PLANNED: "TENTATIVE",
    Appointment.Status.CONFIRMED: "CONFIRMED",
    Appointment.Status.DONE: "CONFIRMED",
    Appointment.Status.CANCELLED: "CANCELLED",
    Appointment.Status.NO_SHOW: "CANCELLED",
}


def appointment_event(appointment: Appointment, *, domain: str) -> ics.Event:
    """The appointment as a calendar event; the UID stays the same across
    downloads and feeds, so a phone updates its copy instead of adding one."""
    return ics.Event(
        uid=f"appointment-{appointment.pk}@{domain}",
        start=appointment.start,
        end=appointment.end,
        summary=f"{appointment.type.name} – {appointment.customer.shown_name}",
        stamp=timezone.now(),
        status=ICS_STATUS.get(appointment.status, ""),
        sequence=appointment.version,
        modified=appointment.updated_at,
    )
