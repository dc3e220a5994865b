"""The refraction and contact lens modals. Records are only ever added: a
correction opens the old values and saves them as a new version."""

import logging
from collections.abc import Callable
from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DatabaseError
from django.forms.models import model_to_dict
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext
from django.views.decorators.http import require_http_methods

from customers.filters import customer_export_rows
from customers.models import Customer
from opticrm.lib import health_data
from opticrm.lib.export import export_response
from opticrm.lib.htmx import close_modal, render_page_or_partial
from prescriptions import export, selectors, services
from prescriptions.forms import (
    EyeTableForm,
    FittingForm,
    RefractionForm,
    spherical_equivalents,
    transposed_data,
)
from prescriptions.models import ContactLensFitting, HealthDataAccess, Record, Refraction

logger = logging.getLogger(__name__)

REFRACTION_SAVED = "refractionSaved"
FITTING_SAVED = "fittingSaved"


@dataclass(frozen=True)
class RecordModal:
    """What differs between the refraction and the fitting modal."""

    form_class: type[EyeTableForm]
    event: str
    record: Callable
    correct: Callable
    created: str
    corrected: str
    new_title: str
    correct_title: str
    copy_label: str
    create_url: str
    correct_url: str


REFRACTION = RecordModal(
    form_class=RefractionForm,
    event=REFRACTION_SAVED,
    record=services.refraction_record,
    correct=lambda *, record_id, **kw: services.refraction_correct(refraction_id=record_id, **kw),
    created=gettext_lazy("Refraction saved."),
    corrected=gettext_lazy("Refraction corrected; the previous version is kept as superseded."),
    new_title=gettext_lazy("New refraction"),
    correct_title=gettext_lazy("Correct refraction"),
    copy_label=gettext_lazy("Take values from last refraction"),
    create_url="prescriptions:refraction_create",
    correct_url="prescriptions:refraction_correct",
)
FITTING = RecordModal(
    form_class=FittingForm,
    event=FITTING_SAVED,
    record=services.fitting_record,
    correct=lambda *, record_id, **kw: services.fitting_correct(fitting_id=record_id, **kw),
    created=gettext_lazy("Contact lens fitting saved."),
    corrected=gettext_lazy(
        "Contact lens fitting corrected; the previous version is kept as superseded."
    ),
    new_title=gettext_lazy("New contact lens fitting"),
    correct_title=gettext_lazy("Correct contact lens fitting"),
    copy_label=gettext_lazy("Take values from last fitting"),
    create_url="prescriptions:fitting_create",
    correct_url="prescriptions:fitting_correct",
)


def _alive_customer(pk: int) -> Customer:
    return get_object_or_404(Customer.objects.alive(), pk=pk)


def _current_record(model, pk: int) -> Record:
    """A record of a customer who is not deleted; 404 otherwise."""
    return get_object_or_404(
        model.objects.select_related("customer").filter(customer__deleted_at__isnull=True), pk=pk
    )


def _may_copy_refraction(request: HttpRequest, screen: RecordModal) -> bool:
    """A fitting may start from the refraction, for users who may see it."""
    return screen is FITTING and health_data.may_see_refractions(request.user)


def _save(request: HttpRequest, screen: RecordModal, form, customer, original):
    data = form.service_data()
    confirm = form.cleaned_data.get("confirm_unusual", False)
    if original is None:
        return screen.record(
            customer_id=customer.pk, data=data, user=request.user, confirm_unusual=confirm
        )
    return screen.correct(
        record_id=original.pk, data=data, user=request.user, confirm_unusual=confirm
    )


def _form_view(
    request: HttpRequest, screen: RecordModal, customer: Customer, original: Record | None = None
) -> HttpResponse:
    form_kwargs = {"customer": customer, "user": request.user}
    if request.method == "POST" and request.POST.get("action") == "transpose":
        # The transposition only rewrites the input; nothing is validated yet.
        form = screen.form_class(initial=transposed_data(request.POST), **form_kwargs)
    elif request.method == "POST":
        form = screen.form_class(request.POST, **form_kwargs)
        if form.is_valid():
            try:
                _save(request, screen, form, customer, original)
            except services.UnusualValues as warning:
                form.warnings = warning.warnings
            except ValidationError as error:
                form.add_service_error(error)
            except (Customer.DoesNotExist, screen.form_class._meta.model.DoesNotExist):
                raise Http404 from None
            except DatabaseError:
                logger.exception("Saving a %s failed", screen.form_class._meta.model.__name__)
                form.add_error(None, _("Error while saving. Your input is kept; please try again."))
            else:
                messages.success(request, screen.corrected if original else screen.created)
                if request.htmx:
                    return close_modal(request, screen.event)
                return redirect("customers:detail", pk=customer.pk)
    elif original is not None:
        initial = model_to_dict(original, fields=screen.form_class._meta.fields)
        form = screen.form_class(initial=initial, **form_kwargs)
    elif request.GET.get("copy") == "last":
        # What the user already chose on top of the form stays.
        typed = {k: request.GET[k] for k in screen.form_class.head if k in request.GET}
        source = selectors.latest_record(screen.form_class._meta.model, customer)
        form = screen.form_class(source=source, initial=typed, **form_kwargs)
    elif request.GET.get("copy") == "refraction" and _may_copy_refraction(request, screen):
        typed = {k: request.GET[k] for k in screen.form_class.head if k in request.GET}
        values = selectors.fitting_values_from_refraction(customer)
        form = screen.form_class(initial={**values, **typed}, **form_kwargs)
    else:
        form = screen.form_class(**form_kwargs)
    context = {
        "screen": screen,
        "form": form,
        "customer": customer,
        "original": original,
        "can_copy": original is None
        and screen.form_class._meta.model.objects.filter(customer=customer).exists(),
        "can_copy_refraction": original is None
        and _may_copy_refraction(request, screen)
        and Refraction.objects.filter(customer=customer).exists(),
    }
    return render_page_or_partial(request, "prescriptions/record_form.html", "modal", context)


@permission_required("prescriptions.add_refraction", raise_exception=True)
@require_http_methods(["GET", "POST"])
def refraction_create(request: HttpRequest, customer_pk: int) -> HttpResponse:
    return _form_view(request, REFRACTION, _alive_customer(customer_pk))


@permission_required("prescriptions.change_refraction", raise_exception=True)
@require_http_methods(["GET", "POST"])
def refraction_correct(request: HttpRequest, pk: int) -> HttpResponse:
    original = _current_record(Refraction, pk)
    _opened(request, original)
    return _form_view(request, REFRACTION, original.customer, original)


def _opened(request: HttpRequest, record: Record) -> None:
    """The correction form shows the record's values: logged."""
    services.health_data_opened(
        user=request.user, customer_id=record.customer_id, where=HealthDataAccess.Where.FORM
    )


@permission_required("prescriptions.add_contactlensfitting", raise_exception=True)
@require_http_methods(["GET", "POST"])
def fitting_create(request: HttpRequest, customer_pk: int) -> HttpResponse:
    return _form_view(request, FITTING, _alive_customer(customer_pk))


@permission_required("prescriptions.change_contactlensfitting", raise_exception=True)
@require_http_methods(["GET", "POST"])
def fitting_correct(request: HttpRequest, pk: int) -> HttpResponse:
    original = _current_record(ContactLensFitting, pk)
    _opened(request, original)
    return _form_view(request, FITTING, original.customer, original)


@permission_required("prescriptions.add_refraction", raise_exception=True)
@require_http_methods(["POST"])
def refraction_equivalents(request: HttpRequest) -> HttpResponse:
    """The spherical equivalent of each eye, recomputed while values are typed."""
    return render(
        request,
        "prescriptions/_equivalents.html",
        {"equivalents": spherical_equivalents(request.POST)},
    )


@require_http_methods(["GET"])
def refraction_export(request: HttpRequest, file_format: str) -> HttpResponse:
    """The current refractions of the customer list's customers (with its
    filters) as CSV or Excel, in the columns the refraction import reads.
    Health data of many: the refraction right and the export right both,
    and each export is logged."""
    if not (
        health_data.may_see_refractions(request.user)
        and request.user.has_perm("customers.export_customer")
    ):
        raise PermissionDenied
    customer_filter, customers = customer_export_rows(request.GET, request=request)
    response = export_response(
        request,
        file_format,
        name=pgettext("file name", "refractions"),
        title=_("Refractions"),
        columns=export.columns(),
        queryset=selectors.refractions_of(customers),
        list_url=reverse("customers:list"),
        filters_valid=customer_filter.is_valid(),
    )
    if response.status_code == 200:
        services.refractions_exported(user=request.user)
    return response
