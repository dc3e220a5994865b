from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.http import HttpResponseRedirect
from django.utils.translation import gettext_lazy as _

from appointments import services
from appointments.models import (
    Appointment,
    AppointmentType,
    ClosedDay,
    OpeningHours,
    StaffCalendar,
)
from opticrm.lib.admin import ReadableHistoryAdmin, VersionedAdminForm


@admin.register(AppointmentType)
class AppointmentTypeAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "duration_minutes",
        "colour",
        "sends_reminder",
        "is_eye_exam",
        "active",
        "position",
    ]
    list_editable = ["position", "active"]
    list_filter = ["active", "sends_reminder", "is_eye_exam"]
    search_fields = ["name"]


OUTDATED = _(
    "This appointment was changed by someone else in the meantime. Nothing was saved: "
    "please reload the page, which then shows the saved values, and make your change again."
)


class AppointmentAdminForm(VersionedAdminForm):
    """The admin's form, refusing what the booking service refuses (double
    bookings, deleted customers, a save based on an older version than the
    stored one) as form errors instead of failing on save."""

    check_version = staticmethod(services.appointment_check_version)
    conflict = services.AppointmentConflict
    outdated = OUTDATED

    class Meta:
        model = Appointment
        fields = "__all__"

    def _post_clean(self):
        super()._post_clean()
        if self.errors:
            return
        try:
            services.appointment_validate(
                self.instance,
                allow_outside_hours=True,
                check_customer="customer" in self.changed_data,
            )
        except ValidationError as error:
            self._update_errors(error)


@admin.register(Appointment)
class AppointmentAdmin(ReadableHistoryAdmin):
    form = AppointmentAdminForm
    list_display = ["start", "end", "customer", "staff", "type", "status"]
    list_filter = ["status", "type", "staff"]
    list_select_related = ["customer", "staff", "type"]
    search_fields = ["customer__search_text", "notes"]
    autocomplete_fields = ["customer"]
    raw_id_fields = ["staff"]
    date_hierarchy = "start"
    readonly_fields = ["created_at", "created_by", "updated_at", "updated_by", "version"]

    def save_model(self, request, obj, form, change):
        # The admin's own validation already ran; the service adds the
        # double-booking check. Staff in the admin may book outside hours.
        data = {name: form.cleaned_data[name] for name in services.EDITABLE_FIELDS}
        if change:
            saved = services.appointment_update(
                appointment_id=obj.pk,
                data=data,
                user=request.user,
                expected_version=form.cleaned_data["loaded_version"],
                allow_outside_hours=True,
            )
        else:
            saved = services.appointment_book(
                data=data, user=request.user, allow_outside_hours=True
            )
        obj.pk = saved.pk
        obj.version = saved.version

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except services.AppointmentConflict:
            # Saved by someone else between the form's check and the save:
            # the admin's transaction is rolled back, nothing is saved.
            self.message_user(request, OUTDATED, messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())


@admin.register(OpeningHours)
class OpeningHoursAdmin(admin.ModelAdmin):
    list_display = ["weekday", "opens", "closes"]
    list_filter = ["weekday"]


@admin.register(ClosedDay)
class ClosedDayAdmin(admin.ModelAdmin):
    list_display = ["reason", "first_day", "last_day"]
    date_hierarchy = "first_day"
    search_fields = ["reason"]


@admin.register(StaffCalendar)
class StaffCalendarAdmin(admin.ModelAdmin):
    list_display = ["__str__", "active", "position"]
    list_editable = ["active", "position"]
    list_select_related = ["staff"]
    raw_id_fields = ["staff"]
    actions = ["renew_feed_token"]

    @admin.action(description=_("Renew the feed URL (the old one stops working)"))
    def renew_feed_token(self, request, queryset):
        for calendar in queryset:
            services.calendar_renew_feed_token(calendar_id=calendar.pk)
        self.message_user(request, _("New feed URLs issued."), messages.SUCCESS)
