"""Every write to products, stock and supplier orders goes through here."""

import datetime
from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from opticrm.lib.dates import is_plausible
from products.models import LensPrice, Product, ReorderLine, StockMovement

EDITABLE_FIELDS = (
    "category",
    "article_number",
    "ean",
    "name",
    "brand",
    "model",
    "colour",
    "lens_width",
    "bridge_width",
    "temple_length",
    "supplier",
    "lens_design",
    "base_curves",
    "diameters",
    "sphere_min",
    "sphere_max",
    "cylinders",
    "axis_step",
    "spectacle_design",
    "lens_index",
    "coatings",
    "tint",
    "purchase_price",
    "sale_price",
    "vat_rate",
    "minimum_stock",
    "active",
)
Kind = StockMovement.Kind


def _assign(product: Product, data: Mapping[str, Any]) -> None:
    for field in EDITABLE_FIELDS:
        if field in data:
            setattr(product, field, data[field])
    for field in ("base_curves", "diameters", "cylinders", "coatings"):
        if getattr(product, field) is None:
            setattr(product, field, [])
    product.lens_design = product.lens_design or ""
    product.spectacle_design = product.spectacle_design or ""
    product.tint = product.tint or ""
    product.ean = (product.ean or "").strip()
    product.article_number = (product.article_number or "").strip()


@transaction.atomic
def product_create(*, data: Mapping[str, Any]) -> Product:
    product = Product()
    _assign(product, data)
    product.full_clean()
    product.save()
    return product


class ProductConflict(Exception):
    """Someone else saved the product after the form (or the API client)
    read it; ``current`` is the product as saved now, read under the lock."""

    def __init__(self, current: Product):
        super().__init__(f"Product {current.pk} was changed meanwhile")
        self.current = current
        self.version = current.version


def _locked(product_id: int, expected_version: int | None) -> Product:
    """The product, locked until the transaction ends; with
    ``expected_version`` (the version the change was made from) refused if
    someone saved it since. The one version rule of products: screens, the
    admin and the API name the version they read."""
    product = Product.objects.select_for_update(no_key=True).get(pk=product_id)
    if expected_version is not None and product.version != expected_version:
        raise ProductConflict(product)
    return product


@transaction.atomic
def product_update(
    *, product_id: int, data: Mapping[str, Any], expected_version: int | None = None
) -> Product:
    """Save changes as the next version; with ``expected_version`` refuse to
    overwrite a newer save. Stock movements are no edit: they leave the
    version alone (stock_move), so they never make an edit conflict."""
    product = _locked(product_id, expected_version)
    _assign(product, data)
    product.version += 1
    product.full_clean()
    product.save()
    return product


# --- The price list of a spectacle lens (prices by power) ----------------------------------

LENS_PRICE_FIELDS = ("sphere_from", "sphere_to", "cylinder_to", "sale_price", "purchase_price")


@transaction.atomic
def lens_price_create(*, product_id: int, data: Mapping[str, Any]) -> LensPrice:
    """A row of the product's price list; the product must be a spectacle lens."""
    product = Product.objects.select_for_update(no_key=True).get(pk=product_id)
    row = LensPrice(product=product)
    for field in LENS_PRICE_FIELDS:
        if field in data:
            setattr(row, field, data[field])
    row.full_clean()
    row.save()
    return row


@transaction.atomic
def lens_price_update(*, lens_price_id: int, data: Mapping[str, Any]) -> LensPrice:
    row = LensPrice.objects.select_for_update().select_related("product").get(pk=lens_price_id)
    for field in LENS_PRICE_FIELDS:
        if field in data:
            setattr(row, field, data[field])
    row.full_clean()
    row.save()
    return row


@transaction.atomic
def lens_price_delete(*, lens_price_id: int) -> None:
    LensPrice.objects.filter(pk=lens_price_id).delete()


def _references() -> list:
    """The relations that keep a product from being deleted (PROTECT): its
    stock ledger, its orders with the supplier, customers' contact lens
    fittings, whichever app they are in."""
    return [
        relation
        for relation in Product._meta.get_fields(include_hidden=True)
        if relation.auto_created
        and not relation.concrete
        and getattr(relation, "on_delete", None) is models.PROTECT
    ]


def product_is_kept(*, product_id: int) -> bool:
    """Whether removing the product only deactivates it: records refer to it
    (stock movements, supplier orders, fittings), which must keep what they
    refer to. The one home of delete-or-deactivate: the product page, its
    confirmation, the admin and product_delete ask here. One query."""
    referred = Q()
    for relation in _references():
        rows = relation.related_model._base_manager.filter(**{relation.field.name: OuterRef("pk")})
        referred |= Exists(rows)
    return Product.objects.filter(referred, pk=product_id).exists()


@transaction.atomic
def product_delete(*, product_id: int) -> bool:
    """Delete the product, or deactivate it if product_is_kept: True if
    deleted. Deactivating is an edit (the next version). The row lock keeps
    new references out until the decision is carried out (a new movement or
    fitting waits for it)."""
    product = Product.objects.select_for_update().get(pk=product_id)
    if not product_is_kept(product_id=product.pk):
        product.delete()
        return True
    if product.active:
        product.active = False
        product.version += 1
        product.save(update_fields=["active", "version", "updated_at"])
    return False


def _delta(kind: str, quantity: int, stock: int) -> int:
    if kind == Kind.INVENTORY:
        if quantity < 0:
            raise ValidationError({"quantity": _("A counted stock cannot be negative.")})
        return quantity - stock
    if kind == Kind.CORRECTION:
        if quantity == 0:
            raise ValidationError({"quantity": _("A correction must change the stock.")})
        return quantity
    if quantity <= 0:
        raise ValidationError({"quantity": _("Please enter a quantity of at least 1.")})
    return -quantity if kind == Kind.SALE else quantity


@transaction.atomic
def stock_move(
    *, product_id: int, kind: str, quantity: int, note: str = "", user=None
) -> StockMovement:
    """Book a movement and update the stock under a row lock, so concurrent
    sales never lose a movement and never take the stock below zero.

    Receipts, returns and sales take a positive quantity; a correction takes
    the signed change; stock-taking takes the counted stock."""
    if kind not in Kind.values:
        raise ValidationError({"kind": _("Unknown kind of stock movement.")})
    product = Product.objects.select_for_update(no_key=True).get(pk=product_id)
    delta = _delta(kind, quantity, product.stock)
    new_stock = product.stock + delta
    if new_stock < 0:
        raise ValidationError(
            {
                "quantity": _("Not enough stock: %(stock)d in stock, %(wanted)d requested.")
                % {"stock": product.stock, "wanted": -delta}
            },
        )
    movement = StockMovement(
        product=product,
        kind=kind,
        quantity=delta,
        stock_after=new_stock,
        note=note,
        created_by=user,
    )
    movement.full_clean()
    movement.save()
    product.stock = new_stock
    # No edit: neither the version nor the time of the last change move.
    product.save(update_fields=["stock"])
    return movement


# --- Orders with the supplier (the reorder list) ---------------------------------------

Status = ReorderLine.Status


def _closed_error() -> ValidationError:
    return ValidationError(
        _("This order was closed in the meantime (received or cancelled)."), code="closed"
    )


def _open_line(line_id: int) -> ReorderLine:
    """The line, locked; refused if it is no longer open."""
    line = (
        ReorderLine.objects.select_for_update(no_key=True).select_related("product").get(pk=line_id)
    )
    if line.status != Status.OPEN:
        raise _closed_error()
    return line


@transaction.atomic
def reorder_line_order(
    *,
    product_id: int,
    quantity: int,
    ordered_at: datetime.date | None = None,
    reference: str = "",
    user=None,
) -> ReorderLine:
    """Record that ``quantity`` of the product was ordered with the supplier
    (on ``ordered_at``, today if not given). The stock does not change until
    the goods are received."""
    product = Product.objects.get(pk=product_id)
    ordered_at = ordered_at or timezone.localdate()
    if ordered_at > timezone.localdate() or not is_plausible(ordered_at):
        raise ValidationError({"ordered_at": _("The date must not be in the future.")})
    if quantity is None or quantity < 1:
        raise ValidationError({"quantity": _("Please enter a quantity of at least 1.")})
    line = ReorderLine(
        product=product,
        quantity=quantity,
        ordered_at=ordered_at,
        reference=(reference or "").strip(),
        ordered_by=user,
    )
    line.full_clean()
    line.save()
    return line


def _receipt_note(line: ReorderLine, note: str) -> str:
    day = formats.date_format(line.ordered_at, "SHORT_DATE_FORMAT")
    if line.reference:
        text = _("Order of %(date)s, %(reference)s") % {"date": day, "reference": line.reference}
    else:
        text = _("Order of %(date)s") % {"date": day}
    if note:
        text = f"{text} – {note}"
    max_length = StockMovement._meta.get_field("note").max_length
    return text if len(text) <= max_length else text[: max_length - 1] + "…"


@transaction.atomic
def reorder_line_receive(
    *, line_id: int, quantity: int, close: bool = False, note: str = "", user=None
) -> tuple[ReorderLine, StockMovement]:
    """Book goods received for an open order into the stock ledger
    (stock_move, the one way stock changes) and count them on the order.

    All ordered goods received (or more: they are on the shelf, so they are
    booked) close the order. A partial delivery leaves the rest on order,
    unless ``close``: the supplier sends no more, the rest is cancelled."""
    line = _open_line(line_id)
    if quantity is None or quantity < 1:
        raise ValidationError({"quantity": _("Please enter a quantity of at least 1.")})
    movement = stock_move(
        product_id=line.product_id,
        kind=Kind.RECEIPT,
        quantity=quantity,
        note=_receipt_note(line, note),
        user=user,
    )
    line.received_quantity += quantity
    if line.received_quantity >= line.quantity:
        line.status = Status.RECEIVED
    elif close:
        line.status = Status.CANCELLED
    if line.status != Status.OPEN:
        line.closed_at = timezone.now()
    line.full_clean()
    line.save()
    return line, movement


@transaction.atomic
def reorder_line_cancel(*, line_id: int) -> ReorderLine:
    """The supplier will not deliver (the rest of) the order: it no longer
    counts as on order. What was received stays booked."""
    line = _open_line(line_id)
    line.status = Status.CANCELLED
    line.closed_at = timezone.now()
    line.full_clean()
    line.save()
    return line
