from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PrescriptionsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "prescriptions"
    verbose_name = _("Prescriptions")

    def ready(self):
        from django.db.models import Exists, OuterRef

        from customers import erasure, sections
        from prescriptions.selectors import customer_prescriptions

        fitting = self.get_model("ContactLensFitting")
        sections.register(
            sections.Section(
                name="prescriptions",
                template="prescriptions/_customer_sections.html",
                # Health data: empty (hidden) without the permission.
                context=lambda customer, request: (
                    customer_prescriptions(
                        customer, request.user, has_fittings=customer.has_fittings
                    )
                    or None
                ),
                order=10,
                annotate=lambda customers: customers.annotate(
                    has_fittings=Exists(fitting.objects.filter(customer=OuterRef("pk")))
                ),
            )
        )

        for name in ("Refraction", "ContactLensFitting"):
            erasure.register(
                erasure.Holding(
                    model=self.get_model(name),
                    field="customer_id",
                    history=self.get_model(f"{name}Event"),
                )
            )
