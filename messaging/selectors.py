"""Reads of consents: the customer page's section, whether a customer may
be contacted, the customer list's filter and the channels a message can
take."""

from django.db.models import Exists, OuterRef, QuerySet
from django.utils.translation import gettext_lazy as _

from customers.models import Customer
from messaging.models import ACTIVE, Channel, Consent, Purpose
from opticrm.lib.models import with_names_of
from opticrm.lib.phone import takes_sms

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


def consents_of(customer) -> list[Consent]:
    """The customer's consents in one query: active first, then withdrawn;
    each newest first. Who recorded them is read with them (names only)."""
    consents = list(
        with_names_of(
            Consent.objects.filter(customer=customer).order_by(),
            users=("recorded_by", "withdrawn_by"),
        )
    )
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
    Einwilligung")."""
    return customers.filter(~active_consent_exists())


def has_postal_address(customer: Customer) -> bool:
    """A letter needs street, postcode and town (Customer.has_address is
    true for any one of them)."""
    return bool(customer.street and customer.postcode and customer.town)


def has_contact_data(customer: Customer, channel: str) -> bool:
    if channel == Channel.EMAIL:
        return bool(customer.email)
    if channel == Channel.SMS:
        return takes_sms(customer.phone)
    if channel == Channel.LETTER:
        return has_postal_address(customer)
    return False


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
        customer.pk: {
            channel for channel in consented[customer.pk] if has_contact_data(customer, channel)
        }
        for customer in customers
    }
