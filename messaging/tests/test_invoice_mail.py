"""An issued invoice by e-mail (invoices.mail_services.invoice_send on
messaging.services.service_email_send): a service message with the
customer's consent or on the customer's recorded request, refused otherwise
(German reason, nothing saved); a Message row about the invoice, once per
invoice unless sent again; queued for the worker, which sends it to a real
SMTP server on loopback with the PDF kept since the issue attached byte for
byte; quiet hours, retries and the erasure as for every message."""

import datetime

import pytest
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from django_tasks_db.models import DBTaskResult

from customers import services as customer_services
from customers.models import Customer
from customers.tests import factories as customer_factories
from invoices import services as invoice_services
from invoices.mail_services import invoice_send
from invoices.models import Invoice, InvoiceDocument
from invoices.tests import conftest as invoice_fixtures
from invoices.tests.factories import ADDRESS, BOOK, draft
from invoices.tests.factories import issued_and_drawn as issued
from messaging import services
from messaging.defaults import default_wording
from messaging.delivery import send_email
from messaging.models import Channel, Kind, Message, MessageTemplate, Purpose, State
from messaging.rendering import template_errors
from messaging.selectors import next_allowed
from messaging.tests.servers import free_port, use_email_url
from messaging.tests.workers import running_worker, wait_for

pytestmark = pytest.mark.django_db

# The shop's details an invoice names (UStG § 14), as the invoice tests set them.
shop = invoice_fixtures.shop

EMAIL = "erika.muster@example.de"


@pytest.fixture
def customer():
    return customer_factories.customer(
        salutation="ms", first_name="Erika", last_name="Muster", email=EMAIL, **ADDRESS
    )


def consent(customer, channel=Channel.EMAIL, purpose=Purpose.SERVICE):
    return services.consent_give(
        customer_id=customer.pk,
        channel=channel,
        purpose=purpose,
        method="in_store",
        text="Einverstanden",
        user=None,
    )


def run_enqueued_tasks() -> list:
    """What `manage.py db_worker` does with the queue, in the test's thread:
    every task waiting is run once (test_worker runs the real process)."""
    results = []
    for row in DBTaskResult.objects.ready().order_by("enqueued_at"):
        results.append(row.task.call(*row.args_kwargs["args"], **row.args_kwargs["kwargs"]))
        row.delete()
    return results


def pdf_of(invoice: Invoice) -> bytes:
    return bytes(InvoiceDocument.objects.get(invoice=invoice).pdf)


def attachments_of(mail) -> list:
    return [
        (part.get_filename(), part.get_content_type(), part.get_content())
        for part in mail.iter_attachments()
    ]


# --- Sent ------------------------------------------------------------------------------


def test_with_consent_the_worker_sends_the_invoice_with_its_pdf(
    staff, customer, smtp_server, daytime
):
    consent(customer)
    invoice = issued(customer)

    message = invoice_send(invoice_id=invoice.pk, requested=False, user=staff)

    assert (message.kind, message.channel, message.purpose) == (
        Kind.INVOICE,
        Channel.EMAIL,
        Purpose.SERVICE,
    )
    assert message.reference == f"invoice:{invoice.pk}" and message.customer_id == customer.pk
    assert message.state == State.QUEUED and message.recipient == EMAIL
    assert message.created_by == staff and message.requested_at is None
    [task] = DBTaskResult.objects.ready()
    assert task.task_path == "messaging.tasks.deliver_messages"
    assert task.args_kwargs["kwargs"] == {"message_ids": [message.pk]}

    assert run_enqueued_tasks() == [{State.SENT: 1}]

    [mail] = smtp_server.messages
    assert mail["To"] == EMAIL
    assert mail["Subject"] == f"Ihre Rechnung {invoice.number} von Augenoptik Muster"
    body = mail.get_body(preferencelist=("plain",)).get_content()
    assert body.startswith("Sehr geehrte Frau Muster,")
    assert f"unsere Rechnung {invoice.number} als PDF-Datei" in body
    [(name, content_type, content)] = attachments_of(mail)
    assert name == f"Rechnung-{invoice.number}.pdf"
    assert content_type == "application/pdf"
    assert content == pdf_of(invoice)
    message.refresh_from_db()
    assert message.state == State.SENT and message.gateway_id == mail["Message-ID"]
    assert message.subject == mail["Subject"] and message.text == body.replace("\r\n", "\n").strip()


def test_a_cancellation_invoice_goes_as_stornorechnung(staff, customer, smtp_server, daytime):
    consent(customer)
    invoice = issued(customer)
    cancellation = invoice_services.invoice_cancel(
        invoice_id=invoice.pk, reason="Falsche Fassung", user=staff
    )

    invoice_send(invoice_id=cancellation.pk, requested=False, user=staff)
    run_enqueued_tasks()

    [mail] = smtp_server.messages
    [(name, content_type, content)] = attachments_of(mail)
    assert name == f"Stornorechnung-{cancellation.number}.pdf"
    assert content_type == "application/pdf" and content == pdf_of(cancellation)


def test_on_request_without_consent_it_is_sent_and_the_request_recorded(
    staff, customer, smtp_server, daytime
):
    invoice = issued(customer)
    before = timezone.now()

    message = invoice_send(invoice_id=invoice.pk, requested=True, user=staff)

    assert message.requested_by == staff
    assert before <= message.requested_at <= timezone.now()
    assert run_enqueued_tasks() == [{State.SENT: 1}]
    [mail] = smtp_server.messages
    [(_name, _type, content)] = attachments_of(mail)
    assert content == pdf_of(invoice)


def test_a_request_outlasts_a_withdrawn_consent_but_a_consent_alone_does_not(
    staff, customer, smtp_server, daytime
):
    given = consent(customer)
    by_consent = invoice_send(invoice_id=issued(customer).pk, requested=False, user=staff)
    on_request = invoice_send(invoice_id=issued(customer).pk, requested=True, user=staff)
    services.consent_withdraw(consent_id=given.pk, user=staff, method="phone")

    run_enqueued_tasks()

    by_consent.refresh_from_db()
    on_request.refresh_from_db()
    assert by_consent.state == State.CANCELLED
    assert by_consent.reason == _("There is no consent for this channel (any more).")
    assert on_request.state == State.SENT
    assert len(smtp_server.messages) == 1


@pytest.mark.django_db(transaction=True)
def test_a_real_worker_process_sends_the_invoice(staff, smtp_sink, tmp_path, daytime):
    """`manage.py db_worker`, as deployed, on the test database (which the
    worker reads: this test commits)."""
    customer = customer_factories.customer(first_name="Erika", email=EMAIL, **ADDRESS)
    consent(customer)
    invoice = issued(customer)
    message = invoice_send(invoice_id=invoice.pk, requested=False, user=staff)
    log = tmp_path / "worker.log"

    with running_worker(smtp_sink.url, log) as process:

        def sent():
            assert process.poll() is None, log.read_text()
            return Message.objects.filter(pk=message.pk, state=State.SENT).exists()

        wait_for(sent, timeout=90, what=f"the worker to send the invoice\n{log.read_text()}")

    [mail] = smtp_sink.messages
    [(name, content_type, content)] = attachments_of(mail)
    assert (name, content_type) == (f"Rechnung-{invoice.number}.pdf", "application/pdf")
    assert content == pdf_of(invoice)


# --- Refused ---------------------------------------------------------------------------


def refused(invoice, *, requested=False) -> ValidationError:
    with pytest.raises(ValidationError) as raised:
        invoice_send(invoice_id=invoice.pk, requested=requested, user=None)
    assert not Message.objects.exists() and not DBTaskResult.objects.exists()
    return raised.value


def test_without_consent_and_without_request_it_is_refused(customer):
    error = refused(issued(customer))

    # At the box to tick, naming the customer, in the shop's language.
    assert error.message_dict == {
        "requested": [
            _(
                "%(name)s has not consented to service messages by e-mail. Send it by "
                "e-mail only if the customer asked for it (tick the box); otherwise please "
                "hand it over or send it by post."
            )
            % {"name": "Erika Muster"}
        ]
    }


def test_a_consent_for_other_channels_or_for_advertising_is_no_consent(customer):
    consent(customer, channel=Channel.SMS)
    consent(customer, purpose=Purpose.MARKETING)

    assert "requested" in refused(issued(customer)).message_dict


def test_without_an_email_address_it_is_refused_even_on_request(customer):
    consent(customer)
    invoice = issued(customer)
    Customer.objects.filter(pk=customer.pk).update(email="")

    [text] = refused(invoice, requested=True).messages
    assert text == _(
        "%(name)s has no e-mail address. Please add it to the customer record first."
    ) % {"name": "Erika Muster"}


def test_an_invalid_email_address_is_refused(customer):
    invoice = issued(customer)
    Customer.objects.filter(pk=customer.pk).update(email="kein-at-zeichen")

    [text] = refused(invoice, requested=True).messages
    assert "kein-at-zeichen" in text


def test_a_draft_is_refused(customer):
    consent(customer)

    [text] = refused(draft(customer), requested=True).messages
    assert text == _("Only an issued invoice can be sent by e-mail.")


def test_a_counter_sale_without_customer_is_refused():
    [text] = refused(issued(None, lines=(BOOK,)), requested=True).messages
    assert "(" in text and text == _(
        "This invoice names no customer (a counter sale): there is no e-mail address to send it to."
    )


def test_a_deleted_customer_is_refused(customer, staff):
    consent(customer)
    invoice = issued(customer)
    Customer.objects.filter(pk=customer.pk).update(deleted_at=timezone.now())

    [text] = refused(invoice, requested=True).messages
    assert text == _("This customer has been deleted.") != "This customer has been deleted."


# --- Once, quiet hours, failures --------------------------------------------------------


def test_once_per_invoice_unless_sent_again_on_purpose(staff, customer, daytime):
    consent(customer)
    invoice = issued(customer)

    first = invoice_send(invoice_id=invoice.pk, requested=False, user=staff)
    # A double click, a retried request: the first one, nothing new queued.
    assert invoice_send(invoice_id=invoice.pk, requested=False, user=staff) == first
    assert DBTaskResult.objects.count() == 1

    second = invoice_send(invoice_id=invoice.pk, requested=False, user=staff, again=True)
    assert second != first and second.state == State.QUEUED
    assert (first.key, second.key) == (
        f"invoice:invoice:{invoice.pk}",
        f"invoice:invoice:{invoice.pk}:2",
    )
    assert Message.objects.filter(reference=f"invoice:{invoice.pk}").count() == 2
    assert DBTaskResult.objects.count() == 2


def test_two_sends_of_two_invoices_are_two_messages(staff, customer, daytime):
    consent(customer)
    invoice_send(invoice_id=issued(customer).pk, requested=False, user=staff)
    invoice_send(invoice_id=issued(customer).pk, requested=False, user=staff)

    assert Message.objects.filter(kind=Kind.INVOICE, customer=customer).count() == 2


def test_at_night_it_waits_for_the_end_of_the_quiet_hours(staff, customer, night):
    consent(customer)
    invoice = issued(customer)

    message = invoice_send(invoice_id=invoice.pk, requested=False, user=staff)

    assert message.state == State.PLANNED
    assert message.send_at == next_allowed(message.created_at, night)
    assert message.send_at > timezone.now()
    assert not DBTaskResult.objects.exists()


def test_a_transient_failure_is_tried_again_like_every_message(staff, customer, daytime, settings):
    consent(customer)
    invoice = issued(customer)
    use_email_url(settings, f"smtp://127.0.0.1:{free_port()}")  # nothing listens
    message = invoice_send(invoice_id=invoice.pk, requested=False, user=staff)

    assert run_enqueued_tasks() == [{State.PLANNED: 1}]

    message.refresh_from_db()
    assert message.attempts == 1 and message.reason
    assert message.send_at - message.updated_at == pytest.approx(
        services.RETRY_PAUSES[0], abs=datetime.timedelta(seconds=5)
    )


def test_a_failed_one_is_sent_again_from_the_message_log(staff, customer, daytime, smtp_server):
    invoice = issued(customer)
    message = invoice_send(invoice_id=invoice.pk, requested=True, user=staff)
    Message.objects.filter(pk=message.pk).update(state=State.FAILED)
    DBTaskResult.objects.all().delete()

    services.message_retry(message_id=message.pk, user=staff)
    run_enqueued_tasks()

    message.refresh_from_db()
    assert message.state == State.SENT
    [mail] = smtp_server.messages
    assert attachments_of(mail)[0][2] == pdf_of(invoice)


# --- The template, the other callers, the erasure ----------------------------------------


def test_the_shop_starts_with_an_email_template_for_invoices():
    template = MessageTemplate.objects.get(kind=Kind.INVOICE, channel=Channel.EMAIL)
    subject, body = default_wording(Kind.INVOICE, Channel.EMAIL)

    assert (template.subject, template.body) == (subject, body)
    assert "{anrede}" in body and "{filiale}" in subject
    assert "{rechnungsnummer}" in subject and "{rechnungsnummer}" in body
    assert not template_errors(kind=Kind.INVOICE, channel=Channel.EMAIL, subject=subject, body=body)
    # Only an invoice's e-mail knows the number.
    errors = template_errors(
        kind=Kind.RECALL_EYE_TEST, channel=Channel.EMAIL, subject="Rechnung {rechnungsnummer}",
        body="{anrede} {abmelden}",
    )  # fmt: skip
    assert errors == {
        "subject": ["Den Platzhalter {rechnungsnummer} gibt es nur in E-Mails mit einer Rechnung."]
    }


def test_a_template_as_0010_wrote_it_names_the_number_and_the_owners_stays():
    from importlib import import_module

    from django.apps import apps

    migration = import_module("messaging.migrations.0011_invoice_number_in_template")
    template = MessageTemplate.objects.get(kind=Kind.INVOICE, channel=Channel.EMAIL)
    earlier = sorted(migration.EARLIER)[0]  # the German one
    template.subject, template.body = earlier
    template.save()
    migration.forward(apps, None)
    template.refresh_from_db()
    assert (template.subject, template.body) == default_wording(Kind.INVOICE, Channel.EMAIL)
    template.subject = "Unsere Rechnung für Sie"
    template.save()
    migration.forward(apps, None)
    template.refresh_from_db()
    assert template.subject == "Unsere Rechnung für Sie"
    assert default_wording(Kind.INVOICE, Channel.SMS) is None
    assert default_wording(Kind.INVOICE, Channel.LETTER) is None


def test_the_owners_wording_is_sent(staff, customer, smtp_server, daytime):
    consent(customer)
    MessageTemplate.objects.filter(kind=Kind.INVOICE, channel=Channel.EMAIL).update(
        subject="Rechnung für {vorname}", body="{anrede},\nanbei Ihre Rechnung."
    )
    invoice_send(invoice_id=issued(customer).pk, requested=False, user=staff)
    run_enqueued_tasks()

    [mail] = smtp_server.messages
    assert mail["Subject"] == "Rechnung für Erika"
    body = mail.get_body(preferencelist=("plain",)).get_content()
    assert body.replace("\r\n", "\n").strip() == ("Sehr geehrte Frau Muster,\nanbei Ihre Rechnung.")


def test_an_email_without_attachments_stays_one_plain_text_part(smtp_server):
    assert send_email(to=EMAIL, subject="Termin", body="Guten Tag").ok

    [mail] = smtp_server.messages
    assert not mail.is_multipart() and mail.get_content_type() == "text/plain"


def test_the_erasure_takes_the_invoice_emails_and_keeps_the_invoice(
    staff, customer, daytime, smtp_server
):
    consent(customer)
    invoice = issued(customer)
    invoice_send(invoice_id=invoice.pk, requested=True, user=staff)
    run_enqueued_tasks()

    customer_services.customer_erase(customer_id=customer.pk, user=staff)

    assert not Message.objects.filter(customer_id=customer.pk).exists()
    assert Invoice.objects.filter(pk=invoice.pk).exists()
    assert InvoiceDocument.objects.filter(invoice=invoice).exists()
    # An erased customer has no address any more: nothing is sent again.
    [text] = refused(invoice, requested=True).messages
    assert text == _("This customer has been deleted.") != "This customer has been deleted."


def test_an_invoice_email_never_goes_without_its_pdf(staff, customer, smtp_server, daytime):
    """A reference to no invoice of the customer's (or a provider that finds
    nothing): failed for good with the reason, nothing sent."""
    consent(customer)
    other = issued()  # another customer's invoice
    message = services.service_email_send(
        customer_id=customer.pk,
        kind=Kind.INVOICE,
        reference=f"invoice:{other.pk}",
        requested=False,
        user=staff,
    )

    assert run_enqueued_tasks() == [{State.FAILED: 1}]

    message.refresh_from_db()
    assert message.reason == _("The document to attach is missing; the message was not sent.")
    assert not smtp_server.messages


def test_without_a_registered_attachment_an_invoice_email_is_not_even_planned(
    staff, customer, monkeypatch
):
    consent(customer)
    monkeypatch.setattr(services, "_ATTACHMENTS", {})

    with pytest.raises(ImproperlyConfigured):
        invoice_send(invoice_id=issued(customer).pk, requested=True, user=staff)
    assert not Message.objects.exists()
