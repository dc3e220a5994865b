import csv
import logging
from decimal import Decimal

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import DatabaseError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.text import capfirst, slugify
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.decorators.http import require_http_methods
from django_htmx.http import HttpResponseClientRedirect

from opticrm.lib.conflicts import conflict_form
from opticrm.lib.display import EMPTY, display_value
from opticrm.lib.export import Column, export_response, export_urls
from opticrm.lib.forms import PageSizeForm, posted_int
from opticrm.lib.history import record_history, with_latest_event_id
from opticrm.lib.htmx import close_modal, htmx_current_path, render_page_or_partial
from opticrm.lib.spreadsheet import spreadsheet_text
from products import contact_lenses, gtin, selectors, services
from products.filters import product_export_rows, product_table_page
from products.forms import (
    MarginForm,
    ProductForm,
    ReorderOrderForm,
    ReorderReceiveForm,
    StockMoveForm,
)
from products.models import Category, Product, ReorderLine, StockMovement, Supplier

logger = logging.getLogger(__name__)

SAVED_EVENT = "productSaved"
MOVED_EVENT = "stockMoved"
REORDER_EVENT = "reorderChanged"
# Recording orders and receiving their goods is stock keeping: whoever may
# book stock movements may do it.
ORDER_PERMISSION = "products.add_stockmovement"
LEDGER_PAGE_SIZE = 25
Kind = StockMovement.Kind
# The buttons on the product page, in the order of a product's life.
STOCK_KINDS = [Kind.RECEIPT, Kind.SALE, Kind.RETURN, Kind.CORRECTION, Kind.INVENTORY]


def _get_product(pk: int, *, figures: bool = False) -> Product:
    """The product, or 404 if it does not exist; with ``figures`` also what
    is on order and missing. Its newest history event comes along for the
    live notice of others' changes ({% live_record %}), which tells who
    changed what; edits are locked by ``Product.version``."""
    products = with_latest_event_id(Product.objects.select_related("supplier"))
    if figures:
        products = selectors.with_reorder_figures(products)
    return get_object_or_404(products, pk=pk)


# --- List ---------------------------------------------------------------------


def _table_context(request: HttpRequest) -> dict:
    page_size = PageSizeForm(request.GET, sizes=settings.TABLE_PAGE_SIZES).size
    product_filter, page = product_table_page(
        request.GET, page=request.GET.get("page"), page_size=page_size
    )
    context = {
        "filter": product_filter,
        "page": page,
        "page_size": page_size,
        "page_sizes": settings.TABLE_PAGE_SIZES,
        "current_sort": product_filter.current_sort,
        "export": export_urls("products:export"),
    }
    if not page.object_list and not product_filter.is_filtered:
        # Only inactive products, or none at all: say which.
        context["no_products"] = not Product.objects.exists()
    query = request.GET.get("q", "").strip()
    if not page.object_list and gtin.is_valid(query):
        # A scanned barcode no product has: offer to create that product.
        context["unknown_ean"] = query
    return context


def _scanned_product(request: HttpRequest) -> Product | None:
    """A barcode scanner types the EAN and Enter into the search box. A query
    that is exactly a product's EAN opens that product, as does an article
    number sent with Enter (``open``); while someone is still typing, "F-10"
    on the way to "F-100" must not jump away."""
    query = request.GET.get("q", "").strip()
    if not query or not (gtin.is_valid(query) or request.GET.get("open")):
        return None
    return selectors.product_by_code(query)


@permission_required("products.view_product", raise_exception=True)
@require_http_methods(["GET"])
def product_list(request: HttpRequest) -> HttpResponse:
    scanned = _scanned_product(request)
    if scanned is not None:
        url = reverse("products:detail", args=[scanned.pk])
        return HttpResponseClientRedirect(url) if request.htmx else redirect(url)
    context = _table_context(request)
    return render_page_or_partial(request, "products/product_list.html", "table", context)


def _label(model, name: str) -> str:
    return capfirst(model._meta.get_field(name).verbose_name)


def _product_columns() -> list[Column]:
    def label(name: str) -> str:
        return _label(Product, name)

    return [
        Column(label("article_number"), lambda p: p.article_number),
        Column(label("ean"), lambda p: p.ean),
        Column(label("category"), lambda p: p.get_category_display()),
        Column(label("name"), lambda p: p.name),
        Column(label("brand"), lambda p: p.brand),
        Column(label("model"), lambda p: p.model),
        Column(label("colour"), lambda p: p.colour),
        Column(label("supplier"), lambda p: p.supplier.name if p.supplier else ""),
        Column(label("purchase_price"), lambda p: p.purchase_price),
        Column(label("sale_price"), lambda p: p.sale_price),
        Column(label("vat_rate"), lambda p: p.get_vat_rate_display()),
        Column(label("stock"), lambda p: p.stock),
        Column(label("minimum_stock"), lambda p: p.minimum_stock),
        Column(label("active"), lambda p: p.active),
    ]


@permission_required("products.view_product", raise_exception=True)
@require_http_methods(["GET"])
def product_export(request: HttpRequest, file_format: str) -> HttpResponse:
    """The product list with its current filters as CSV or Excel file."""
    product_filter, products = product_export_rows(request.GET)
    return export_response(
        request,
        file_format,
        name=pgettext("file name", "products"),
        title=_("Products"),
        columns=_product_columns(),
        queryset=products,
        list_url=reverse("products:list"),
        filters_valid=product_filter.is_valid(),
    )


def _ledger_columns() -> list[Column]:
    def label(name: str) -> str:
        return _label(StockMovement, name)

    def by(movement) -> str:
        user = movement.created_by
        return (user.get_full_name() or user.get_username()) if user else ""

    return [
        Column(label("created_at"), lambda m: m.created_at),
        Column(label("kind"), lambda m: m.get_kind_display()),
        Column(label("quantity"), lambda m: m.quantity),
        Column(label("stock_after"), lambda m: m.stock_after),
        Column(_("By"), by),
        Column(label("note"), lambda m: m.note),
    ]


@permission_required("products.view_stockmovement", raise_exception=True)
@require_http_methods(["GET"])
def ledger_export(request: HttpRequest, pk: int, file_format: str) -> HttpResponse:
    """A product's stock ledger as CSV or Excel file."""
    product = _get_product(pk)
    stem = pgettext("file name", "stock-ledger")
    return export_response(
        request,
        file_format,
        name=f"{stem}-{slugify(product.article_number)}",
        title=product.name,
        columns=_ledger_columns(),
        queryset=selectors.product_ledger(product),
        newest_first=True,  # as the page shows it
        list_url=reverse("products:detail", args=[product.pk]),
    )


# --- Detail -------------------------------------------------------------------


@permission_required("products.view_product", raise_exception=True)
@require_http_methods(["GET"])
def product_detail(request: HttpRequest, pk: int) -> HttpResponse:
    product = _get_product(pk, figures=True)
    context = {
        "product": product,
        "stock_kinds": STOCK_KINDS,
        "kept": services.product_is_kept(product_id=product.pk),
        "missing": product.missing,
        "lens": _lens_text(product),
        "lens_prices": (
            list(selectors.lens_price_rows(product))
            if product.category == Category.SPECTACLE_LENS
            else []
        ),
        "show_ledger": request.user.has_perm("products.view_stockmovement"),
        "history": record_history(product),
    }
    if context["show_ledger"]:
        ledger = Paginator(selectors.product_ledger(product), LEDGER_PAGE_SIZE)
        context["page"] = ledger.get_page(request.GET.get("page"))
        context["export"] = export_urls("products:ledger_export", product.pk)
    # The ledger's page links swap only the ledger.
    partial = "ledger" if request.htmx and request.htmx.target == "product-ledger" else "details"
    return render_page_or_partial(request, "products/product_detail.html", partial, context)


def _lens_text(product: Product) -> dict[str, str]:
    """The contact lens parameters as the product page shows them."""
    if not product.has_lens_parameters:
        return {}
    low, high = product.sphere_min, product.sphere_max
    sphere = ""
    if low is not None or high is not None:
        sphere = " … ".join(
            "" if value is None else contact_lenses.format_value(value, places=2, signed=True)
            for value in (low, high)
        ).strip()
        sphere += " dpt"

    def values(kind: str, unit: str) -> str:
        listed = getattr(product, kind)
        return f"{contact_lenses.format_values(listed, kind)} {unit}" if listed else ""

    return {
        "base_curves": values("base_curves", "mm"),
        "diameters": values("diameters", "mm"),
        "cylinders": values("cylinders", "dpt"),
        "sphere": sphere,
    }


# --- Create and edit ------------------------------------------------------------


def _display_value(product: Product, name: str) -> str:
    """The contact lens parameters in their notation; the rest as every page
    shows a value (opticrm.lib.display)."""
    value = getattr(product, name)
    if name == "coatings":
        return product.get_coatings_display() or EMPTY
    if name == "tint":
        return str(product.get_tint_display())  # "klar" too, not "—"
    if isinstance(value, list):
        return contact_lenses.format_values(value, name)
    if name in ("sphere_min", "sphere_max") and value is not None:
        return contact_lenses.format_value(value, places=2, signed=True)
    return display_value(product, name)


def _conflict_form(request: HttpRequest, current: Product) -> ProductForm:
    return conflict_form(
        request,
        current,
        make_form=lambda data, instance: ProductForm(data, instance=instance),
        version=current.version,
        fields=services.EDITABLE_FIELDS,
        display=_display_value,
        message=_(
            "This product was changed by someone else in the meantime. "
            "Fields you did not change now show the saved values; where a change of yours "
            "collides, the saved value is shown below the field. Please check and save again."
        ),
    )


def _product_form_view(request: HttpRequest, product: Product | None) -> HttpResponse:
    if request.method == "POST":
        form = ProductForm(request.POST, instance=product or Product())
        if form.is_valid():
            try:
                if product is None:
                    saved = services.product_create(data=form.service_data())
                    messages.success(request, _("Product created."))
                else:
                    saved = services.product_update(
                        product_id=product.pk,
                        data=form.service_data(),
                        expected_version=form.cleaned_data.get("version"),
                    )
                    messages.success(request, _("Product saved."))
            except services.ProductConflict as conflict:
                form = _conflict_form(request, conflict.current)
            except ValidationError as error:
                form.add_service_error(error)
            except DatabaseError:
                logger.exception("Saving product %s failed", product.pk if product else "(new)")
                form.add_error(None, _("Error while saving. Your input is kept; please try again."))
            else:
                if request.htmx:
                    return close_modal(request, SAVED_EVENT)
                return redirect("products:detail", pk=saved.pk)
    else:
        # "Neuen Artikel mit EAN … anlegen" from an unknown scanned barcode.
        ean = request.GET.get("ean", "").strip() if product is None else ""
        form = ProductForm(instance=product, initial={"ean": ean} if gtin.is_valid(ean) else None)
    return render_page_or_partial(
        request, "products/product_form.html", "modal", {"form": form, "product": product}
    )


@permission_required("products.add_product", raise_exception=True)
@require_http_methods(["GET", "POST"])
def product_create(request: HttpRequest) -> HttpResponse:
    return _product_form_view(request, None)


@permission_required("products.change_product", raise_exception=True)
@require_http_methods(["GET", "POST"])
def product_update(request: HttpRequest, pk: int) -> HttpResponse:
    return _product_form_view(request, _get_product(pk))


@permission_required("products.view_product", raise_exception=True)
@require_http_methods(["GET"])
def product_margin(request: HttpRequest) -> HttpResponse:
    """The margin line of the product form, recomputed while prices are typed."""
    form = MarginForm(request.GET)
    return render(request, "products/_margin.html", {"margin": form.margin})


# --- Deactivate or delete ---------------------------------------------------------


@permission_required("products.change_product", raise_exception=True)
@require_http_methods(["GET", "POST"])
def product_delete(request: HttpRequest, pk: int) -> HttpResponse:
    """Delete the product, or only deactivate it if records refer to it
    (services.product_is_kept decides, services.product_delete carries it
    out). Deleting cannot be undone, so it takes the delete permission;
    deactivating is a change."""
    product = _get_product(pk)
    kept = services.product_is_kept(product_id=product.pk)
    if not kept and not request.user.has_perm("products.delete_product"):
        raise PermissionDenied
    if request.method == "POST":
        deleted = services.product_delete(product_id=product.pk)
        if deleted:
            messages.success(request, _("Product %(name)s deleted.") % {"name": product.name})
        else:
            messages.success(
                request,
                _(
                    "Product %(name)s deactivated. Stock movements, orders or fittings "
                    "refer to it, so it is kept; edit it to sell it again."
                )
                % {"name": product.name},
            )
        detail_url = reverse("products:detail", args=[product.pk])
        list_url = reverse("products:list")
        if not request.htmx:
            return redirect(list_url if deleted else detail_url)
        if deleted and htmx_current_path(request) == detail_url:
            # The page the user looks at is gone: take them to the list.
            return HttpResponseClientRedirect(list_url)
        return close_modal(request, SAVED_EVENT)
    return render_page_or_partial(
        request, "products/product_confirm.html", "modal", {"product": product, "kept": kept}
    )


# --- Stock movements ----------------------------------------------------------------


@permission_required("products.add_stockmovement", raise_exception=True)
@require_http_methods(["GET", "POST"])
def stock_move(request: HttpRequest, pk: int, kind: str) -> HttpResponse:
    if kind not in Kind.values:
        raise Http404
    product = _get_product(pk)
    if request.method == "POST":
        form = StockMoveForm(request.POST, kind=kind)
        if form.is_valid():
            try:
                movement = services.stock_move(
                    product_id=product.pk,
                    kind=kind,
                    quantity=form.cleaned_data["quantity"],
                    note=form.cleaned_data["note"],
                    user=request.user,
                )
            except ValidationError as error:
                form.add_service_error(error)
            except DatabaseError:
                logger.exception("Booking a movement of product %s failed", product.pk)
                form.add_error(None, _("Error while saving. Your input is kept; please try again."))
            else:
                messages.success(
                    request,
                    _("%(kind)s booked (%(quantity)s). Stock now: %(stock)d.")
                    % {
                        "kind": movement.get_kind_display(),
                        "quantity": f"{movement.quantity:+d}",
                        "stock": movement.stock_after,
                    },
                )
                if request.htmx:
                    return close_modal(request, MOVED_EVENT)
                return redirect("products:detail", pk=product.pk)
    else:
        form = StockMoveForm(kind=kind)
    context = {"form": form, "product": product, "kind": Kind(kind)}
    return render_page_or_partial(request, "products/stock_form.html", "modal", context)


# --- Reorder ----------------------------------------------------------------------


def _reorder_supplier(request: HttpRequest) -> Supplier | None:
    """The supplier chosen with ?supplier=<id>, or None for all."""
    supplier_id = posted_int(request.GET.get("supplier"))
    if supplier_id is None:
        return None
    return Supplier.objects.filter(pk=supplier_id).first()


REORDER_PAGE_SIZE = 25


@permission_required("products.view_product", raise_exception=True)
@require_http_methods(["GET"])
def reorder(request: HttpRequest) -> HttpResponse:
    supplier = _reorder_supplier(request)
    products = selectors.reorder_list(supplier_id=supplier.pk if supplier else None)
    # A chain's list runs to a thousand lines: a page of them at a time.
    page = Paginator(products, REORDER_PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "groups": selectors.reorder_groups(list(page.object_list)),
        "count": page.paginator.count,
        "page": page,
        "supplier": supplier,
        "may_order": request.user.has_perm(ORDER_PERMISSION),
    }
    return render_page_or_partial(request, "products/reorder.html", "list", context)


def _reorder_done(request: HttpRequest, message: str) -> HttpResponse:
    messages.success(request, message)
    if request.htmx:
        return close_modal(request, REORDER_EVENT, MOVED_EVENT)
    return redirect("products:reorder")


def _save_failed(form, error: Exception, what: str, pk: int) -> None:
    if isinstance(error, ValidationError):
        form.add_service_error(error)
    else:
        logger.exception("%s %s failed", what, pk)
        form.add_error(None, _("Error while saving. Your input is kept; please try again."))


@permission_required(ORDER_PERMISSION, raise_exception=True)
@require_http_methods(["GET", "POST"])
def reorder_order(request: HttpRequest, pk: int) -> HttpResponse:
    """Record an order placed with the supplier: the product shows as ordered
    until its goods are received."""
    product = _get_product(pk, figures=True)
    if request.method == "POST":
        form = ReorderOrderForm(request.POST)
        if form.is_valid():
            try:
                line = services.reorder_line_order(
                    product_id=product.pk,
                    quantity=form.cleaned_data["quantity"],
                    ordered_at=form.cleaned_data["ordered_at"],
                    reference=form.cleaned_data["reference"],
                    user=request.user,
                )
            except (ValidationError, DatabaseError) as error:
                _save_failed(form, error, "Ordering product", product.pk)
            else:
                return _reorder_done(
                    request,
                    _("Order recorded: %(quantity)d × %(name)s.")
                    % {"quantity": line.quantity, "name": product.name},
                )
    else:
        form = ReorderOrderForm(initial={"quantity": product.missing or None})
    context = {"form": form, "product": product}
    return render_page_or_partial(request, "products/reorder_order.html", "modal", context)


def _open_line(pk: int) -> ReorderLine:
    """An open order line with its product, or 404 (none, or closed)."""
    lines = ReorderLine.objects.select_related("product").filter(status=ReorderLine.Status.OPEN)
    return get_object_or_404(lines, pk=pk)


@permission_required(ORDER_PERMISSION, raise_exception=True)
@require_http_methods(["GET", "POST"])
def reorder_receive(request: HttpRequest, pk: int) -> HttpResponse:
    """Goods received for an order: booked into the stock ledger."""
    line = _open_line(pk)
    if request.method == "POST":
        form = ReorderReceiveForm(request.POST)
        if form.is_valid():
            try:
                line, movement = services.reorder_line_receive(
                    line_id=line.pk,
                    quantity=form.cleaned_data["quantity"],
                    close=form.cleaned_data["close"],
                    note=form.cleaned_data["note"],
                    user=request.user,
                )
            except (ValidationError, DatabaseError) as error:
                _save_failed(form, error, "Receiving order line", line.pk)
            else:
                if line.status == ReorderLine.Status.OPEN:
                    text = _(
                        "Goods received: %(quantity)d × %(name)s; %(rest)d still on order. "
                        "Stock now: %(stock)d."
                    )
                else:
                    text = _(
                        "Goods received: %(quantity)d × %(name)s; the order is closed. "
                        "Stock now: %(stock)d."
                    )
                return _reorder_done(
                    request,
                    text
                    % {
                        "quantity": movement.quantity,
                        "name": line.product.name,
                        "rest": line.outstanding,
                        "stock": movement.stock_after,
                    },
                )
    else:
        form = ReorderReceiveForm(initial={"quantity": line.outstanding})
    context = {"form": form, "line": line, "product": line.product}
    return render_page_or_partial(request, "products/reorder_receive.html", "modal", context)


@permission_required(ORDER_PERMISSION, raise_exception=True)
@require_http_methods(["GET", "POST"])
def reorder_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    """The supplier will not deliver: the order no longer counts."""
    line = _open_line(pk)
    error = None
    if request.method == "POST":
        try:
            services.reorder_line_cancel(line_id=line.pk)
        except ValidationError as refused:
            error = refused.messages[0]
        except DatabaseError:
            logger.exception("Cancelling order line %s failed", line.pk)
            error = _("Error while saving. Your input is kept; please try again.")
        else:
            return _reorder_done(
                request, _("Order of %(name)s cancelled.") % {"name": line.product.name}
            )
    context = {"line": line, "product": line.product, "error": error}
    return render_page_or_partial(request, "products/reorder_cancel.html", "modal", context)


def _decimal_comma(value: Decimal) -> str:
    """49.9 -> "49,90": Excel in Germany reads a decimal comma."""
    return f"{value:.2f}".replace(".", ",")


@permission_required("products.view_product", raise_exception=True)
@require_http_methods(["GET"])
def reorder_csv(request: HttpRequest) -> HttpResponse:
    """The reorder list for the supplier order: semicolons, UTF-8 with BOM and
    decimal commas, as Excel in Germany opens it with a double click."""
    supplier = _reorder_supplier(request)
    products = selectors.reorder_list(supplier_id=supplier.pk if supplier else None)
    field = Product._meta.get_field
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    # Translators: the start of the CSV file's name, lower case without spaces.
    name = _("reorder")
    filename = f"{name}-{timezone.localdate():%Y-%m-%d}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.write("\ufeff")
    writer = csv.writer(response, delimiter=";")
    writer.writerow(
        [
            capfirst(field("supplier").verbose_name),
            capfirst(field("article_number").verbose_name),
            _("EAN"),
            capfirst(field("name").verbose_name),
            capfirst(field("brand").verbose_name),
            capfirst(field("stock").verbose_name),
            capfirst(field("minimum_stock").verbose_name),
            _("On order"),
            _("Quantity missing"),
            capfirst(field("purchase_price").verbose_name),
        ]
    )
    for product in products:
        writer.writerow(
            [
                spreadsheet_text(product.supplier.name if product.supplier else ""),
                spreadsheet_text(product.article_number),
                product.ean,
                spreadsheet_text(product.name),
                spreadsheet_text(product.brand),
                product.stock,
                product.minimum_stock,
                product.on_order,
                product.missing,
                _decimal_comma(product.purchase_price),
            ]
        )
    return response
