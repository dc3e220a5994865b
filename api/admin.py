from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from api import services
from api.models import ApiKey


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    """Owners create keys here; the secret is shown once, in a message."""

    list_display = [
        "name",
        "prefix",
        "read_only",
        "health_data",
        "created_at",
        "last_used_at",
        "revoked_at",
    ]
    list_filter = ["read_only", "health_data", ("revoked_at", admin.EmptyFieldListFilter)]
    search_fields = ["name", "prefix"]
    actions = ["revoke"]

    def get_fields(self, request, obj=None):
        if obj is None:
            if services.may_read_health_data(request.user):
                return ["name", "read_only", "health_data"]
            return ["name", "read_only"]
        return [
            "name",
            "prefix",
            "read_only",
            "health_data",
            "created_by",
            "created_at",
            "last_used_at",
            "revoked_at",
        ]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        # A key's rights are fixed: a new key is the way to change them.
        return [
            "prefix",
            "read_only",
            "health_data",
            "created_by",
            "created_at",
            "last_used_at",
            "revoked_at",
        ]

    def save_model(self, request, obj, form, change):
        if change:
            obj.save(update_fields=["name"])
            return
        key, raw = services.api_key_create(
            name=form.cleaned_data["name"],
            read_only=form.cleaned_data["read_only"],
            health_data=form.cleaned_data.get("health_data", False),
            user=request.user,
        )
        # The admin goes on with obj (log entry, redirect): make it the saved key.
        obj.pk, obj.prefix, obj.created_at = key.pk, key.prefix, key.created_at
        obj._state.adding = False
        messages.warning(
            request,
            _("The new API key is shown only this once; store it now: %(key)s") % {"key": raw},
        )

    def has_delete_permission(self, request, obj=None) -> bool:
        # Revoked keys stay, so that it is known which integration had access.
        return False

    @admin.action(description=_("Revoke selected API keys"), permissions=["change"])
    def revoke(self, request, queryset):
        for key in queryset:
            services.api_key_revoke(key_id=key.pk)
        count = queryset.count()
        self.message_user(
            request,
            ngettext("%(count)d API key revoked.", "%(count)d API keys revoked.", count)
            % {"count": count},
        )
