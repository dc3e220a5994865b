import django_tasks_db.admin  # noqa: F401 (registered first, to be taken off below)
from django.contrib import admin
from django_tasks_db.models import DBTaskResult

from messaging.models import Consent
from opticrm.lib.admin import ReadableHistoryAdmin


@admin.register(Consent)
class ConsentAdmin(ReadableHistoryAdmin):
    """For looking up and auditing: consents are recorded and withdrawn on
    the customer page (messaging.services), where the proof is kept; they
    are removed only with the customer (right to erasure)."""

    list_display = ["customer", "channel", "purpose", "given_at", "method", "withdrawn_at"]
    list_filter = ["channel", "purpose", "method", ("withdrawn_at", admin.EmptyFieldListFilter)]
    list_select_related = ["customer", "recorded_by", "withdrawn_by"]
    search_fields = ["customer__last_name", "customer__first_name", "customer__email"]
    raw_id_fields = ["customer"]
    date_hierarchy = "given_at"
    readonly_fields = [
        "customer",
        "channel",
        "purpose",
        "given_at",
        "method",
        "recorded_by",
        "text",
        "withdrawn_at",
        "withdrawn_by",
        "withdrawal_method",
        "created_at",
        "updated_at",
    ]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        # Viewing only (Django shows the read-only fields with view permission).
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


# The task queue's own admin page speaks English and shows raw arguments
# (e-mail addresses): operators read the worker's log; staff will see
# failed messages in German on their own list.
admin.site.unregister(DBTaskResult)
