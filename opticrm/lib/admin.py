"""Admin pieces every app's admin uses."""

from django import forms
from django.contrib import admin

from opticrm.lib.history import record_history


class ReadOnlyAdmin(admin.ModelAdmin):
    """A log the app writes and people only read (messages sent, access
    reports, accesses to health data, erasures): no add, change or delete
    in the admin, whatever the user's rights."""

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class ReadableHistoryAdmin(admin.ModelAdmin):
    """The admin's "Verlauf" of a record told as the app's pages tell it
    (who, when, which field from what to what), from the changes the
    database triggers record on every path, not only admin saves.

    This replaces django-pghistory's events admin, which showed raw JSON
    and internal column names."""

    object_history_template = "admin/record_history.html"

    def history_view(self, request, object_id, extra_context=None):
        # Django's view checks the permission and a missing object first and
        # answers those itself; the record is read again only to tell its story.
        response = super().history_view(request, object_id, extra_context)
        if (
            getattr(response, "context_data", None) is not None
            and "object" in response.context_data
        ):
            response.context_data["changes"] = record_history(response.context_data["object"])
        return response


class VersionedAdminForm(forms.ModelForm):
    """An admin form that carries the version it was loaded with: a save
    based on an older one is refused by the model's version rule (its
    service's ``check_version``), as on the app's pages and in the API.

    Subclasses set ``check_version`` (a service function raising
    ``conflict``) and ``outdated`` (the message)."""

    check_version = None
    conflict: type[Exception] = Exception
    outdated = ""

    loaded_version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk and not self.is_bound:
            self.initial["loaded_version"] = self.instance.version

    def clean(self):
        cleaned = super().clean()
        if self.instance.pk:
            version = cleaned.get("loaded_version")
            try:
                # A form without it (None) can match no version.
                type(self).check_version(self.instance, -1 if version is None else version)
            except self.conflict:
                raise forms.ValidationError(self.outdated, code="conflict") from None
        return cleaned
