from django.contrib import admin

from opticrm.lib.admin import ReadableHistoryAdmin
from prescriptions.models import ContactLensFitting, HealthDataAccess, Refraction


class RecordAdmin(ReadableHistoryAdmin):
    """For looking up and auditing only: records are added and corrected on
    the customer page, where the services keep the history append-only, and
    removed only with the customer (right to erasure)."""

    date_hierarchy = "date"
    list_select_related = ["customer", "examiner"]
    search_fields = ["customer__last_name", "customer__first_name"]
    raw_id_fields = ["customer"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Refraction)
class RefractionAdmin(RecordAdmin):
    list_display = ["date", "customer", "kind", "examiner", "superseded_at"]
    list_filter = ["kind", "date"]


@admin.register(ContactLensFitting)
class ContactLensFittingAdmin(RecordAdmin):
    list_display = ["date", "customer", "examiner", "superseded_at"]
    list_filter = ["date"]


@admin.register(HealthDataAccess)
class HealthDataAccessAdmin(admin.ModelAdmin):
    """The log of who saw which customer's health data: read only."""

    list_display = ["at", "customer_number", "user", "where"]
    list_filter = ["where", "user"]
    search_fields = ["customer_number"]
    date_hierarchy = "at"
    list_select_related = ["user"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
