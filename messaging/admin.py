import datetime

import django_tasks_db.admin  # noqa: F401 (registered first, to be taken off below)
from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django_tasks_db.models import DBTaskResult

from appointments.models import Appointment, AppointmentType
from customers.models import Customer
from messaging.models import Channel, Consent, Message, MessageSettings, MessageTemplate
from messaging.rendering import (
    APPOINTMENT_KINDS,
    PLACEHOLDERS,
    SAMPLE_VALUES,
    known_in,
    render,
    template_errors,
    values_for,
)
from messaging.sms import UCS2
from messaging.unsubscribe import unsubscribe_url
from opticrm.lib.admin import ReadableHistoryAdmin, ReadOnlyAdmin


@admin.register(Consent)
class ConsentAdmin(ReadOnlyAdmin, ReadableHistoryAdmin):
    """For looking up and auditing: consents are recorded and withdrawn on
    the customer page (messaging.services), where the proof is kept; they
    are removed only with the customer (right to erasure)."""

    list_display = ["customer", "channel", "purpose", "given_at", "method", "withdrawn_at"]
    list_filter = ["channel", "purpose", "method", ("withdrawn_at", admin.EmptyFieldListFilter)]
    list_select_related = ["customer", "recorded_by", "withdrawn_by"]
    search_fields = ["customer__last_name", "customer__first_name", "customer__email"]
    raw_id_fields = ["customer"]
    date_hierarchy = "given_at"
    readonly_fields = [
        "customer",
        "channel",
        "purpose",
        "given_at",
        "method",
        "recorded_by",
        "text",
        "withdrawn_at",
        "withdrawn_by",
        "withdrawal_method",
        "created_at",
        "updated_at",
    ]


# The task queue's own admin page speaks English and shows raw arguments
# (e-mail addresses): operators read the worker's log; staff will see
# failed messages in German on their own list.
admin.site.unregister(DBTaskResult)


# --- Message templates, settings and the message log ----------------------------

# How many customers the preview offers to choose from (the most recently
# changed ones; the default one is added if it is older).
PREVIEW_CUSTOMERS = 50
# The appointment of the preview when the customer has none (not saved).
SAMPLE_APPOINTMENT_TYPE = "Sehtest"
SAMPLE_APPOINTMENT_TIME = datetime.time(10, 0)


def _one_line_endings(text: str) -> str:
    """Browsers send a textarea's line breaks as CR LF; the seeded templates
    and what the SMS count expects have LF only."""
    return (text or "").replace("\r\n", "\n").replace("\r", "\n")


class MessageTemplateAdminForm(forms.ModelForm):
    class Meta:
        model = MessageTemplate
        fields = ["kind", "channel", "subject", "body"]

    def clean_subject(self) -> str:
        return _one_line_endings(self.cleaned_data["subject"])

    def clean_body(self) -> str:
        return _one_line_endings(self.cleaned_data["body"])


def _preview_customers(chosen_id: str, kind: str) -> tuple[list[Customer], Customer | None]:
    """The customers offered for the preview and the one it shows: the one
    chosen, else (for a message about an appointment) the most recently
    changed customer with an appointment, else the most recently changed."""
    alive = Customer.objects.alive().order_by("-updated_at", "-id")
    customers = list(alive[:PREVIEW_CUSTOMERS])
    chosen = None
    if chosen_id.isascii() and chosen_id.isdigit():
        chosen = next((c for c in customers if str(c.pk) == chosen_id), None)
        chosen = chosen or alive.filter(pk=chosen_id).first()
    if chosen is None and kind in APPOINTMENT_KINDS:
        booked = Appointment.objects.filter(customer=OuterRef("pk"))
        chosen = alive.filter(Exists(booked)).first()
    if chosen is None and customers:
        chosen = customers[0]
    if chosen is not None and chosen not in customers:
        customers.insert(0, chosen)
    return customers, chosen


def _preview_appointment(customer: Customer | None) -> tuple[Appointment, bool]:
    """(appointment, is_sample): the customer's next appointment, else their
    latest, else one tomorrow at 10:00 made up for the preview."""
    if customer is not None and customer.pk:
        appointments = Appointment.objects.filter(customer=customer).select_related("type")
        found = (
            appointments.filter(start__gte=timezone.now()).order_by("start", "id").first()
            or appointments.order_by("-start", "-id").first()
        )
        if found is not None:
            return found, False
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    start = timezone.make_aware(datetime.datetime.combine(tomorrow, SAMPLE_APPOINTMENT_TIME))
    sample = Appointment(
        start=start,
        end=start + datetime.timedelta(minutes=30),
        type=AppointmentType(name=SAMPLE_APPOINTMENT_TYPE),
    )
    return sample, True


def _sms_summary(encoding: str, characters: int, count: int) -> dict:
    return {
        "encoding": encoding,
        "characters": characters,
        "parts": count,
        "summary": ngettext(
            "%(characters)s character · %(parts)s SMS",
            "%(characters)s characters · %(parts)s SMS",
            characters,
        )
        % {"characters": characters, "parts": count},
        "special": encoding == UCS2,
    }


def template_preview(form: forms.ModelForm, chosen_customer: str = "") -> dict:
    """What the preview below a template's form shows: the text as typed
    (bound) or as stored, filled for a real customer, or what is wrong with it."""

    def typed(name: str) -> str:
        if name in form.fields:
            return form[name].value() or ""
        return getattr(form.instance, name) or ""

    template = MessageTemplate(
        kind=typed("kind"),
        channel=typed("channel"),
        subject=_one_line_endings(typed("subject")),
        body=_one_line_endings(typed("body")),
    )
    customers, customer = _preview_customers(chosen_customer, template.kind)
    preview = {
        "customers": customers,
        "customer": customer,
        "channel": template.channel,
        "errors": [],
        "sample_appointment": False,
        # The fields' own names, so the preview adds no words of its own.
        "customer_label": Message._meta.get_field("customer").verbose_name,
        "subject_label": MessageTemplate._meta.get_field("subject").verbose_name,
        "text_label": MessageTemplate._meta.get_field("body").verbose_name,
    }
    problems = template_errors(
        kind=template.kind,
        channel=template.channel,
        subject=template.subject,
        body=template.body,
    )
    if problems:
        preview["errors"] = [error for errors in problems.values() for error in errors]
        return preview
    if customer is None:
        customer = Customer(first_name="Erika", last_name="Mustermann")
    appointment = None
    if template.kind in APPOINTMENT_KINDS:
        appointment, preview["sample_appointment"] = _preview_appointment(customer)
    values = values_for(
        customer,
        appointment=appointment,
        unsubscribe_url=unsubscribe_url(customer.pk or 0, template.channel),
        about=SAMPLE_VALUES,
    )
    rendered = render(template, values)
    preview["subject"] = rendered.subject if template.channel != Channel.SMS else ""
    preview["text"] = rendered.text
    if template.channel == Channel.SMS and rendered.text:
        preview["sms"] = _sms_summary(*rendered.sms_parts)
    return preview


@admin.register(MessageTemplate)
class MessageTemplateAdmin(ReadableHistoryAdmin):
    """The wording of the messages, edited by the owner, with the placeholders
    and a live preview for a real customer below the form. Deleting one
    brings back the wording the shop started with (selectors.template_for)."""

    form = MessageTemplateAdminForm
    list_display = ["kind", "channel", "subject", "updated_at"]
    list_filter = ["kind", "channel"]
    search_fields = ["subject", "body"]
    fields = ["kind", "channel", "subject", "body"]

    class Media:
        # The htmx django-htmx ships ({% htmx_script %} on the shop's pages).
        js = ["django_htmx/htmx-2.min.js"]

    def get_readonly_fields(self, request, obj=None):
        # A template is the wording of one kind on one channel: another pair
        # is another template (added, with the unique constraint's check).
        return ["kind", "channel"] if obj is not None else []

    def get_urls(self):
        preview = path(
            "preview/",
            self.admin_site.admin_view(self.preview_view),
            name="messaging_messagetemplate_preview",
        )
        return [preview, *super().get_urls()]

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if self.has_change_permission(request, obj):
            kind = obj.kind if obj is not None else ""
            context["template_preview"] = template_preview(
                context["adminform"].form, request.POST.get("preview_customer", "")
            )
            context["placeholders"] = [
                (name, description)
                for name, description in PLACEHOLDERS.items()
                if known_in(name, kind)
            ]
        return super().render_change_form(request, context, add, change, form_url, obj)

    def preview_view(self, request: HttpRequest) -> HttpResponse:
        """The preview for the form's fields as typed (htmx, nothing saved)."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not self.has_change_permission(request):
            raise PermissionDenied
        obj = None
        if template_id := request.POST.get("preview_template"):
            obj = self.get_object(request, template_id)
        form_class = self.get_form(request, obj, change=obj is not None)
        form = form_class(request.POST, instance=obj)
        context = {
            "template_preview": template_preview(form, request.POST.get("preview_customer", "")),
            "opts": self.opts,
        }
        return TemplateResponse(request, "admin/messaging/messagetemplate/_preview.html", context)


@admin.register(MessageSettings)
class MessageSettingsAdmin(admin.ModelAdmin):
    """One row (pk 1): the list goes straight to it; nothing to add or delete."""

    fieldsets = [
        (_("Reminders"), {"fields": ["reminder_hours", "reminder_channel", "short_notice"]}),
        (_("Confirmations"), {"fields": ["confirm_booking", "confirm_move", "confirm_cancel"]}),
        (_("Quiet hours"), {"fields": ["quiet_from", "quiet_until"]}),
        (_("Recall"), {"fields": ["recall_pause_weeks"]}),
    ]

    def has_add_permission(self, request) -> bool:
        # The list makes the row when it is missing.
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def changelist_view(self, request, extra_context=None):
        if not self.has_view_or_change_permission(request):
            raise PermissionDenied
        settings_row, _created = MessageSettings.objects.get_or_create(pk=1)
        return redirect("admin:messaging_messagesettings_change", settings_row.pk)


@admin.register(Message)
class MessageAdmin(ReadOnlyAdmin):
    """The message log for auditing: messages are planned and sent by
    messaging.services and the worker, never written here."""

    list_display = ["customer", "kind", "channel", "state", "send_at", "sent_at", "attempts"]
    list_filter = ["state", "kind", "channel"]
    list_select_related = ["customer"]
    search_fields = ["customer__last_name", "recipient"]
    raw_id_fields = ["customer", "appointment"]
    # What it is about (an invoice) and who noted that the customer asked for it.
    readonly_fields = ["reference", "requested_at", "requested_by"]
    date_hierarchy = "send_at"
