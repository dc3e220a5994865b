from django.contrib import admin

from opticrm.lib.admin import ReadOnlyAdmin
from privacy.models import AccessReport


@admin.register(AccessReport)
class AccessReportAdmin(ReadOnlyAdmin):
    """The log of access reports, for the owner."""

    list_display = ["created_at", "customer_number", "file_format", "created_by"]
    list_filter = ["file_format"]
    search_fields = ["customer_number"]
    list_select_related = ["created_by"]
