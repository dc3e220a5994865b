from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    """Auswertungen (issue 30): figures over a period, read from summary
    tables the database keeps as invoices are issued. Nothing here writes."""

    name = "reports"
    verbose_name = _("Reports")
