import datetime

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import ValidationError
from django.db import DatabaseError
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.http.request import split_domain_port
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.text import capfirst, slugify
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.decorators.http import require_http_methods, require_POST

from appointments import ics, ics_events, selectors, services
from appointments.filters import appointment_export_rows, appointment_table_page
from appointments.forms import AppointmentForm, FreeSlotsForm, StatusForm
from appointments.models import (
    NEXT_STATUSES,
    QUICK_STATUSES,
    Appointment,
    status_actions,
)
from opticrm.lib.conflicts import conflict_form
from opticrm.lib.dates import is_plausible, parse_iso_day
from opticrm.lib.display import display_value
from opticrm.lib.export import Column, export_response, export_urls
from opticrm.lib.forms import PageSizeForm
from opticrm.lib.history import record_history
from opticrm.lib.htmx import close_modal, render_page_or_partial

SAVED_EVENT = "appointmentSaved"
PAGE_SIZES = settings.TABLE_PAGE_SIZES


def _get_appointment(pk: int) -> Appointment:
    """The appointment, or 404 if it does not exist."""
    return get_object_or_404(selectors.appointment_list(), pk=pk)


# --- List --------------------------------------------------------------------


def _list_data(request: HttpRequest):
    data = request.GET.copy()
    # Without a start date in the URL the list begins today; an empty one shows all.
    data.setdefault("date_from", timezone.localdate().strftime("%d.%m.%Y"))
    return data


def _table_context(request: HttpRequest) -> dict:
    data = _list_data(request)
    page_size = PageSizeForm(request.GET, sizes=PAGE_SIZES).size
    appointment_filter, page = appointment_table_page(
        data, page=request.GET.get("page"), page_size=page_size
    )
    for appointment in page.object_list:
        appointment.next_statuses = status_actions(NEXT_STATUSES.get(appointment.status, []))
    return {
        "filter": appointment_filter,
        "page": page,
        "page_size": page_size,
        "page_sizes": PAGE_SIZES,
        "current_sort": appointment_filter.current_sort,
        "export": export_urls("appointments:export"),
    }


def _export_columns() -> list[Column]:
    def label(name: str) -> str:
        return capfirst(Appointment._meta.get_field(name).verbose_name)

    return [
        Column(label("start"), lambda a: a.start),
        Column(label("end"), lambda a: a.end),
        # A deleted customer is not named, here as everywhere (shown_name).
        Column(_("Customer number"), lambda a: None if a.customer.is_deleted else a.customer_id),
        Column(_("Customer"), lambda a: a.customer.shown_name),
        Column(label("staff"), lambda a: a.staff.get_full_name() or a.staff.get_username()),
        Column(label("type"), lambda a: a.type.name),
        Column(label("status"), lambda a: a.get_status_display()),
        Column(label("notes"), lambda a: a.notes),
    ]


@permission_required("appointments.view_appointment", raise_exception=True)
@require_http_methods(["GET"])
def appointment_export(request: HttpRequest, file_format: str) -> HttpResponse:
    """The appointment list with its current filters as CSV or Excel file."""
    appointment_filter, appointments = appointment_export_rows(_list_data(request))
    return export_response(
        request,
        file_format,
        name=pgettext("file name", "appointments"),
        title=_("Appointments"),
        columns=_export_columns(),
        queryset=appointments,
        list_url=reverse("appointments:list"),
        filters_valid=appointment_filter.is_valid(),
    )


@permission_required("appointments.view_appointment", raise_exception=True)
@require_http_methods(["GET"])
def appointment_list(request: HttpRequest) -> HttpResponse:
    context = _table_context(request)
    return render_page_or_partial(request, "appointments/appointment_list.html", "table", context)


# --- Create and edit ------------------------------------------------------------


def _parse_start(value: str) -> datetime.datetime | None:
    """An ISO datetime from the URL; "+01:00" may arrive as " 01:00"."""
    for candidate in (value, value.replace(" ", "+")):
        try:
            start = datetime.datetime.fromisoformat(candidate)
        except ValueError:
            continue
        if not is_plausible(start.date()):
            return None
        if timezone.is_naive(start):
            start = timezone.make_aware(start)
        return timezone.localtime(start)
    return None


def _prefill(request: HttpRequest) -> dict:
    """Initial values of a new appointment: ?start=<ISO datetime>&staff=<id>&customer=<id>
    as the calendar and the customer page send them (&type=<id>: an order's
    pick-up); the user books for themself if they take appointments."""
    initial: dict = {"date": timezone.localdate()}
    # The day on the calendar's screen (YYYY-MM-DD), without a time.
    day = parse_iso_day(request.GET.get("date", "").strip())
    if day:
        initial["date"] = day
    start = _parse_start(request.GET.get("start", "").strip())
    if start:
        initial["date"] = start.date()
        initial["start_time"] = start.time().replace(second=0, microsecond=0)
    for name in ("staff", "customer", "type"):
        value = request.GET.get(name, "")
        if value.isascii() and value.isdigit():
            initial[name] = int(value)
    if "staff" not in initial and selectors.bookable_staff().filter(pk=request.user.pk).exists():
        initial["staff"] = request.user.pk
    return initial


def _conflict_form(request: HttpRequest, current: Appointment) -> AppointmentForm:
    return conflict_form(
        request,
        current,
        make_form=lambda data, appointment: AppointmentForm(data, appointment=appointment),
        version=current.version,
        fields=AppointmentForm.loaded_value_fields,
        display=lambda appointment, name: display_value(
            appointment, name, AppointmentForm.values_of(appointment)[name]
        ),
        message=_(
            "This appointment was changed by someone else in the meantime. "
            "Fields you did not change now show the saved values; where a change of yours "
            "collides, the saved value is shown below the field. Please check and save again."
        ),
    )


def _appointment_form_view(request: HttpRequest, appointment: Appointment | None) -> HttpResponse:
    template = "appointments/appointment_form.html"
    if request.method == "POST":
        form = AppointmentForm(request.POST, appointment=appointment)
        if form.is_valid():
            allow_outside_hours = form.cleaned_data["allow_outside_hours"]
            allow_past = form.cleaned_data["confirm_past"]
            try:
                if appointment is None:
                    services.appointment_book(
                        data=form.service_data(),
                        user=request.user,
                        allow_outside_hours=allow_outside_hours,
                        allow_past=allow_past,
                    )
                    messages.success(request, _("Appointment booked."))
                else:
                    services.appointment_update(
                        appointment_id=appointment.pk,
                        data=form.service_data(),
                        user=request.user,
                        expected_version=form.cleaned_data.get("version"),
                        allow_outside_hours=allow_outside_hours,
                        allow_past=allow_past,
                    )
                    messages.success(request, _("Appointment saved."))
            except services.AppointmentConflict as conflict:
                form = _conflict_form(request, conflict.current)
            except ValidationError as error:
                form.add_service_error(error)
            except DatabaseError:
                form.add_error(None, _("Error while saving. Your input is kept; please try again."))
            else:
                if request.htmx:
                    return close_modal(request, SAVED_EVENT)
                return redirect("appointments:list")
    else:
        initial = _prefill(request) if appointment is None else None
        form = AppointmentForm(appointment=appointment, initial=initial)
    context = {
        "form": form,
        "appointment": appointment,
        "quick_statuses": status_actions(QUICK_STATUSES),
    }
    if appointment is not None:
        # The appointment has no page of its own: its history is part of the form.
        context["history"] = record_history(appointment)
    return render_page_or_partial(request, template, "modal", context)


@permission_required("appointments.add_appointment", raise_exception=True)
@require_http_methods(["GET", "POST"])
def appointment_create(request: HttpRequest) -> HttpResponse:
    return _appointment_form_view(request, None)


@permission_required("appointments.change_appointment", raise_exception=True)
@require_http_methods(["GET", "POST"])
def appointment_update(request: HttpRequest, pk: int) -> HttpResponse:
    return _appointment_form_view(request, _get_appointment(pk))


# --- Free slots ---------------------------------------------------------------------


@permission_required("appointments.view_appointment", raise_exception=True)
@require_http_methods(["GET"])
def free_slots(request: HttpRequest) -> HttpResponse:
    """The modal's "next free slots" for the chosen type and staff member (or
    anyone), from the chosen day or now; refreshed by htmx as they change.
    Only ever a fragment, like the customer picker's results."""
    form = FreeSlotsForm(request.GET)
    appointment_type = form.value("type")
    chosen = form.value("staff")
    slots = None
    if appointment_type is not None:
        day = form.value("date")
        slots = selectors.free_slots(
            appointment_type=appointment_type,
            staff=[chosen] if chosen else list(selectors.bookable_staff()),
            after=selectors.start_of_day(day) if day else None,
            exclude_id=form.value("appointment"),
        )
    today = timezone.localdate()
    context = {
        "slots": slots,
        # Whose slot it is, unless one staff member was asked for.
        "show_staff": chosen is None,
        "today": today,
        "tomorrow": today + datetime.timedelta(days=1),
        "horizon_weeks": selectors.FREE_SLOT_WINDOWS[-1] // 7,
    }
    return render(request, "appointments/appointment_form.html#free_slots", context)


# --- One-click status -------------------------------------------------------------


@permission_required("appointments.change_appointment", raise_exception=True)
@require_POST
def appointment_set_status(request: HttpRequest, pk: int) -> HttpResponse:
    appointment = _get_appointment(pk)
    form = StatusForm(request.POST)
    if not form.is_valid():
        return HttpResponseBadRequest()
    try:
        saved = services.appointment_set_status(
            appointment_id=appointment.pk, status=form.cleaned_data["status"], user=request.user
        )
    except ValidationError as error:
        # E.g. an appointment taken back from "cancelled" whose slot is booked meanwhile.
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request,
            _("Appointment of %(customer)s set to “%(status)s”.")
            % {"customer": saved.customer.shown_name, "status": saved.get_status_display()},
        )
    if request.htmx:
        return close_modal(request, SAVED_EVENT)
    next_url = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(next_url)
    return redirect("appointments:list")


# --- iCalendar --------------------------------------------------------------------


@permission_required("appointments.view_appointment", raise_exception=True)
@require_http_methods(["GET"])
def appointment_ics(request: HttpRequest, pk: int) -> HttpResponse:
    appointment = _get_appointment(pk)
    domain = split_domain_port(request.get_host())[0] or "opticrm"
    body = ics.calendar([ics_events.appointment_event(appointment, domain=domain)])
    start = timezone.localtime(appointment.start)
    filename = f"{slugify(appointment.type.name) or 'termin'}-{start:%Y-%m-%d-%H%M}.ics"
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


# --- Customer picker ----------------------------------------------------------------


@permission_required("customers.view_customer", raise_exception=True)
@require_http_methods(["GET"])
def customer_search(request: HttpRequest) -> HttpResponse:
    """The picker's result list: at most ten customers matching name, phone or
    birth date. Only ever a fragment, as the picker needs htmx anyway."""
    query = request.GET.get("customer_query", "").strip()
    found = selectors.customer_choices(query)
    limit = selectors.CUSTOMER_CHOICES_LIMIT
    context = {"query": query, "customers": found[:limit], "more": len(found) > limit}
    return render(request, "appointments/_customer_picker.html#results", context)


@permission_required("customers.view_customer", raise_exception=True)
@require_http_methods(["GET"])
def customer_picker(request: HttpRequest) -> HttpResponse:
    """The picker with a customer chosen (?customer=<id>), or empty again to search."""
    form = AppointmentForm(initial={"customer": request.GET.get("customer", "")})
    return render(
        request, "appointments/_customer_picker.html#picker", {"form": form, "picked": True}
    )
