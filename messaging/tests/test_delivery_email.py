"""E-mail delivery through a real SMTP server on loopback (aiosmtpd)."""

import email
import email.policy
import logging
import socket
import threading

import environ
import pytest
from aiosmtpd.controller import Controller
from django.core import mail

from messaging.delivery import DeliveryResult, UnconfiguredEmailBackend, send_email


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class SmtpSink:
    """An SMTP server on 127.0.0.1 that keeps every message it receives."""

    def __init__(self):
        self.messages: list[email.message.EmailMessage] = []
        self.envelopes = []
        self.received = threading.Event()
        self.port = free_port()
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook
        self.envelopes.append(envelope)
        self.messages.append(
            email.message_from_bytes(envelope.original_content, policy=email.policy.default)
        )
        self.received.set()
        return "250 Message accepted"


def use_email_url(settings, url: str) -> None:
    """Configure the mail settings from an EMAIL_URL, as opticrm.settings does."""
    for name, value in environ.Env.email_url_config(url).items():
        setattr(settings, name, value)
    settings.EMAIL_TIMEOUT = 5


@pytest.fixture
def smtp_server(settings):
    sink = SmtpSink()
    sink.controller.start()
    use_email_url(settings, sink.url)
    yield sink
    sink.controller.stop()


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
