from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ImportsConfig(AppConfig):
    name = "imports"
    verbose_name = _("Imports")

    def ready(self):
        from customers import erasure
        from imports.services import rows_scrub_customer, waiting_imports

        # Import reports name customers ("schon vorhanden: Kunde 12 (Erika
        # Muster, …)"), waiting imports hold files: the erasure scrubs them.
        erasure.register_scrub(
            erasure.Scrub(name="imports", run=rows_scrub_customer, counts=waiting_imports)
        )
