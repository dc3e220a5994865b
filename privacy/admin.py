from django.contrib import admin

from opticrm.lib.admin import ReadOnlyAdmin
from privacy.models import AccessReport, DataExport


@admin.register(AccessReport)
class AccessReportAdmin(ReadOnlyAdmin):
    """The log of access reports, for the owner."""

    list_display = ["created_at", "customer_number", "file_format", "created_by"]
    list_filter = ["file_format"]
    search_fields = ["customer_number"]
    list_select_related = ["created_by"]


@admin.register(DataExport)
class DataExportAdmin(ReadOnlyAdmin):
    """The log of exports of all data (who, when, how large), for the
    owner; the files are downloaded on the export page, by who asked."""

    list_display = ["created_at", "created_by", "state", "finished_at", "expires_at", "size"]
    list_filter = ["state"]
    search_fields = ["created_by__username", "filename"]
    list_select_related = ["created_by"]
    exclude = ["storage_name"]
