"""Filling a message template: the placeholders a template may use, the
German error for one it may not, and the text a customer receives.

A placeholder is a name in braces, ``{vorname}``. Only the names below are
filled; anything else in braces is refused when the template is saved
(MessageTemplate.clean), so a typo never reaches a customer as "{vornmae}".
Rendering replaces names only: no attribute access, no format
specifications, nothing a template could use to read more than it is given.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.conf import settings
from django.utils import formats, timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from customers.models import letter_salutation
from messaging.models import RECALL_KINDS, Channel, Kind
from messaging.sms import parts

# The names a template may use, with what they stand for (shown in the admin).
PLACEHOLDERS = {
    "anrede": _("salutation, e.g. “Sehr geehrte Frau Dr. Müller”"),
    "vorname": _("first name"),
    "nachname": _("last name"),
    "termin_datum": _("appointment date, e.g. 23.11.2026"),
    "termin_uhrzeit": _("appointment time, e.g. 14:30"),
    "termin_art": _("appointment type, e.g. Sehtest"),
    "filiale": _("the shop's name"),
    "telefon": _("the shop's phone number"),
    "adresse": _("the shop's address"),
    "abmelden": _("link to unsubscribe (e-mails about recalls)"),
    "rechnungsnummer": _("the invoice's number, e.g. 2026-000123 (e-mails with an invoice)"),
}
# Only messages about an appointment know one.
APPOINTMENT_PLACEHOLDERS = frozenset({"termin_datum", "termin_uhrzeit", "termin_art"})
APPOINTMENT_KINDS = frozenset({Kind.REMINDER, Kind.CONFIRMATION, Kind.CANCELLATION})
# Placeholders only messages of some kinds know; the app a kind's messages
# are about gives their values (services.values_register).
INVOICE_PLACEHOLDERS = frozenset({"rechnungsnummer"})
KINDS_OF_PLACEHOLDER = {
    **dict.fromkeys(APPOINTMENT_PLACEHOLDERS, APPOINTMENT_KINDS),
    **dict.fromkeys(INVOICE_PLACEHOLDERS, frozenset({Kind.INVOICE})),
}
# What the admin's preview shows for them.
SAMPLE_VALUES = {"rechnungsnummer": "2026-000123"}


def known_in(name: str, kind: str) -> bool:
    """Whether a template of ``kind`` ("" for any) may use the placeholder."""
    kinds = KINDS_OF_PLACEHOLDER.get(name)
    return kinds is None or not kind or kind in kinds


_FIELD = re.compile(r"\{([^{}]*)\}")


def placeholders_in(text: str) -> list[str]:
    return _FIELD.findall(text or "")


def _text_errors(text: str, *, kind: str) -> list[str]:
    errors = []
    rest = _FIELD.sub("", text or "")
    if "{" in rest or "}" in rest:
        errors.append(gettext("A brace has no partner: placeholders are written like {vorname}."))
    for name in dict.fromkeys(placeholders_in(text)):
        if name not in PLACEHOLDERS:
            errors.append(
                gettext("Unknown placeholder {%(name)s}. Allowed are: %(allowed)s.")
                % {"name": name, "allowed": ", ".join(f"{{{p}}}" for p in PLACEHOLDERS)}
            )
        elif not known_in(name, kind) and name in APPOINTMENT_PLACEHOLDERS:
            errors.append(
                gettext(
                    "The placeholder {%(name)s} is only known in messages about an appointment."
                )
                % {"name": name}
            )
        elif not known_in(name, kind):
            errors.append(
                gettext("The placeholder {%(name)s} is only known in e-mails with an invoice.")
                % {"name": name}
            )
    return errors


def template_errors(*, kind: str, channel: str, subject: str, body: str) -> dict[str, list[str]]:
    """Per field, what is wrong with a template (empty: nothing)."""
    errors: dict[str, list[str]] = {}
    if subject_errors := _text_errors(subject, kind=kind):
        errors["subject"] = subject_errors
    body_errors = _text_errors(body, kind=kind)
    if channel == Channel.SMS:
        # An SMS says who sends it and how to reach the shop.
        missing = [name for name in ("filiale", "telefon") if name not in placeholders_in(body)]
        if missing:
            body_errors.append(
                gettext("An SMS must name the shop and its phone number: please add %(names)s.")
                % {"names": ", ".join(f"{{{name}}}" for name in missing)}
            )
    recall_email = channel == Channel.EMAIL and kind in RECALL_KINDS
    if recall_email and "abmelden" not in placeholders_in(body):
        body_errors.append(
            gettext("A recall e-mail must carry the unsubscribe link: please add {abmelden}.")
        )
    if channel in (Channel.EMAIL, Channel.LETTER) and not (subject or "").strip():
        errors.setdefault("subject", []).append(gettext("Please enter a subject."))
    if body_errors:
        errors["body"] = body_errors
    return errors


def fill(text: str, values: dict[str, str]) -> str:
    """``text`` with each known placeholder replaced; anything else stays
    as written (the template was checked when it was saved)."""
    return _FIELD.sub(lambda match: values.get(match.group(1), match.group(0)), text or "")


def values_for(
    customer, *, appointment=None, unsubscribe_url: str = "", about: dict[str, str] | None = None
) -> dict[str, str]:
    """``about``: the values of what the message is about (an invoice's
    number), from the app it belongs to."""
    values = {
        **(about or {}),
        "anrede": letter_salutation(customer),
        "vorname": customer.first_name,
        "nachname": customer.last_name,
        "filiale": settings.SHOP_NAME,
        "telefon": settings.SHOP_PHONE,
        "adresse": settings.SHOP_ADDRESS,
        "abmelden": unsubscribe_url,
    }
    if appointment is not None:
        start = timezone.localtime(appointment.start)
        values |= {
            "termin_datum": formats.date_format(start.date(), "SHORT_DATE_FORMAT"),
            "termin_uhrzeit": formats.time_format(start.time(), "TIME_FORMAT"),
            "termin_art": appointment.type.name,
        }
    return values


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str

    @property
    def sms_parts(self) -> tuple[str, int, int]:
        """(encoding, characters, parts) as the network counts them."""
        return parts(self.text)


def render(template, values: dict[str, str]) -> Rendered:
    """The subject (one line) and text of ``template`` for these values."""
    subject = " ".join(fill(template.subject, values).split())
    return Rendered(subject=subject, text=fill(template.body, values).strip())
