"""What other apps' pages show of invoices: the order page's section lists
the order's invoices (invoices contribute it; orders import nothing of them)."""

from django import template

from invoices import selectors
from invoices.models import Kind, State

register = template.Library()


@register.simple_tag
def order_invoices(order) -> dict:
    """The order's invoices (each with ``state``), and whether a new one may
    be made: none stands (a draft, or issued and not cancelled)."""
    invoices = selectors.order_invoices(order.pk)
    standing = [
        invoice
        for invoice in invoices
        if invoice.kind == Kind.INVOICE and invoice.state != State.CANCELLED
    ]
    return {"invoices": invoices, "may_create": not standing}


@register.filter
def state_label(state: str) -> str:
    return str(State(state).label) if state in State.values else ""
