"""The invoice screens: "Create invoice" on the order page, the invoice page
with its modals (issue, delete a draft, cancel, record a payment), the PDF
kept since the issue, and the list of all invoices."""

import logging

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import ValidationError
from django.db import DatabaseError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods
from django_htmx.http import HttpResponseClientRedirect

from customers.models import Customer
from customers.selectors import CUSTOMER_CHOICES_LIMIT, customer_choices
from invoices import documents, selectors, services
from invoices.forms import CancelForm, DraftForm, InvoiceFilterForm, LineForm, PaymentForm
from invoices.models import Invoice, InvoiceDocument, InvoiceLine, Payment, State, Status
from opticrm.lib.forms import PageSizeForm, posted_int
from opticrm.lib.htmx import close_modal, render_page_or_partial
from opticrm.lib.pagination import TablePaginator
from orders.models import Order

logger = logging.getLogger(__name__)

SAVED_EVENT = "invoiceSaved"
SAVE_FAILED = gettext_lazy("Error while saving. Please try again.")
CONFLICT = gettext_lazy(
    "Someone else changed this invoice in the meantime; the page now shows the saved state."
)


def _page(pk: int) -> selectors.InvoicePage:
    page = selectors.invoice_page(pk)
    if page is None:
        raise Http404
    return page


def _to(request: HttpRequest, url: str) -> HttpResponse:
    """A plain POST redirects; an htmx one lets the browser go there."""
    return HttpResponseClientRedirect(url) if request.htmx else redirect(url)


def _detail_url(invoice: Invoice) -> str:
    return reverse("invoices:detail", args=[invoice.pk])


def _refresh(request: HttpRequest, invoice: Invoice) -> HttpResponse:
    if request.htmx:
        return close_modal(request, SAVED_EVENT)
    return redirect(_detail_url(invoice))


def _refusal(error: ValidationError) -> str:
    return " ".join(error.messages)


# --- From the order --------------------------------------------------------------------


@permission_required("invoices.add_invoice", raise_exception=True)
@require_http_methods(["POST"])
def invoice_from_order(request: HttpRequest, order_id: int) -> HttpResponse:
    order = get_object_or_404(Order, pk=order_id)
    try:
        invoice = services.invoice_from_order(order_id=order.pk, user=request.user)
    except ValidationError as error:
        messages.error(request, _refusal(error))
        return _to(request, reverse("orders:detail", args=[order.pk]))
    except DatabaseError:
        logger.exception("Making an invoice of order %s failed", order.pk)
        messages.error(request, SAVE_FAILED)
        return _to(request, reverse("orders:detail", args=[order.pk]))
    messages.success(request, _("Invoice draft made from order %(number)s.") % {"number": order.pk})
    return _to(request, _detail_url(invoice))


# --- The invoice page ------------------------------------------------------------------


@permission_required("invoices.view_invoice", raise_exception=True)
@require_http_methods(["GET"])
def invoice_detail(request: HttpRequest, pk: int) -> HttpResponse:
    page = _page(pk)
    invoice = page.invoice
    context = {
        "page": page,
        "invoice": invoice,
        "state_label": State(page.state).label,
        "is_draft": invoice.status == Status.DRAFT,
        "may_cancel": page.state not in (State.DRAFT, State.CANCELLED),
        "may_pay": page.state in (State.OPEN, State.PARTLY_PAID),
        "may_remove_payments": page.state not in (State.DRAFT, State.CANCELLED),
        "has_document": invoice.is_issued,
        "lacks_address": selectors.lacks_address(invoice, page.totals.gross),
        "may_add": invoice.status == Status.DRAFT
        and request.user.has_perm("invoices.change_invoice"),
    }
    return render_page_or_partial(request, "invoices/invoice_detail.html", "details", context)


def _confirm(request: HttpRequest, invoice: Invoice, action: str, context: dict) -> HttpResponse:
    return render_page_or_partial(
        request,
        "invoices/invoice_confirm.html",
        "modal",
        {"invoice": invoice, "action": action, **context},
    )


@permission_required("invoices.change_invoice", raise_exception=True)
@require_http_methods(["GET", "POST"])
def invoice_issue(request: HttpRequest, pk: int) -> HttpResponse:
    """Issue a draft, after a confirmation: from then on it never changes."""
    invoice = get_object_or_404(Invoice, pk=pk)
    if request.method == "GET":
        return _confirm(
            request,
            invoice,
            "issue",
            {
                "title": _("Issue invoice"),
                "text": _(
                    "The invoice gets the next number and today's date; its PDF is drawn and "
                    "kept. An issued invoice can no longer be changed or deleted, only cancelled."
                ),
                "submit": _("Issue invoice"),
                "url": reverse("invoices:issue", args=[invoice.pk]),
            },
        )
    try:
        issued = services.invoice_issue(
            invoice_id=invoice.pk, version=_version_of(request), user=request.user
        )
    except services.InvoiceConflict:
        messages.error(request, CONFLICT)
    except ValidationError as error:
        messages.error(request, _refusal(error))
    except DatabaseError:
        logger.exception("Issuing invoice %s failed", invoice.pk)
        messages.error(request, SAVE_FAILED)
    else:
        messages.success(request, _("Invoice %(number)s issued.") % {"number": issued.number})
    return _refresh(request, invoice)


def _version_of(request: HttpRequest) -> int | None:
    """The posted version; none posted: unchecked (a garbled one never matches)."""
    value = request.POST.get("version", "")
    if not value:
        return None
    version = posted_int(value)
    return -1 if version is None else version


@permission_required("invoices.change_invoice", raise_exception=True)
@require_http_methods(["GET", "POST"])
def invoice_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """A draft's delivery date and business recipient (the rest comes from
    the order)."""
    invoice = get_object_or_404(Invoice, pk=pk)
    fields = ("delivered_on", *services.COMPANY_FIELDS)
    form = DraftForm(
        request.POST or None,
        initial={
            **{name: getattr(invoice, name) for name in fields},
            "version": invoice.version,
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.invoice_update(
                invoice_id=invoice.pk,
                data={name: form.cleaned_data[name] for name in fields},
                version=form.cleaned_data["version"],
                user=request.user,
            )
        except services.InvoiceConflict as conflict:
            # The form again with the current version, to be checked and saved once more.
            form.data = form.data.copy()
            form.data["version"] = str(conflict.current.version)
            form.add_error(None, CONFLICT)
        except ValidationError as error:
            form.add_service_error(error)
        except DatabaseError:
            logger.exception("Saving invoice draft %s failed", invoice.pk)
            form.add_error(None, SAVE_FAILED)
        else:
            messages.success(request, _("Invoice draft saved."))
            return _refresh(request, invoice)
    context = {"invoice": invoice, "form": form}
    return render_page_or_partial(request, "invoices/invoice_edit.html", "modal", context)


@permission_required("invoices.change_invoice", raise_exception=True)
@require_http_methods(["GET", "POST"])
def invoice_delete(request: HttpRequest, pk: int) -> HttpResponse:
    """Delete a draft (it has no number yet); an issued invoice stays."""
    invoice = get_object_or_404(Invoice, pk=pk)
    if request.method == "GET":
        return _confirm(
            request,
            invoice,
            "delete",
            {
                "title": _("Delete draft"),
                "text": _("The draft and its positions are deleted."),
                "submit": _("Delete draft"),
                "danger": True,
                "url": reverse("invoices:delete", args=[invoice.pk]),
            },
        )
    try:
        services.invoice_draft_delete(invoice_id=invoice.pk, user=request.user)
    except ValidationError as error:
        messages.error(request, _refusal(error))
        return _refresh(request, invoice)
    except DatabaseError:
        logger.exception("Deleting invoice draft %s failed", invoice.pk)
        messages.error(request, SAVE_FAILED)
        return _refresh(request, invoice)
    messages.success(request, _("Invoice draft deleted."))
    if invoice.order_id:
        return _to(request, reverse("orders:detail", args=[invoice.order_id]))
    return _to(request, reverse("invoices:list"))


@permission_required("invoices.change_invoice", raise_exception=True)
@require_http_methods(["GET", "POST"])
def invoice_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    """Cancel an issued invoice with a reason: the cancellation invoice is
    made, issued and shown."""
    invoice = get_object_or_404(Invoice, pk=pk)
    form = CancelForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            cancellation = services.invoice_cancel(
                invoice_id=invoice.pk, reason=form.cleaned_data["reason"], user=request.user
            )
        except ValidationError as error:
            form.add_service_error(error)
        except DatabaseError:
            logger.exception("Cancelling invoice %s failed", invoice.pk)
            form.add_error(None, SAVE_FAILED)
        else:
            messages.success(
                request,
                _("Invoice %(number)s cancelled by cancellation invoice %(cancellation)s.")
                % {"number": invoice.number, "cancellation": cancellation.number},
            )
            return _to(request, _detail_url(cancellation))
    context = {"invoice": invoice, "form": form}
    return render_page_or_partial(request, "invoices/invoice_cancel.html", "modal", context)


# --- Payments --------------------------------------------------------------------------


@permission_required("invoices.add_payment", raise_exception=True)
@require_http_methods(["GET", "POST"])
def payment_add(request: HttpRequest, pk: int) -> HttpResponse:
    page = _page(pk)
    invoice = page.invoice
    form = PaymentForm(request.POST or None, open_amount=page.customer_open)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.payment_add(
                invoice_id=invoice.pk,
                method=data["method"],
                amount=data["amount"],
                paid_on=data["paid_on"],
                receipt_number=data["receipt_number"],
                note=data["note"],
                user=request.user,
            )
        except ValidationError as error:
            form.add_service_error(error)
        except DatabaseError:
            logger.exception("Recording a payment of invoice %s failed", invoice.pk)
            form.add_error(None, SAVE_FAILED)
        else:
            messages.success(request, _("Payment recorded."))
            return _refresh(request, invoice)
    context = {"invoice": invoice, "page": page, "form": form}
    return render_page_or_partial(request, "invoices/payment_form.html", "modal", context)


@permission_required("invoices.delete_payment", raise_exception=True)
@require_http_methods(["POST"])
def payment_remove(request: HttpRequest, pk: int, payment_id: int) -> HttpResponse:
    invoice = get_object_or_404(Invoice, pk=pk)
    try:
        services.payment_remove(invoice_id=invoice.pk, payment_id=payment_id, user=request.user)
    except Payment.DoesNotExist:
        raise Http404 from None
    except ValidationError as error:
        messages.error(request, _refusal(error))
    except DatabaseError:
        logger.exception("Removing payment %s of invoice %s failed", payment_id, invoice.pk)
        messages.error(request, SAVE_FAILED)
    else:
        messages.success(request, _("Payment removed."))
    return _refresh(request, invoice)


# --- The PDF ---------------------------------------------------------------------------


@permission_required("invoices.view_invoice", raise_exception=True)
@require_http_methods(["GET"])
def invoice_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    """The PDF as it was drawn when the invoice was issued, byte for byte."""
    document = (
        InvoiceDocument.objects.select_related("invoice")
        .only("pdf", "sha256", "invoice__number", "invoice__kind")
        .filter(invoice_id=pk)
        .first()
    )
    if document is None:
        # Issued, but its drawing after the issue failed: drawn now, once.
        if not Invoice.objects.filter(pk=pk, status=Status.ISSUED).exists():
            raise Http404
        document = services.invoice_document(invoice_id=pk)
    response = HttpResponse(bytes(document.pdf), content_type="application/pdf")
    name = documents.invoice_file_name(document.invoice)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["X-Content-Type-Options"] = "nosniff"
    response["ETag"] = f'"{document.sha256}"'
    response["Cache-Control"] = "private, no-store"
    return response


# --- The list --------------------------------------------------------------------------


@permission_required("invoices.view_invoice", raise_exception=True)
@require_http_methods(["GET"])
def invoice_list(request: HttpRequest) -> HttpResponse:
    form = InvoiceFilterForm(request.GET or None)
    filters = form.filters()
    page_size = PageSizeForm(request.GET, sizes=settings.TABLE_PAGE_SIZES).size
    filtered = any(filters.values())
    paginator = TablePaginator(
        selectors.invoice_list(**filters),
        page_size,
        filtered=filtered,
        known_count=selectors.invoice_count(**filters),
        estimate_key=("invoices.Invoice", "list"),
        # A search counts its matches so far ("mehr als 200"): "Müller"
        # has 120,000 of a chain's five million invoices.
        count_up_to=selectors.SEARCH_COUNT_UP_TO if filters["query"] else None,
    )
    page = paginator.get_page(request.GET.get("page"))
    context = {
        "form": form,
        "page": page,
        "rows": selectors.list_rows(page.object_list),
        "filtered": filtered,
        "table_id": "#invoice-table",
        "state_labels": dict(State.choices),
        "customer": (
            Customer.objects.filter(pk=filters["customer_id"]).first()
            if filters["customer_id"] and not request.htmx
            else None
        ),
    }
    return render_page_or_partial(request, "invoices/invoice_list.html", "table", context)


# --- A sale at the counter: products by name or EAN, free positions, the customer -------


def _draft(pk: int) -> Invoice:
    invoice = get_object_or_404(Invoice.objects.select_related("customer"), pk=pk)
    if invoice.status != Status.DRAFT:
        raise Http404  # an issued invoice has no such screens
    return invoice


@permission_required("invoices.add_invoice", raise_exception=True)
@require_http_methods(["POST"])
def invoice_new(request: HttpRequest) -> HttpResponse:
    """A new sale at the counter: an empty draft, for the customer posted
    (from the customer page) or for nobody yet."""
    try:
        invoice = services.invoice_create(
            customer_id=posted_int(request.POST.get("customer")), user=request.user
        )
    except ValidationError as error:
        messages.error(request, _refusal(error))
        return _to(request, reverse("invoices:list"))
    return _to(request, _detail_url(invoice))


@permission_required("invoices.change_invoice", raise_exception=True)
@require_http_methods(["GET"])
def sale_products(request: HttpRequest, pk: int) -> HttpResponse:
    """The draft's product search as one types (a fragment for htmx; the
    page itself without it)."""
    invoice = _draft(pk)
    if not request.htmx:
        return redirect(_detail_url(invoice))
    query = request.GET.get("code", "").strip()[:80]
    found = selectors.sale_products(query)
    limit = selectors.SALE_PRODUCTS_LIMIT
    context = {
        "invoice": invoice,
        "query": query,
        "found": found[:limit],
        "more": len(found) > limit,
    }
    return render(request, "invoices/invoice_detail.html#product_results", context)


@permission_required("invoices.change_invoice", raise_exception=True)
@require_http_methods(["POST"])
def sale_add(request: HttpRequest, pk: int) -> HttpResponse:
    """Add a product: the one chosen from the search (``product``), or the
    one a scanned EAN or a typed code or name means (``code``); scanned
    again, one more of it."""
    invoice = _draft(pk)
    product_id = posted_int(request.POST.get("product"))
    code = request.POST.get("code", "").strip()[:80]
    if product_id is None and code:
        product = selectors.sale_product(code)
        if product is None:
            found = selectors.sale_products(code, limit=1)
            messages.error(
                request,
                _("Several products match “%(code)s”; please choose one from the list.")
                % {"code": code}
                if found
                else _("No product has the code or name “%(code)s”.") % {"code": code},
            )
            return _refresh(request, invoice)
        product_id = product.pk
    if product_id is None:
        messages.error(request, _("Please scan the EAN or type the product's name."))
        return _refresh(request, invoice)
    try:
        line = services.invoice_product_add(
            invoice_id=invoice.pk, product_id=product_id, user=request.user
        )
    except ValidationError as error:
        messages.error(request, _refusal(error))
    except DatabaseError:
        logger.exception("Adding product %s to invoice %s failed", product_id, invoice.pk)
        messages.error(request, SAVE_FAILED)
    else:
        messages.success(
            request,
            _("%(description)s added (quantity %(quantity)s).")
            % {"description": line.description, "quantity": line.quantity},
        )
    return _refresh(request, invoice)


@permission_required("invoices.change_invoice", raise_exception=True)
@require_http_methods(["GET", "POST"])
def line_add(request: HttpRequest, pk: int) -> HttpResponse:
    """A free position (a service, a repair, anything not in the product list)."""
    invoice = _draft(pk)
    form = LineForm(request.POST or None, initial={"quantity": 1})
    if request.method == "POST" and form.is_valid():
        data = {name: form.cleaned_data[name] for name in form.Meta.fields}
        try:
            services.invoice_line_add(invoice_id=invoice.pk, data=data, user=request.user)
        except ValidationError as error:
            form.add_service_error(error)
        except DatabaseError:
            logger.exception("Adding a position to invoice %s failed", invoice.pk)
            form.add_error(None, SAVE_FAILED)
        else:
            messages.success(request, _("Position added."))
            return _refresh(request, invoice)
    context = {"invoice": invoice, "form": form}
    return render_page_or_partial(request, "invoices/line_form.html", "modal", context)


@permission_required("invoices.change_invoice", raise_exception=True)
@require_http_methods(["POST"])
def line_remove(request: HttpRequest, pk: int, line_id: int) -> HttpResponse:
    invoice = get_object_or_404(Invoice, pk=pk)
    try:
        services.invoice_line_remove(invoice_id=invoice.pk, line_id=line_id, user=request.user)
    except InvoiceLine.DoesNotExist:
        raise Http404 from None
    except ValidationError as error:
        messages.error(request, _refusal(error))
    except DatabaseError:
        logger.exception("Removing position %s of invoice %s failed", line_id, invoice.pk)
        messages.error(request, SAVE_FAILED)
    else:
        messages.success(request, _("Position removed."))
    return _refresh(request, invoice)


@permission_required("invoices.change_invoice", raise_exception=True)
@require_http_methods(["GET", "POST"])
def invoice_customer(request: HttpRequest, pk: int) -> HttpResponse:
    """Whom a counter sale is for: a customer found by name, phone or date
    of birth, or nobody (up to 250 €). An order's draft keeps its customer."""
    invoice = _draft(pk)
    if request.method == "POST":
        customer = request.POST.get("customer", "")
        try:
            services.invoice_update(
                invoice_id=invoice.pk,
                data={"customer": Customer.objects.filter(pk=posted_int(customer)).first()},
                version=_version_of(request),
                user=request.user,
            )
        except services.InvoiceConflict:
            messages.error(request, CONFLICT)
        except ValidationError as error:
            messages.error(request, _refusal(error))
        except DatabaseError:
            logger.exception("Choosing the customer of invoice %s failed", invoice.pk)
            messages.error(request, SAVE_FAILED)
        else:
            messages.success(request, _("Invoice draft saved."))
        return _refresh(request, invoice)
    query = request.GET.get("q", "").strip()[:80]
    found = customer_choices(query)
    limit = CUSTOMER_CHOICES_LIMIT
    context = {"invoice": invoice, "query": query, "customers": found[:limit]}
    context["more"] = len(found) > limit
    if request.htmx and "q" in request.GET:
        return render(request, "invoices/invoice_customer.html#results", context)
    return render_page_or_partial(request, "invoices/invoice_customer.html", "modal", context)
