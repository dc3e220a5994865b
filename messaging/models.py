"""Consent to be contacted (Einwilligung, UWG §7 / DSGVO Art. 7): per
customer, channel and purpose, with the proof the law asks for (when, how,
which wording, recorded by whom). A withdrawal keeps the record and marks
it withdrawn: the proof of what was agreed stays until the customer is
erased (customers.erasure)."""

import pghistory
from django.conf import settings
from django.db import models
from django.db.models import Q
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
