"""E-mail delivery through a real SMTP server on loopback (aiosmtpd)."""

import logging

from django.core import mail

from messaging.delivery import DeliveryResult, UnconfiguredEmailBackend, send_email
from messaging.tests.servers import free_port, use_email_url


def test_an_email_reaches_the_smtp_server_with_umlauts_and_headers(smtp_server, settings):
    settings.DEFAULT_FROM_EMAIL = "Augenoptik Sonnenschein <crm@optik-sonnenschein.de>"

    result = send_email(
        to="grete.mueller@example.de",
        subject="Ihre Brille ist abholbereit – Grüße aus der Straße",
        body="Guten Tag Frau Müller,\n\nIhre Brille ist abholbereit.\n\nFreundliche Grüße",
        headers={"X-OptiCRM-Message": "42", "Auto-Submitted": "auto-generated"},
    )

    assert result.ok, result
    assert smtp_server.received.wait(5)
    [envelope] = smtp_server.envelopes
    assert envelope.rcpt_tos == ["grete.mueller@example.de"]
    assert envelope.mail_from == "crm@optik-sonnenschein.de"
    [message] = smtp_server.messages
    # Django folds the encoded subject onto a line of its own; readers unfold it.
    assert message["Subject"].strip() == "Ihre Brille ist abholbereit – Grüße aus der Straße"
    assert message["To"] == "grete.mueller@example.de"
    assert message["From"] == "Augenoptik Sonnenschein <crm@optik-sonnenschein.de>"
    assert message["X-OptiCRM-Message"] == "42"
    assert message["Auto-Submitted"] == "auto-generated"
    assert message["Message-ID"] == result.message_id
    assert message.get_content_charset() == "utf-8"
    assert "Guten Tag Frau Müller," in message.get_content()
    assert "Freundliche Grüße" in message.get_content()


def test_a_server_that_is_down_is_a_transient_failure_in_german(settings, caplog):
    use_email_url(settings, f"smtp://mailer:geheim-0815@127.0.0.1:{free_port()}")

    with caplog.at_level(logging.WARNING):
        result = send_email(to="kunde@example.de", subject="Termin", body="Ihr Termin")

    assert result == DeliveryResult.failed("Der Mailserver ist nicht erreichbar.", transient=True)
    assert not result.ok and not result.permanent
    assert "geheim-0815" not in caplog.text
    assert "Ihr Termin" not in caplog.text


def test_an_invalid_address_is_a_permanent_failure(smtp_server):
    result = send_email(to="kein-at-zeichen", subject="Termin", body="Text")

    assert result.permanent
    assert result.reason == "Die E-Mail-Adresse ist ungültig."
    assert not smtp_server.envelopes


def test_a_line_break_in_the_subject_is_refused_not_raised(smtp_server):
    result = send_email(to="kunde@example.de", subject="Termin\nBcc: x@example.de", body="Text")

    assert result.permanent
    assert not smtp_server.envelopes


def test_production_without_email_url_sends_nothing_and_says_why(settings):
    settings.EMAIL_BACKEND = "messaging.delivery.UnconfiguredEmailBackend"

    result = send_email(to="kunde@example.de", subject="Termin", body="Text")

    assert result.permanent
    assert "EMAIL_URL" in result.reason
    assert UnconfiguredEmailBackend(fail_silently=True).send_messages([object()]) == 0


def test_the_result_is_json_for_a_task():
    result = DeliveryResult.failed("Grund", transient=True)

    assert result.as_dict() == {
        "status": "failed",
        "reason": "Grund",
        "transient": True,
        "message_id": "",
    }


def test_tests_default_to_djangos_outbox(settings):
    """Outside these tests nothing leaves the machine: Django's test mail backend."""
    assert send_email(to="kunde@example.de", subject="Termin", body="Text").ok
    assert mail.outbox[-1].subject == "Termin"
