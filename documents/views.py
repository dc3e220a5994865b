"""The customer's documents: the section of the customer page (its own URL,
loaded by htmx), the upload, the file itself through a checked view (never
a public URL), and the soft delete."""

import mimetypes

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template import engines
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods

from customers.models import Customer
from documents import selectors, services
from documents.forms import DocumentEditForm, DocumentUploadForm
from documents.models import CustomerDocument
from documents.storage import document_storage
from opticrm.lib import health_data
from opticrm.lib.htmx import close_modal

SAVED_EVENT = "documentSaved"
# Never run as a page of the app's origin: no script, no form, no plugin;
# an image still shows in the browser's own viewer.
FILE_CSP = "sandbox; default-src 'none'; img-src 'self' data:; style-src 'unsafe-inline'"
# A PDF is shown by the browser's PDF viewer, which Chromium refuses to
# start in a sandboxed document or under object-src 'none': a PDF gets no
# sandbox. It cannot become a page of the app's origin all the same: its
# content type is application/pdf (checked at upload: it parses as one)
# with nosniff, and it may only be framed by the app.
PDF_CSP = "frame-ancestors 'self'"
# A thumbnail under its version never changes: kept by this browser only.
THUMBNAIL_CACHE = "private, max-age=31536000, immutable"


def _customer(pk: int) -> Customer:
    return get_object_or_404(Customer.objects.alive(), pk=pk)


def _document(request: HttpRequest, pk: int) -> CustomerDocument:
    """One document this user may see, of a customer who is not deleted;
    404 for anything else (another's, a deleted one, one of health data
    without the prescription right)."""
    document = (
        selectors.visible_documents(request.user)
        .filter(pk=pk, customer__deleted_at__isnull=True)
        .first()
    )
    if document is None:
        raise Http404
    return document


def _refraction_choices(customer: Customer, user) -> list[tuple[int, str]]:
    if not health_data.may_see_refractions(user):
        return []
    from django.utils.formats import date_format

    from prescriptions.models import Refraction

    refractions = Refraction.objects.filter(customer=customer).only("id", "date", "kind")[:50]
    return [
        (
            refraction.pk,
            f"{date_format(refraction.date, 'SHORT_DATE_FORMAT')} · "
            f"{refraction.get_kind_display()}",
        )
        for refraction in refractions
    ]


def _form(request: HttpRequest, customer: Customer, data=None, files=None) -> DocumentUploadForm:
    return DocumentUploadForm(
        data,
        files,
        kinds=selectors.may_upload_kinds(request.user),
        refractions=_refraction_choices(customer, request.user),
        prefix="document",
    )


def _render(request, customer, form, *, status: int = 200, oob_messages: bool = False):
    documents = selectors.customer_documents(customer.pk, request.user)
    may_delete = request.user.has_perm("documents.delete_customerdocument")
    context = {
        "customer": customer,
        "documents": documents,
        "try_ons": sum(1 for document in documents if document.is_try_on),
        "deleted": (
            selectors.restorable_documents(customer.pk, request.user) if may_delete else []
        ),
        "form": form,
        "may_add": request.user.has_perm("documents.add_customerdocument"),
        "may_change": request.user.has_perm("documents.change_customerdocument"),
        "may_delete": may_delete,
        "keep_days": settings.DOCUMENTS_DELETED_KEEP_DAYS,
        "oob_messages": oob_messages,
    }
    name = "documents/customer_documents.html"
    if request.htmx and not request.htmx.history_restore_request:
        name += "#section"
    return render(request, name, context, status=status)


@permission_required(selectors.VIEW_PERMISSION, raise_exception=True)
@require_http_methods(["GET", "POST"])
def customer_documents(request: HttpRequest, customer_pk: int) -> HttpResponse:
    """The list (full page, or the section for htmx) and the upload."""
    customer = _customer(customer_pk)
    if request.method == "GET":
        return _render(request, customer, _form(request, customer))

    if not request.user.has_perm("documents.add_customerdocument"):
        return HttpResponse(status=403)
    form = _form(request, customer, request.POST, request.FILES)
    if form.is_valid():
        try:
            documents = services.document_upload(
                customer_id=customer.pk,
                uploads=[
                    services.upload_from_file(file) for file in form.cleaned_data["all_files"]
                ],
                kind=form.cleaned_data["kind"],
                document_date=form.cleaned_data["document_date"],
                note=form.cleaned_data["note"],
                refraction_id=form.cleaned_data.get("refraction"),
                product_id=form.cleaned_data.get("product"),
                user=request.user,
            )
        except ValidationError as error:
            if hasattr(error, "error_dict"):
                form.add_service_error(error)
            else:  # about the files: said next to them
                form.add_error("files", error)
        else:
            messages.success(
                request,
                ngettext("%(count)d document saved.", "%(count)d documents saved.", len(documents))
                % {"count": len(documents)},
            )
            if not request.htmx:
                return redirect(reverse("documents:customer", args=[customer.pk]))
            response = _render(request, customer, _form(request, customer), oob_messages=True)
            response["HX-Trigger"] = SAVED_EVENT
            return response
    # htmx swaps only a 2xx answer: the form with its errors comes as 200 there.
    return _render(request, customer, form, status=200 if request.htmx else 400)


def _file_response(
    document: CustomerDocument, name: str, *, attachment: bool, content_type, cache: str = ""
):
    storage = document_storage()
    try:
        handle = storage.open(name, "rb")
    except (FileNotFoundError, OSError):
        raise Http404 from None
    filename = document.original_name
    extension = mimetypes.guess_extension(content_type) or ""
    if content_type == "image/jpeg":
        extension = ".jpg"
    # A HEIC is stored as JPEG: the download says so in its name.
    if extension and not filename.lower().endswith(extension):
        filename = filename.rsplit(".", 1)[0] + extension
    inline_ok = content_type.startswith("image/") or content_type == "application/pdf"
    response = FileResponse(
        handle,
        content_type=content_type,
        as_attachment=attachment or not inline_ok,
        filename=filename,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = cache or "private, no-store"
    response["Content-Security-Policy"] = PDF_CSP if content_type == "application/pdf" else FILE_CSP
    response["Cross-Origin-Resource-Policy"] = "same-origin"
    return response


@permission_required(selectors.VIEW_PERMISSION, raise_exception=True)
@require_http_methods(["GET"])
def document_view(request: HttpRequest, pk: int) -> HttpResponse:
    """The file in the browser's own viewer (images and PDFs)."""
    document = _document(request, pk)
    return _file_response(
        document, document.file.name, attachment=False, content_type=document.content_type
    )


@permission_required(selectors.VIEW_PERMISSION, raise_exception=True)
@require_http_methods(["GET"])
def document_download(request: HttpRequest, pk: int) -> HttpResponse:
    document = _document(request, pk)
    return _file_response(
        document, document.file.name, attachment=True, content_type=document.content_type
    )


@permission_required(selectors.VIEW_PERMISSION, raise_exception=True)
@require_http_methods(["GET"])
def document_thumbnail(request: HttpRequest, pk: int) -> HttpResponse:
    """The thumbnail, made once: under its version (?v=, from its random
    key) the browser keeps it for a year, in its private cache only (the
    check runs again on every request it does send); a prescription's is
    never kept."""
    document = _document(request, pk)
    if not document.thumbnail:
        raise Http404
    # Health data (a prescription's first page) is never kept by a browser:
    # a shop's PC is shared.
    keep = request.GET.get("v") == document.thumbnail_version and not document.is_health_data
    response = _file_response(
        document,
        document.thumbnail.name,
        attachment=False,
        content_type="image/jpeg",
        cache=THUMBNAIL_CACHE if keep else "",
    )
    response.private_cache = keep
    return response


@permission_required(selectors.VIEW_PERMISSION, raise_exception=True)
@require_http_methods(["GET"])
def document_preview(request: HttpRequest, pk: int) -> HttpResponse:
    """The list's thumbnail of one document (htmx asks while the worker
    draws it); without htmx, the document itself."""
    document = _document(request, pk)
    if not request.htmx:
        return redirect(reverse("documents:view", args=[document.pk]))
    thumb = engines["jinja2"].get_template("documents/_thumb.html")
    return HttpResponse(thumb.render({"document": document}, request))


@permission_required("documents.delete_customerdocument", raise_exception=True)
@require_http_methods(["GET", "POST"])
def document_delete(request: HttpRequest, pk: int) -> HttpResponse:
    document = _document(request, pk)
    if request.method == "POST":
        services.document_soft_delete(document_id=document.pk, user=request.user)
        messages.success(
            request,
            _("Document “%(name)s” deleted.") % {"name": document.original_name},
        )
        if not request.htmx:
            return redirect(reverse("documents:customer", args=[document.customer_id]))
        return close_modal(request, SAVED_EVENT)
    name = "documents/document_confirm.html"
    if request.htmx and not request.htmx.history_restore_request:
        name += "#modal"
    context = {"document": document, "keep_days": settings.DOCUMENTS_DELETED_KEEP_DAYS}
    return render(request, name, context)


def _edit_form(request: HttpRequest, document: CustomerDocument, data=None) -> DocumentEditForm:
    customer = document.customer
    kinds = selectors.may_upload_kinds(request.user)
    return DocumentEditForm(
        data,
        kinds=kinds,
        refractions=_refraction_choices(customer, request.user),
        prefix="edit",
        initial={
            "kind": document.kind,
            "document_date": document.document_date,
            "note": document.note,
            "refraction": document.refraction_id,
            "product": document.product_id,
        },
    )


@permission_required("documents.change_customerdocument", raise_exception=True)
@require_http_methods(["GET", "POST"])
def document_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Kind, date, note and links of a document, in a modal."""
    document = _document(request, pk)
    form = _edit_form(request, document, request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            services.document_update(
                document_id=document.pk,
                kind=form.cleaned_data["kind"],
                document_date=form.cleaned_data["document_date"],
                note=form.cleaned_data["note"],
                refraction_id=form.cleaned_data.get("refraction"),
                product_id=form.cleaned_data.get("product"),
                user=request.user,
            )
        except ValidationError as error:
            form.add_service_error(error)
        else:
            messages.success(
                request, _("Document “%(name)s” saved.") % {"name": document.original_name}
            )
            if not request.htmx:
                return redirect(reverse("documents:customer", args=[document.customer_id]))
            return close_modal(request, SAVED_EVENT)
    name = "documents/document_edit.html"
    if request.htmx and not request.htmx.history_restore_request:
        name += "#modal"
    status = 400 if request.method == "POST" and not request.htmx else 200
    return render(request, name, {"document": document, "form": form}, status=status)


@permission_required("documents.delete_customerdocument", raise_exception=True)
@require_http_methods(["POST"])
def document_restore(request: HttpRequest, pk: int) -> HttpResponse:
    """A deleted document back in the list (while it is kept)."""
    document = (
        selectors.without_health_data(CustomerDocument.objects.all(), request.user)
        .filter(pk=pk, deleted_at__isnull=False, customer__deleted_at__isnull=True)
        .first()
    )
    if document is None:
        raise Http404
    try:
        services.document_restore(document_id=document.pk, user=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request, _("Document “%(name)s” restored.") % {"name": document.original_name}
        )
    if not request.htmx:
        return redirect(reverse("documents:customer", args=[document.customer_id]))
    customer = document.customer
    return _render(request, customer, _form(request, customer), oob_messages=True)


@permission_required(selectors.VIEW_PERMISSION, raise_exception=True)
@require_http_methods(["GET"])
def compare(request: HttpRequest, customer_pk: int) -> HttpResponse:
    """The customer's try-on photos side by side, large, each with the
    frame worn and its price: the ones ticked in the list (``d``), or all."""
    customer = _customer(customer_pk)
    # Ids only (ASCII digits, within a bigint); anything else is left out.
    chosen = {
        int(value)
        for value in request.GET.getlist("d")
        if value.isascii() and value.isdigit() and len(value) <= 18
    }
    photos = selectors.try_on_photos(customer.pk, request.user, ids=chosen)
    return render(
        request,
        "documents/compare.html",
        {"customer": customer, "photos": photos, "chosen": bool(chosen)},
    )


# The pickers' fields (the upload's and the edit's form prefixes).
FRAME_FIELDS = ("document-product", "edit-product")


@permission_required(selectors.VIEW_PERMISSION, raise_exception=True)
@require_http_methods(["GET"])
def frame_options(request: HttpRequest) -> HttpResponse:
    """The frame picker's options for what was typed or scanned: radio
    buttons of the form's field (``field``), for htmx."""
    field = request.GET.get("field", "")
    if field not in FRAME_FIELDS:
        raise Http404
    query = request.GET.get("frame_q", "").strip()[:80]
    context = {
        "name": field,
        "query": query,
        "options": selectors.frame_options(query) if query else [],
    }
    return render(request, "documents/_frame_picker.html#options", context)
