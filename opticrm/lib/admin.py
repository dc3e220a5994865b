"""Admin pieces every app's admin uses."""

from django.contrib import admin

from opticrm.lib.history import record_history


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
