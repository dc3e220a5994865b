from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PrivacyConfig(AppConfig):
    name = "privacy"
    verbose_name = _("Data protection")

    def ready(self):
        from customers import sections

        def privacy(customer, request):
            # The report holds health data: only those who may see it make one.
            if not request.user.has_perm("privacy.add_accessreport"):
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
