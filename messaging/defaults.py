"""The wording a new shop starts with, per kind and channel: formal "Sie",
the shop's name and phone in every SMS, the unsubscribe link in every
recall e-mail; an invoice goes by e-mail only (its PDF attached). The owner
changes them in the admin (MessageTemplate); the migration that creates the
table writes these in the shop's language."""

from django.utils.translation import gettext_lazy as _

from messaging.models import Channel, Kind

SUBJECTS = {
    Kind.REMINDER: _("Reminder: your appointment on {termin_datum} at {termin_uhrzeit}"),
    Kind.CONFIRMATION: _("Your appointment on {termin_datum} at {termin_uhrzeit}"),
    Kind.CANCELLATION: _("Your appointment on {termin_datum} has been cancelled"),
    Kind.READY: _("Your glasses are ready for collection"),
    Kind.RECALL_EYE_TEST: _("Time for your next eye test"),
    Kind.RECALL_CL_CHECK: _("Time for your contact lens check-up"),
    Kind.RECALL_CL_REORDER: _("Time to reorder your contact lenses"),
    Kind.INVOICE: _("Your invoice {rechnungsnummer} from {filiale}"),
}

_SIGNATURE = _("Kind regards\nYour team at {filiale}\n{adresse}\nPhone {telefon}")

EMAIL_BODIES = {
    Kind.REMINDER: _(
        "{anrede},\n\nwe would like to remind you of your appointment ({termin_art}) "
        "on {termin_datum} at {termin_uhrzeit}.\n\nIf you cannot come, please let us "
        "know by phone at {telefon}."
    ),
    Kind.CONFIRMATION: _(
        "{anrede},\n\nwe confirm your appointment ({termin_art}) on {termin_datum} "
        "at {termin_uhrzeit}. We look forward to seeing you.\n\nIf you cannot come, "
        "please let us know by phone at {telefon}."
    ),
    Kind.CANCELLATION: _(
        "{anrede},\n\nyour appointment ({termin_art}) on {termin_datum} at "
        "{termin_uhrzeit} has been cancelled. To make a new appointment, please call "
        "us at {telefon}."
    ),
    Kind.READY: _(
        "{anrede},\n\nyour new glasses are ready. You are welcome to collect them "
        "during our opening hours."
    ),
    Kind.RECALL_EYE_TEST: _(
        "{anrede},\n\nyour last eye test with us was a while ago. Eyes change over "
        "time: we recommend a new eye test so that you continue to see well. Please "
        "call us at {telefon} to make an appointment.\n\nIf you no longer wish to "
        "receive these reminders, you can unsubscribe here: {abmelden}"
    ),
    Kind.RECALL_CL_CHECK: _(
        "{anrede},\n\nyour contact lenses are due for a check-up. Regular checks keep "
        "your eyes healthy. Please call us at {telefon} to make an appointment.\n\n"
        "If you no longer wish to receive these reminders, you can unsubscribe here: "
        "{abmelden}"
    ),
    Kind.RECALL_CL_REORDER: _(
        "{anrede},\n\naccording to your last order with us, your supply of contact lenses "
        "is coming to an end. Please call us at {telefon} to reorder them, or simply drop "
        "by.\n\nIf you no longer wish to receive these reminders, you can unsubscribe "
        "here: {abmelden}"
    ),
    # Sent by e-mail only, with the invoice's PDF attached (services.invoice_send).
    Kind.INVOICE: _(
        "{anrede},\n\nplease find attached our invoice {rechnungsnummer} as a PDF file."
        "\n\nIf you have any questions about it, please call us at {telefon}."
    ),
}

SMS_BODIES = {
    Kind.REMINDER: _(
        "Reminder: your appointment at {filiale} on {termin_datum} at {termin_uhrzeit}. "
        "Cannot come? Please call {telefon}."
    ),
    Kind.CONFIRMATION: _(
        "{filiale}: we confirm your appointment on {termin_datum} at {termin_uhrzeit}. "
        "Questions: {telefon}"
    ),
    Kind.CANCELLATION: _(
        "{filiale}: your appointment on {termin_datum} at {termin_uhrzeit} has been "
        "cancelled. New appointment: {telefon}"
    ),
    Kind.READY: _("{filiale}: your glasses are ready for collection. Questions: {telefon}"),
    Kind.RECALL_EYE_TEST: _(
        "{filiale}: your next eye test is due. Appointments at {telefon}. "
        "No more reminders? Just tell us."
    ),
    Kind.RECALL_CL_CHECK: _(
        "{filiale}: your contact lens check-up is due. Appointments at {telefon}. "
        "No more reminders? Just tell us."
    ),
    Kind.RECALL_CL_REORDER: _(
        "{filiale}: your contact lenses are running out. Reorder at {telefon}. "
        "No more reminders? Just tell us."
    ),
}

LETTER_BODIES = {
    Kind.RECALL_EYE_TEST: _(
        "{anrede},\n\nyour last eye test with us was a while ago. Eyes change over "
        "time, often unnoticed: we recommend a new eye test so that you continue to "
        "see well and safely, at work and on the road.\n\nPlease call us at {telefon} "
        "or simply drop by to make an appointment."
    ),
    Kind.RECALL_CL_CHECK: _(
        "{anrede},\n\nyour contact lenses are due for a check-up. Regular checks keep "
        "your eyes healthy and your lenses comfortable.\n\nPlease call us at {telefon} "
        "or simply drop by to make an appointment."
    ),
    Kind.RECALL_CL_REORDER: _(
        "{anrede},\n\naccording to your last order with us, your supply of contact lenses "
        "is coming to an end. Reorder them in good time, so that you are never without "
        "your lenses.\n\nPlease call us at {telefon} or simply drop by: we will be glad "
        "to order them for you."
    ),
}


def default_wording(kind: str, channel: str) -> tuple[str, str] | None:
    """(subject, body) the shop starts with, in the active language; None
    where no template is offered (letters about appointments)."""
    if channel == Channel.SMS:
        body = SMS_BODIES.get(kind)
        return ("", str(body)) if body else None
    if channel == Channel.EMAIL:
        body = EMAIL_BODIES.get(kind)
        return (str(SUBJECTS[kind]), f"{body}\n\n{_SIGNATURE}") if body else None
    body = LETTER_BODIES.get(kind)
    return (str(SUBJECTS[kind]), f"{body}\n\n{_SIGNATURE}") if body else None


def offered() -> list[tuple[str, str]]:
    """(kind, channel) of every template the shop starts with."""
    return [
        (kind, channel)
        for kind in Kind.values
        for channel in Channel.values
        if default_wording(kind, channel) is not None
    ]
