"""The order screens: "Neuer Auftrag" from the customer page, the order
page with its modals (values, frame, lenses, positions, centration), the
status buttons, the documents, and the board of all open orders."""

import logging

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DatabaseError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods
from django_htmx.http import HttpResponseClientRedirect

from customers.models import Customer
from opticrm.lib import health_data
from opticrm.lib.forms import posted_int
from opticrm.lib.history import record_history
from opticrm.lib.htmx import close_modal, render_page_or_partial
from orders import documents, oma, rules, selectors, services
from orders.forms import (
    BoardFilterForm,
    CentrationForm,
    FrameForm,
    HeaderForm,
    LensForm,
    LineForm,
    OrderCreateForm,
    StatusForm,
)
from orders.models import CENTRATION, HEALTH_FIELDS, Kind, Order, OrderLine, Status
from prescriptions.models import HealthDataAccess
from prescriptions.services import health_data_opened
from products import selectors as product_selectors

logger = logging.getLogger(__name__)

SAVED_EVENT = "orderSaved"
CONFLICT = gettext_lazy(
    "Someone else changed this order in the meantime; the page now shows the saved state. "
    "Your input is kept here: please check it and save again."
)
SAVE_FAILED = gettext_lazy("Error while saving. Your input is kept; please try again.")


def _order(pk: int) -> Order:
    order = selectors.order_page(pk)
    if order is None:
        raise Http404
    return order


def _editable(order: Order) -> bool:
    return order.status in rules.EDITABLE


# --- Create --------------------------------------------------------------------------


@permission_required("orders.add_order", raise_exception=True)
@require_http_methods(["GET", "POST"])
def order_create(request: HttpRequest, customer_id: int) -> HttpResponse:
    customer = get_object_or_404(Customer.objects.alive(), pk=customer_id)
    may_see = health_data.may_see_refractions(request.user)
    default = selectors.default_refraction(customer.pk) if may_see else None
    form = OrderCreateForm(
        request.POST or None,
        customer=customer,
        health_data=may_see,
        default_refraction=default,
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            order = services.order_create(
                customer_id=customer.pk,
                kind=data["kind"],
                refraction_id=data.get("refraction"),
                fitting_id=data.get("fitting") if data["kind"] == Kind.CONTACT_LENSES else None,
                user=request.user,
            )
        except ValidationError as error:
            form.add_service_error(error)
        except DatabaseError:
            logger.exception("Creating an order for customer %s failed", customer.pk)
            form.add_error(None, SAVE_FAILED)
        else:
            messages.success(request, _("Order %(number)s created.") % {"number": order.pk})
            url = reverse("orders:detail", args=[order.pk])
            return HttpResponseClientRedirect(url) if request.htmx else redirect(url)
    context = {"form": form, "customer": customer, "default_refraction": default}
    return render_page_or_partial(request, "orders/order_create.html", "modal", context)


# --- The order page ------------------------------------------------------------------


@permission_required("orders.view_order", raise_exception=True)
@require_http_methods(["GET"])
def order_detail(request: HttpRequest, pk: int) -> HttpResponse:
    order = _order(pk)
    may_see = health_data.may_see_refractions(request.user)
    lines = selectors.priced_lines(order.pk)
    money = selectors.order_money(order, lines)
    if may_see and order.prescription:
        health_data_opened(
            user=request.user, customer_id=order.customer_id, where=HealthDataAccess.Where.ORDER
        )
    context = {
        "order": order,
        "lines": lines,
        "totals": money.totals,
        "share": money.share,
        "money": money,
        "problems": services.centration_problems(order, lines) if may_see else [],
        "may_see": may_see,
        "editable": _editable(order),
        "next_statuses": [
            (status, rules.status_label(status, order.kind))
            for status in rules.next_statuses(order.status, order.kind)
        ],
        "status_label": rules.status_label(order.status, order.kind),
        "eyes": selectors.eye_rows(order) if may_see else [],
        "history": record_history(order, limit=50, hide=() if may_see else HEALTH_FIELDS),
        "overdue": selectors.is_overdue(order),
        "needs_reason": rules.NEEDS_REASON,
        "pickup_query": selectors.pickup_booking_query(order)
        if order.status == Status.READY
        else "",
    }
    return render_page_or_partial(request, "orders/order_detail.html", "details", context)


def _modal(
    request: HttpRequest,
    order: Order,
    form,
    template: str,
    save,
    what: str,
    extra: dict | None = None,
) -> HttpResponse:
    """The modal convention of the order page: on a valid POST ``save()``
    (a service call); its refusal shown in the form, a conflict with the
    current version, success closes the modal and refreshes the page."""
    if request.method == "POST" and form.is_valid():
        try:
            save()
        except services.OrderConflict as conflict:
            form.with_version(conflict.current.version)
            form.add_error(None, CONFLICT)
        except ValidationError as error:
            form.add_service_error(error)
        except DatabaseError:
            logger.exception("Saving %s of order %s failed", what, order.pk)
            form.add_error(None, SAVE_FAILED)
        else:
            if request.htmx:
                return close_modal(request, SAVED_EVENT)
            return redirect("orders:detail", pk=order.pk)
    context = {"order": order, "form": form, **(extra or {})}
    response = render_page_or_partial(request, template, "modal", context)
    if form.is_bound and CONFLICT in form.non_field_errors():
        # The page behind the modal shows the saved state, as the message says.
        response["HX-Trigger"] = SAVED_EVENT
    return response


def _version(form) -> int | None:
    return form.cleaned_data.get("version")


@permission_required("orders.change_order", raise_exception=True)
@require_http_methods(["GET", "POST"])
def order_edit(request: HttpRequest, pk: int) -> HttpResponse:
    order = _order(pk)
    form = HeaderForm(request.POST or None, instance=order)

    def save():
        services.order_update(
            order_id=order.pk, data=form.service_data(), version=_version(form), user=request.user
        )
        messages.success(request, _("Order saved."))

    return _modal(request, order, form, "orders/order_edit.html", save, "the header")


def _health_only(request: HttpRequest) -> None:
    if not health_data.may_see_refractions(request.user):
        raise PermissionDenied


@permission_required("orders.change_order", raise_exception=True)
@require_http_methods(["GET", "POST"])
def order_centration(request: HttpRequest, pk: int) -> HttpResponse:
    _health_only(request)
    order = _order(pk)
    form = CentrationForm(request.POST or None, instance=order)

    def save():
        services.order_update(
            order_id=order.pk, data=form.service_data(), version=_version(form), user=request.user
        )
        messages.success(request, _("Centration saved."))

    extra = {"problems": services.centration_problems(order), "sides": _centration_rows(form)}
    return _modal(request, order, form, "orders/order_centration.html", save, "centration", extra)


def _centration_rows(form) -> list[tuple]:
    """(label, right field, left field) per measurement."""
    return [
        (label, form[f"right_{name}"], form[f"left_{name}"])
        for name, (label, _low, _high) in CENTRATION.items()
    ]


@permission_required("orders.change_order", raise_exception=True)
@require_http_methods(["GET", "POST"])
def order_refraction(request: HttpRequest, pk: int) -> HttpResponse:
    """Make the glasses for another of the customer's refractions."""
    _health_only(request)
    order = _order(pk)
    form = OrderCreateForm(
        request.POST or None,
        customer=order.customer,
        health_data=True,
        default_refraction=order.refraction,
        initial={"kind": order.kind},
    )
    form.fields["kind"].required = False

    def save():
        refraction = form.cleaned_data.get("refraction")
        if refraction is None:
            raise ValidationError({"refraction": _("Please choose a refraction.")})
        services.order_refraction_change(
            order_id=order.pk,
            refraction_id=refraction,
            version=_version_of(request),
            user=request.user,
        )
        messages.success(request, _("The order now uses the chosen refraction's values."))

    return _modal(request, order, form, "orders/order_refraction.html", save, "the refraction")


def _version_of(request: HttpRequest) -> int:
    """The posted version; a missing or garbled one never matches (a
    conflict, not a save unchecked)."""
    version = posted_int(request.POST.get("version"))
    return -1 if version is None else version


@permission_required("orders.change_order", raise_exception=True)
@require_http_methods(["GET", "POST"])
def order_frame(request: HttpRequest, pk: int) -> HttpResponse:
    order = _order(pk)
    form = FrameForm(
        request.POST or None,
        initial={"version": order.version, "own_frame": order.own_frame},
    )
    query = request.GET.get("q", "").strip()[:80]
    found = product_selectors.frame_search(query) if query else []
    if request.htmx and request.method == "GET" and "q" in request.GET:
        return render_page_or_partial(
            request,
            "orders/order_frame.html",
            "results",
            {"order": order, "found": found, "query": query},
        )

    def save():
        frame = form.cleaned_data["frame"]
        own = form.cleaned_data["own_frame"].strip()
        if frame is None and not own:
            raise ValidationError(
                {"own_frame": _("Please choose a frame or describe the own one.")}
            )
        services.order_update(
            order_id=order.pk,
            data={"frame": frame, "own_frame": "" if frame else own},
            version=_version(form),
            user=request.user,
        )
        messages.success(request, _("Frame saved."))

    extra = {"found": found, "query": query}
    return _modal(request, order, form, "orders/order_frame.html", save, "the frame", extra)


@permission_required("orders.change_order", raise_exception=True)
@require_http_methods(["GET", "POST"])
def order_lenses(request: HttpRequest, pk: int) -> HttpResponse:
    order = _order(pk)
    form = LensForm(
        request.POST or None,
        lenses=product_selectors.lens_catalogue(),
        initial={"version": order.version},
    )

    def save():
        data = form.cleaned_data
        services.lens_pair_add(
            order_id=order.pk,
            product_id=data["product"],
            eyes=LensForm.EYES[data["eyes"]],
            diameter=data["diameter"],
            version=_version(form),
            user=request.user,
        )
        messages.success(request, _("Lenses added."))

    return _modal(request, order, form, "orders/order_lenses.html", save, "lenses")


@permission_required("orders.change_order", raise_exception=True)
@require_http_methods(["GET", "POST"])
def line_edit(request: HttpRequest, pk: int, line_id: int | None = None) -> HttpResponse:
    order = _order(pk)
    line = None
    if line_id is not None:
        line = get_object_or_404(OrderLine, pk=line_id, order=order)
    form = LineForm(request.POST or None, instance=line or OrderLine(order=order))
    if not form.is_bound:
        form.initial["version"] = order.version

    def save():
        services.line_save(
            order_id=order.pk,
            line_id=line_id,
            data=form.service_data(),
            version=_version(form),
            user=request.user,
        )
        messages.success(request, _("Position saved."))

    extra = {"line": line}
    return _modal(request, order, form, "orders/line_form.html", save, "a position", extra)


@permission_required("orders.change_order", raise_exception=True)
@require_http_methods(["POST"])
def line_delete(request: HttpRequest, pk: int, line_id: int) -> HttpResponse:
    order = _order(pk)
    try:
        services.line_remove(
            order_id=order.pk, line_id=line_id, version=_version_of(request), user=request.user
        )
    except services.OrderConflict:
        messages.error(request, CONFLICT)
    except OrderLine.DoesNotExist:
        raise Http404 from None
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Position removed."))
    return _refresh(request, order)


def _refresh(request: HttpRequest, order: Order) -> HttpResponse:
    if request.htmx:
        return close_modal(request, SAVED_EVENT)
    return redirect("orders:detail", pk=order.pk)


@permission_required("orders.change_order", raise_exception=True)
@require_http_methods(["GET", "POST"])
def order_status(request: HttpRequest, pk: int) -> HttpResponse:
    """A status button: straight through, or through a modal asking the
    reason (storniert, Reklamation)."""
    order = _order(pk)
    wanted = request.POST.get("status") or request.GET.get("status", "")
    if wanted not in Status.values:
        raise Http404
    form = StatusForm(request.POST or None, initial={"status": wanted, "version": order.version})
    asks = wanted in rules.NEEDS_REASON
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            changed = services.order_status_change(
                order_id=order.pk,
                status=data["status"],
                version=_version(form),
                reason=data["reason"],
                lab_pays_remake=data["lab_pays_remake"],
                user=request.user,
            )
        except services.OrderConflict as conflict:
            if not asks:
                messages.error(request, CONFLICT)
                return _refresh(request, order)
            form.with_version(conflict.current.version)
            form.add_error(None, CONFLICT)
        except ValidationError as error:
            if not asks:
                messages.error(request, " ".join(error.messages))
                return _refresh(request, order)
            form.add_service_error(error)
        except DatabaseError:
            logger.exception("Changing the status of order %s failed", order.pk)
            messages.error(request, SAVE_FAILED)
            return _refresh(request, order)
        else:
            label = rules.status_label(data["status"], order.kind)
            messages.success(
                request,
                _("Order %(number)s is now “%(status)s”.") % {"number": order.pk, "status": label},
            )
            if data["status"] == Status.READY:
                _tell_announcement(request, changed)
            return _refresh(request, order)
    elif request.method == "POST" and not asks:
        # A one-click button has no form to show its refusal in.
        messages.error(request, " ".join(form.non_field_errors()) or CONFLICT)
        return _refresh(request, order)
    context = {
        "order": order,
        "form": form,
        "status_label": rules.status_label(wanted, order.kind),
        "wanted": wanted,
    }
    return render_page_or_partial(request, "orders/order_status.html", "modal", context)


def _tell_announcement(request: HttpRequest, order: Order) -> None:
    if order.announcement_problem:
        messages.warning(request, order.announcement_problem)
    elif order.announcement is not None:
        messages.info(
            request,
            _("“Ihre Brille ist abholbereit” goes to the customer by %(channel)s.")
            % {"channel": order.announcement.get_channel_display()},
        )


# --- Documents -----------------------------------------------------------------------

# By the names of the shop's paperwork: the address and the file name.
DOCUMENTS = {
    "angebot": (documents.quote_pdf, "Angebot", False),
    "kostenvoranschlag": (documents.cost_estimate_pdf, "Kostenvoranschlag", True),
    "glasbestellung": (documents.lab_order_pdf, "Glasbestellung", True),
}


@permission_required("orders.view_order", raise_exception=True)
@require_http_methods(["GET"])
def order_document(request: HttpRequest, pk: int, name: str) -> HttpResponse:
    if name not in DOCUMENTS:
        raise Http404
    make, title, health = DOCUMENTS[name]
    order = _order(pk)
    may_see = health_data.may_see_refractions(request.user)
    if health and not may_see:
        raise PermissionDenied
    if may_see and order.prescription:
        health_data_opened(
            user=request.user, customer_id=order.customer_id, where=HealthDataAccess.Where.ORDER
        )
    # The quote goes to every seller; its values only where they may be seen.
    content = make(order, with_values=may_see) if not health else make(order)
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{title}-{order.pk}.pdf"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


@permission_required("orders.view_order", raise_exception=True)
@require_http_methods(["GET"])
def order_oma(request: HttpRequest, pk: int) -> HttpResponse:
    _health_only(request)
    order = _order(pk)
    health_data_opened(
        user=request.user, customer_id=order.customer_id, where=HealthDataAccess.Where.ORDER
    )
    response = HttpResponse(oma.oma_text(order), content_type="text/plain; charset=ascii")
    response["Content-Disposition"] = f'attachment; filename="auftrag-{order.pk}.oma"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


# --- The board -----------------------------------------------------------------------


@permission_required("orders.view_order", raise_exception=True)
@require_http_methods(["GET"])
def order_board(request: HttpRequest) -> HttpResponse:
    form = BoardFilterForm(request.GET or None)
    filters = form.filters()
    context = {
        "form": form,
        "columns": selectors.board(**filters),
        "filtered": any(value is not None for value in filters.values()),
    }
    return render_page_or_partial(request, "orders/board.html", "board", context)
