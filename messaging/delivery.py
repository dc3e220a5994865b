"""Delivering a message: what the worker calls to send one e-mail (and the
result every channel answers with, messaging.sms included).

A delivery never raises for what can go wrong on the way (a server that is
down, a refused address): it answers a DeliveryResult that says whether the
message went out and, if not, why in the active language and whether trying
again later may help (transient) or not (permanent). Logs name the failure,
never a password, an API key or the message's text.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from dataclasses import asdict, dataclass
from email.utils import make_msgid

from django.core.exceptions import ValidationError
from django.core.mail import BadHeaderError, EmailMessage, get_connection
from django.core.mail.backends.base import BaseEmailBackend
from django.core.mail.utils import DNS_NAME
from django.core.validators import validate_email
from django.utils.translation import gettext

logger = logging.getLogger(__name__)

SENT = "sent"
FAILED = "failed"


@dataclass(frozen=True)
class DeliveryResult:
    """The outcome of one delivery: sent (with the id the server gave it,
    where it gave one) or failed with a reason for staff, transient when a
    later attempt may succeed."""

    status: str
    reason: str = ""
    transient: bool = False
    message_id: str = ""

    @classmethod
    def sent(cls, *, message_id: str = "") -> DeliveryResult:
        return cls(status=SENT, message_id=message_id)

    @classmethod
    def failed(cls, reason: str, *, transient: bool) -> DeliveryResult:
        return cls(status=FAILED, reason=str(reason), transient=transient)

    @property
    def ok(self) -> bool:
        return self.status == SENT

    @property
    def permanent(self) -> bool:
        return self.status == FAILED and not self.transient

    def as_dict(self) -> dict:
        """JSON for a task's return value."""
        return asdict(self)


class EmailNotConfigured(smtplib.SMTPException):
    """EMAIL_URL is not set on a production server."""


class UnconfiguredEmailBackend(BaseEmailBackend):
    """The mail backend of a production server without EMAIL_URL: it sends
    nothing, prints nothing, and says so (settings)."""

    def send_messages(self, email_messages):
        if self.fail_silently:
            return 0
        raise EmailNotConfigured("EMAIL_URL is not set")


def _smtp_code_failure(code: int | None, permanent_reason: str) -> DeliveryResult:
    """An SMTP reply: 4xx means try again later, 5xx is final."""
    if code is not None and 400 <= code < 500:
        return DeliveryResult.failed(
            gettext("The mail server cannot accept the message at the moment."), transient=True
        )
    return DeliveryResult.failed(permanent_reason, transient=False)


def _failure(error: Exception) -> DeliveryResult:
    """The result for an exception from Django's mail backend."""
    if isinstance(error, EmailNotConfigured):
        return DeliveryResult.failed(
            gettext("Sending e-mails is not set up (EMAIL_URL is missing)."), transient=False
        )
    if isinstance(error, smtplib.SMTPAuthenticationError):
        return DeliveryResult.failed(
            gettext("The mail server refused the log-in; please check EMAIL_URL."),
            transient=False,
        )
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _message in error.recipients.values()]
        return _smtp_code_failure(
            max(codes, default=None), gettext("The mail server refused the recipient's address.")
        )
    if isinstance(error, smtplib.SMTPSenderRefused):
        return _smtp_code_failure(
            error.smtp_code, gettext("The mail server refused the sender address.")
        )
    if isinstance(error, smtplib.SMTPNotSupportedError):
        return DeliveryResult.failed(
            gettext("The mail server does not support what EMAIL_URL asks for (e.g. TLS)."),
            transient=False,
        )
    if isinstance(error, smtplib.SMTPServerDisconnected | smtplib.SMTPConnectError):
        return DeliveryResult.failed(gettext("The mail server cannot be reached."), transient=True)
    if isinstance(error, smtplib.SMTPResponseException):
        return _smtp_code_failure(error.smtp_code, gettext("The mail server refused the message."))
    if isinstance(error, ssl.SSLError):
        return DeliveryResult.failed(
            gettext("The encrypted connection to the mail server failed."), transient=False
        )
    if isinstance(error, TimeoutError):
        return DeliveryResult.failed(
            gettext("The mail server did not answer in time."), transient=True
        )
    if isinstance(error, OSError | smtplib.SMTPException):
        return DeliveryResult.failed(gettext("The mail server cannot be reached."), transient=True)
    return DeliveryResult.failed(
        gettext("The e-mail could not be sent because of an unexpected error."), transient=True
    )


# A file sent with an e-mail: (file name, content, MIME type).
Attachment = tuple[str, bytes, str]


def send_email(
    *,
    to: str,
    subject: str,
    body: str,
    headers: dict[str, str] | None = None,
    attachments: list[Attachment] | None = None,
) -> DeliveryResult:
    """Send one plain-text e-mail from DEFAULT_FROM_EMAIL through the backend
    EMAIL_URL configures, with ``attachments`` (an invoice's PDF) if given;
    the result carries its Message-ID."""
    try:
        validate_email(to)
    except ValidationError:
        return DeliveryResult.failed(gettext("The e-mail address is not valid."), transient=False)
    headers = dict(headers or {})
    message_id = headers.setdefault("Message-ID", make_msgid(domain=DNS_NAME))
    try:
        message = EmailMessage(
            subject=subject,
            body=body,
            to=[to],
            headers=headers,
            attachments=list(attachments or ()),
            connection=get_connection(fail_silently=False),
        )
        sent = message.send()
    except (BadHeaderError, ValueError):
        # A line break in the subject or a header, an address that cannot be encoded.
        return DeliveryResult.failed(
            gettext("The e-mail has an invalid subject or header."), transient=False
        )
    except Exception as error:  # every failure becomes a result
        result = _failure(error)
        # The class and SMTP code only: an error's text may quote the address.
        logger.warning(
            "E-mail %s not sent (%s, code %s, %s)",
            message_id,
            type(error).__name__,
            getattr(error, "smtp_code", "-"),
            "transient" if result.transient else "permanent",
        )
        return result
    if not sent:
        return DeliveryResult.failed(
            gettext("The e-mail could not be sent because of an unexpected error."),
            transient=True,
        )
    return DeliveryResult.sent(message_id=message_id)
