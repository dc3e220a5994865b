from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PrivacyConfig(AppConfig):
    name = "privacy"
    verbose_name = _("Data protection")

    def ready(self):
        from customers import sections
        from privacy.views import may_make_report

        def privacy(customer, request):
            if not may_make_report(request.user):
                return None
            return {
                "formats": [
                    ("pdf", _("Access report (PDF)")),
                    ("json", _("Access report (JSON)")),
                ]
            }

        sections.register(
            sections.Section(
                name="privacy",
                template="privacy/_customer_privacy.html",
                context=privacy,
                order=90,
            )
        )
