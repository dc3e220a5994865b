"""The unsubscribe link of recall e-mails: signed, so it works without a
log-in and cannot be made up for another customer. It names the customer
and the channel; following it withdraws the consent to recalls and
advertising on that channel (messaging.services.consent_unsubscribe)."""

from django.conf import settings
from django.core import signing
from django.urls import reverse

SALT = "messaging.unsubscribe"


def unsubscribe_token(customer_id: int, channel: str) -> str:
    # No time stamp: the same customer and channel always get the same link
    # (in the text and the List-Unsubscribe header), and it never expires.
    return signing.Signer(salt=SALT).sign_object({"c": customer_id, "ch": channel}, compress=True)


def read_token(token: str) -> tuple[int, str] | None:
    """(customer id, channel), or None for a token that was not made here."""
    try:
        data = signing.Signer(salt=SALT).unsign_object(token)
    except signing.BadSignature:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("c"), int):
        return None
    return data["c"], str(data.get("ch", ""))


def unsubscribe_url(customer_id: int, channel: str) -> str:
    """The absolute link (SITE_URL): the worker that sends has no request."""
    path = reverse("messaging:unsubscribe", args=[unsubscribe_token(customer_id, channel)])
    return settings.SITE_URL.rstrip("/") + path
