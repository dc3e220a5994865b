"""“Per E-Mail senden” on the invoice page through the test client: access,
the modal (full page and htmx partial) with the address, subject, text and
the rule, refusals inside the modal (nothing saved), sending with consent
or on the customer's recorded request, once unless sent again, and the
mail a real SMTP server on loopback receives with the invoice's PDF."""

import json

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse
from django.utils.html import escape
from django.utils.translation import gettext as _
from django_tasks_db.models import DBTaskResult

from customers.models import Customer
from customers.tests import factories as customer_factories
from invoices.models import InvoiceDocument
from invoices.tests import factories
from invoices.tests.factories import ADDRESS, BOOK, draft
from invoices.tests.factories import issued_and_drawn as issued
from messaging import services as messaging_services
from messaging.models import Kind, Message, State
from messaging.tests import conftest as messaging_fixtures

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}
EMAIL = "erika.muster@example.de"

# The loopback SMTP server and daytime quiet hours of the messaging tests.
smtp_server = messaging_fixtures.smtp_server
daytime = messaging_fixtures.daytime


@pytest.fixture
def customer():
    return customer_factories.customer(
        salutation="ms", first_name="Erika", last_name="Muster", email=EMAIL, **ADDRESS
    )


@pytest.fixture
def consented(customer):
    messaging_services.consent_give(
        customer_id=customer.pk,
        channel="email",
        purpose="service",
        method="in_store",
        text="Einverstanden",
        user=None,
    )
    return customer


def url(invoice) -> str:
    return reverse("invoices:email", args=[invoice.pk])


def text_of(response) -> str:
    return response.content.decode()


def run_enqueued_tasks() -> None:
    """What the worker does with the queue, in the test's thread."""
    for row in DBTaskResult.objects.ready().order_by("enqueued_at"):
        row.task.call(*row.args_kwargs["args"], **row.args_kwargs["kwargs"])
        row.delete()


# --- Access ----------------------------------------------------------------------------


def test_anonymous_users_are_sent_to_the_login(client, customer):
    invoice = issued(customer)
    for response in (client.get(url(invoice)), client.post(url(invoice), {"requested": "on"})):
        assert response.status_code == 302 and "/login/" in response["Location"]
    assert not Message.objects.exists()


def test_without_the_permissions_it_is_refused(outsider, outsider_client, customer):
    invoice = issued(customer)
    assert outsider_client.get(url(invoice)).status_code == 403
    assert outsider_client.post(url(invoice), {"requested": "on"}).status_code == 403
    # Seeing invoices is not enough: sending messages is a right of its own.
    outsider.user_permissions.add(Permission.objects.get(codename="view_invoice"))
    client = Client()
    client.force_login(outsider)
    assert client.get(url(invoice)).status_code == 403
    assert client.post(url(invoice), {"requested": "on"}).status_code == 403
    assert not Message.objects.exists()


def test_an_unknown_invoice_is_not_found(staff_client):
    assert staff_client.get(reverse("invoices:email", args=[999999])).status_code == 404


# --- The modal -------------------------------------------------------------------------


def test_the_modal_shows_address_subject_text_attachment_and_the_rule(staff_client, consented):
    invoice = issued(consented)

    response = staff_client.get(url(invoice), **HTMX)

    assert response.status_code == 200
    html = text_of(response)
    assert "<html" not in html  # the partial
    assert 'id="invoice-email-form"' in html and f'action="{url(invoice)}"' in html
    assert EMAIL in html
    subject = f"Ihre Rechnung {invoice.number} von Augenoptik Muster"
    assert escape(subject) in html
    assert "Sehr geehrte Frau Muster," in html
    assert f"Rechnung-{invoice.number}.pdf" in html
    assert 'id="invoice-email-consent"' in html
    assert 'name="requested"' in html
    assert 'name="again"' not in html  # nothing sent yet


def test_the_modal_without_htmx_is_a_whole_page(staff_client, consented):
    response = staff_client.get(url(issued(consented)))

    assert response.status_code == 200
    assert "<html" in text_of(response) and 'id="invoice-email-form"' in text_of(response)


def test_without_consent_the_modal_asks_for_the_customers_request(staff_client, customer):
    html = text_of(staff_client.get(url(issued(customer)), **HTMX))

    assert 'id="invoice-email-no-consent"' in html and 'id="invoice-email-consent"' not in html
    assert escape(_("The customer asked for the invoice by e-mail")) in html


@pytest.mark.parametrize("case", ["draft", "no address", "counter sale"])
def test_what_cannot_be_sent_shows_why_and_offers_no_send_button(staff_client, customer, case):
    if case == "draft":
        invoice = draft(customer)
        reason = _("Only an issued invoice can be sent by e-mail.")
    elif case == "no address":
        invoice = issued(customer)
        Customer.objects.filter(pk=customer.pk).update(email="")
        reason = _(
            "%(name)s has no e-mail address. Please add it to the customer record first."
        ) % {"name": "Erika Muster"}
    else:
        invoice = issued(None, lines=(BOOK,))
        reason = _(
            "This invoice names no customer (a counter sale): there is no e-mail address "
            "to send it to."
        )

    html = text_of(staff_client.get(url(invoice), **HTMX))

    assert escape(reason) in html
    assert 'type="submit"' not in html

    response = staff_client.post(url(invoice), {"requested": "on"}, **HTMX)
    assert response.status_code == 200 and escape(reason) in text_of(response)
    assert "HX-Trigger" not in response
    assert not Message.objects.exists()


# --- Sending ---------------------------------------------------------------------------


def test_without_consent_or_request_the_post_is_refused_in_the_modal(staff_client, customer):
    invoice = issued(customer)

    response = staff_client.post(url(invoice), {}, **HTMX)

    assert response.status_code == 200
    html = text_of(response)
    assert "<html" not in html and 'id="invoice-email-form"' in html
    refusal = _(
        "%(name)s has not consented to service messages by e-mail. Send it by "
        "e-mail only if the customer asked for it (tick the box); otherwise please "
        "hand it over or send it by post."
    ) % {"name": "Erika Muster"}
    assert escape(refusal) in html and 'aria-invalid="true"' in html
    assert "HX-Trigger" not in response
    assert not Message.objects.exists() and not DBTaskResult.objects.exists()


def test_with_consent_an_htmx_post_queues_it_and_closes_the_modal(
    staff, staff_client, consented, daytime
):
    invoice = issued(consented)

    response = staff_client.post(url(invoice), {}, **HTMX)

    assert response.status_code == 200
    assert json.loads(response["HX-Trigger"]) == {"closeModal": True, "invoiceSaved": True}
    assert invoice.number in text_of(response) and EMAIL in text_of(response)
    message = Message.objects.get()
    assert (message.kind, message.reference, message.state) == (
        Kind.INVOICE,
        f"invoice:{invoice.pk}",
        State.QUEUED,
    )
    assert message.created_by == staff and message.requested_at is None
    assert DBTaskResult.objects.count() == 1


def test_on_request_a_plain_post_records_who_and_goes_back_to_the_invoice(
    staff, staff_client, customer, daytime
):
    invoice = issued(customer)

    response = staff_client.post(url(invoice), {"requested": "on"})

    assert response.status_code == 302
    assert response["Location"] == reverse("invoices:detail", args=[invoice.pk])
    message = Message.objects.get()
    assert message.requested_by == staff and message.requested_at is not None
    page = staff_client.get(response["Location"])
    assert invoice.number in text_of(page)


def test_a_second_post_sends_nothing_unless_sent_again(staff_client, consented, daytime):
    invoice = issued(consented)
    staff_client.post(url(invoice), {}, **HTMX)

    response = staff_client.post(url(invoice), {}, **HTMX)
    assert Message.objects.count() == 1
    assert "closeModal" in response["HX-Trigger"]

    html = text_of(staff_client.get(url(invoice), **HTMX))
    assert 'id="invoice-email-sent-before"' in html and 'name="again"' in html

    staff_client.post(url(invoice), {"again": "on"}, **HTMX)
    assert Message.objects.filter(reference=f"invoice:{invoice.pk}").count() == 2


def test_the_customer_page_lists_the_invoice_email(staff_client, consented, daytime):
    staff_client.post(url(issued(consented)), {}, **HTMX)
    message = Message.objects.get()

    page = text_of(staff_client.get(reverse("customers:detail", args=[consented.pk])))

    assert f'id="customer-message-{message.pk}"' in page
    assert escape(message.get_kind_display()) in page


def test_the_smtp_server_receives_the_pdf_byte_for_byte(
    staff_client, consented, smtp_server, daytime
):
    invoice = issued(consented)
    staff_client.post(url(invoice), {}, **HTMX)

    run_enqueued_tasks()

    [mail] = smtp_server.messages
    assert mail["To"] == EMAIL
    [attachment] = list(mail.iter_attachments())
    assert attachment.get_filename() == f"Rechnung-{invoice.number}.pdf"
    assert attachment.get_content_type() == "application/pdf"
    assert attachment.get_content() == bytes(InvoiceDocument.objects.get(invoice=invoice).pdf)
    assert Message.objects.get().state == State.SENT


def test_an_email_before_the_worker_drew_the_pdf_draws_it(
    staff_client, consented, smtp_server, daytime
):
    invoice = factories.issued(consented)
    staff_client.post(url(invoice), {}, **HTMX)
    # The message's delivery comes first in the queue.
    for row in DBTaskResult.objects.exclude(task_path__endswith=".draw_invoice_document"):
        row.task.call(*row.args_kwargs["args"], **row.args_kwargs["kwargs"])
        row.delete()

    [mail] = smtp_server.messages
    [attachment] = list(mail.iter_attachments())
    assert attachment.get_content() == bytes(InvoiceDocument.objects.get(invoice=invoice).pdf)
    assert factories.run_queued_drawings() == 1  # finds it drawn
    assert InvoiceDocument.objects.filter(invoice=invoice).count() == 1
