"""What the invoice tests build again and again."""

from decimal import Decimal

from invoices import services
from invoices.models import Invoice

FRAME = {"description": "Fassung Lindberg", "unit_price": Decimal("289.00"), "vat_rate": 19}
BOOK = {"description": "Fachbuch", "quantity": 2, "unit_price": Decimal("9.99"), "vat_rate": 7}


def draft(customer=None, lines=(FRAME,), user=None) -> Invoice:
    invoice = services.invoice_create(customer_id=customer.pk if customer else None, user=user)
    for data in lines:
        services.invoice_line_add(invoice_id=invoice.pk, data=data)
    invoice.refresh_from_db()
    return invoice


def issued(customer=None, lines=(FRAME,), user=None) -> Invoice:
    invoice = draft(customer, lines, user)
    return services.invoice_issue(invoice_id=invoice.pk, user=user)
