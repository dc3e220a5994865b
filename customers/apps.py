from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CustomersConfig(AppConfig):
    name = "customers"
    verbose_name = _("Customers")

    def ready(self):
        from opticrm.lib import schedule

        def retention_review() -> str:
            from customers.services import retention_review_if_due

            review = retention_review_if_due()
            return f"{review.customer_count} customer(s) to review" if review else ""

        schedule.register(schedule.Job(name="retention review", run=retention_review))
