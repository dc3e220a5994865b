import datetime
import secrets

import pghistory
from django.conf import settings
from django.contrib.postgres.constraints import ExclusionConstraint
from django.contrib.postgres.fields import RangeOperators
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

from opticrm.lib.constraints import CheckConstraint
from opticrm.lib.models import TimeStampedModel, event_meta

HEX_COLOUR = RegexValidator(r"^#[0-9a-fA-F]{6}$", _("Enter a colour as #RRGGBB."))


class AppointmentType(TimeStampedModel):
    """Eye test, contact lens fitting, pick-up …: editable in the admin."""

    name = models.CharField(_("name"), max_length=80)
    duration_minutes = models.PositiveSmallIntegerField(
        _("default duration (minutes)"),
        validators=[MinValueValidator(5), MaxValueValidator(8 * 60)],
    )
    colour = models.CharField(_("colour"), max_length=7, default="#0f5c6e", validators=[HEX_COLOUR])
    sends_reminder = models.BooleanField(_("sends reminders"), default=True)
    # Completing an appointment of this type counts as the customer's eye exam.
    is_eye_exam = models.BooleanField(_("counts as eye exam"), default=False)
    # Such an appointment offers "Abholbereit melden" (messaging).
    is_pickup = models.BooleanField(
        _("collection of finished glasses"),
        default=False,
        help_text=_("Offers the message “Your glasses are ready for collection”."),
    )
    active = models.BooleanField(_("active"), default=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["position", "name"]
        verbose_name = _("appointment type")
        verbose_name_plural = _("appointment types")
        constraints = [
            models.UniqueConstraint(
                Lower("name"),
                name="appointment_type_unique_name",
                violation_error_message=_("An appointment type with this name exists already."),
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def duration(self) -> datetime.timedelta:
        return datetime.timedelta(minutes=self.duration_minutes)


class AppointmentStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    CONFIRMED = "confirmed", _("Confirmed")
    DONE = "done", _("Done")
    CANCELLED = "cancelled", _("Cancelled")
    NO_SHOW = "no_show", _("No-show")


# Cancelled and no-show appointments free their slot.
BLOCKING_STATUSES = (AppointmentStatus.PLANNED, AppointmentStatus.CONFIRMED, AppointmentStatus.DONE)


# The statuses one click sets; "planned" is where an appointment starts.
QUICK_STATUSES = [
    AppointmentStatus.CONFIRMED,
    AppointmentStatus.DONE,
    AppointmentStatus.CANCELLED,
    AppointmentStatus.NO_SHOW,
]
# The next steps offered right in a table row; the edit modal offers all.
NEXT_STATUSES = {
    AppointmentStatus.PLANNED: [AppointmentStatus.CONFIRMED, AppointmentStatus.DONE],
    AppointmentStatus.CONFIRMED: [AppointmentStatus.DONE],
}
# A button that sets a status says what it does, not what the status is called.
STATUS_ACTIONS = {
    AppointmentStatus.CONFIRMED: _("Confirm"),
    AppointmentStatus.DONE: _("Mark as done"),
    AppointmentStatus.CANCELLED: _("Cancel appointment"),
    AppointmentStatus.NO_SHOW: _("Mark as no-show"),
}


def status_actions(statuses) -> list[tuple[str, str]]:
    """(status, button text) for each status a button sets."""
    return [(status, STATUS_ACTIONS[status]) for status in statuses]


def staff_display_name(user) -> str:
    """How a staff member appears in calendars, forms and messages."""
    return user.get_full_name() or user.get_username()


@pghistory.track(exclude=["updated_at", "version"], meta=event_meta("appointment_event_newest"))
class Appointment(TimeStampedModel):
    Status = AppointmentStatus

    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("customer"),
        on_delete=models.PROTECT,
        related_name="appointments",
        db_index=False,  # covered by a composite index below
    )
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("staff member"),
        on_delete=models.PROTECT,
        related_name="appointments",
        db_index=False,  # covered by a composite index below
    )
    type = models.ForeignKey(
        AppointmentType,
        verbose_name=_("type"),
        on_delete=models.PROTECT,
        related_name="appointments",
        db_index=False,  # covered by a composite index below
    )
    start = models.DateTimeField(_("start"))
    end = models.DateTimeField(_("end"))
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.PLANNED
    )
    notes = models.TextField(_("notes"), blank=True)
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("updated by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )

    class Meta:
        ordering = ["start", "id"]
        verbose_name = _("appointment")
        verbose_name_plural = _("appointments")
        constraints = [
            CheckConstraint(
                condition=Q(end__gt=F("start")),
                name="appointment_end_after_start",
                violation_error_message=_("The end must be after the start."),
                field="end",
            ),
            # No double booking, enforced by PostgreSQL itself: one staff
            # member, no two overlapping blocking appointments. "[)" ranges
            # let one appointment end at 10:00 and the next start at 10:00.
            ExclusionConstraint(
                name="appointment_no_double_booking",
                expressions=[
                    ("staff", RangeOperators.EQUAL),
                    (
                        models.Func(F("start"), F("end"), function="tstzrange"),
                        RangeOperators.OVERLAPS,
                    ),
                ],
                condition=Q(status__in=BLOCKING_STATUSES),
                violation_error_message=_("This staff member already has an appointment then."),
            ),
        ]
        indexes = [
            models.Index(fields=["start", "id"], name="appointment_start"),
            # Day and week views, the feed and the staff filter: one staff member's range.
            models.Index(fields=["staff", "start"], name="appointment_staff"),
            models.Index(fields=["customer", "start"], name="appointment_customer"),
            models.Index(fields=["status", "start"], name="appointment_status"),
            models.Index(fields=["type", "start"], name="appointment_type"),
        ]

    def __str__(self) -> str:
        return f"{self.type} – {self.customer}"

    @property
    def is_blocking(self) -> bool:
        return self.status in BLOCKING_STATUSES


class OpeningHours(models.Model):
    """One opening interval on a weekday; two rows make a lunch break."""

    class Weekday(models.IntegerChoices):
        MONDAY = 0, _("Monday")
        TUESDAY = 1, _("Tuesday")
        WEDNESDAY = 2, _("Wednesday")
        THURSDAY = 3, _("Thursday")
        FRIDAY = 4, _("Friday")
        SATURDAY = 5, _("Saturday")
        SUNDAY = 6, _("Sunday")

    weekday = models.PositiveSmallIntegerField(_("weekday"), choices=Weekday.choices)
    opens = models.TimeField(_("opens"))
    closes = models.TimeField(_("closes"))

    class Meta:
        ordering = ["weekday", "opens"]
        verbose_name = _("opening hours")
        verbose_name_plural = _("opening hours")
        constraints = [
            CheckConstraint(
                condition=Q(closes__gt=F("opens")),
                name="opening_hours_close_after_open",
                violation_error_message=_("The shop must close after it opens."),
                field="closes",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.opens:%H:%M}–{self.closes:%H:%M}"


class ClosedDay(models.Model):
    """Holidays the law does not know, vacations, stock-taking: the shop is shut."""

    first_day = models.DateField(_("first day"))
    last_day = models.DateField(_("last day"))
    reason = models.CharField(_("reason"), max_length=120)

    class Meta:
        ordering = ["first_day"]
        verbose_name = _("closed day")
        verbose_name_plural = _("closed days")
        constraints = [
            CheckConstraint(
                condition=Q(last_day__gte=F("first_day")),
                name="closed_day_range_order",
                violation_error_message=_("The last day cannot be before the first day."),
                field="last_day",
            ),
        ]
        indexes = [models.Index(fields=["last_day", "first_day"], name="closed_day_range")]

    def __str__(self) -> str:
        return f"{self.reason} ({self.first_day:%d.%m.%Y}–{self.last_day:%d.%m.%Y})"


def new_feed_token() -> str:
    return secrets.token_urlsafe(32)


class StaffCalendar(TimeStampedModel):
    """A staff member who takes appointments: a column in the day view, and a
    private iCalendar feed (a new token revokes the old subscription URL)."""

    staff = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("staff member"),
        on_delete=models.CASCADE,
        related_name="calendar",
    )
    active = models.BooleanField(_("takes appointments"), default=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    feed_token = models.CharField(
        _("feed token"), max_length=64, unique=True, default=new_feed_token, editable=False
    )

    class Meta:
        ordering = ["position", "staff__first_name", "staff__username"]
        verbose_name = _("staff calendar")
        verbose_name_plural = _("staff calendars")

    def __str__(self) -> str:
        return staff_display_name(self.staff)
