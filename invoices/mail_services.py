"""An issued invoice (or cancellation invoice) by e-mail to its customer,
with the PDF kept since the issue: the invoice's rules here (issued, with
a customer), the message's in messaging (a service message: consent or
the customer's request, once, quiet hours, the worker, retries), which
invoices builds on as orders do for "abholbereit". The worker asks
``invoice_attachments`` (registered in InvoicesConfig.ready) for the PDF
when it sends."""

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext

from invoices import documents, services
from invoices.models import Invoice, InvoiceDocument, Status
from messaging import services as messaging_services
from messaging.delivery import Attachment
from messaging.models import Kind, Message

REFERENCE_PREFIX = "invoice:"


def invoice_reference(invoice_id: int) -> str:
    """How the invoice's e-mails name it (Message.reference)."""
    return f"{REFERENCE_PREFIX}{invoice_id}"


def _refusal(invoice: Invoice) -> str:
    """Why the invoice cannot go by e-mail, as far as the invoice decides."""
    if not invoice.is_issued:
        return gettext("Only an issued invoice can be sent by e-mail.")
    if invoice.customer_id is None:
        return gettext(
            "This invoice names no customer (a counter sale): there is no e-mail address "
            "to send it to."
        )
    return ""


@dataclass(frozen=True)
class InvoiceMail:
    """What the "Per E-Mail senden" modal shows before sending."""

    invoice: Invoice
    # Why it cannot be sent whatever is ticked ("": it can).
    refusal: str
    file_name: str
    # The e-mail itself (None without a customer).
    email: messaging_services.ServiceEmail | None


def invoice_mail(*, invoice_id: int) -> InvoiceMail:
    """What sending the invoice would send, to whom, and whether it may (the
    rules of invoice_send, read without sending). Raises Invoice.DoesNotExist."""
    invoice = Invoice.objects.select_related("customer").get(pk=invoice_id)
    email = None
    if invoice.customer is not None:
        email = messaging_services.service_email_preview(
            customer=invoice.customer,
            kind=Kind.INVOICE,
            reference=invoice_reference(invoice.pk),
        )
    return InvoiceMail(
        invoice=invoice,
        refusal=_refusal(invoice) or (email.refusal if email else ""),
        file_name=documents.invoice_file_name(invoice) if invoice.is_issued else "",
        email=email,
    )


@transaction.atomic
def invoice_send(*, invoice_id: int, requested: bool, user, again: bool = False) -> Message:
    """Send an issued invoice (or cancellation invoice) to its customer by
    e-mail with its PDF (messaging.services.service_email_send: consent to
    service messages by e-mail or the customer's recorded ``requested``;
    once, unless ``again``). Raises ValidationError with the reason, nothing
    saved then, and Invoice.DoesNotExist."""
    invoice = Invoice.objects.get(pk=invoice_id)
    if refusal := _refusal(invoice):
        raise ValidationError(refusal, code="refused")
    return messaging_services.service_email_send(
        customer_id=invoice.customer_id,
        kind=Kind.INVOICE,
        reference=invoice_reference(invoice.pk),
        requested=requested,
        user=user,
        again=again,
    )


def invoice_values(reference: str) -> dict[str, str]:
    """The placeholders of an invoice's e-mail: its number ({} when the
    reference names no invoice)."""
    invoice_id = reference.removeprefix(REFERENCE_PREFIX)
    if not (reference.startswith(REFERENCE_PREFIX) and invoice_id.isdigit()):
        return {}
    number = Invoice.objects.filter(pk=int(invoice_id)).values_list("number", flat=True).first()
    return {"rechnungsnummer": number} if number else {}


def invoice_attachments(message: Message) -> list[Attachment]:
    """The PDF of the invoice an e-mail is about, byte for byte as kept since
    the issue (InvoiceDocument; drawn now if the worker has not yet); none
    for anything but an issued invoice of the message's customer."""
    invoice_id = message.reference.removeprefix(REFERENCE_PREFIX)
    if not (message.reference.startswith(REFERENCE_PREFIX) and invoice_id.isdigit()):
        return []
    document = (
        InvoiceDocument.objects.select_related("invoice")
        .only("pdf", "invoice__number", "invoice__kind")
        .filter(invoice_id=int(invoice_id), invoice__customer_id=message.customer_id)
        .first()
    )
    if document is None:
        issued = Invoice.objects.filter(
            pk=int(invoice_id), customer_id=message.customer_id, status=Status.ISSUED
        )
        if not issued.exists():
            return []
        document = services.invoice_document(invoice_id=int(invoice_id))
    return [(documents.invoice_file_name(document.invoice), bytes(document.pdf), "application/pdf")]
