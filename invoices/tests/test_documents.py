"""The invoice PDF: drawn once when the invoice is issued and kept
(InvoiceDocument, which the database never lets change), downloaded byte
for byte, and carrying every field UStG § 14 (4) asks for, read back with
pypdf."""

import datetime
import hashlib
import io
from decimal import Decimal

import pytest
from django.db import IntegrityError, InternalError, connection, transaction
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from customers.tests import factories as customer_factories
from invoices import selectors, services
from invoices.models import Invoice, InvoiceDocument
from invoices.tests.factories import (
    BOOK,
    DISCOUNTED,
    FRAME,
    draft,
    issued,
    kept_document,
    repair_order,
    run_queued_drawings,
)

# The shop's bank (invoices.tests.conftest.bank): the payment terms name it.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("bank")]


@pytest.fixture
def customer():
    return customer_factories.customer(
        first_name="Erika",
        last_name="Muster",
        street="Lindenweg 3",
        postcode="80331",
        town="München",
    )


def text(pdf: bytes) -> str:
    assert pdf.startswith(b"%PDF-")
    reader = PdfReader(io.BytesIO(pdf))
    return "\n".join((page.extract_text() or "") for page in reader.pages).replace("\xa0", " ")


def german(day: datetime.date) -> str:
    return f"{day.day:02d}.{day.month:02d}.{day.year}"


def document(invoice: Invoice) -> bytes:
    return bytes(kept_document(invoice).pdf)


def test_the_pdf_carries_every_field_of_para_14(customer):
    invoice = draft(customer, lines=(FRAME, BOOK, DISCOUNTED))
    Invoice.objects.filter(pk=invoice.pk).update(insurer_share=Decimal("42.50"))
    invoice = services.invoice_issue(invoice_id=invoice.pk)
    content = text(document(invoice))
    today = timezone.localdate()
    totals = selectors.invoice_totals(invoice)
    assert totals.gross == Decimal("398.98")
    for expected in (
        # The supplier: name, address, tax number and VAT ID.
        "Augenoptik Muster",
        "Hauptstraße 1, 80331 München",
        "143/123/45678",
        "DE123456789",
        # The customer's name and address (in the window).
        "Erika Muster",
        "Lindenweg 3",
        "80331 München",
        # Number, issue date and delivery date.
        invoice.number,
        german(today),
        # Each position: description, quantity, unit price, discount, VAT rate.
        "Fassung Lindberg",
        "Fachbuch",
        "Anpassung",
        "289,00 €",
        "9,99 €",
        "19,98 €",
        "100,00 €",
        "−10,00 €",
        "Stammkunde",
        "19 %",
        "7 %",
        # Net and VAT per rate: 379,00 € at 19 % is 60,51 € VAT, 318,49 € net;
        # 19,98 € at 7 % is 1,31 € VAT, 18,67 € net.
        "60,51 €",
        "318,49 €",
        "1,31 €",
        "18,67 €",
        # Gross, the insurer's share deducted, what the customer pays.
        "398,98 €",
        "−42,50 €",
        "356,48 €",
        # Payment terms and bank details.
        german(today + datetime.timedelta(days=14)),
        "DE89 3704 0044 0532 0130 00",
        "COBADEFFXXX",
        "Commerzbank München",
    ):
        assert expected in content, expected
    # The delivery date is on the page next to the invoice date.
    assert content.count(german(today)) >= 2


def test_the_document_is_drawn_once_by_the_worker_and_kept(customer, settings):
    invoice = issued(customer)
    # The issue queued the drawing (the till does not wait for it).
    assert not InvoiceDocument.objects.filter(invoice=invoice).exists()
    assert run_queued_drawings() == 1
    kept = InvoiceDocument.objects.get(invoice=invoice)
    assert kept.sha256 == hashlib.sha256(bytes(kept.pdf)).hexdigest()
    # Other settings later: the kept document stays what was sent.
    settings.SHOP_NAME = "Ganz Anderer Name"
    again = services.invoice_document(invoice_id=invoice.pk)
    assert again.pk == kept.pk and bytes(again.pdf) == bytes(kept.pdf)
    assert InvoiceDocument.objects.filter(invoice=invoice).count() == 1


def test_the_database_refuses_to_change_or_delete_a_document(customer):
    invoice = issued(customer)
    kept = kept_document(invoice)
    with pytest.raises((IntegrityError, InternalError)), transaction.atomic():
        InvoiceDocument.objects.filter(pk=kept.pk).update(pdf=b"%PDF-forged")
    with pytest.raises((IntegrityError, InternalError)), transaction.atomic():
        InvoiceDocument.objects.filter(pk=kept.pk).delete()
    with (
        pytest.raises((IntegrityError, InternalError)),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(
            "UPDATE invoices_invoicedocument SET sha256 = %s WHERE id = %s", ["0" * 64, kept.pk]
        )
    assert InvoiceDocument.objects.get(pk=kept.pk).sha256 == kept.sha256


def test_the_download_is_an_attachment_with_the_same_bytes_every_time(staff_client, customer):
    invoice = issued(customer)
    kept = kept_document(invoice)
    url = reverse("invoices:pdf", args=[invoice.pk])
    first, second = staff_client.get(url), staff_client.get(url)
    assert first.status_code == 200
    assert first["Content-Type"] == "application/pdf"
    assert first["Content-Disposition"] == f'attachment; filename="Rechnung-{invoice.number}.pdf"'
    assert first["X-Content-Type-Options"] == "nosniff"
    assert hashlib.sha256(first.content).hexdigest() == kept.sha256
    assert hashlib.sha256(second.content).hexdigest() == kept.sha256
    page = staff_client.get(reverse("invoices:detail", args=[invoice.pk]))
    assert url in page.content.decode()


def test_a_draft_has_no_pdf_and_outsiders_get_none(staff_client, outsider_client, customer):
    invoice = draft(customer)
    assert staff_client.get(reverse("invoices:pdf", args=[invoice.pk])).status_code == 404
    done = issued(customer)
    assert outsider_client.get(reverse("invoices:pdf", args=[done.pk])).status_code == 403


def test_a_small_amount_counter_sale_without_a_customer_is_issued(staff_client):
    invoice = issued(None, lines=(BOOK,))
    assert invoice.customer is None and selectors.is_small_amount(invoice)
    content = text(document(invoice))
    for expected in ("Augenoptik Muster", "Fachbuch", "19,98 €", "7 %", invoice.number):
        assert expected in content, expected
    page = staff_client.get(reverse("invoices:detail", args=[invoice.pk]))
    assert page.status_code == 200


def test_the_cancellation_pdf_names_the_original_and_the_reason(customer):
    invoice = issued(customer)
    cancellation = services.invoice_cancel(invoice_id=invoice.pk, reason="Falsche Fassung")
    content = text(document(cancellation))
    assert cancellation.number in content and invoice.number in content
    assert "Falsche Fassung" in content
    assert "−289,00 €" in content


def test_the_deposit_received_is_deducted_on_the_pdf(customer):
    order = repair_order(customer, deposit=Decimal("100.00"))
    invoice = services.invoice_from_order(order_id=order.pk)
    invoice = services.invoice_issue(invoice_id=invoice.pk)
    content = text(document(invoice))
    assert "−100,00 €" in content and "189,00 €" in content


def test_a_paid_invoice_says_so_instead_of_payment_terms(customer, settings):
    order = repair_order(customer, price=Decimal("50.00"), deposit=Decimal("50.00"))
    invoice = services.invoice_issue(invoice_id=services.invoice_from_order(order_id=order.pk).pk)
    content = text(document(invoice))
    assert "DE89 3704" not in content
    assert german(timezone.localdate() + datetime.timedelta(days=14)) not in content


def test_a_pdf_whose_drawing_failed_is_drawn_at_the_first_download(staff_client, customer):
    """The PDF is drawn by the worker after the issue (the year's numbers
    and the till do not wait for it): if that failed, the first download
    draws it, from what the invoice said when it was issued, and keeps it."""
    invoice = issued(customer)
    expected = bytes(kept_document(invoice).pdf)
    with connection.cursor() as cursor:
        # As if the drawing had failed: past the guard that keeps documents.
        cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute("DELETE FROM invoices_invoicedocument WHERE invoice_id = %s", [invoice.pk])
        cursor.execute("SET LOCAL session_replication_role = origin")
    services.payment_add(
        invoice_id=invoice.pk, method="ec", amount=Decimal("10.00"), paid_on=invoice.issued_on
    )
    response = staff_client.get(reverse("invoices:pdf", args=[invoice.pk]))
    assert response.status_code == 200
    drawn = bytes(b"".join(response))
    # The same text (the file's creation time may differ), without the later payment.
    assert text_of(drawn) == text_of(expected)
    assert InvoiceDocument.objects.filter(invoice=invoice).count() == 1
    assert bytes(InvoiceDocument.objects.get(invoice=invoice).pdf) == drawn


def test_a_download_before_the_worker_draws_it_and_the_worker_keeps_that(staff_client, customer):
    invoice = issued(customer)
    services.payment_add(
        invoice_id=invoice.pk, method="ec", amount=Decimal("10.00"), paid_on=invoice.issued_on
    )
    response = staff_client.get(reverse("invoices:pdf", args=[invoice.pk]))
    assert response.status_code == 200
    drawn = bytes(b"".join(response))
    assert "10,00" not in text_of(drawn)  # the payment came after the issue
    assert run_queued_drawings() == 1  # finds it drawn
    assert InvoiceDocument.objects.filter(invoice=invoice).count() == 1
    assert bytes(InvoiceDocument.objects.get(invoice=invoice).pdf) == drawn


def text_of(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
