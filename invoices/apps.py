from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InvoicesConfig(AppConfig):
    name = "invoices"
    verbose_name = _("Invoices")

    def ready(self):
        from customers import erasure, sections

        def invoices_of(customer, request):
            # A link to the list filtered by the customer, no query: the
            # customer page is read all day.
            if not request.user.has_perm("invoices.view_invoice"):
                return None
            return {}

        sections.register(
            sections.Section(
                name="invoices",
                template="invoices/_customer_invoices.html",
                context=invoices_of,
                order=26,
            )
        )

        # The law keeps issued invoices (§ 147 AO, § 14b UStG): erasing a
        # customer with invoices anonymises the customer; the invoices keep
        # their copy of the name and address. Drafts are not kept.
        erasure.register(
            erasure.Holding(
                model=self.get_model("Invoice"),
                field="customer_id",
                kept_by_law=_("§ 147 AO: invoices are kept for 8 years"),
                kept_rows={"status": "issued"},
                contact="created_at",
            )
        )
        erasure.register_scrub(
            erasure.Scrub(name="invoice drafts", run=_forget_drafts, counts=_draft_counts)
        )

        # "Per E-Mail senden": the worker attaches the invoice's kept PDF.
        from invoices.mail_services import invoice_attachments, invoice_values
        from messaging.models import Kind as MessageKind
        from messaging.services import attachments_register, values_register

        attachments_register(MessageKind.INVOICE, invoice_attachments)
        values_register(MessageKind.INVOICE, invoice_values)


def _forget_drafts(customer_id: int) -> None:
    """The customer's drafts go; the issued invoices let go of the orders,
    which go with the customer (the database lets an issued invoice change
    in this alone: migration 0002)."""
    from invoices.models import Invoice, Status

    invoices = Invoice.objects.filter(customer_id=customer_id)
    invoices.filter(status=Status.DRAFT).delete()
    invoices.filter(order__isnull=False).update(order=None)


def _draft_counts(customer_id: int) -> list[tuple[str, int]]:
    from invoices.models import Invoice, Status

    count = Invoice.objects.filter(customer_id=customer_id, status=Status.DRAFT).count()
    return [(str(_("invoice drafts")), count)] if count else []
