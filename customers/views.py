import logging

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DatabaseError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.html import format_html
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.decorators.http import require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect

from customers import sections, selectors, services
from customers.filters import customer_export_rows, customer_table_page
from customers.forms import CustomerForm, EraseForm, PhotoForm
from customers.models import Customer, photo_thumb_key
from opticrm.lib import health_data
from opticrm.lib.conflicts import conflict_form
from opticrm.lib.display import display_value
from opticrm.lib.export import Column, export_response, export_urls
from opticrm.lib.forms import PageSizeForm
from opticrm.lib.history import record_history
from opticrm.lib.htmx import close_modal, htmx_current_path, render_page_or_partial
from opticrm.lib.pagination import KnownCountPaginator
from opticrm.lib.phone import format_phone, stored_number
from opticrm.lib.storage import private_file_response

logger = logging.getLogger(__name__)

SAVED_EVENT = "customerSaved"


def _get_customer(pk: int, *, deleted: bool = False) -> Customer:
    """The customer, or 404 if it does not exist (or is not in the asked state)."""
    return get_object_or_404(selectors.customer_list(deleted=deleted), pk=pk)


def _table_context(request: HttpRequest, *, deleted: bool) -> dict:
    page_size = PageSizeForm(request.GET, sizes=settings.TABLE_PAGE_SIZES).size
    customer_filter, page = customer_table_page(
        request.GET,
        page=request.GET.get("page"),
        page_size=page_size,
        request=request,
        deleted=deleted,
    )
    return {
        "filter": customer_filter,
        "page": page,
        "page_size": page_size,
        "page_sizes": settings.TABLE_PAGE_SIZES,
        "current_sort": customer_filter.current_sort,
        "deleted_view": deleted,
        "recall_view": not deleted and customer_filter.shows_last_refraction,
        # The photo column, off unless switched on (a GET value, so the
        # pages, the sorting and a bookmark keep it).
        "show_photos": not deleted and request.GET.get("photos") == "1",
        # The list as a file (_export_links.html), for those who may.
        "export": (
            export_urls("customers:export")
            if not deleted and request.user.has_perm("customers.export_customer")
            else None
        ),
        # The same customers' refractions, in the refraction import's
        # columns: health data, so only for those who see them.
        "export_more": (
            [(_("Refractions"), export_urls("prescriptions:refraction_export"))]
            if not deleted
            and request.user.has_perm("customers.export_customer")
            and health_data.may_see_refractions(request.user)
            else []
        ),
    }


@permission_required("customers.view_customer", raise_exception=True)
@require_http_methods(["GET"])
def customer_list(request: HttpRequest) -> HttpResponse:
    context = _table_context(request, deleted=False)
    return render_page_or_partial(request, "customers/customer_list.html", "table", context)


def _export_columns(user) -> list[Column]:
    def label(name: str) -> str:
        return capfirst(Customer._meta.get_field(name).verbose_name)

    # Choices translated once, not once per row (a million rows).
    def names(name: str) -> dict[str, str]:
        return {value: str(text) for value, text in Customer._meta.get_field(name).flatchoices}

    salutations, countries, statuses = names("salutation"), names("country"), names("status")
    return [
        Column(_("Customer number"), lambda c: c.pk),
        Column(label("salutation"), lambda c: salutations.get(c.salutation, "")),
        Column(label("title"), lambda c: c.title),
        Column(label("first_name"), lambda c: c.first_name),
        Column(label("last_name"), lambda c: c.last_name),
        Column(label("date_of_birth"), lambda c: c.date_of_birth),
        Column(label("email"), lambda c: c.email),
        Column(label("phone"), lambda c: format_phone(stored_number(c.phone_stored))),
        Column(label("street"), lambda c: c.street),
        Column(label("postcode"), lambda c: c.postcode),
        Column(label("town"), lambda c: c.town),
        Column(label("country"), lambda c: countries.get(c.country, c.country)),
        Column(
            label("insurance_provider"),
            lambda c: c.insurance_provider.name if c.insurance_provider else "",
        ),
        Column(label("last_exam_date"), lambda c: c.last_exam_date),
        Column(label("status"), lambda c: statuses.get(c.status, c.status)),
        Column(label("external_number"), lambda c: c.external_number),
        # The notes once held the free-text prescription: health data.
        *(
            [Column(label("notes"), lambda c: c.notes)]
            if health_data.may_see_refractions(user)
            else []
        ),
        Column(_("Created on"), lambda c: c.created_at),
    ]


@permission_required("customers.export_customer", raise_exception=True)
@require_http_methods(["GET"])
def customer_export(request: HttpRequest, file_format: str) -> HttpResponse:
    """The customer list with its current filters as CSV or Excel file."""
    customer_filter, customers = customer_export_rows(request.GET, request=request)
    return export_response(
        request,
        file_format,
        name=pgettext("file name", "customers"),
        title=_("Customers"),
        columns=_export_columns(request.user),
        queryset=customers,
        list_url=reverse("customers:list"),
        filters_valid=customer_filter.is_valid(),
    )


@permission_required("customers.delete_customer", raise_exception=True)
@require_http_methods(["GET"])
def customer_deleted_list(request: HttpRequest) -> HttpResponse:
    context = _table_context(request, deleted=True)
    return render_page_or_partial(request, "customers/customer_list.html", "table", context)


@permission_required("customers.view_customer", raise_exception=True)
@require_http_methods(["GET"])
def customer_detail(request: HttpRequest, pk: int) -> HttpResponse:
    customer = selectors.customer_page(pk)
    if customer is None:
        return _deleted_or_missing(request, pk)
    context = {
        "customer": customer,
        # Refractions, contact lenses, appointments: what other apps add.
        "sections": sections.sections_for(customer, request),
        "history": record_history(customer),
        # The newest refraction's date is health data (the recall).
        "may_see_recall": health_data.may_see_recall(request.user),
    }
    return render_page_or_partial(request, "customers/customer_detail.html", "details", context)


def _deleted_or_missing(request: HttpRequest, pk: int) -> HttpResponse:
    """An old link to a customer who was deleted: say so (410), and offer
    the restore to those who may; the name only to them."""
    deleted = selectors.customer_list(deleted=True).filter(pk=pk).first()
    if deleted is None:
        raise Http404
    context = {
        "customer": deleted,
        "may_restore": request.user.has_perm("customers.delete_customer"),
    }
    return render(request, "customers/customer_gone.html", context, status=410)


def _conflict_form(request: HttpRequest, current: Customer) -> CustomerForm:
    return conflict_form(
        request,
        current,
        make_form=lambda data, instance: CustomerForm(data, instance=instance),
        version=current.version,
        fields=services.EDITABLE_FIELDS,
        display=display_value,
        message=_(
            "This customer was changed by someone else in the meantime. "
            "Fields you did not change now show the saved values; where a change of yours "
            "collides, the saved value is shown below the field. Please check and save again."
        ),
    )


def _customer_form_view(request: HttpRequest, customer: Customer | None) -> HttpResponse:
    template = "customers/customer_form.html"
    if request.method == "POST":
        form = CustomerForm(request.POST, instance=customer or Customer())
        if form.is_valid():
            confirmed = form.cleaned_data["confirm_duplicates"]
            try:
                if customer is None:
                    saved = services.customer_create(
                        data=form.service_data(), user=request.user, confirm_duplicates=confirmed
                    )
                    # The new customer must not get lost in a long list:
                    # booking or measuring follows from their page.
                    messages.success(
                        request,
                        format_html(
                            '{} <a href="{}">{}</a>',
                            _("Customer %(name)s created.") % {"name": saved.full_name},
                            reverse("customers:detail", args=[saved.pk]),
                            _("Open customer"),
                        ),
                    )
                else:
                    saved = services.customer_update(
                        customer_id=customer.pk,
                        data=form.service_data(),
                        user=request.user,
                        expected_version=form.cleaned_data.get("version"),
                        confirm_duplicates=confirmed,
                    )
                    messages.success(request, _("Customer saved successfully."))
            except services.CustomerConflict as conflict:
                form = _conflict_form(request, conflict.current)
            except services.PossibleDuplicates as possible:
                # Asked in the form: "Save anyway" posts confirm_duplicates.
                form.duplicates = possible.duplicates
            except DatabaseError:
                logger.exception("Saving customer %s failed", customer.pk if customer else "(new)")
                form.add_error(None, _("Error while saving. Your input is kept; please try again."))
            else:
                if request.htmx:
                    return close_modal(request, SAVED_EVENT)
                return redirect("customers:detail", pk=saved.pk)
    else:
        form = CustomerForm(instance=customer)
    return render_page_or_partial(request, template, "modal", {"form": form, "customer": customer})


@permission_required("customers.add_customer", raise_exception=True)
@require_http_methods(["GET", "POST"])
def customer_create(request: HttpRequest) -> HttpResponse:
    return _customer_form_view(request, None)


@permission_required("customers.change_customer", raise_exception=True)
@require_http_methods(["GET", "POST"])
def customer_update(request: HttpRequest, pk: int) -> HttpResponse:
    return _customer_form_view(request, _get_customer(pk))


@permission_required("customers.delete_customer", raise_exception=True)
@require_http_methods(["GET", "POST"])
def customer_delete(request: HttpRequest, pk: int) -> HttpResponse:
    customer = _get_customer(pk)
    if request.method == "POST":
        services.customer_soft_delete(customer_id=customer.pk, user=request.user)
        messages.success(
            request,
            _("Customer %(name)s deleted. You can restore them under “Deleted customers”.")
            % {"name": customer.full_name},
        )
        list_url = reverse("customers:list")
        if not request.htmx:
            return redirect(list_url)
        if htmx_current_path(request) == reverse("customers:detail", args=[customer.pk]):
            # The page the user looks at is gone: take them to the list.
            return HttpResponseClientRedirect(list_url)
        return close_modal(request, SAVED_EVENT)
    return render_page_or_partial(
        request,
        "customers/customer_confirm.html",
        "modal",
        {"customer": customer},
    )


@permission_required("customers.delete_customer", raise_exception=True)
@require_POST
def customer_restore(request: HttpRequest, pk: int) -> HttpResponse:
    customer = _get_customer(pk, deleted=True)
    services.customer_restore(customer_id=customer.pk, user=request.user)
    messages.success(request, _("Customer %(name)s restored.") % {"name": customer.full_name})
    if request.htmx:
        return close_modal(request, SAVED_EVENT)
    back = request.POST.get("next", "")
    if back and url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        return redirect(back)
    return redirect("customers:deleted")


def _erase(request: HttpRequest, customer: Customer, *, action: str, back_url: str):
    """The erasure (DSGVO Art. 17) with its explanation: what goes and what
    the law keeps (anonymised); from the customer page or the deleted list."""
    form = EraseForm(request.POST if request.method == "POST" else None)
    if form.is_valid():
        try:
            erasure = services.customer_erase(customer_id=customer.pk, user=request.user)
        except Customer.DoesNotExist:
            raise Http404 from None  # erased meanwhile (a second click, someone else)
        if erasure.anonymised:
            text = _(
                "The data of customer %(number)s were erased; what the law keeps remains "
                "anonymised."
            )
        else:
            text = _("The data of customer %(number)s were erased.")
        messages.success(request, text % {"number": customer.pk})
        if not request.htmx:
            return redirect(back_url)
        if htmx_current_path(request) == reverse("customers:detail", args=[customer.pk]):
            # The page the user looks at is gone.
            return HttpResponseClientRedirect(back_url)
        return close_modal(request, SAVED_EVENT)
    return render_page_or_partial(
        request,
        "customers/customer_erase.html",
        "modal",
        {
            "customer": customer,
            "form": form,
            "plan": selectors.erasure_plan(customer_id=customer.pk),
            "url": reverse(f"customers:{action}", args=[customer.pk]),
            "back_url": back_url,
        },
    )


@permission_required("customers.purge_customer", raise_exception=True)
@require_http_methods(["GET", "POST"])
def customer_erase(request: HttpRequest, pk: int) -> HttpResponse:
    return _erase(request, _get_customer(pk), action="erase", back_url=reverse("customers:list"))


@permission_required("customers.purge_customer", raise_exception=True)
@require_http_methods(["GET", "POST"])
def customer_purge(request: HttpRequest, pk: int) -> HttpResponse:
    return _erase(
        request,
        _get_customer(pk, deleted=True),
        action="purge",
        back_url=reverse("customers:deleted"),
    )


RETENTION_PAGE_SIZE = 50


@permission_required("customers.purge_customer", raise_exception=True)
@require_http_methods(["GET", "POST"])
def retention_list(request: HttpRequest) -> HttpResponse:
    # The last contact is often the last eye test or fitting: health data.
    if not health_data.may_see_recall(request.user):
        raise PermissionDenied
    """ "Aufbewahrungsfrist abgelaufen": the newest monthly review's customers
    without contact for years, for the owner to decide (erase or keep);
    POST makes a new review now."""
    if request.method == "POST":
        services.retention_review_request()
        messages.success(
            request,
            _(
                "The list is being made again in the background; with many customers this "
                "takes up to a minute. Reload the page then."
            ),
        )
        return redirect("customers:retention")
    review = selectors.retention_review_latest()
    page = None
    if review is not None:
        paginator = KnownCountPaginator(
            selectors.retention_candidates(review),
            RETENTION_PAGE_SIZE,
            count=review.customer_count,
        )
        page = paginator.get_page(request.GET.get("page"))
        page.object_list = selectors.retention_rows(page.object_list)
    context = {"review": review, "page": page, "table_id": "#retention-table"}
    return render_page_or_partial(request, "customers/retention_list.html", "table", context)


@permission_required("customers.view_customer", raise_exception=True)
@require_http_methods(["GET"])
def customer_photo(request: HttpRequest, pk: int) -> HttpResponse:
    """The photo itself (``?size=thumb``: the small one), only through this
    view: whoever may see the customer sees it (a photo is no health data);
    a deleted customer's is not shown."""
    key = (
        selectors.customer_list()
        .filter(pk=pk)
        .exclude(photo="")
        .values_list("photo", flat=True)
        .first()
    )
    if key is None:
        raise Http404
    thumb = request.GET.get("size") == "thumb"
    return private_file_response(
        photo_thumb_key(key) if thumb else key,
        filename=f"kunde-{pk}{'-klein' if thumb else ''}.jpg",
        content_type="image/jpeg",
    )


def _photo_done(request: HttpRequest, customer: Customer, text: str) -> HttpResponse:
    messages.success(request, text)
    if request.htmx:
        return close_modal(request, SAVED_EVENT)
    return redirect("customers:detail", pk=customer.pk)


@permission_required("customers.change_customer", raise_exception=True)
@require_http_methods(["GET", "POST"])
def customer_photo_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Upload a photo or take one with the camera (``?camera=1`` starts it),
    the square chosen in the browser; the server cuts and encodes it."""
    customer = _get_customer(pk)
    status = 200
    if request.method == "POST":
        form = PhotoForm(request.POST, request.FILES)
        if form.is_valid():
            upload = form.cleaned_data["photo"]
            # One byte past the limit is enough to refuse it.
            data = upload.read(settings.CUSTOMER_PHOTO_MAX_MB * 1024 * 1024 + 1)
            try:
                services.customer_photo_set(
                    customer_id=customer.pk, data=data, crop=form.crop(), user=request.user
                )
            except ValidationError as error:
                form.add_error("photo", error)
            else:
                return _photo_done(request, customer, _("Photo saved."))
        # htmx swaps only a 2xx answer: the form with its errors comes as 200 there.
        status = 200 if request.htmx else 400
    else:
        form = PhotoForm()
    context = {"customer": customer, "form": form, "camera": request.GET.get("camera") == "1"}
    return render_page_or_partial(
        request, "customers/customer_photo.html", "modal", context, status=status
    )


@permission_required("customers.change_customer", raise_exception=True)
@require_http_methods(["GET", "POST"])
def customer_photo_remove(request: HttpRequest, pk: int) -> HttpResponse:
    customer = _get_customer(pk)
    if request.method == "POST":
        if customer.photo:
            services.customer_photo_remove(customer_id=customer.pk, user=request.user)
        return _photo_done(request, customer, _("Photo removed."))
    return render_page_or_partial(
        request, "customers/customer_photo_remove.html", "modal", {"customer": customer}
    )
