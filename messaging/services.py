"""Every write to consents goes through here: the customer page, the admin
and later the API call these functions, so each rule has one home."""

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from customers.models import Customer
from messaging.models import ALREADY_GIVEN, Consent, Method


def _already_given() -> ValidationError:
    return ValidationError({"purpose": str(ALREADY_GIVEN)}, code="already_given")


@transaction.atomic
def consent_give(
    *,
    customer_id: int,
    channel: str,
    purpose: str,
    method: str,
    text: str,
    user,
    given_at: datetime.datetime | None = None,
) -> Consent:
    """Record a consent to be contacted on ``channel`` for ``purpose``. A
    customer has at most one active consent per channel and purpose: a
    second one is refused (``ValidationError`` at ``purpose``). The
    customer's row is locked, so two recordings at once cannot both pass."""
    customer = Customer.objects.alive().select_for_update(no_key=True).get(pk=customer_id)
    if (
        Consent.objects.active()
        .filter(customer=customer, channel=channel, purpose=purpose)
        .exists()
    ):
        raise _already_given()
    consent = Consent(
        customer=customer,
        channel=channel,
        purpose=purpose,
        method=method,
        text=(text or "").strip(),
        given_at=given_at or timezone.now(),
        recorded_by=user,
    )
    # The uniqueness was checked above, under the lock.
    consent.full_clean(validate_constraints=False)
    consent.validate_constraints(exclude={"customer"})
    consent.save()
    return consent


@transaction.atomic
def consent_withdraw(
    *, consent_id: int, user, method: str, withdrawn_at: datetime.datetime | None = None
) -> Consent:
    """Withdraw a consent: the record stays as proof, marked withdrawn (when,
    how, recorded by whom). A consent withdrawn already is left as it is."""
    consent = Consent.objects.select_for_update(no_key=True).get(pk=consent_id)
    if not consent.is_active:
        return consent
    if method not in Method.values:
        raise ValidationError(
            {"withdrawal_method": _("Please choose how the consent was withdrawn.")},
            code="required",
        )
    consent.withdrawn_at = withdrawn_at or timezone.now()
    consent.withdrawn_by = user
    consent.withdrawal_method = method
    consent.full_clean(validate_constraints=False)
    consent.validate_constraints(exclude={"customer"})
    consent.save(update_fields=["withdrawn_at", "withdrawn_by", "withdrawal_method", "updated_at"])
    return consent
