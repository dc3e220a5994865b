from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from documents.models import CustomerDocument
from documents.selectors import without_health_data


@admin.register(CustomerDocument)
class CustomerDocumentAdmin(admin.ModelAdmin):
    """Read only: files come in through the customer page (one service
    checks them); the file opens through the checked view, never a
    storage URL."""

    list_display = (
        "id",
        "customer",
        "kind",
        "document_date",
        "original_name",
        "content_type",
        "size",
        "uploaded_at",
        "deleted_at",
    )
    list_filter = ("kind", "content_type", ("deleted_at", admin.EmptyFieldListFilter))
    search_fields = ("original_name", "note", "customer__last_name", "customer__first_name")
    list_select_related = ("customer",)
    raw_id_fields = ("customer", "refraction", "uploaded_by")
    date_hierarchy = "document_date"
    fields = (
        "customer",
        "kind",
        "document_date",
        "note",
        "file_link",
        "original_name",
        "content_type",
        "size",
        "refraction",
        "uploaded_by",
        "created_at",
        "deleted_at",
    )
    readonly_fields = fields

    def get_queryset(self, request):
        # Health data only for who may see it, as on the customer page.
        return without_health_data(super().get_queryset(request), request.user)

    @admin.display(description=_("uploaded at"), ordering="created_at")
    def uploaded_at(self, obj):
        return obj.created_at

    @admin.display(description=_("file"))
    def file_link(self, obj):
        if not obj.pk or obj.deleted_at:
            return "—"
        return format_html(
            '<a href="{}" target="_blank" rel="noopener">{}</a>',
            reverse("documents:view", args=[obj.pk]),
            obj.original_name,
        )

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
