from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from documents.models import CustomerDocument
from documents.selectors import without_health_data
from documents.services import document_restore


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

    actions = ["restore"]

    def has_restore_permission(self, request) -> bool:
        return request.user.has_perm("documents.delete_customerdocument")

    @admin.action(description=_("Restore the selected deleted documents"), permissions=["restore"])
    def restore(self, request, queryset):
        """The owner's way back for a document deleted by mistake, while it
        is kept (documents.services.document_restore decides)."""
        restored = refused = 0
        for pk in queryset.filter(deleted_at__isnull=False).values_list("pk", flat=True):
            try:
                document_restore(document_id=pk, user=request.user)
            except ValidationError:
                refused += 1
            else:
                restored += 1
        if restored:
            self.message_user(
                request,
                ngettext("%(count)d document restored.", "%(count)d documents restored.", restored)
                % {"count": restored},
                messages.SUCCESS,
            )
        if refused:
            self.message_user(
                request,
                ngettext(
                    "%(count)d document can no longer be restored.",
                    "%(count)d documents can no longer be restored.",
                    refused,
                )
                % {"count": refused},
                messages.WARNING,
            )

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
