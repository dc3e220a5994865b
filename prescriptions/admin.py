from django.contrib import admin

from opticrm.lib.admin import ReadableHistoryAdmin, ReadOnlyAdmin
from prescriptions.models import ContactLensFitting, HealthDataAccess, Refraction
from prescriptions.services import health_data_opened


class RecordAdmin(ReadOnlyAdmin, ReadableHistoryAdmin):
    """For looking up and auditing only: records are added and corrected on
    the customer page, where the services keep the history append-only, and
    removed only with the customer (right to erasure)."""

    date_hierarchy = "date"
    list_select_related = ["customer", "examiner"]
    search_fields = ["customer__last_name", "customer__first_name"]
    raw_id_fields = ["customer"]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        # The record's page shows every value: logged as any showing.
        record = self.get_object(request, object_id)
        if record is not None and self.has_view_permission(request, record):
            health_data_opened(
                user=request.user,
                customer_id=record.customer_id,
                where=HealthDataAccess.Where.ADMIN,
            )
        return super().change_view(request, object_id, form_url, extra_context)


@admin.register(Refraction)
class RefractionAdmin(RecordAdmin):
    list_display = ["date", "customer", "kind", "examiner", "superseded_at"]
    list_filter = ["kind", "date"]


@admin.register(ContactLensFitting)
class ContactLensFittingAdmin(RecordAdmin):
    list_display = ["date", "customer", "examiner", "superseded_at"]
    list_filter = ["date"]


@admin.register(HealthDataAccess)
class HealthDataAccessAdmin(ReadOnlyAdmin):
    """The log of who saw which customer's health data: read only."""

    list_display = ["at", "customer_number", "user", "where"]
    list_filter = ["where", "user"]
    search_fields = ["customer_number"]
    date_hierarchy = "at"
    list_select_related = ["user"]
