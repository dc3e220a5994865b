from django.contrib import admin

from privacy.models import AccessReport


@admin.register(AccessReport)
class AccessReportAdmin(admin.ModelAdmin):
    """The log of access reports: read only, for the owner."""

    list_display = ["created_at", "customer_number", "file_format", "created_by"]
    list_filter = ["file_format"]
    search_fields = ["customer_number"]
    list_select_related = ["created_by"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
