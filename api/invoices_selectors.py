"""Reads of invoices that only the API makes so far: the list's filters the
invoice screen has not (a customer's invoices, a year), on top of
invoices.selectors.invoice_list, and one invoice with what its page shows.
When the screens get these filters, they belong in invoices.selectors."""

import datetime

from django.db.models import QuerySet

from invoices import selectors
from invoices.models import Invoice


def invoice_filtered(
    *,
    state: str | None = None,
    customer_id: int | None = None,
    year: int | None = None,
    since: datetime.date | None = None,
    until: datetime.date | None = None,
    query: str = "",
) -> QuerySet[Invoice]:
    """The invoices these filters select, newest first, as the invoice list
    selects them (selectors.invoice_list: state, invoice date, search by
    number or name); ``year``: invoiced in that year (the invoice date, as
    the number counts it), within ``since`` / ``until`` where given too."""
    since, until = _in_year(year, since, until)
    invoices = selectors.invoice_list(state=state, since=since, until=until, query=query)
    if customer_id is not None:
        invoices = invoices.filter(customer_id=customer_id)
    return invoices


def invoice_filtered_count(
    *,
    state: str | None = None,
    customer_id: int | None = None,
    year: int | None = None,
    since: datetime.date | None = None,
    until: datetime.date | None = None,
    query: str = "",
) -> int | None:
    """How many invoices invoice_filtered selects, where that is known
    exactly without counting its rows (selectors.invoice_count: the open
    ones, from the database's list of unsettled invoices; counting them
    through the list took 27 ms); else None."""
    since, until = _in_year(year, since, until)
    return selectors.invoice_count(
        state=state, since=since, until=until, customer_id=customer_id, query=query
    )


def _in_year(year, since, until):
    if year is None:
        return since, until
    return (
        max(since or datetime.date.min, datetime.date(year, 1, 1)),
        min(until or datetime.date.max, datetime.date(year, 12, 31)),
    )


def invoice_ids(invoices: QuerySet[Invoice]) -> QuerySet[Invoice]:
    """The ids of ``invoices`` in its order, for paging (the rows of a page
    are read afterwards: invoice_rows)."""
    return invoices.prefetch_related(None).values_list("pk", flat=True)


def invoice_rows() -> QuerySet[Invoice]:
    """Invoices with what a list row shows (selectors.list_rows reads them
    without a query per row): the customer, the cancellation either way,
    the sum paid and a draft's positions."""
    return selectors.invoice_list()


def invoice_detail(invoice_id: int) -> Invoice | None:
    """One invoice as its page shows it (selectors.invoice_page), the
    page's parts set on it: ``page`` (positions priced, totals, payments),
    ``state``, ``paid`` and ``shown_gross`` (the list's gross)."""
    page = selectors.invoice_page(invoice_id)
    if page is None:
        return None
    invoice = page.invoice
    invoice.page = page
    invoice.state = page.state
    invoice.paid = page.paid
    invoice.shown_gross = selectors.gross_of(invoice, page.lines)
    return invoice
