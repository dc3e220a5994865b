"""SMS: how many parts a text costs, which numbers can receive one, and the
gateway that sends it (SMS_BACKEND with SMS_OPTIONS, as EMAIL_BACKEND is
for mail).

An SMS holds 160 GSM-7 characters, or 153 per part once it is split; a text
with any other character goes as UCS-2: 70, or 67 per part. The characters of
GSM-7's extension table (€, [, ], {, }, \\, ^, ~, | and the page break) take
two places. See docs/messaging.md.
"""

from __future__ import annotations

import json
import logging
import sys
import urllib.error
import urllib.parse
import urllib.request
import uuid
from dataclasses import dataclass
from pathlib import Path

import phonenumbers
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext

from messaging.delivery import DeliveryResult
from opticrm.lib.phone import stored_number, takes_sms

logger = logging.getLogger(__name__)

GSM7 = "GSM-7"
UCS2 = "UCS-2"

# GSM 03.38 basic character set (without the escape code 0x1B itself).
GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
# Reached through the escape code: each takes two of the 160 places.
GSM7_EXTENSION = frozenset("\f^{}\\[~]|€")

# Places in one SMS, and per part of a split one (the rest holds the part header).
SINGLE = {GSM7: 160, UCS2: 70}
PER_PART = {GSM7: 153, UCS2: 67}

SENDER_MAX_LENGTH = 11


def _weights(text: str) -> tuple[str, list[int]]:
    """The encoding a text needs and the places each character takes."""
    if all(char in GSM7_BASIC or char in GSM7_EXTENSION for char in text):
        return GSM7, [2 if char in GSM7_EXTENSION else 1 for char in text]
    # UCS-2 as phones send it (UTF-16): a character beyond the first plane,
    # an emoji say, is a surrogate pair and takes two places.
    return UCS2, [2 if ord(char) > 0xFFFF else 1 for char in text]


def parts(text: str) -> tuple[str, int, int]:
    """(encoding, characters, parts) of an SMS text: characters as the
    network counts them (an extension character or an emoji counts twice).
    A character's two places never straddle two parts."""
    encoding, weights = _weights(text)
    characters = sum(weights)
    if characters == 0:
        return encoding, 0, 0
    if characters <= SINGLE[encoding]:
        return encoding, characters, 1
    count, used = 1, 0
    for weight in weights:
        if used + weight > PER_PART[encoding]:
            count, used = count + 1, 0
        used += weight
    return encoding, characters, count


def to_e164(phone) -> tuple[str, str]:
    """(number, reason): a mobile number in E.164 (+4915123456789) and "", or
    "" and why no SMS can go to it (a landline, an invalid number), for staff.
    German numbers may be written nationally (0151 …)."""
    if isinstance(phone, phonenumbers.PhoneNumber):
        parsed = phone
    else:
        text = str(phone or "").strip()
        if not text:
            return "", gettext("No mobile number is given.")
        parsed = stored_number(text)
    if not isinstance(parsed, phonenumbers.PhoneNumber) or not phonenumbers.is_valid_number(parsed):
        return "", gettext("The phone number is not valid.")
    if not takes_sms(parsed):
        if phonenumbers.number_type(parsed) == phonenumbers.PhoneNumberType.FIXED_LINE:
            return "", gettext("This is a landline number; an SMS can only go to a mobile number.")
        return "", gettext("This is not a mobile number; an SMS can only go to a mobile number.")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164), ""


def sender_problem(sender: str) -> str:
    """Why a sender name cannot be used, or "": at most 11 characters, and
    only letters, digits and spaces (what every network shows)."""
    if len(sender) > SENDER_MAX_LENGTH:
        return gettext("The SMS sender name may have at most 11 characters.")
    if sender and not all(char.isascii() and (char.isalnum() or char == " ") for char in sender):
        return gettext("The SMS sender name may only contain letters, digits and spaces.")
    return ""


# --- Gateways ----------------------------------------------------------------


class BaseBackend:
    """An SMS gateway. ``send`` gets a valid mobile number in E.164, a
    non-empty text and a valid sender name ("" for the gateway's default) and
    answers a DeliveryResult; it never raises for a failed delivery."""

    def __init__(self, options: dict | None = None):
        self.options = dict(options or {})

    def send(self, *, to: str, text: str, sender: str) -> DeliveryResult:
        raise NotImplementedError


class ConsoleBackend(BaseBackend):
    """Development: prints each SMS (with its text) to standard output."""

    def __init__(self, options=None, stream=None):
        super().__init__(options)
        self.stream = stream or sys.stdout

    def send(self, *, to, text, sender):
        encoding, characters, count = parts(text)
        self.stream.write(
            f"SMS from {sender or '-'} to {to} ({encoding}, {characters} characters, "
            f"{count} part(s)):\n{text}\n{'-' * 40}\n"
        )
        self.stream.flush()
        return DeliveryResult.sent(message_id=f"console-{uuid.uuid4().hex}")


class FileBackend(BaseBackend):
    """Development: writes each SMS as a JSON file into SMS_FILE_PATH."""

    def __init__(self, options=None):
        super().__init__(options)
        self.folder = Path(self.options.get("FILE_PATH") or "sms")

    def send(self, *, to, text, sender):
        encoding, characters, count = parts(text)
        message_id = uuid.uuid4().hex
        moment = timezone.now()
        record = {
            "id": message_id,
            "at": moment.isoformat(),
            "to": to,
            "from": sender,
            "text": text,
            "encoding": encoding,
            "characters": characters,
            "parts": count,
        }
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            path = self.folder / f"{moment:%Y%m%d-%H%M%S}-{message_id}.json"
            path.write_text(json.dumps(record, ensure_ascii=False, indent=2), encoding="utf-8")
        except OSError as error:
            logger.warning("SMS file not written (%s)", type(error).__name__)
            return DeliveryResult.failed(
                gettext("The SMS could not be written to the folder."), transient=True
            )
        return DeliveryResult.sent(message_id=message_id)


class UnconfiguredBackend(BaseBackend):
    """Production without SMS_BACKEND: sends nothing and says so."""

    def send(self, *, to, text, sender):
        return DeliveryResult.failed(
            gettext("Sending SMS is not set up (SMS_BACKEND is missing)."), transient=False
        )


LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1"}

# seven.io's return codes (the "success" field of its answer): 100 sent,
# everything else a failure; those a later attempt may cure are transient.
SEVEN_TRANSIENT = {"500", "600", "700"}


def _seven_reason(code: str) -> str:
    reasons = {
        "201": gettext("The SMS gateway refused the sender name."),
        "202": gettext("The SMS gateway refused the recipient's number."),
        "401": gettext("The SMS gateway refused the text as too long."),
        "402": gettext("The SMS gateway refused the same SMS sent again within a few minutes."),
        "403": gettext("The SMS gateway's daily limit for this number is reached."),
        "500": gettext("The credit at the SMS gateway is used up."),
        "600": gettext("The mobile network did not accept the SMS."),
        "900": gettext("The SMS gateway refused the API key; please check SMS_API_KEY."),
        "902": gettext("The SMS gateway refused the API key; please check SMS_API_KEY."),
        "903": gettext("The SMS gateway refused this server's address."),
    }
    return reasons.get(code) or gettext("The SMS gateway answered with error %(code)s.") % {
        "code": code
    }


class SevenBackend(BaseBackend):
    """seven.io's REST API: POST {API_URL}/sms with the key in X-Api-Key and
    the form fields to, text and from. Options: API_KEY, API_URL (default
    https://gateway.seven.io/api; plain http only to this machine, for tests),
    TIMEOUT (seconds)."""

    def __init__(self, options=None):
        super().__init__(options)
        self.api_key = self.options.get("API_KEY") or ""
        self.api_url = (self.options.get("API_URL") or "https://gateway.seven.io/api").rstrip("/")
        self.timeout = float(self.options.get("TIMEOUT") or 10)
        address = urllib.parse.urlsplit(self.api_url)
        if not self.api_key:
            raise ImproperlyConfigured("SevenBackend needs SMS_API_KEY.")
        if address.scheme != "https" and address.hostname not in LOOPBACK_HOSTS:
            raise ImproperlyConfigured("SMS_API_URL must use https (the API key travels with it).")

    def send(self, *, to, text, sender):
        fields = {"to": to, "text": text}
        if sender:
            fields["from"] = sender
        request = urllib.request.Request(
            f"{self.api_url}/sms",
            data=urllib.parse.urlencode(fields).encode(),
            headers={
                "X-Api-Key": self.api_key,
                "Accept": "application/json",
                "Content-Type": "application/x-www-form-urlencoded; charset=utf-8",
            },
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                body = response.read(64 * 1024).decode("utf-8", "replace")
        except urllib.error.HTTPError as error:
            return self._http_failure(error)
        except TimeoutError:
            return self._transient(gettext("The SMS gateway did not answer in time."), "timeout")
        except urllib.error.URLError as error:
            if isinstance(error.reason, TimeoutError):
                return self._transient(
                    gettext("The SMS gateway did not answer in time."), "timeout"
                )
            return self._transient(gettext("The SMS gateway cannot be reached."), "unreachable")
        except OSError:
            return self._transient(gettext("The SMS gateway cannot be reached."), "unreachable")
        return self._answer(body)

    def _transient(self, reason: str, what: str) -> DeliveryResult:
        logger.warning("SMS not sent (gateway %s)", what)
        return DeliveryResult.failed(reason, transient=True)

    def _http_failure(self, error: urllib.error.HTTPError) -> DeliveryResult:
        status = error.code
        try:
            detail = error.read(2048).decode("utf-8", "replace")
        except OSError:
            detail = ""
        detail = " ".join(detail.split())[:200]
        logger.warning("SMS not sent (gateway answered HTTP %s)", status)
        if status == 429 or status >= 500:
            return DeliveryResult.failed(
                gettext("The SMS gateway is not available at the moment (HTTP %(status)s).")
                % {"status": status},
                transient=True,
            )
        reason = gettext("The SMS gateway refused the SMS (HTTP %(status)s).") % {"status": status}
        if detail:
            reason = f"{reason} {detail}"
        return DeliveryResult.failed(reason, transient=False)

    def _answer(self, body: str) -> DeliveryResult:
        """seven.io answers 200 with JSON ({"success": "100", "messages":
        [{"id": …}]}) or, for older accounts, the bare code."""
        message_id = ""
        try:
            data = json.loads(body)
        except ValueError:
            data = None
        if isinstance(data, dict):
            code = str(data.get("success", ""))
            messages = data.get("messages") or []
            if messages and isinstance(messages[0], dict):
                message_id = str(messages[0].get("id") or "")
        else:
            code = body.strip().splitlines()[0].strip() if body.strip() else ""
        if code == "100":
            return DeliveryResult.sent(message_id=message_id)
        logger.warning("SMS not sent (gateway code %s)", code or "-")
        return DeliveryResult.failed(_seven_reason(code), transient=code in SEVEN_TRANSIENT)


def get_backend() -> BaseBackend:
    """The gateway SMS_BACKEND names, with SMS_OPTIONS."""
    return import_string(settings.SMS_BACKEND)(getattr(settings, "SMS_OPTIONS", {}))


def send_sms(*, to, text: str, sender: str | None = None) -> DeliveryResult:
    """Send one SMS to a mobile number through the configured gateway, from
    `sender` (default SMS_SENDER). Appending the shop's name and phone is the
    caller's part; quiet hours too."""
    number, reason = to_e164(to)
    if reason:
        return DeliveryResult.failed(reason, transient=False)
    if not text or not text.strip():
        return DeliveryResult.failed(gettext("The SMS has no text."), transient=False)
    sender = settings.SMS_SENDER if sender is None else sender
    if problem := sender_problem(sender):
        return DeliveryResult.failed(problem, transient=False)
    try:
        backend = get_backend()
    except (ImportError, ImproperlyConfigured) as error:
        logger.error("SMS gateway not usable: %s", error)
        return DeliveryResult.failed(
            gettext("The SMS gateway is not set up correctly (SMS_BACKEND, SMS_API_KEY)."),
            transient=False,
        )
    return backend.send(to=number, text=text, sender=sender)


# --- Delivery reports ------------------------------------------------------------

# seven.io's delivery report statuses: the final ones.
SEVEN_DELIVERED = {"DELIVERED"}
SEVEN_NOT_DELIVERED = {"NOTDELIVERED", "EXPIRED", "REJECTED", "FAILED"}


@dataclass(frozen=True)
class DeliveryReport:
    """What a gateway reports later about a sent SMS: delivered to the
    phone, or not (with the gateway's status)."""

    gateway_id: str
    delivered: bool
    status: str


def seven_report(payload) -> DeliveryReport | None:
    """seven.io's webhook (event "dlr"): {"webhook_event": "dlr", "data":
    {"msg_id": …, "status": "DELIVERED", …}}. None for anything else and for
    statuses that are not final (BUFFERED, TRANSMITTED, ACCEPTED …)."""
    if not isinstance(payload, dict) or payload.get("webhook_event") != "dlr":
        return None
    data = payload.get("data")
    if not isinstance(data, dict):
        return None
    gateway_id = str(data.get("msg_id") or "").strip()
    status = str(data.get("status") or "").strip().upper()
    if not gateway_id or status not in SEVEN_DELIVERED | SEVEN_NOT_DELIVERED:
        return None
    return DeliveryReport(gateway_id=gateway_id, delivered=status in SEVEN_DELIVERED, status=status)
