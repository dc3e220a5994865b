from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from imports.models import ImportJob, ImportMapping
from opticrm.lib.admin import ReadOnlyAdmin


@admin.register(ImportJob)
class ImportJobAdmin(ReadOnlyAdmin):
    """The imports that ran, for the owner; they are made and discarded on
    the import page (imports.services: a running one cannot be discarded)."""

    list_display = ["filename", "created_at", "created_by", "state", "row_count", "page"]
    list_filter = ["state", "kind"]
    list_select_related = ["created_by"]
    exclude = ["data", "samples"]

    def get_queryset(self, request):
        return super().get_queryset(request).defer("data", "samples")

    @admin.display(description=_("Import page"))
    def page(self, job: ImportJob) -> str:
        return format_html('<a href="{}">{}</a>', reverse("imports:job", args=[job.pk]), _("open"))


@admin.register(ImportMapping)
class ImportMappingAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "updated_at"]
    list_filter = ["kind"]
    search_fields = ["name"]
