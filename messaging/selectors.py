"""Reads of consents: the customer page's section, whether a customer may
be contacted, the customer list's filter and the channels a message can
take."""

import datetime

from django.db.models import Exists, F, OuterRef, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from customers.models import Customer, CustomerCount
from customers.selectors import known_count
from messaging.models import (
    ACTIVE,
    Channel,
    Consent,
    Message,
    MessageSettings,
    MessageTemplate,
    Purpose,
    ReminderChannel,
    State,
)
from opticrm.lib.models import with_names_of
from opticrm.lib.prepared import Prepared

# The wording offered in the form, per channel and purpose (editable there;
# what was agreed to is stored with the consent).
DEFAULT_TEXTS = {
    (Channel.EMAIL, Purpose.SERVICE): _(
        "You agree that we send you service messages about your orders and booked "
        "appointments by email (e.g. appointment reminders, “Your glasses are ready "
        "for collection”). You can withdraw this consent at any time with effect for "
        "the future: in the shop, in writing, by email or by phone."
    ),
    (Channel.SMS, Purpose.SERVICE): _(
        "You agree that we send you service messages about your orders and booked "
        "appointments by SMS (e.g. appointment reminders, “Your glasses are ready "
        "for collection”). You can withdraw this consent at any time with effect for "
        "the future: in the shop, in writing, by email or by phone."
    ),
    (Channel.LETTER, Purpose.SERVICE): _(
        "You agree that we send you service messages about your orders and booked "
        "appointments by post (e.g. appointment reminders, “Your glasses are ready "
        "for collection”). You can withdraw this consent at any time with effect for "
        "the future: in the shop, in writing, by email or by phone."
    ),
    (Channel.EMAIL, Purpose.MARKETING): _(
        "You agree that we remind you by email when an eye test or check-up is due "
        "and inform you about offers and news from our shop. You can withdraw this "
        "consent at any time with effect for the future: in the shop, in writing, by "
        "email or by phone."
    ),
    (Channel.SMS, Purpose.MARKETING): _(
        "You agree that we remind you by SMS when an eye test or check-up is due "
        "and inform you about offers and news from our shop. You can withdraw this "
        "consent at any time with effect for the future: in the shop, in writing, by "
        "email or by phone."
    ),
    (Channel.LETTER, Purpose.MARKETING): _(
        "You agree that we remind you by post when an eye test or check-up is due "
        "and inform you about offers and news from our shop. You can withdraw this "
        "consent at any time with effect for the future: in the shop, in writing, by "
        "email or by phone."
    ),
}


def default_text(channel: str, purpose: str) -> str:
    """The offered wording for a channel and purpose ("" for unknown ones)."""
    text = DEFAULT_TEXTS.get((channel, purpose))
    return str(text) if text is not None else ""


def is_default_text(text: str) -> bool:
    """Whether ``text`` is one of the offered wordings, unchanged (or empty)."""
    text = (text or "").strip()
    return not text or any(text == str(default) for default in DEFAULT_TEXTS.values())


_CONSENTS = Prepared(
    lambda customer_id: with_names_of(
        Consent.objects.filter(customer_id=customer_id).order_by(), users=("recorded_by",)
    )
)


def consents_of(customer) -> list[Consent]:
    """The customer's consents in one query: active first, then withdrawn;
    each newest first. Who recorded them is read with them (names only);
    who withdrew one is not (the page does not show it: the join was a
    quarter of the query's cost)."""
    consents = list(_CONSENTS(customer.pk))
    consents.sort(key=lambda consent: (consent.given_at, consent.pk), reverse=True)
    consents.sort(key=lambda consent: not consent.is_active)
    return consents


def may_contact(customer_id: int, channel: str, purpose: str) -> bool:
    """Whether the customer has an active consent for ``channel`` and
    ``purpose`` (one index lookup). Contact data are not checked here: see
    reachable_channels."""
    return (
        Consent.objects.active()
        .filter(customer_id=customer_id, channel=channel, purpose=purpose)
        .exists()
    )


class _ProbedExists(Exists):
    """EXISTS as a probe per row, never turned into a join: "OFFSET 0"
    keeps PostgreSQL from pulling the subquery up into a hash anti-join,
    which reads both tables from start to end. A probe reads the partial
    index of consent_one_active once for each customer the list's own index
    walk reaches, so a page and the capped count stop early."""

    template = "EXISTS(%(subquery)s OFFSET 0)"


def active_consent_exists() -> Exists:
    """For a customer queryset: the customer has an active consent, for any
    channel and purpose (read from the index of consent_one_active)."""
    return _ProbedExists(Consent.objects.filter(ACTIVE, customer=OuterRef("pk")))


def without_active_consent(customers: QuerySet) -> QuerySet:
    """The customers without any active consent (the list filter "ohne
    Einwilligung"): a column of the row the list's index walk reads anyway,
    ``has_consent``, which a trigger on consents keeps (migration 0005)."""
    return customers.filter(has_consent=False)


def customers_without_consent_count() -> int:
    """How many customers (not deleted) have no active consent: the total
    of the list filtered by "ohne Einwilligung" alone, one row of
    CustomerCount instead of a count over every customer."""
    return known_count(CustomerCount.CONSENT, "none")


def has_postal_address(customer: Customer) -> bool:
    """A letter needs street, postcode and town (Customer.has_address is
    true for any one of them)."""
    return bool(customer.street and customer.postcode and customer.town)


def has_contact_data(customer: Customer, channel: str) -> bool:
    if channel == Channel.EMAIL:
        return bool(customer.email)
    if channel == Channel.SMS:
        # Derived by opticrm.lib.phone.takes_sms when the customer is saved:
        # the number is not parsed again for every row of a list.
        return customer.phone_takes_sms
    if channel == Channel.LETTER:
        return has_postal_address(customer)
    return False


def sms_problem(customer: Customer, consents) -> str:
    """Why an SMS consent of the customer's cannot be used (a landline, no
    or an invalid number), for the customer page; "" when it can or there
    is no active SMS consent."""
    from messaging.sms import to_e164

    if not any(c.is_active and c.channel == Channel.SMS for c in consents):
        return ""
    if not customer.phone:
        return str(_("No SMS can be sent: there is no phone number."))
    return to_e164(customer.phone)[1]


def reachable_channels(customers, purpose: str = Purpose.MARKETING) -> dict[int, set[str]]:
    """Per customer id: the channels a message for ``purpose`` (by default
    recall and advertising) may take, those with an active consent AND the
    contact data it needs (an email address, a mobile number, a complete
    postal address). One query for the consents; customers without any
    channel map to an empty set."""
    customers = list(customers)
    consented: dict[int, set[str]] = {customer.pk: set() for customer in customers}
    rows = (
        Consent.objects.active()
        .filter(customer_id__in=list(consented), purpose=purpose)
        .values_list("customer_id", "channel")
    )
    for customer_id, channel in rows:
        consented[customer_id].add(channel)
    return {
        customer.pk: usable_channels(customer, consented[customer.pk]) for customer in customers
    }


def usable_channels(customer: Customer, consented) -> set[str]:
    """Of the channels ``consented`` to (active consents for the message's
    purpose), those the customer's contact data serves."""
    return {channel for channel in consented if has_contact_data(customer, channel)}


# --- Messages ----------------------------------------------------------------

# The order in which a service message (reminder, "abholbereit") tries the
# channels the customer can be reached on.
SERVICE_CHANNEL_ORDER = {
    ReminderChannel.SMS_FIRST: (Channel.SMS, Channel.EMAIL),
    ReminderChannel.EMAIL_FIRST: (Channel.EMAIL, Channel.SMS),
}


def message_settings() -> MessageSettings:
    """The shop's message settings: the saved row, else the defaults."""
    return MessageSettings.objects.filter(pk=1).first() or MessageSettings(pk=1)


def template_for(kind: str, channel: str) -> MessageTemplate | None:
    """The owner's template for ``kind`` on ``channel``; where there is none
    (deleted in the admin), the wording the shop started with; None where
    no template is offered."""
    from messaging.defaults import default_wording

    template = MessageTemplate.objects.filter(kind=kind, channel=channel).first()
    if template is not None:
        return template
    wording = default_wording(kind, channel)
    if wording is None:
        return None
    return MessageTemplate(kind=kind, channel=channel, subject=wording[0], body=wording[1])


def service_channel(customer: Customer, settings: MessageSettings) -> str | None:
    """The channel a service message to ``customer`` takes: the first of the
    shop's order with consent and contact data; None when there is none."""
    reachable = reachable_channels([customer], Purpose.SERVICE)[customer.pk]
    for channel in SERVICE_CHANNEL_ORDER[settings.reminder_channel]:
        if channel in reachable:
            return channel
    return None


def is_quiet(moment: datetime.datetime, settings: MessageSettings) -> bool:
    """Whether ``moment`` lies in the quiet hours (by default 20–8 Uhr, shop time)."""
    time = timezone.localtime(moment).time()
    start, end = settings.quiet_from, settings.quiet_until
    if start < end:
        return start <= time < end
    return time >= start or time < end


def _at(day: datetime.date, time: datetime.time) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, time))


def next_allowed(moment: datetime.datetime, settings: MessageSettings) -> datetime.datetime:
    """``moment``, or the end of the quiet hours it falls into."""
    if not is_quiet(moment, settings):
        return moment
    local = timezone.localtime(moment)
    end = _at(local.date(), settings.quiet_until)
    return (
        end if end > local else _at(local.date() + datetime.timedelta(days=1), settings.quiet_until)
    )


def last_allowed(moment: datetime.datetime, settings: MessageSettings) -> datetime.datetime:
    """``moment``, or the last minute before the quiet hours it falls into
    (a reminder goes out earlier rather than at night)."""
    if not is_quiet(moment, settings):
        return moment
    local = timezone.localtime(moment)
    start = _at(local.date(), settings.quiet_from)
    if start > local:
        start = _at(local.date() - datetime.timedelta(days=1), settings.quiet_from)
    return start - datetime.timedelta(minutes=1)


# How many messages the customer page's log shows.
MESSAGES_SHOWN = 20


def messages_of(customer: Customer, *, limit: int = MESSAGES_SHOWN) -> list[Message]:
    """The customer's newest messages (the customer page's log), one query;
    of a message's appointment only its start (``appointment_start``), not
    a whole appointment built for every message."""
    if limit == MESSAGES_SHOWN:
        return list(_NEWEST_MESSAGES(customer.pk))
    return list(_newest_messages(customer.pk, limit))


def _newest_messages(customer_id: int, limit: int = 20) -> QuerySet:
    return (
        Message.objects.filter(customer_id=customer_id)
        .annotate(appointment_start=F("appointment__start"))
        .order_by("-send_at", "-id")[:limit]
    )


# The customer page's log, compiled once per process (opticrm.lib.prepared).
_NEWEST_MESSAGES = Prepared(_newest_messages)


def failed_messages() -> QuerySet:
    """The list "Fehlgeschlagene Nachrichten", newest failure first."""
    return (
        Message.objects.filter(state=State.FAILED)
        .select_related("customer")
        .order_by("-updated_at", "-id")
    )


def active_consent_for(purpose: str) -> Exists:
    """For a customer queryset: the customer has an active consent for
    ``purpose`` on any channel (probed per row, as active_consent_exists,
    from the index of consent_one_active)."""
    return _ProbedExists(Consent.objects.filter(ACTIVE, customer=OuterRef("pk"), purpose=purpose))
