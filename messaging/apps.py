from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MessagingConfig(AppConfig):
    name = "messaging"
    verbose_name = _("Messages")

    def ready(self):
        from customers import erasure, list_filters, sections
        from messaging.selectors import consents_of, without_active_consent

        def consents(customer, request):
            if not request.user.has_perm("customers.view_customer"):
                return None
            return {
                "consents": consents_of(customer),
                "may_change": request.user.has_perm("customers.change_customer"),
            }

        sections.register(
            sections.Section(
                name="consents",
                template="messaging/_customer_consents.html",
                context=consents,
                order=30,
            )
        )

        list_filters.register(
            list_filters.ListFilter(
                name="without_consent",
                label=_("without consent"),
                apply=without_active_consent,
            )
        )

        # The purge (right to erasure) takes the consents and their history.
        erasure.register(
            erasure.Holding(
                model=self.get_model("Consent"),
                field="customer_id",
                history=self.get_model("ConsentEvent"),
            )
        )
