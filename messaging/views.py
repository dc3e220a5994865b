"""The consent modals of the customer page: recording a consent and
withdrawing one. Viewing consents needs ``customers.view_customer`` (the
customer page); recording and withdrawing them ``customers.change_customer``:
whoever may change a customer's contact data may note how they may be
contacted (the staff group has it; no new role to hand out)."""

import json
import logging

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import ValidationError
from django.db import DatabaseError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from appointments.models import Appointment
from customers.models import Customer
from messaging import selectors, services
from messaging.forms import ConsentForm, WithdrawForm
from messaging.models import Consent, Message, State
from opticrm.lib import pagination
from opticrm.lib.forms import PageSizeForm
from opticrm.lib.htmx import close_modal, render_page_or_partial

logger = logging.getLogger(__name__)

# Events of a saved consent: the customer page refreshes on customerSaved.
SAVED_EVENTS = ("consentSaved", "customerSaved")
CHANGE_PERMISSION = "customers.change_customer"


def _alive_customer(pk: int) -> Customer:
    return get_object_or_404(Customer.objects.alive(), pk=pk)


def _consent(pk: int) -> Consent:
    """A consent of a customer who is not deleted; 404 otherwise. One that
    is withdrawn already stays so (a second click changes nothing)."""
    return get_object_or_404(
        Consent.objects.select_related("customer").filter(customer__deleted_at__isnull=True),
        pk=pk,
    )


def _prefilled(request: HttpRequest, prefill_url: str) -> ConsentForm:
    """The form again after the channel or purpose changed: the offered
    wording follows, unless the user has written their own."""
    data = request.GET
    initial = {name: data.get(name, "") for name in ("channel", "purpose", "method", "text")}
    if selectors.is_default_text(initial["text"]):
        initial["text"] = selectors.default_text(initial["channel"], initial["purpose"])
    return ConsentForm(initial={k: v for k, v in initial.items() if v}, prefill_url=prefill_url)


@permission_required(CHANGE_PERMISSION, raise_exception=True)
@require_http_methods(["GET", "POST"])
def consent_create(request: HttpRequest, customer_pk: int) -> HttpResponse:
    customer = _alive_customer(customer_pk)
    prefill_url = reverse("messaging:consent_create", args=[customer.pk]) + "?prefill=1"
    if request.method == "POST":
        form = ConsentForm(request.POST, prefill_url=prefill_url)
        if form.is_valid():
            try:
                services.consent_give(
                    customer_id=customer.pk,
                    channel=form.cleaned_data["channel"],
                    purpose=form.cleaned_data["purpose"],
                    method=form.cleaned_data["method"],
                    text=form.cleaned_data["text"],
                    user=request.user,
                )
            except ValidationError as error:
                form.add_service_error(error)
            except Customer.DoesNotExist:
                raise Http404 from None
            except DatabaseError:
                logger.exception("Saving a consent of customer %s failed", customer.pk)
                form.add_error(None, _("Error while saving. Your input is kept; please try again."))
            else:
                messages.success(request, _("Consent recorded."))
                if request.htmx:
                    return close_modal(request, *SAVED_EVENTS)
                return redirect("customers:detail", pk=customer.pk)
    elif request.GET.get("prefill"):
        form = _prefilled(request, prefill_url)
    else:
        form = ConsentForm(prefill_url=prefill_url)
    return render_page_or_partial(
        request, "messaging/consent_form.html", "modal", {"form": form, "customer": customer}
    )


@permission_required(CHANGE_PERMISSION, raise_exception=True)
@require_http_methods(["GET", "POST"])
def consent_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    consent = _consent(pk)
    if request.method == "POST":
        form = WithdrawForm(request.POST)
        if form.is_valid():
            try:
                services.consent_withdraw(
                    consent_id=consent.pk,
                    user=request.user,
                    method=form.cleaned_data["withdrawal_method"],
                )
            except ValidationError as error:
                form.add_service_error(error)
            except DatabaseError:
                logger.exception("Withdrawing consent %s failed", consent.pk)
                form.add_error(None, _("Error while saving. Your input is kept; please try again."))
            else:
                messages.success(request, _("Consent withdrawn; the record is kept as proof."))
                if request.htmx:
                    return close_modal(request, *SAVED_EVENTS)
                return redirect("customers:detail", pk=consent.customer_id)
    else:
        form = WithdrawForm()
    return render_page_or_partial(
        request,
        "messaging/consent_withdraw.html",
        "modal",
        {"form": form, "consent": consent, "customer": consent.customer},
    )


# --- Messages: the failed list, sending again, cancelling, "abholbereit" -------

VIEW_MESSAGES = "messaging.view_message"
SEND_MESSAGES = "messaging.send_message"
# A message changed: the failed list and the customer page refresh.
MESSAGE_EVENTS = ("messagesChanged", "customerSaved")


def _message(pk: int) -> Message:
    return get_object_or_404(Message.objects.select_related("customer"), pk=pk)


def _when(moment) -> str:
    return formats.date_format(timezone.localtime(moment), "SHORT_DATETIME_FORMAT")


def _message_changed(request: HttpRequest, fallback: str, *, close: bool = False) -> HttpResponse:
    """Answer a one-click POST: htmx gets the messages out of band and the
    events the lists refresh on (``close``: and the modal it came from
    closes, as its status buttons do); a plain POST goes back where it came
    from."""
    if request.htmx:
        if close:
            return close_modal(request, *MESSAGE_EVENTS)
        response = render(request, "_messages.html", {"oob": True})
        response["HX-Trigger"] = json.dumps(dict.fromkeys(MESSAGE_EVENTS, True))
        return response
    next_url = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(next_url)
    return redirect(fallback)


def _on_its_way(request: HttpRequest, message: Message) -> None:
    """Say where a message handed to sending stands: in the queue now, or
    planned for the end of the quiet hours."""
    values = {"name": message.customer.full_name, "channel": message.get_channel_display()}
    if message.state == State.PLANNED:
        local = timezone.localtime(message.send_at)
        values |= {
            "date": formats.date_format(local, "SHORT_DATE_FORMAT"),
            "time": formats.time_format(local, "H:i"),
        }
        messages.success(
            request,
            _("The message to %(name)s (%(channel)s) will be sent on %(date)s at %(time)s.")
            % values,
        )
    else:
        messages.success(
            request, _("The message to %(name)s (%(channel)s) has been queued.") % values
        )


@permission_required(VIEW_MESSAGES, raise_exception=True)
@require_http_methods(["GET"])
def failed_list(request: HttpRequest) -> HttpResponse:
    """ "Fehlgeschlagene Nachrichten", newest failure first: the ids are paged
    along the partial index message_failed, then the page's rows are read."""
    page_size = PageSizeForm(request.GET, sizes=settings.TABLE_PAGE_SIZES).size
    paginator = pagination.TablePaginator(
        selectors.failed_messages().values_list("pk", flat=True), page_size, filtered=True
    )
    page = paginator.get_page(request.GET.get("page"))
    page.object_list = pagination.page_rows(page, selectors.failed_messages())
    context = {"page": page, "page_size": page_size, "page_sizes": settings.TABLE_PAGE_SIZES}
    return render_page_or_partial(request, "messaging/failed_list.html", "table", context)


@permission_required(SEND_MESSAGES, raise_exception=True)
@require_POST
def message_retry(request: HttpRequest, pk: int) -> HttpResponse:
    message = _message(pk)
    try:
        message = services.message_retry(message_id=message.pk, user=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    except DatabaseError:
        logger.exception("Sending message %s again failed", message.pk)
        messages.error(request, _("Error while saving; please try again."))
    else:
        _on_its_way(request, message)
    return _message_changed(request, reverse("messaging:failed"))


@permission_required(SEND_MESSAGES, raise_exception=True)
@require_POST
def message_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    message = _message(pk)
    try:
        services.message_cancel(message_id=message.pk, user=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    except DatabaseError:
        logger.exception("Cancelling message %s failed", message.pk)
        messages.error(request, _("Error while saving; please try again."))
    else:
        messages.success(
            request,
            _("The message to %(name)s has been cancelled.") % {"name": message.customer.full_name},
        )
    return _message_changed(request, reverse("customers:detail", args=[message.customer_id]))


@permission_required(SEND_MESSAGES, raise_exception=True)
@require_POST
def appointment_ready(request: HttpRequest, pk: int) -> HttpResponse:
    """ "Abholbereit melden": one click on a pick-up appointment. A second
    click sends nothing (the service returns the message of the first)."""
    appointment = get_object_or_404(Appointment.objects.select_related("customer"), pk=pk)
    asked_at = timezone.now()
    try:
        message = services.ready_notify(appointment_id=appointment.pk, user=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    except DatabaseError:
        logger.exception("Notifying appointment %s as ready failed", appointment.pk)
        messages.error(request, _("Error while saving; please try again."))
    else:
        # ready_notify returns the row as created ("planned") even when it
        # queued it at once; read the state it has now.
        message.refresh_from_db(fields=["state", "send_at"])
        if message.created_at < asked_at:
            messages.info(
                request,
                _("%(name)s was already notified on %(date)s (%(state)s).")
                % {
                    "name": appointment.customer.full_name,
                    "date": _when(message.created_at),
                    "state": message.get_state_display(),
                },
            )
        else:
            message.customer = appointment.customer
            _on_its_way(request, message)
    return _message_changed(request, reverse("appointments:list"), close=True)
