"""Sending a message (messaging.services.message_deliver, the worker's
part): the text as sent, the state, retries with backoff, reasons in German,
consent and contact data checked at the moment of sending; the unsubscribe
link of recall e-mails."""

import re

import pytest
from django.test import Client
from django.utils import timezone

from appointments.tests.factories import TUESDAY, appointment, at
from customers.tests import factories
from messaging import services
from messaging.models import Channel, Consent, Kind, Message, MessageTemplate, Purpose, State
from messaging.tests.servers import free_port, use_email_url
from messaging.tests.test_reminders import reachable_customer

pytestmark = pytest.mark.django_db


def queued(message: Message) -> Message:
    Message.objects.filter(pk=message.pk).update(state=State.QUEUED)
    return message


def recall_for(customer, channel=Channel.EMAIL) -> Message:
    return Message.objects.create(
        customer=customer,
        kind=Kind.RECALL_EYE_TEST,
        channel=channel,
        purpose=Purpose.MARKETING,
        recipient=customer.email,
        send_at=timezone.now(),
        state=State.QUEUED,
    )


def give(customer, channel, purpose):
    return services.consent_give(
        customer_id=customer.pk,
        channel=channel,
        purpose=purpose,
        method="in_store",
        text="Einverstanden",
        user=None,
    )


def test_a_reminder_email_reaches_the_smtp_server_in_german(staff, smtp_server, daytime):
    customer = reachable_customer(
        channels=(Channel.EMAIL,), salutation="ms", last_name="Müller", user=staff
    )
    booked = appointment(staff=staff, customer=customer, start=at(14, 30, day=TUESDAY))
    reminder = queued(Message.objects.get(appointment=booked, kind=Kind.REMINDER))

    assert services.message_deliver(message_id=reminder.pk) == State.SENT

    reminder.refresh_from_db()
    [mail] = smtp_server.messages
    assert mail["To"] == "erika@example.de"
    assert mail["Message-ID"] == reminder.gateway_id
    body = mail.get_content().replace("\r\n", "\n")
    assert body.startswith("Sehr geehrte Frau Müller,")
    assert TUESDAY.strftime("%d.%m.%Y") in mail["Subject"] and "14:30" in mail["Subject"]
    assert reminder.text == body.strip() and reminder.subject == mail["Subject"]
    assert (reminder.state, reminder.attempts) == (State.SENT, 1)
    assert reminder.sent_at is not None and reminder.reason == ""
    # Sent once: a second hand-over finds nothing to send.
    assert services.message_deliver(message_id=reminder.pk) is None
    assert len(smtp_server.messages) == 1


def test_an_sms_goes_to_the_gateway_with_the_shops_name_and_phone(staff, seven, daytime, settings):
    settings.SHOP_NAME, settings.SHOP_PHONE = "Optik Mayer", "089 1234567"
    customer = reachable_customer(user=staff)
    booked = appointment(staff=staff, customer=customer, start=at(10, day=TUESDAY))
    reminder = queued(Message.objects.get(appointment=booked, kind=Kind.REMINDER))

    assert services.message_deliver(message_id=reminder.pk) == State.SENT

    [request] = seven.requests
    assert request["form"]["to"] == "+4915123456789"
    assert "Optik Mayer" in request["form"]["text"] and "089 1234567" in request["form"]["text"]
    reminder.refresh_from_db()
    assert reminder.gateway_id == "77123"


def test_a_transient_failure_is_tried_again_with_growing_pauses_then_fails(
    staff, daytime, settings
):
    customer = reachable_customer(channels=(Channel.EMAIL,), user=staff)
    booked = appointment(staff=staff, customer=customer, start=at(10, day=TUESDAY))
    reminder = Message.objects.get(appointment=booked, kind=Kind.REMINDER)
    pauses = []
    # Nothing listens there: "cannot be reached" is transient.
    use_email_url(settings, f"smtp://127.0.0.1:{free_port()}")
    for _attempt in range(services.MAX_ATTEMPTS):
        queued(reminder)
        now = timezone.now()
        state = services.message_deliver(message_id=reminder.pk, now=now)
        reminder.refresh_from_db()
        if state == State.PLANNED:
            pauses.append(reminder.send_at - now)

    assert pauses == list(services.RETRY_PAUSES)
    assert reminder.state == State.FAILED
    assert reminder.attempts == services.MAX_ATTEMPTS
    assert "nicht erreichbar" in reminder.reason and "5 Versuchen" in reminder.reason


def test_a_permanent_failure_fails_at_once_with_the_reason(staff, smtp_server, daytime):
    customer = reachable_customer(channels=(Channel.EMAIL,), user=staff)
    booked = appointment(staff=staff, customer=customer, start=at(10, day=TUESDAY))
    reminder = queued(Message.objects.get(appointment=booked, kind=Kind.REMINDER))
    customer.email = "kein-at-zeichen"
    type(customer).objects.filter(pk=customer.pk).update(email="kein-at-zeichen")

    assert services.message_deliver(message_id=reminder.pk) == State.FAILED

    reminder.refresh_from_db()
    assert reminder.reason == "Die E-Mail-Adresse ist ungültig."
    assert reminder.attempts == 1
    assert not smtp_server.messages


def test_missing_contact_data_fail_and_a_retry_uses_the_corrected_data(staff, smtp_server, daytime):
    customer = reachable_customer(channels=(Channel.EMAIL,), user=staff)
    booked = appointment(staff=staff, customer=customer, start=at(10, day=TUESDAY))
    reminder = queued(Message.objects.get(appointment=booked, kind=Kind.REMINDER))
    type(customer).objects.filter(pk=customer.pk).update(email="")

    assert services.message_deliver(message_id=reminder.pk) == State.FAILED
    reminder.refresh_from_db()
    assert reminder.reason == "Für den Kunden ist keine E-Mail-Adresse hinterlegt."

    type(customer).objects.filter(pk=customer.pk).update(email="neu@example.de")
    retried = services.message_retry(message_id=reminder.pk, user=staff)
    assert retried.state == State.QUEUED
    assert services.message_deliver(message_id=reminder.pk) == State.SENT
    assert smtp_server.messages[0]["To"] == "neu@example.de"


def test_a_withdrawn_consent_stops_a_planned_message(staff, smtp_server, daytime):
    customer = reachable_customer(channels=(Channel.EMAIL,), user=staff)
    booked = appointment(staff=staff, customer=customer, start=at(10, day=TUESDAY))
    reminder = queued(Message.objects.get(appointment=booked, kind=Kind.REMINDER))
    consent = Consent.objects.get(customer=customer)
    services.consent_withdraw(consent_id=consent.pk, user=staff, method="phone")

    assert services.message_deliver(message_id=reminder.pk) == State.CANCELLED
    reminder.refresh_from_db()
    assert reminder.reason == "Für diesen Kanal liegt keine Einwilligung (mehr) vor."
    assert not smtp_server.messages


def test_only_failed_messages_are_retried_and_only_planned_ones_cancelled(staff, daytime):
    customer = reachable_customer(user=staff)
    booked = appointment(staff=staff, customer=customer, start=at(10, day=TUESDAY))
    reminder = Message.objects.get(appointment=booked, kind=Kind.REMINDER)

    with pytest.raises(Exception, match="fehlgeschlagene"):
        services.message_retry(message_id=reminder.pk, user=staff)
    cancelled = services.message_cancel(message_id=reminder.pk, user=staff)
    assert cancelled.state == State.CANCELLED
    with pytest.raises(Exception, match="geplante"):
        services.message_cancel(message_id=reminder.pk, user=staff)


def test_a_broken_template_in_the_database_is_sent_as_written_never_a_crash(
    staff, smtp_server, daytime
):
    """The admin refuses unknown placeholders; one written past it (SQL)
    stays visible in the text instead of failing the whole batch."""
    MessageTemplate.objects.filter(kind=Kind.REMINDER, channel=Channel.EMAIL).update(
        body="Hallo {vorname} {unbekannt} {"
    )
    customer = reachable_customer(channels=(Channel.EMAIL,), first_name="Grete", user=staff)
    booked = appointment(staff=staff, customer=customer, start=at(10, day=TUESDAY))
    reminder = queued(Message.objects.get(appointment=booked, kind=Kind.REMINDER))

    assert services.message_deliver(message_id=reminder.pk) == State.SENT
    assert smtp_server.messages[0].get_content().strip() == "Hallo Grete {unbekannt} {"


def test_a_recall_email_carries_a_working_unsubscribe_link(smtp_server, daytime):
    customer = factories.customer(email="grete@example.de")
    give(customer, Channel.EMAIL, Purpose.MARKETING)
    give(customer, Channel.SMS, Purpose.MARKETING)
    message = recall_for(customer)

    assert services.message_deliver(message_id=message.pk) == State.SENT

    [mail] = smtp_server.messages
    link = re.search(r"https?://\S+/abmelden/\S+/", mail.get_content()).group(0)
    assert mail["List-Unsubscribe"].strip() == f"<{link}>"
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    path = link.split("://", 1)[1].split("/", 1)[1]
    anonymous = Client()

    # Opening the link (a mail scanner does) asks, changes nothing.
    page = anonymous.get(f"/{path}")
    assert page.status_code == 200
    assert "Ja, abmelden" in page.content.decode()
    assert Consent.objects.active().filter(customer=customer).count() == 2

    done = anonymous.post(f"/{path}")
    assert done.status_code == 200
    assert "abgemeldet" in done.content.decode()
    withdrawn = Consent.objects.get(customer=customer, channel=Channel.EMAIL)
    assert withdrawn.withdrawn_at is not None and withdrawn.withdrawal_method == "online"
    # Only the e-mail recall consent: SMS stays as given.
    assert Consent.objects.active().get(customer=customer).channel == Channel.SMS
    # A second click changes nothing and still says so.
    assert anonymous.post(f"/{path}").status_code == 200


def test_a_made_up_unsubscribe_link_is_refused_in_german():
    response = Client().post("/messaging/abmelden/eyJjIjoxfQ:abc:def/")
    assert response.status_code == 404
    assert "nicht (mehr) gültig" in response.content.decode()


def sent_sms(staff) -> Message:
    customer = reachable_customer(user=staff)
    booked = appointment(staff=staff, customer=customer, start=at(10, day=TUESDAY))
    reminder = Message.objects.get(appointment=booked, kind=Kind.REMINDER)
    Message.objects.filter(pk=reminder.pk).update(state=State.SENT, gateway_id="77123")
    return reminder


def report(status: str, msg_id: str = "77123") -> dict:
    return {
        "webhook_event": "dlr",
        "webhook_timestamp": "2026-12-06 10:00:00",
        "data": {"msg_id": msg_id, "status": status, "timestamp": "2026-12-06 10:00:00"},
    }


def post_report(payload, token="dlr-geheim-4711"):
    return Client().post(
        f"/messaging/sms/report/{token}/", data=payload, content_type="application/json"
    )


def test_the_gateways_delivery_report_marks_an_sms_delivered(staff, settings):
    settings.SMS_REPORT_TOKEN = "dlr-geheim-4711"
    reminder = sent_sms(staff)

    assert post_report(report("BUFFERED")).status_code == 200  # not final: nothing
    reminder.refresh_from_db()
    assert reminder.state == State.SENT
    assert post_report(report("DELIVERED")).status_code == 200

    reminder.refresh_from_db()
    assert reminder.state == State.DELIVERED and reminder.delivered_at is not None
    # The same report again, or one for an unknown id: nothing changes, 200.
    assert post_report(report("NOTDELIVERED")).status_code == 200
    assert post_report(report("DELIVERED", msg_id="999")).status_code == 200
    reminder.refresh_from_db()
    assert reminder.state == State.DELIVERED


def test_a_report_of_no_delivery_fails_the_message_with_the_reason(staff, settings):
    settings.SMS_REPORT_TOKEN = "dlr-geheim-4711"
    reminder = sent_sms(staff)

    post_report(report("EXPIRED"))

    reminder.refresh_from_db()
    assert reminder.state == State.FAILED
    assert (
        reminder.reason == "Der SMS-Anbieter meldet, dass die SMS nicht zugestellt wurde (EXPIRED)."
    )


def test_reports_need_the_secret_and_well_formed_json(staff, settings):
    reminder = sent_sms(staff)
    settings.SMS_REPORT_TOKEN = ""
    assert post_report(report("DELIVERED")).status_code == 404  # not set up: refused
    settings.SMS_REPORT_TOKEN = "dlr-geheim-4711"
    assert post_report(report("DELIVERED"), token="geraten").status_code == 404
    bad = Client().post(
        "/messaging/sms/report/dlr-geheim-4711/", data="{kaputt", content_type="application/json"
    )
    assert bad.status_code == 400
    assert Client().get("/messaging/sms/report/dlr-geheim-4711/").status_code == 405
    reminder.refresh_from_db()
    assert reminder.state == State.SENT
