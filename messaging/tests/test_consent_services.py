"""Consents through their services and selectors, on PostgreSQL: giving,
a second active one refused, withdrawing keeps the record, the purge
erases them with their history, who may be contacted on which channel."""

import datetime

import pghistory
import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from customers import services as customer_services
from customers.tests import factories
from messaging import selectors, services
from messaging.models import ALREADY_GIVEN, Channel, Consent, ConsentEvent, Method, Purpose
from opticrm.lib.phone import takes_sms

pytestmark = pytest.mark.django_db


def give(customer, user=None, *, channel=Channel.EMAIL, purpose=Purpose.MARKETING, **extra):
    return services.consent_give(
        customer_id=customer.pk,
        channel=channel,
        purpose=purpose,
        method=extra.pop("method", Method.IN_STORE),
        text=extra.pop("text", selectors.default_text(channel, purpose)),
        user=user,
        **extra,
    )


@pytest.fixture
def customer():
    return factories.customer(
        first_name="Greta",
        last_name="Öztürk",
        email="greta@example.de",
        phone="0151 23456789",
        street="Hauptstraße 1",
        postcode="10115",
        town="Berlin",
    )


def test_give_records_the_proof(customer, staff):
    consent = give(customer, staff, method=Method.WRITTEN, text="  Ja, bitte per E-Mail.  ")
    consent.refresh_from_db()
    assert consent.is_active
    assert (consent.method, consent.text, consent.recorded_by) == (
        Method.WRITTEN,
        "Ja, bitte per E-Mail.",
        staff,
    )
    assert abs(consent.given_at - timezone.now()) < datetime.timedelta(minutes=1)


def test_a_second_active_consent_is_refused_at_the_purpose(customer, staff):
    give(customer, staff)
    with pytest.raises(ValidationError) as raised:
        give(customer, staff, method=Method.PHONE)
    assert list(raised.value.message_dict) == ["purpose"]
    assert raised.value.message_dict["purpose"] == [str(ALREADY_GIVEN)]
    # Another channel or purpose is another consent.
    give(customer, staff, channel=Channel.SMS)
    give(customer, staff, purpose=Purpose.SERVICE)
    assert Consent.objects.filter(customer=customer).count() == 3


def test_the_database_refuses_a_second_active_consent_on_any_path(customer, staff):
    first = give(customer, staff)
    second = Consent(
        customer=customer,
        channel=first.channel,
        purpose=first.purpose,
        method=Method.PHONE,
        text="x",
        given_at=timezone.now(),
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        second.save()


def test_blank_wording_and_unknown_choices_are_refused(customer, staff):
    with pytest.raises(ValidationError) as raised:
        give(customer, staff, text="   ")
    assert "text" in raised.value.message_dict
    with pytest.raises(ValidationError) as raised:
        give(customer, staff, channel="fax", method="telepathy")
    assert {"channel", "method"} <= set(raised.value.message_dict)
    assert not Consent.objects.exists()


def test_a_deleted_customer_gives_no_consent(customer, staff):
    customer_services.customer_soft_delete(customer_id=customer.pk, user=staff)
    with pytest.raises(customer.DoesNotExist):
        give(customer, staff)


def test_withdraw_keeps_the_record_and_twice_is_a_no_op(customer, staff, owner):
    consent = give(customer, staff)
    withdrawn = services.consent_withdraw(consent_id=consent.pk, user=staff, method=Method.PHONE)
    assert not withdrawn.is_active
    assert (withdrawn.withdrawn_by, withdrawn.withdrawal_method) == (staff, Method.PHONE)
    when = withdrawn.withdrawn_at
    again = services.consent_withdraw(consent_id=consent.pk, user=owner, method=Method.WRITTEN)
    again.refresh_from_db()
    assert (again.withdrawn_at, again.withdrawn_by, again.withdrawal_method) == (
        when,
        staff,
        Method.PHONE,
    )
    assert Consent.objects.filter(pk=consent.pk).exists()
    # Once withdrawn, the same consent can be given anew.
    give(customer, staff)
    assert Consent.objects.active().filter(customer=customer).count() == 1


def test_withdrawing_needs_a_method(customer, staff):
    consent = give(customer, staff)
    with pytest.raises(ValidationError) as raised:
        services.consent_withdraw(consent_id=consent.pk, user=staff, method="")
    assert list(raised.value.message_dict) == ["withdrawal_method"]
    consent.refresh_from_db()
    assert consent.is_active


def test_changes_are_in_the_history(customer, staff):
    with pghistory.context(user=staff.pk):
        consent = give(customer, staff)
        services.consent_withdraw(consent_id=consent.pk, user=staff, method=Method.IN_STORE)
    events = ConsentEvent.objects.filter(pgh_obj=consent).order_by("pgh_id")
    assert [e.withdrawn_at is None for e in events] == [True, False]


def test_the_purge_erases_consents_and_their_history(customer, staff):
    consent = give(customer, staff)
    services.consent_withdraw(consent_id=consent.pk, user=staff, method=Method.IN_STORE)
    give(customer, staff)
    other = factories.customer()
    kept = give(other, staff)
    customer_services.customer_soft_delete(customer_id=customer.pk, user=staff)
    customer_services.customer_purge(customer_id=customer.pk)
    assert list(Consent.objects.all()) == [kept]
    assert not ConsentEvent.objects.filter(customer_id=customer.pk).exists()
    assert ConsentEvent.objects.filter(customer_id=other.pk).exists()


def test_consents_of_lists_active_first_then_withdrawn_newest_first(customer, staff):
    now = timezone.now()
    old = give(customer, staff, channel=Channel.LETTER, given_at=now - datetime.timedelta(days=9))
    withdrawn = give(
        customer, staff, channel=Channel.SMS, given_at=now - datetime.timedelta(days=1)
    )
    services.consent_withdraw(consent_id=withdrawn.pk, user=staff, method=Method.PHONE)
    new = give(customer, staff, given_at=now - datetime.timedelta(days=3))
    assert selectors.consents_of(customer) == [new, old, withdrawn]


def test_may_contact(customer, staff):
    assert not selectors.may_contact(customer.pk, Channel.EMAIL, Purpose.MARKETING)
    consent = give(customer, staff)
    assert selectors.may_contact(customer.pk, Channel.EMAIL, Purpose.MARKETING)
    assert not selectors.may_contact(customer.pk, Channel.EMAIL, Purpose.SERVICE)
    assert not selectors.may_contact(customer.pk, Channel.SMS, Purpose.MARKETING)
    services.consent_withdraw(consent_id=consent.pk, user=staff, method=Method.PHONE)
    assert not selectors.may_contact(customer.pk, Channel.EMAIL, Purpose.MARKETING)


def test_reachable_channels_need_consent_and_contact_data(
    customer, staff, django_assert_num_queries
):
    landline = factories.customer(email="", phone="030 1234567", street="Weg 2", town="Berlin")
    nobody = factories.customer()
    for person in (customer, landline):
        for channel in Channel.values:
            give(person, staff, channel=channel)
    give(customer, staff, channel=Channel.SMS, purpose=Purpose.SERVICE)
    with django_assert_num_queries(1):
        reachable = selectors.reachable_channels([customer, landline, nobody])
    assert reachable == {
        customer.pk: {"email", "sms", "letter"},
        # No email, no mobile number, no postcode: no channel at all.
        landline.pk: set(),
        nobody.pk: set(),
    }
    assert selectors.reachable_channels([customer], Purpose.SERVICE) == {customer.pk: {"sms"}}


@pytest.mark.parametrize(
    ("number", "mobile"),
    [("0151 23456789", True), ("+49 170 1234567", True), ("030 1234567", False), ("", False)],
)
def test_only_a_mobile_number_takes_sms(number, mobile):
    customer = factories.customer(phone=number)
    customer.refresh_from_db()
    assert takes_sms(customer.phone) is mobile


def test_every_channel_and_purpose_has_a_default_wording():
    for channel in Channel.values:
        for purpose in Purpose.values:
            assert selectors.default_text(channel, purpose)
    assert selectors.is_default_text(selectors.default_text("sms", "service"))
    assert not selectors.is_default_text("Eigener Text")
