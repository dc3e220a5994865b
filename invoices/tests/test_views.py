"""The invoice screens through the test client: "Create invoice" on the
order page, the invoice page (full and htmx partial) with its § 14 content,
issuing, deleting a draft, cancelling with a reason, refusals as messages
(never a 500), permissions, and constant queries."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape
from django.utils.translation import gettext as _

from customers.tests import factories as customer_factories
from invoices import services
from invoices.models import Invoice, InvoiceDocument, Kind, Status
from invoices.tests.factories import BOOK, FRAME, draft, issued, repair_order, run_queued_drawings
from orders import services as order_services
from orders.models import Order
from orders.models import Status as OrderStatus

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def customer():
    return customer_factories.customer(
        first_name="Erika",
        last_name="Muster",
        street="Lindenweg 3",
        postcode="80331",
        town="München",
    )


def german_date(day) -> str:
    return f"{day.day:02d}.{day.month:02d}.{day.year}"


def text_of(response) -> str:
    return response.content.decode()


# --- Access ----------------------------------------------------------------------------


def test_anonymous_users_are_sent_to_the_login(client, customer):
    invoice = issued(customer)
    for url in (
        reverse("invoices:list"),
        reverse("invoices:detail", args=[invoice.pk]),
        reverse("invoices:pdf", args=[invoice.pk]),
    ):
        response = client.get(url)
        assert response.status_code == 302 and "/login/" in response["Location"]


def test_without_the_permissions_nothing_is_shown_or_changed(outsider_client, customer):
    invoice = draft(customer)
    order = repair_order(customer)
    for url in (
        reverse("invoices:list"),
        reverse("invoices:detail", args=[invoice.pk]),
        reverse("invoices:issue", args=[invoice.pk]),
        reverse("invoices:payment_add", args=[invoice.pk]),
    ):
        assert outsider_client.get(url).status_code == 403
    assert outsider_client.post(reverse("invoices:issue", args=[invoice.pk])).status_code == 403
    assert outsider_client.post(reverse("invoices:delete", args=[invoice.pk])).status_code == 403
    assert outsider_client.post(reverse("invoices:from_order", args=[order.pk])).status_code == 403
    invoice.refresh_from_db()
    assert invoice.status == Status.DRAFT
    assert Invoice.objects.filter(order=order).count() == 0


def test_an_unknown_invoice_is_not_found(staff_client):
    assert staff_client.get(reverse("invoices:detail", args=[999999])).status_code == 404


# --- From the order --------------------------------------------------------------------


def test_the_order_page_offers_create_invoice_only_for_a_placed_order(staff_client, customer):
    quote = repair_order(customer)
    Order.objects.filter(pk=quote.pk).update(status=OrderStatus.QUOTE)
    create_quote = reverse("invoices:from_order", args=[quote.pk])
    assert create_quote not in text_of(staff_client.get(reverse("orders:detail", args=[quote.pk])))

    cancelled = repair_order(customer)
    Order.objects.filter(pk=cancelled.pk).update(
        status=OrderStatus.CANCELLED, status_reason="Kunde will nicht"
    )
    page = staff_client.get(reverse("orders:detail", args=[cancelled.pk]))
    assert reverse("invoices:from_order", args=[cancelled.pk]) not in text_of(page)

    placed = repair_order(customer)
    page = staff_client.get(reverse("orders:detail", args=[placed.pk]))
    assert reverse("invoices:from_order", args=[placed.pk]) in text_of(page)

    empty = order_services.order_create(customer_id=customer.pk, kind="repair")
    page = staff_client.get(reverse("orders:detail", args=[empty.pk]))
    assert reverse("invoices:from_order", args=[empty.pk]) not in text_of(page)


def test_create_invoice_makes_a_draft_and_the_order_page_lists_it(staff_client, staff, customer):
    order = repair_order(customer)
    response = staff_client.post(reverse("invoices:from_order", args=[order.pk]))
    invoice = Invoice.objects.get(order=order)
    assert response.status_code == 302
    assert response["Location"] == reverse("invoices:detail", args=[invoice.pk])
    assert (invoice.status, invoice.created_by) == (Status.DRAFT, staff)

    page = text_of(staff_client.get(reverse("orders:detail", args=[order.pk])))
    assert reverse("invoices:detail", args=[invoice.pk]) in page
    assert 'id="order-invoices"' in page
    # One invoice stands: no second one is offered.
    assert reverse("invoices:from_order", args=[order.pk]) not in page

    # A second try (an old page) is refused with a message, not a 500.
    again = staff_client.post(reverse("invoices:from_order", args=[order.pk]), **HTMX)
    assert again.status_code == 200
    assert again["HX-Redirect"] == reverse("orders:detail", args=[order.pk])
    assert Invoice.objects.filter(order=order).count() == 1


def test_create_invoice_by_htmx_redirects_the_browser(staff_client, customer):
    order = repair_order(customer)
    response = staff_client.post(reverse("invoices:from_order", args=[order.pk]), **HTMX)
    invoice = Invoice.objects.get(order=order)
    assert response["HX-Redirect"] == reverse("invoices:detail", args=[invoice.pk])


def test_a_quote_is_refused_with_a_message(staff_client, customer):
    order = repair_order(customer)
    Order.objects.filter(pk=order.pk).update(status=OrderStatus.QUOTE)
    response = staff_client.post(reverse("invoices:from_order", args=[order.pk]), follow=True)
    assert response.status_code == 200
    assert escape(
        _("A quote or a cancelled order is not invoiced; place the order first.")
    ) in text_of(response)
    assert not Invoice.objects.exists()


# --- The invoice page ------------------------------------------------------------------


def test_the_invoice_page_shows_every_field_of_para_14(staff_client, customer):
    invoice = issued(customer, lines=(FRAME, BOOK))
    response = staff_client.get(reverse("invoices:detail", args=[invoice.pk]))
    html = text_of(response)
    assert response.status_code == 200
    today = german_date(timezone.localdate())
    for expected in (
        "Augenoptik Muster",
        "Hauptstraße 1, 80331 München",
        "143/123/45678",
        "DE123456789",
        "Frau Erika Muster" if "Frau" in invoice.customer_name else "Erika Muster",
        "Lindenweg 3",
        "80331 München",
        invoice.number,
        today,
        "Fassung Lindberg",
        "Fachbuch",
        "289,00\xa0€",
        "9,99\xa0€",
        "19 %",
        "7 %",
        # 289,00 € at 19 %: VAT 46,14 €, net 242,86 €; 19,98 € at 7 %: 1,31 €, 18,67 €.
        "46,14\xa0€",
        "242,86\xa0€",
        "1,31\xa0€",
        "18,67\xa0€",
        "308,98\xa0€",
    ):
        assert expected in html, expected
    partial = staff_client.get(reverse("invoices:detail", args=[invoice.pk]), **HTMX)
    assert "<html" not in text_of(partial)
    assert 'id="invoice-page"' in text_of(partial)


def test_the_insurers_share_is_shown_as_a_deduction(staff_client, customer):
    invoice = draft(customer)
    Invoice.objects.filter(pk=invoice.pk).update(insurer_share=Decimal("42.50"))
    invoice = services.invoice_issue(invoice_id=invoice.pk)
    html = text_of(staff_client.get(reverse("invoices:detail", args=[invoice.pk])))
    assert "42,50\xa0€" in html
    assert "246,50\xa0€" in html  # 289,00 − 42,50: what the customer pays


def test_the_invoice_page_reads_the_same_number_of_queries_however_long(staff_client, customer):
    invoice = draft(customer)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            response = staff_client.get(reverse("invoices:detail", args=[invoice.pk]))
        assert response.status_code == 200
        return len(captured)

    before = queries()
    for _number in range(4):
        services.invoice_line_add(invoice_id=invoice.pk, data=BOOK)
    assert queries() == before

    services.invoice_issue(invoice_id=invoice.pk)
    issued_before = queries()
    for _number in range(3):
        services.payment_add(
            invoice_id=invoice.pk,
            method="ec",
            amount=Decimal("1.00"),
            paid_on=timezone.localdate(),
        )
    assert queries() == issued_before


# --- Issue and delete ------------------------------------------------------------------


def test_a_draft_is_issued_after_a_confirmation(staff_client, customer):
    invoice = draft(customer)
    modal = staff_client.get(reverse("invoices:issue", args=[invoice.pk]), **HTMX)
    assert modal.status_code == 200 and "<html" not in text_of(modal)
    assert f'value="{invoice.version}"' in text_of(modal)
    # Without htmx the confirmation is a page of its own.
    assert "<html" in text_of(staff_client.get(reverse("invoices:issue", args=[invoice.pk])))

    response = staff_client.post(
        reverse("invoices:issue", args=[invoice.pk]), {"version": invoice.version}, **HTMX
    )
    assert response.status_code == 200
    assert "closeModal" in response["HX-Trigger"] and "invoiceSaved" in response["HX-Trigger"]
    invoice.refresh_from_db()
    assert invoice.status == Status.ISSUED and invoice.number
    assert run_queued_drawings() == 1  # its PDF, drawn by the worker
    assert InvoiceDocument.objects.filter(invoice=invoice).exists()


def test_a_refused_issue_is_a_message_on_the_page(staff_client, customer, settings):
    settings.SHOP_TAX_NUMBER = settings.SHOP_VAT_ID = ""
    invoice = draft(customer)
    response = staff_client.post(reverse("invoices:issue", args=[invoice.pk]), follow=True)
    assert response.status_code == 200
    assert escape(
        _("Please set the shop's tax number or VAT ID (SHOP_TAX_NUMBER, SHOP_VAT_ID) first.")
    ) in text_of(response)
    invoice.refresh_from_db()
    assert invoice.status == Status.DRAFT


def test_an_outdated_issue_is_refused(staff_client, customer):
    invoice = draft(customer)
    response = staff_client.post(
        reverse("invoices:issue", args=[invoice.pk]), {"version": invoice.version - 1}
    )
    assert response.status_code == 302
    invoice.refresh_from_db()
    assert invoice.status == Status.DRAFT


def test_a_draft_is_deleted_and_an_issued_invoice_is_not(staff_client, customer):
    order = repair_order(customer)
    invoice = services.invoice_from_order(order_id=order.pk)
    modal = staff_client.get(reverse("invoices:delete", args=[invoice.pk]), **HTMX)
    assert modal.status_code == 200
    response = staff_client.post(reverse("invoices:delete", args=[invoice.pk]))
    assert response["Location"] == reverse("orders:detail", args=[order.pk])
    assert not Invoice.objects.filter(pk=invoice.pk).exists()

    kept = issued(customer)
    response = staff_client.post(reverse("invoices:delete", args=[kept.pk]), follow=True)
    assert response.status_code == 200
    assert Invoice.objects.filter(pk=kept.pk).exists()


# --- Cancel ----------------------------------------------------------------------------


def test_an_invoice_is_cancelled_with_a_reason_in_the_modal(staff_client, customer):
    invoice = issued(customer)
    url = reverse("invoices:cancel", args=[invoice.pk])
    page = text_of(staff_client.get(reverse("invoices:detail", args=[invoice.pk])))
    assert url in page

    modal = staff_client.get(url, **HTMX)
    assert modal.status_code == 200 and "<html" not in text_of(modal)
    assert 'name="reason"' in text_of(modal)

    invalid = staff_client.post(url, {"reason": "  "}, **HTMX)
    assert invalid.status_code == 200
    assert 'name="reason"' in text_of(invalid) and "field-error" in text_of(invalid)
    assert not Invoice.objects.filter(kind=Kind.CANCELLATION).exists()

    response = staff_client.post(url, {"reason": "Falscher Preis"}, **HTMX)
    cancellation = Invoice.objects.get(cancels=invoice)
    assert response["HX-Redirect"] == reverse("invoices:detail", args=[cancellation.pk])
    shown = text_of(staff_client.get(response["HX-Redirect"]))
    assert cancellation.number in shown and invoice.number in shown
    assert "Falscher Preis" in shown and "-289,00\xa0€" in shown
    assert run_queued_drawings() == 2  # the original's and the cancellation's
    assert InvoiceDocument.objects.filter(invoice=cancellation).exists()

    original = text_of(staff_client.get(reverse("invoices:detail", args=[invoice.pk])))
    assert 'id="invoice-cancelled"' in original and cancellation.number in original
    assert url not in original


def test_cancelling_twice_shows_the_refusal_in_the_modal(staff_client, customer):
    invoice = issued(customer)
    services.invoice_cancel(invoice_id=invoice.pk, reason="Erster Versuch")
    response = staff_client.post(
        reverse("invoices:cancel", args=[invoice.pk]), {"reason": "Zweiter"}, **HTMX
    )
    assert response.status_code == 200
    assert escape(
        _("Invoice %(number)s has been cancelled already.") % {"number": invoice.number}
    ) in text_of(response)
    assert Invoice.objects.filter(kind=Kind.CANCELLATION).count() == 1


def test_over_250_euros_the_customer_is_named_and_the_address_asked_for(staff_client):
    counter_sale = draft(None)  # 289,00 €
    response = staff_client.post(reverse("invoices:issue", args=[counter_sale.pk]), follow=True)
    assert escape(
        _("An invoice over %(limit)s names the customer; please choose the customer first.")
        % {"limit": "250,00\xa0€"}
    ) in text_of(response)
    counter_sale.refresh_from_db()
    assert counter_sale.status == Status.DRAFT

    no_address = customer_factories.customer(first_name="Ohne", last_name="Adresse")
    invoice = draft(no_address)  # 289,00 €
    page = text_of(staff_client.get(reverse("invoices:detail", args=[invoice.pk])))
    assert 'id="invoice-lacks-address"' in page
    response = staff_client.post(reverse("invoices:issue", args=[invoice.pk]), follow=True)
    assert escape(
        _(
            "An invoice over %(limit)s needs the customer's postal address; "
            "please add it to the customer record first."
        )
        % {"limit": "250,00\xa0€"}
    ) in text_of(response)
    invoice.refresh_from_db()
    assert invoice.status == Status.DRAFT and invoice.number is None
    small = draft(no_address, lines=(BOOK,))
    page = text_of(staff_client.get(reverse("invoices:detail", args=[small.pk])))
    assert 'id="invoice-lacks-address"' not in page
    assert services.invoice_issue(invoice_id=small.pk).number


def test_a_drafts_delivery_date_is_set_in_its_modal(staff_client, customer):
    invoice = draft(customer)
    url = reverse("invoices:edit", args=[invoice.pk])
    assert url in text_of(staff_client.get(reverse("invoices:detail", args=[invoice.pk])))
    modal = staff_client.get(url, **HTMX)
    assert modal.status_code == 200 and "<html" not in text_of(modal)

    invalid = staff_client.post(
        url, {"delivered_on": "31.02.2026", "version": invoice.version}, **HTMX
    )
    assert invalid.status_code == 200 and "field-error" in text_of(invalid)

    delivered = timezone.localdate() - datetime.timedelta(days=3)
    response = staff_client.post(
        url, {"delivered_on": german_date(delivered), "version": invoice.version}, **HTMX
    )
    assert "closeModal" in response["HX-Trigger"]
    invoice.refresh_from_db()
    assert invoice.delivered_on == delivered

    # An old form (the version before) is refused, with the current version to retry.
    stale = staff_client.post(url, {"delivered_on": "", "version": invoice.version - 1}, **HTMX)
    assert stale.status_code == 200 and f'value="{invoice.version}"' in text_of(stale)
    invoice.refresh_from_db()
    assert invoice.delivered_on == delivered

    done = services.invoice_issue(invoice_id=invoice.pk)
    assert done.delivered_on == delivered
    refused = staff_client.post(url, {"delivered_on": "", "version": done.version}, **HTMX)
    assert refused.status_code == 200 and done.number in text_of(refused)
    assert url not in text_of(staff_client.get(reverse("invoices:detail", args=[invoice.pk])))
