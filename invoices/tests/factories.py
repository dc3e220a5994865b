"""What the invoice tests build again and again."""

from decimal import Decimal

from invoices import services
from invoices.models import Invoice, InvoiceDocument

FRAME = {"description": "Fassung Lindberg", "unit_price": Decimal("289.00"), "vat_rate": 19}
BOOK = {"description": "Fachbuch", "quantity": 2, "unit_price": Decimal("9.99"), "vat_rate": 7}
# A service with a percent discount and its reason.
DISCOUNTED = {
    "description": "Anpassung",
    "unit_price": Decimal("100.00"),
    "discount_percent": Decimal("10"),
    "discount_reason": "Stammkunde",
    "vat_rate": 19,
}


# A customer with a postal address is made unless one (or None: a counter
# sale, up to 250 € gross) is given: an invoice over 250 € names them.
SOMEONE = object()
ADDRESS = {"street": "Marktplatz 1", "postcode": "80331", "town": "München"}


def someone():
    from customers.tests import factories as customer_factories

    return customer_factories.customer(first_name="Karl", last_name="Kunde", **ADDRESS)


def draft(customer=SOMEONE, lines=(FRAME,), user=None) -> Invoice:
    if customer is SOMEONE:
        customer = someone()
    invoice = services.invoice_create(customer_id=customer.pk if customer else None, user=user)
    for data in lines:
        services.invoice_line_add(invoice_id=invoice.pk, data=data)
    invoice.refresh_from_db()
    return invoice


def issued(customer=SOMEONE, lines=(FRAME,), user=None) -> Invoice:
    invoice = draft(customer, lines, user)
    return services.invoice_issue(invoice_id=invoice.pk, user=user)


def repair_order(customer, user=None, *, price=Decimal("289.00"), deposit=None):
    """A placed order (a repair is taken in as an order right away) with one
    position, ready to be invoiced."""
    from orders import services as order_services

    order = order_services.order_create(customer_id=customer.pk, kind="repair", user=user)
    order_services.line_save(
        order_id=order.pk,
        data={"kind": "service", "description": "Reparatur Scharnier", "unit_price": price},
        version=None,
    )
    if deposit is not None:
        order.refresh_from_db()
        order_services.order_update(
            order_id=order.pk, data={"deposit": deposit}, version=order.version
        )
    order.refresh_from_db()
    return order


def run_queued_drawings() -> int:
    """Draw the queued invoice PDFs as the worker does (invoices.tasks),
    oldest first; how many ran."""
    from django_tasks_db.models import DBTaskResult

    ran = 0
    queued = DBTaskResult.objects.ready().filter(task_path__endswith=".draw_invoice_document")
    for row in queued.order_by("enqueued_at"):
        row.task.call(*row.args_kwargs["args"], **row.args_kwargs["kwargs"])
        row.delete()
        ran += 1
    return ran


def issued_and_drawn(*args, **kwargs) -> Invoice:
    """An issued invoice whose PDF the worker has drawn (nothing queued)."""
    invoice = issued(*args, **kwargs)
    run_queued_drawings()
    return invoice


def kept_document(invoice: Invoice) -> InvoiceDocument:
    """The invoice's PDF as kept, once the worker has drawn it."""
    run_queued_drawings()
    return InvoiceDocument.objects.get(invoice=invoice)
