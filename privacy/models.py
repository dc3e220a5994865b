from django.conf import settings
from django.db import models
from django.db.models import Q, Value
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from opticrm.lib.constraints import CheckConstraint


class AccessReport(models.Model):
    """That an access report (DSGVO Art. 15) was made: who made one for
    which customer number and when, to show that requests were answered
    (Art. 5 (2)). Not its contents, and no personal data: the entry stays
    when the customer is erased."""

    class Format(models.TextChoices):
        PDF = "pdf", _("PDF")
        JSON = "json", _("JSON")

    customer_number = models.PositiveIntegerField(_("customer number"))
    file_format = models.CharField(_("format"), max_length=4, choices=Format)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("access report")
        verbose_name_plural = _("access reports")
        indexes = [
            models.Index(fields=["customer_number", "-created_at"], name="accessreport_customer"),
        ]

    def __str__(self) -> str:
        return f"{self.customer_number} ({self.get_file_format_display()})"


class DataExport(models.Model):
    """An export of all data ("Alle Daten exportieren", issue 27): one ZIP
    of every table, made in the background (privacy.full_export) and kept
    in the default storage until ``expires_at``; only who asked for it
    downloads it. The row stays as the log of who exported the shop's data
    and when; the file goes."""

    class State(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Being made")
        READY = "ready", _("Ready")
        FAILED = "failed", _("Failed")
        EXPIRED = "expired", _("Expired")

    # Queued or running: at most one export of the whole shop at a time.
    ACTIVE = (State.QUEUED, State.RUNNING)

    state = models.CharField(_("state"), max_length=10, choices=State, default=State.QUEUED)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requested by"),
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        db_index=False,  # dataexport_user_newest leads with it
    )
    created_at = models.DateTimeField(_("requested at"), default=timezone.now)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    expires_at = models.DateTimeField(_("valid until"), null=True, blank=True)
    # Where the file lies in the default storage (never under a public URL).
    storage_name = models.CharField(_("file in the storage"), max_length=255, blank=True)
    filename = models.CharField(_("file name"), max_length=100, blank=True)
    size = models.PositiveBigIntegerField(_("size in bytes"), null=True, blank=True)
    sha256 = models.CharField(_("SHA-256 checksum"), max_length=64, blank=True)
    # Why it failed, in the shop's language, for the owner to read.
    failure = models.TextField(_("reason for failure"), blank=True)
    # Rows per table ({"customers_customer": 1000000, …}).
    counts = models.JSONField(_("rows per table"), default=dict, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("data export")
        verbose_name_plural = _("data exports")
        indexes = [
            models.Index(fields=["created_by", "-created_at"], name="dataexport_user_newest"),
            models.Index(
                fields=["expires_at"], name="dataexport_ready_expiry", condition=Q(state="ready")
            ),
        ]
        constraints = [
            # One at a time, whoever asks: a second click, a colleague.
            models.UniqueConstraint(
                Value(True),
                condition=Q(state__in=["queued", "running"]),
                name="dataexport_one_at_a_time",
                violation_error_message=_(
                    "An export of all data is already being made. Please wait until it is ready."
                ),
            ),
            CheckConstraint(
                condition=Q(state__in=["queued", "running", "ready", "failed", "expired"]),
                name="dataexport_state_valid",
                violation_error_message=_("Please choose one of the offered statuses."),
                field="state",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.filename or self.pk} ({self.get_state_display()})"

    @property
    def active(self) -> bool:
        return self.state in self.ACTIVE

    def downloadable(self, now=None) -> bool:
        return (
            self.state == self.State.READY
            and bool(self.storage_name)
            and self.expires_at is not None
            and self.expires_at > (now or timezone.now())
        )
