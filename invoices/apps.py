from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InvoicesConfig(AppConfig):
    name = "invoices"
    verbose_name = _("Invoices")

    def ready(self):
        from customers import erasure

        # The law keeps invoices (§ 147 AO, § 14b UStG): erasing a customer
        # with invoices anonymises the customer; the invoices keep their copy
        # of the name and address.
        erasure.register(
            erasure.Holding(
                model=self.get_model("Invoice"),
                field="customer_id",
                kept_by_law=_("§ 147 AO: invoices are kept for 8 years"),
                contact="created_at",
            )
        )
