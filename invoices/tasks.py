"""Background work of invoices, run by `manage.py db_worker`."""

from django_tasks import task


@task()
def draw_invoice_document(*, invoice_id: int) -> int:
    """An issued invoice's PDF (invoices.services.invoice_document), drawn
    after the issue: 60 ms of CPU a till does not wait for. Returns the kept
    document's id."""
    from invoices.services import invoice_document

    return invoice_document(invoice_id=invoice_id).pk
