from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PrivacyConfig(AppConfig):
    name = "privacy"
    verbose_name = _("Data protection")

    def ready(self):
        from django.urls import reverse

        from customers import sections
        from privacy.views import may_make_report

        def privacy(customer, request):
            reports = may_make_report(request.user)
            # The erasure (Art. 17) is customers' own; it is offered here,
            # beside the access report, where a data request is answered.
            erase = request.user.has_perm("customers.purge_customer")
            if not (reports or erase):
                return None
            labels = {"pdf": _("Access report (PDF)"), "json": _("Access report (JSON)")}
            formats = [
                (name, label, reverse("privacy:access_report", args=[customer.pk, name]))
                for name, label in labels.items()
            ]
            return {"formats": formats if reports else [], "erase": erase}

        sections.register(
            sections.Section(
                name="privacy",
                template="privacy/_customer_privacy.html",
                context=privacy,
                order=90,
            )
        )

        from customers import erasure
        from opticrm.lib import schedule
        from privacy.selectors import data_exports_withdrawn
        from privacy.services import data_exports_expire, data_exports_withdraw

        def expire_exports() -> str:
            count = data_exports_expire()
            return f"{count} data export file(s) expired" if count else ""

        schedule.register(schedule.Job(name="data exports", run=expire_exports))
        # An export made before an erasure holds the erased person.
        erasure.register_scrub(
            erasure.Scrub(
                name="data exports", run=data_exports_withdraw, counts=data_exports_withdrawn
            )
        )
