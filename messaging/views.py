"""The consent modals of the customer page: recording a consent and
withdrawing one. Viewing consents needs ``customers.view_customer`` (the
customer page); recording and withdrawing them ``customers.change_customer``:
whoever may change a customer's contact data may note how they may be
contacted (the staff group has it; no new role to hand out)."""

import logging

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import ValidationError
from django.db import DatabaseError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from customers.models import Customer
from messaging import selectors, services
from messaging.forms import ConsentForm, WithdrawForm
from messaging.models import Consent
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
