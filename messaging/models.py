"""Consent to be contacted (Einwilligung, UWG §7 / DSGVO Art. 7): per
customer, channel and purpose, with the proof the law asks for (when, how,
which wording, recorded by whom). A withdrawal keeps the record and marks
it withdrawn: the proof of what was agreed stays until the customer is
erased (customers.erasure)."""

import datetime

import pghistory
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from customers.models import Customer
from opticrm.lib.constraints import CheckConstraint
from opticrm.lib.models import TimeStampedModel, event_meta

# A consent that has not been withdrawn.
ACTIVE = Q(withdrawn_at__isnull=True)
ALREADY_GIVEN = _(
    "This customer has already given this consent; withdraw it first to record a new one."
)


class Channel(models.TextChoices):
    EMAIL = "email", _("Email")
    SMS = "sms", _("SMS")
    LETTER = "letter", _("Letter")


class Purpose(models.TextChoices):
    # Reminders of booked appointments, "Ihre Brille ist abholbereit".
    SERVICE = "service", _("Service messages")
    # Recall (eye test due) and advertising: UWG §7 needs prior consent.
    MARKETING = "marketing", _("Recall and advertising")


class Method(models.TextChoices):
    IN_STORE = "in_store", _("in the shop")
    WRITTEN = "written", _("in writing")
    ONLINE = "online", _("online")
    PHONE = "phone", _("by phone")


class ConsentQuerySet(models.QuerySet):
    def active(self):
        return self.filter(ACTIVE)


@pghistory.track(exclude=["updated_at"], meta=event_meta("consent_event_newest"))
class Consent(TimeStampedModel):
    # Erased with the customer (the purge, customers.erasure): without a
    # customer there is nobody to contact and nothing left to prove.
    # Indexed by consent_customer, which leads with the customer.
    customer = models.ForeignKey(
        Customer,
        verbose_name=_("customer"),
        on_delete=models.CASCADE,
        related_name="consents",
        db_index=False,
    )
    channel = models.CharField(_("channel"), max_length=10, choices=Channel)
    purpose = models.CharField(_("purpose"), max_length=10, choices=Purpose)
    given_at = models.DateTimeField(_("given at"))
    method = models.CharField(_("how given"), max_length=10, choices=Method)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )
    text = models.TextField(
        _("wording"),
        help_text=_("The text the customer agreed to, as shown or read to them."),
        error_messages={"blank": _("Please enter the wording the customer agreed to.")},
    )
    withdrawn_at = models.DateTimeField(_("withdrawn at"), null=True, blank=True, editable=False)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("withdrawal recorded by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )
    withdrawal_method = models.CharField(
        _("how withdrawn"), max_length=10, choices=Method, blank=True, default=""
    )

    objects = ConsentQuerySet.as_manager()

    class Meta:
        ordering = ["-given_at", "-id"]
        verbose_name = _("consent")
        verbose_name_plural = _("consents")
        constraints = [
            # Also the index of "customers without an active consent" (the
            # customer list's filter) and of may_contact: it leads with the
            # customer and holds only active consents.
            models.UniqueConstraint(
                fields=["customer", "channel", "purpose"],
                condition=ACTIVE,
                name="consent_one_active",
                violation_error_message=ALREADY_GIVEN,
            ),
            CheckConstraint(
                condition=Q(channel__in=Channel.values),
                name="consent_channel_valid",
                violation_error_message=_("Please choose one of the offered channels."),
                field="channel",
            ),
            CheckConstraint(
                condition=Q(purpose__in=Purpose.values),
                name="consent_purpose_valid",
                violation_error_message=_("Please choose one of the offered purposes."),
                field="purpose",
            ),
            CheckConstraint(
                condition=Q(method__in=Method.values),
                name="consent_method_valid",
                violation_error_message=_("Please choose how the consent was given."),
                field="method",
            ),
            CheckConstraint(
                condition=~Q(text=""),
                name="consent_text_not_blank",
                violation_error_message=_("Please enter the wording the customer agreed to."),
                field="text",
            ),
            # Withdrawn: when and how; not withdrawn: neither, nor by whom.
            CheckConstraint(
                condition=Q(withdrawn_at__isnull=True, withdrawal_method="")
                | Q(withdrawn_at__isnull=False, withdrawal_method__in=Method.values),
                name="consent_withdrawal_method",
                violation_error_message=_(
                    "Please choose how the consent was withdrawn; a consent that is "
                    "not withdrawn has no withdrawal method."
                ),
                field="withdrawal_method",
            ),
            CheckConstraint(
                condition=Q(withdrawn_by__isnull=True) | Q(withdrawn_at__isnull=False),
                name="consent_withdrawn_by_when",
                violation_error_message=_(
                    "Only a withdrawn consent names who recorded the withdrawal."
                ),
                field="withdrawn_at",
            ),
        ]
        indexes = [
            # The customer page's section: all of a customer's consents.
            models.Index(fields=["customer", "-given_at"], name="consent_customer"),
        ]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} · {self.get_purpose_display()}"

    @property
    def is_active(self) -> bool:
        return self.withdrawn_at is None


class Kind(models.TextChoices):
    REMINDER = "reminder", _("Appointment reminder")
    CONFIRMATION = "confirmation", _("Appointment confirmation")
    CANCELLATION = "cancellation", _("Appointment cancellation")
    READY = "ready", _("Ready for collection")
    RECALL_EYE_TEST = "recall_eye_test", _("Recall eye test")
    RECALL_CL_CHECK = "recall_cl_check", _("Recall contact lens check")
    RECALL_CL_REORDER = "recall_cl_reorder", _("Recall contact lens reorder")
    # An issued invoice (or cancellation invoice) sent with its PDF (the
    # invoices app sends it and provides the attachment).
    INVOICE = "invoice", _("Invoice")


# Service messages belong to a booked appointment, an order or an invoice
# (part of the contract); recalls are advertising in the sense of UWG §7.
PURPOSE_OF_KIND = {
    Kind.REMINDER: Purpose.SERVICE,
    Kind.CONFIRMATION: Purpose.SERVICE,
    Kind.CANCELLATION: Purpose.SERVICE,
    Kind.READY: Purpose.SERVICE,
    Kind.RECALL_EYE_TEST: Purpose.MARKETING,
    Kind.RECALL_CL_CHECK: Purpose.MARKETING,
    Kind.RECALL_CL_REORDER: Purpose.MARKETING,
    Kind.INVOICE: Purpose.SERVICE,
}
RECALL_KINDS = (Kind.RECALL_EYE_TEST, Kind.RECALL_CL_CHECK, Kind.RECALL_CL_REORDER)


@pghistory.track(exclude=["updated_at"], meta=event_meta("messagetemplate_event_newest"))
class MessageTemplate(TimeStampedModel):
    """The wording of one kind of message on one channel, edited by the
    owner in the admin. Placeholders in braces ({vorname}) are filled when
    the message is sent (messaging.rendering)."""

    kind = models.CharField(_("kind"), max_length=20, choices=Kind)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel)
    subject = models.CharField(
        _("subject"),
        max_length=200,
        blank=True,
        help_text=_("E-mail subject or the letter's subject line; SMS have none."),
    )
    body = models.TextField(_("text"))

    class Meta:
        ordering = ["kind", "channel"]
        verbose_name = _("message template")
        verbose_name_plural = _("message templates")
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "channel"],
                name="messagetemplate_one_per_kind_channel",
                violation_error_message=_("There is a template for this kind and channel already."),
            ),
            CheckConstraint(
                condition=Q(kind__in=Kind.values),
                name="messagetemplate_kind_valid",
                violation_error_message=_("Please choose one of the offered kinds."),
                field="kind",
            ),
            CheckConstraint(
                condition=Q(channel__in=Channel.values),
                name="messagetemplate_channel_valid",
                violation_error_message=_("Please choose one of the offered channels."),
                field="channel",
            ),
            CheckConstraint(
                condition=~Q(body=""),
                name="messagetemplate_body_not_blank",
                violation_error_message=_("Please enter the text of the message."),
                field="body",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.get_channel_display()}"

    def clean(self):
        from messaging.rendering import template_errors

        errors = template_errors(
            kind=self.kind, channel=self.channel, subject=self.subject, body=self.body
        )
        if errors:
            raise ValidationError(errors)


class State(models.TextChoices):
    PLANNED = "planned", _("planned")
    # Handed to the worker (a task is enqueued for it).
    QUEUED = "queued", _("queued")
    # The worker is sending it; one left here was interrupted (a crash).
    SENDING = "sending", _("sending")
    SENT = "sent", _("sent")
    # The gateway reported it reached the phone.
    DELIVERED = "delivered", _("delivered")
    FAILED = "failed", _("failed")
    CANCELLED = "cancelled", _("cancelled")


# The states in which a message may still go out.
OPEN_STATES = (State.PLANNED, State.QUEUED, State.SENDING)


class Message(TimeStampedModel):
    """One message to a customer, planned or sent, with the text as sent:
    the customer page's log and the outbox the worker sends from."""

    customer = models.ForeignKey(
        Customer,
        verbose_name=_("customer"),
        on_delete=models.CASCADE,
        related_name="messages",
        db_index=False,  # message_customer leads with it
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel)
    purpose = models.CharField(_("purpose"), max_length=10, choices=Purpose)
    appointment = models.ForeignKey(
        "appointments.Appointment",
        verbose_name=_("appointment"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    # What the message is about when it is no appointment, as the app that
    # sends it names it ("invoice:12"): the app that registered an attachment
    # for the kind finds its document by it (services.attachments_register).
    reference = models.CharField(
        _("about"), max_length=100, blank=True, default="", db_default="", editable=False
    )
    # The customer asked for this message (e.g. an invoice by e-mail without
    # a consent to service messages): when, and who noted it.
    requested_at = models.DateTimeField(
        _("requested by the customer at"), null=True, blank=True, editable=False
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("request recorded by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )
    # Makes a message that must exist once exist once: a double click, a
    # second scheduler run or a retried request meet the unique index.
    key = models.CharField(_("key"), max_length=100, null=True, blank=True, editable=False)
    recipient = models.CharField(_("to"), max_length=254, blank=True)
    subject = models.CharField(_("subject"), max_length=200, blank=True)
    text = models.TextField(_("text"), blank=True)
    state = models.CharField(_("state"), max_length=10, choices=State, default=State.PLANNED)
    send_at = models.DateTimeField(_("to be sent at"))
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    reason = models.TextField(_("reason"), blank=True)
    gateway_id = models.CharField(_("gateway id"), max_length=200, blank=True)
    # Cancelled by staff (the customer asked): never planned again by itself.
    stopped = models.BooleanField(
        _("stopped by staff"), default=False, db_default=False, editable=False
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )

    class Meta:
        ordering = ["-send_at", "-id"]
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        permissions = [("send_message", _("Can send messages to customers"))]
        constraints = [
            # Never twice: one reminder per appointment, whatever sends it.
            models.UniqueConstraint(
                fields=["appointment", "kind"],
                condition=Q(kind=Kind.REMINDER),
                name="message_one_reminder",
                violation_error_message=_("This appointment has a reminder already."),
            ),
            models.UniqueConstraint(
                fields=["key"],
                name="message_unique_key",
                violation_error_message=_("This message exists already."),
            ),
            CheckConstraint(
                condition=Q(kind__in=Kind.values),
                name="message_kind_valid",
                violation_error_message=_("Please choose one of the offered kinds."),
                field="kind",
            ),
            CheckConstraint(
                condition=Q(channel__in=Channel.values),
                name="message_channel_valid",
                violation_error_message=_("Please choose one of the offered channels."),
                field="channel",
            ),
            CheckConstraint(
                condition=Q(state__in=State.values),
                name="message_state_valid",
                violation_error_message=_("Please choose one of the offered states."),
                field="state",
            ),
            CheckConstraint(
                condition=Q(state=State.FAILED)
                | Q(state=State.CANCELLED)
                | ~Q(recipient="")
                | Q(channel=Channel.LETTER),
                name="message_has_recipient",
                violation_error_message=_("A message needs an address to go to."),
                field="recipient",
            ),
            CheckConstraint(
                condition=Q(requested_by__isnull=True) | Q(requested_at__isnull=False),
                name="message_requested_by_when",
                violation_error_message=_(
                    "Only a message the customer asked for names who recorded the request."
                ),
                field="requested_at",
            ),
        ]
        indexes = [
            # The customer page's log and the recall's "contacted lately".
            models.Index(fields=["customer", "kind", "-created_at"], name="message_customer"),
            models.Index(fields=["customer", "-send_at"], name="message_customer_log"),
            # The messages about one thing (an invoice's e-mails).
            models.Index(
                fields=["reference", "-created_at"],
                name="message_reference",
                condition=~Q(reference=""),
            ),
            # The scheduler: planned messages whose time has come.
            models.Index(
                fields=["send_at"], name="message_planned", condition=Q(state=State.PLANNED)
            ),
            # Interrupted sends and the queue's backlog.
            models.Index(
                fields=["updated_at"],
                name="message_in_flight",
                condition=Q(state__in=[State.QUEUED, State.SENDING]),
            ),
            # A gateway's delivery report finds its message by the gateway's id.
            models.Index(
                fields=["gateway_id"], name="message_gateway_id", condition=~Q(gateway_id="")
            ),
            # "Fehlgeschlagene Nachrichten", newest first.
            models.Index(
                fields=["-updated_at", "-id"],
                name="message_failed",
                condition=Q(state=State.FAILED),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.get_channel_display()}"

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES


class ShortNotice(models.TextChoices):
    NOTHING = "nothing", _("no message")
    CONFIRM = "confirm", _("an immediate confirmation")


class ReminderChannel(models.TextChoices):
    SMS_FIRST = "sms", _("SMS, else e-mail")
    EMAIL_FIRST = "email", _("E-mail, else SMS")


class MessageSettings(TimeStampedModel):
    """The shop's choices for messages; one row (pk 1, written by migration
    0003; the admin offers no adding or deleting), read through
    messaging.selectors.message_settings."""

    reminder_hours = models.PositiveSmallIntegerField(
        _("reminder hours before the appointment"),
        default=24,
        validators=[MinValueValidator(1), MaxValueValidator(24 * 14)],
    )
    reminder_channel = models.CharField(
        _("reminders go by"),
        max_length=10,
        choices=ReminderChannel,
        default=ReminderChannel.SMS_FIRST,
    )
    short_notice = models.CharField(
        _("an appointment booked less than that ahead gets"),
        max_length=10,
        choices=ShortNotice,
        default=ShortNotice.CONFIRM,
    )
    confirm_booking = models.BooleanField(_("confirm a booking"), default=False)
    confirm_move = models.BooleanField(_("confirm a moved appointment"), default=True)
    confirm_cancel = models.BooleanField(_("confirm a cancellation"), default=True)
    quiet_from = models.TimeField(_("no messages from"), default=datetime.time(20, 0))
    quiet_until = models.TimeField(_("no messages until"), default=datetime.time(8, 0))
    recall_pause_weeks = models.PositiveSmallIntegerField(
        _("recall: not again within (weeks)"),
        default=8,
        validators=[MinValueValidator(1), MaxValueValidator(104)],
    )

    class Meta:
        verbose_name = _("message settings")
        verbose_name_plural = _("message settings")
        constraints = [
            CheckConstraint(
                condition=~Q(quiet_from=F("quiet_until")),
                name="messagesettings_quiet_hours",
                violation_error_message=_("The quiet hours must start and end at different times."),
                field="quiet_until",
            ),
        ]

    def __str__(self) -> str:
        return str(_("message settings"))
