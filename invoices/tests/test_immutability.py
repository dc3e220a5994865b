"""An issued invoice is never changed or deleted (GoBD): the services
refuse it, the admin shows it read only, and the database refuses every
other path."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import DatabaseError, connection, transaction
from django.urls import reverse

from customers import services as customer_services
from customers.tests import factories as customer_factories
from invoices import services
from invoices.models import Invoice, InvoiceLine, Status
from invoices.tests.factories import BOOK, draft, issued

pytestmark = pytest.mark.django_db


@pytest.fixture
def customer():
    return customer_factories.customer(
        first_name="Erika",
        last_name="Muster",
        salutation="ms",
        street="Musterweg 1",
        postcode="80331",
        town="München",
    )


def change_form(invoice: Invoice, *, version: int | None = None, **fields) -> dict:
    """The admin's change form as a browser posts it (with the positions'
    management form)."""
    lines = list(invoice.lines.values_list("pk", flat=True))
    data = {
        "loaded_version": invoice.version if version is None else version,
        "lines-TOTAL_FORMS": len(lines),
        "lines-INITIAL_FORMS": len(lines),
        "lines-MIN_NUM_FORMS": 0,
        "lines-MAX_NUM_FORMS": 1000,
        **fields,
    }
    for index, pk in enumerate(lines):
        data[f"lines-{index}-id"] = pk
        data[f"lines-{index}-invoice"] = invoice.pk
    return data


def refused_by_the_database(sql: str, params=()) -> None:
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)


def test_the_services_change_drafts_only(customer):
    invoice = issued(customer)
    line = invoice.lines.get()
    for attempt in (
        lambda: services.invoice_line_add(invoice_id=invoice.pk, data=BOOK),
        lambda: services.invoice_line_remove(invoice_id=invoice.pk, line_id=line.pk),
        lambda: services.invoice_update(
            invoice_id=invoice.pk, data={"delivered_on": None}, version=None
        ),
        lambda: services.invoice_draft_delete(invoice_id=invoice.pk),
    ):
        with pytest.raises(ValidationError) as error:
            attempt()
        assert invoice.number in error.value.messages[0]
    assert list(invoice.lines.values_list("description", flat=True)) == ["Fassung Lindberg"]

    # A draft may change and go.
    other = draft(customer, lines=(BOOK,))
    services.invoice_line_add(invoice_id=other.pk, data=BOOK)
    first = other.lines.order_by("position").first()
    services.invoice_line_remove(invoice_id=other.pk, line_id=first.pk)
    assert list(other.lines.values_list("position", flat=True)) == [2]
    services.invoice_draft_delete(invoice_id=other.pk)
    assert not Invoice.objects.filter(pk=other.pk).exists()


def test_the_orm_cannot_change_or_delete_an_issued_invoice(customer):
    invoice = issued(customer)
    invoice.customer_name = "Jemand anders"
    with pytest.raises(DatabaseError), transaction.atomic():
        invoice.save()
    with pytest.raises(DatabaseError), transaction.atomic():
        Invoice.objects.filter(pk=invoice.pk).delete()
    line = invoice.lines.get()
    line.unit_price = Decimal("1.00")
    with pytest.raises(DatabaseError), transaction.atomic():
        line.save()
    with pytest.raises(DatabaseError), transaction.atomic():
        InvoiceLine.objects.create(invoice=invoice, position=2, description="x", unit_price=1)
    with pytest.raises(DatabaseError), transaction.atomic():
        line.delete()
    invoice.refresh_from_db()
    assert invoice.customer_name == "Frau Erika Muster"
    assert invoice.lines.get().unit_price == Decimal("289.00")


def test_raw_sql_cannot_change_an_issued_invoice_or_its_positions(customer):
    invoice = issued(customer)
    line = invoice.lines.get()
    refused_by_the_database(
        "UPDATE invoices_invoice SET customer_name = 'X' WHERE id = %s", [invoice.pk]
    )
    refused_by_the_database(
        "UPDATE invoices_invoice SET status = 'draft' WHERE id = %s", [invoice.pk]
    )
    refused_by_the_database("DELETE FROM invoices_invoice WHERE id = %s", [invoice.pk])
    refused_by_the_database(
        "UPDATE invoices_invoiceline SET unit_price = 1 WHERE id = %s", [line.pk]
    )
    refused_by_the_database("DELETE FROM invoices_invoiceline WHERE id = %s", [line.pk])
    refused_by_the_database(
        "INSERT INTO invoices_invoiceline (invoice_id, position, description, quantity, "
        "unit_price, discount_reason, vat_rate) VALUES (%s, 2, 'x', 1, 1, '', 19)",
        [invoice.pk],
    )
    # Moving a draft's position onto the issued invoice is a change of it too.
    other = draft(customer)
    refused_by_the_database(
        "UPDATE invoices_invoiceline SET invoice_id = %s, position = 9 WHERE invoice_id = %s",
        [invoice.pk, other.pk],
    )
    # A draft's row and positions may change.
    with connection.cursor() as cursor:
        cursor.execute("UPDATE invoices_invoice SET reason = 'x' WHERE id = %s", [other.pk])
        cursor.execute(
            "UPDATE invoices_invoiceline SET quantity = 2 WHERE invoice_id = %s", [other.pk]
        )
    invoice.refresh_from_db()
    assert (invoice.status, invoice.customer_name) == (Status.ISSUED, "Frau Erika Muster")
    assert invoice.lines.get().unit_price == Decimal("289.00")


def test_an_issued_invoice_keeps_the_address_it_was_issued_to(customer):
    invoice = issued(customer)
    customer_services.customer_update(
        customer_id=customer.pk,
        data={"street": "Neue Straße 5", "town": "Augsburg", "postcode": "86150"},
        expected_version=None,
    )
    invoice.refresh_from_db()
    assert invoice.customer_name == "Frau Erika Muster"
    assert invoice.customer_address == "Musterweg 1\n80331 München"
    assert (invoice.shop_name, invoice.shop_tax_number) == ("Augenoptik Muster", "143/123/45678")


def test_the_admin_shows_an_issued_invoice_read_only(customer, owner_client):
    invoice = issued(customer)
    url = reverse("admin:invoices_invoice_change", args=[invoice.pk])
    page = owner_client.get(url)
    assert page.status_code == 200
    assert b'name="delivered_on"' not in page.content  # no field to change

    answer = owner_client.post(url, change_form(invoice, customer="", delivered_on="01.01.2020"))
    assert answer.status_code == 403
    deleting = owner_client.post(
        reverse("admin:invoices_invoice_delete", args=[invoice.pk]), {"post": "yes"}
    )
    assert deleting.status_code == 403
    fresh = Invoice.objects.get(pk=invoice.pk)
    assert (fresh.delivered_on, fresh.customer_id, fresh.version) == (
        invoice.delivered_on,
        customer.pk,
        invoice.version,
    )


def test_the_admin_changes_and_deletes_a_draft_through_the_services(customer, owner_client):
    invoice = draft(customer)
    url = reverse("admin:invoices_invoice_change", args=[invoice.pk])
    assert b'name="delivered_on"' in owner_client.get(url).content
    answer = owner_client.post(
        url, change_form(invoice, customer=customer.pk, delivered_on="02.01.2020")
    )
    assert answer.status_code == 302, answer.context["adminform"].form.errors
    invoice.refresh_from_db()
    assert str(invoice.delivered_on) == "2020-01-02"
    assert invoice.version == 3  # a position added (2), then this change

    outdated = owner_client.post(
        url, change_form(invoice, customer=customer.pk, delivered_on="03.01.2020", version=2)
    )
    assert outdated.status_code == 200  # the form again, with the conflict
    invoice.refresh_from_db()
    assert str(invoice.delivered_on) == "2020-01-02"

    owner_client.post(reverse("admin:invoices_invoice_delete", args=[invoice.pk]), {"post": "yes"})
    assert not Invoice.objects.filter(pk=invoice.pk).exists()


def test_the_admin_list_shows_number_customer_gross_and_state(customer, owner_client):
    invoice = issued(customer)
    services.invoice_cancel(invoice_id=invoice.pk, reason="Falscher Preis")
    draft(customer)
    page = owner_client.get(reverse("admin:invoices_invoice_changelist"))
    assert page.status_code == 200
    text = page.content.decode()
    assert invoice.number in text and "Frau Erika Muster" in text
    assert "289,00\u00a0€" in text and "-289,00\u00a0€" in text
    found = owner_client.get(reverse("admin:invoices_invoice_changelist"), {"q": invoice.number})
    assert found.context["cl"].result_count == 1
    by_name = owner_client.get(reverse("admin:invoices_invoice_changelist"), {"q": "Muster"})
    assert by_name.context["cl"].result_count == 3


def test_raw_sql_cannot_change_an_issued_invoices_business_recipient(customer):
    """The company columns (migration 0013) are kept by the same trigger."""
    invoice = draft(customer)
    services.invoice_update(
        invoice_id=invoice.pk,
        data={"company_name": "Muster GmbH", "company_vat_id": "DE136695976"},
        version=None,
    )
    invoice = services.invoice_issue(invoice_id=invoice.pk)
    for column, value in (
        ("company_name", "Andere GmbH"),
        ("company_vat_id", "ATU13585627"),
        ("company_address", "Ring 2, 1010 Wien"),
        ("buyer_reference", "4711"),
    ):
        refused_by_the_database(
            f"UPDATE invoices_invoice SET {column} = %s WHERE id = %s", [value, invoice.pk]
        )
    invoice.refresh_from_db()
    assert (invoice.company_name, invoice.company_vat_id) == ("Muster GmbH", "DE136695976")


def test_the_database_holds_the_business_recipients_shape(customer):
    invoice = draft(customer)
    # A VAT ID that is none, or company details without a company.
    refused_by_the_database(
        "UPDATE invoices_invoice SET company_name = 'Muster GmbH', company_vat_id = 'US123' "
        "WHERE id = %s",
        [invoice.pk],
    )
    refused_by_the_database(
        "UPDATE invoices_invoice SET buyer_reference = '4711' WHERE id = %s", [invoice.pk]
    )
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE invoices_invoice SET company_name = 'Muster GmbH', "
            "company_vat_id = 'DE136695976' WHERE id = %s",
            [invoice.pk],
        )
    invoice.refresh_from_db()
    assert invoice.is_e_invoice
