from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PrescriptionsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "prescriptions"
    verbose_name = _("Prescriptions")

    def ready(self):
        from django.db.models import Exists, OuterRef

        from customers import erasure, sections
        from prescriptions.models import HealthDataAccess
        from prescriptions.selectors import customer_prescriptions
        from prescriptions.services import health_data_opened

        def prescriptions(customer, request):
            # Health data: empty (hidden) without the permission; shown, logged.
            context = customer_prescriptions(
                customer, request.user, has_fittings=customer.has_fittings
            )
            if not context:
                return None
            health_data_opened(
                user=request.user,
                customer_id=customer.pk,
                where=HealthDataAccess.Where.CUSTOMER_PAGE,
            )
            return context

        fitting = self.get_model("ContactLensFitting")
        sections.register(
            sections.Section(
                name="prescriptions",
                template="prescriptions/_customer_sections.html",
                context=prescriptions,
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
