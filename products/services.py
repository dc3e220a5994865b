"""Every write to products and stock goes through here."""

from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import ProtectedError
from django.utils.translation import gettext as _

from opticrm.lib.history import latest_event_id
from products.models import Product, StockMovement

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
    """Someone else saved the product after the form was opened."""

    def __init__(self, current: Product, version: int):
        super().__init__(f"Product {current.pk} was changed meanwhile")
        self.current = current
        self.version = version  # read under the same lock as ``current``


@transaction.atomic
def product_update(
    *, product_id: int, data: Mapping[str, Any], expected_version: int | None = None
) -> Product:
    """Save changes; with ``expected_version`` (the product's newest history
    event when the form was opened) refuse to overwrite a newer save. Stock
    movements do not count: they never touch the fields a form edits."""
    product = Product.objects.select_for_update(no_key=True).get(pk=product_id)
    if expected_version is not None:
        version = latest_event_id(product)
        if version != expected_version:
            raise ProductConflict(product, version)
    _assign(product, data)
    product.full_clean()
    product.save()
    return product


@transaction.atomic
def product_delete(*, product_id: int) -> bool:
    """Delete a product without history; one with stock movements, or one
    named in a customer's contact lens fitting, is only deactivated, so the
    records keep what they refer to. True if deleted."""
    product = Product.objects.select_for_update().get(pk=product_id)
    if not product.movements.exists():
        try:
            with transaction.atomic():
                product.delete()
            return True
        except ProtectedError:
            pass  # a fitting refers to it
    product.active = False
    product.save(update_fields=["active", "updated_at"])
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
    product.save(update_fields=["stock", "updated_at"])
    return movement
