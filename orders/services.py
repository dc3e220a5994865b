"""Every write to orders goes through here (screens, admin, API, tasks), so
each rule has one home: the version check against lost changes, the way
through the statuses, the frame taken from stock and put back."""

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from customers.models import Customer
from orders import rules
from orders.models import CENTRATION_FIELDS, SIDES, Kind, Order, OrderLine, Status
from orders.selectors import default_refraction
from prescriptions.eyes import EyeValues
from prescriptions.models import CURRENT, Refraction
from products import services as product_services
from products.models import Category, Product, StockMovement

HEADER_FIELDS = (
    "staff",
    "promised_date",
    "frame",
    "own_frame",
    "deposit",
    "notes",
    *CENTRATION_FIELDS,
)
LINE_FIELDS = (
    "kind",
    "eye",
    "product",
    "description",
    "quantity",
    "unit_price",
    "discount_percent",
    "discount_amount",
    "discount_reason",
    "vat_rate",
)


class OrderConflict(Exception):
    """Someone else changed the order since it was loaded."""

    def __init__(self, current: Order):
        self.current = current
        super().__init__(f"order {current.pk} is at version {current.version}")


def _locked(order_id: int, version: int | None) -> Order:
    """The order, locked; refused (OrderConflict) if it is no longer at
    ``version`` (None: the caller named no version)."""
    order = Order.objects.select_for_update(no_key=True).get(pk=order_id)
    if version is not None and order.version != version:
        raise OrderConflict(order)
    return order


def _save(order: Order, fields: set[str]) -> None:
    order.version += 1
    order.full_clean()
    order.save(update_fields=[*fields, "version", "updated_at"])


def snapshot(refraction: Refraction) -> dict:
    """A refraction's values as the order keeps them (text for decimals, so
    the JSON holds them exactly)."""

    def plain(value):
        return str(value) if isinstance(value, Decimal) else value

    return {
        "refraction_id": refraction.pk,
        "kind": refraction.kind,
        "date": refraction.date.isoformat(),
        "prescriber": refraction.prescriber,
        "vertex_distance": plain(refraction.vertex_distance),
        **{
            side: {
                name: plain(value) for name, value in EyeValues.of(refraction, side).values.items()
            }
            for side in SIDES
        },
    }


def _use_refraction(order: Order, refraction: Refraction | None, *, anew: bool = False) -> None:
    """Copy ``refraction``'s values into the order; PD and HSA too where the
    order has none yet (``anew``: always, for another refraction)."""
    order.refraction = refraction
    order.prescription = snapshot(refraction) if refraction else {}
    if refraction is None:
        return
    # Centration defaults from the measurement, where not measured yet.
    measured = {
        "pd": lambda side: getattr(refraction, f"{side}_pd"),
        "vertex_distance": lambda side: refraction.vertex_distance,
    }
    for side in SIDES:
        for name, value_of in measured.items():
            value = value_of(side)
            if (anew or getattr(order, f"{side}_{name}") is None) and value is not None:
                # Measured in half millimetres: one decimal place.
                setattr(order, f"{side}_{name}", value.quantize(Decimal("0.1")))


@transaction.atomic
def order_create(
    *, customer_id: int, kind: str = Kind.GLASSES, refraction_id: int | None = None, user=None
) -> Order:
    """A new order (an Angebot) of a living customer; glasses are made for
    ``refraction_id`` or else the newest subjective refraction."""
    customer = Customer.objects.alive().filter(pk=customer_id).first()
    if customer is None:
        raise ValidationError({"customer": _("This customer has been deleted.")})
    order = Order(customer=customer, kind=kind, staff=user)
    if kind == Kind.GLASSES:
        if refraction_id is not None:
            refraction = _refraction_of(customer_id, refraction_id)
        else:
            refraction = default_refraction(customer_id)
        _use_refraction(order, refraction)
    order.status_changed_at = timezone.now()
    order.full_clean()
    order.save()
    return order


def _refraction_of(customer_id: int, refraction_id: int) -> Refraction:
    refraction = Refraction.objects.filter(
        CURRENT, pk=refraction_id, customer_id=customer_id
    ).first()
    if refraction is None:
        raise ValidationError(
            {"refraction": _("Please choose one of this customer's current refractions.")}
        )
    return refraction


@transaction.atomic
def order_refraction_change(
    *, order_id: int, refraction_id: int, version: int | None, user=None
) -> Order:
    """Make the glasses for another refraction (its values copied anew);
    only before the lenses are ordered."""
    order = _locked(order_id, version)
    _refuse_unless_editable(order)
    refraction = _refraction_of(order.customer_id, refraction_id)
    _use_refraction(order, refraction, anew=True)
    defaults = (f"{side}_{name}" for side in SIDES for name in ("pd", "vertex_distance"))
    fields = {"refraction", "prescription", *defaults}
    _save(order, fields)
    return order


def _refuse_unless_editable(order: Order) -> None:
    if order.status not in rules.EDITABLE:
        raise ValidationError(
            _("The order is “%(status)s”: its positions and values can no longer be changed.")
            % {"status": order.get_status_display()}
        )


@transaction.atomic
def order_update(
    *, order_id: int, data: Mapping[str, Any], version: int | None, user=None
) -> Order:
    """Change the order's own fields (HEADER_FIELDS in ``data``). The frame
    only while the order can be edited; one taken from stock is put back
    and the new one taken."""
    order = _locked(order_id, version)
    unknown = set(data) - set(HEADER_FIELDS)
    if unknown:
        raise ValueError(f"not order fields: {sorted(unknown)}")
    old_frame = order.frame_id
    new_frame = data.get("frame", order.frame)
    frame_changes = "frame" in data and getattr(new_frame, "pk", new_frame) != old_frame
    if frame_changes or any(
        name in data and data[name] != getattr(order, name) for name in EDITABLE_ONLY
    ):
        _refuse_unless_editable(order)
    for name, value in data.items():
        setattr(order, name, value)
    if order.frame_id and order.frame.category != Category.FRAME:
        raise ValidationError({"frame": _("Please choose a frame.")})
    fields = set(data)
    if frame_changes and order.status != Status.QUOTE:
        # Placed: the frame in the shop's hands changes, and the stock.
        _lock_products(old_frame, order.frame_id)
        if order.frame_out_id and not order.frame_back_id:
            _frame_back(order, user, note=_("Order %(number)s: frame exchanged"))
        order.frame_out = order.frame_back = None
        if order.frame_id:
            _frame_out(order, user)
        fields |= {"frame_out", "frame_back"}
    _save(order, fields)
    return order


# Values that are the glasses' own: fixed once the lenses are ordered.
EDITABLE_ONLY = ("own_frame", *CENTRATION_FIELDS)


def _lock_products(*product_ids) -> None:
    """Lock the frames an exchange moves in one order (by id), so that two
    orders swapping frames at once wait for each other instead of deadlocking."""
    ids = sorted({pk for pk in product_ids if pk})
    list(Product.objects.select_for_update(no_key=True).filter(pk__in=ids).order_by("pk"))


def _frame_out(order: Order, user) -> None:
    """Take the order's frame from stock (never below zero: the ledger's rule)."""
    try:
        order.frame_out = product_services.stock_move(
            product_id=order.frame_id,
            kind=StockMovement.Kind.SALE,
            quantity=1,
            note=_("Order %(number)s") % {"number": order.pk},
            user=user,
        )
    except ValidationError:
        raise ValidationError(
            {"frame": _("The frame %(frame)s is no longer in stock.") % {"frame": order.frame.name}}
        ) from None


def _frame_back(order: Order, user, *, note: str = "") -> None:
    order.frame_back = product_services.stock_move(
        product_id=order.frame_out.product_id,
        kind=StockMovement.Kind.RETURN,
        quantity=1,
        note=(note or _("Order %(number)s cancelled")) % {"number": order.pk},
        user=user,
    )


@transaction.atomic
def order_status_change(
    *, order_id: int, status: str, version: int | None, user=None, reason: str = ""
) -> Order:
    """Move the order on (rules.TRANSITIONS). Placing it (Angebot → Auftrag)
    takes the frame from stock; cancelling puts it back; a cancellation and
    a complaint need their reason. The history records who and when."""
    order = _locked(order_id, version)
    if status not in Status.values:
        raise ValidationError({"status": _("Please choose one of the offered statuses.")})
    if not rules.may_move(order.status, status):
        raise ValidationError(
            {
                "status": _("An order that is “%(current)s” cannot move to “%(new)s”.")
                % {"current": order.get_status_display(), "new": Status(status).label}
            }
        )
    reason = reason.strip()
    if status in rules.NEEDS_REASON and not reason:
        raise ValidationError({"status_reason": _("Please give the reason.")})
    placing_glasses = (order.status, status, order.kind) == (
        Status.QUOTE,
        Status.ORDERED,
        Kind.GLASSES,
    )
    if placing_glasses and (not order.prescription or not order.lines.exists()):
        raise ValidationError(
            _("Glasses are ordered with the values of a refraction and at least one position.")
        )
    fields = {"status", "status_changed_at", "status_reason"}
    if status == rules.FRAME_TAKEN_FROM and order.frame_id and not order.frame_out_id:
        _frame_out(order, user)
        fields.add("frame_out")
    if status == Status.CANCELLED and order.frame_out_id and not order.frame_back_id:
        _frame_back(order, user)
        fields.add("frame_back")
    order.status = status
    order.status_reason = reason if status in rules.NEEDS_REASON else order.status_reason
    order.status_changed_at = timezone.now()
    _save(order, fields)
    return order


@transaction.atomic
def line_save(
    *,
    order_id: int,
    data: Mapping[str, Any],
    version: int | None,
    line_id: int | None = None,
    user=None,
) -> OrderLine:
    """Add a position (``line_id`` None: as the last) or change one."""
    order = _locked(order_id, version)
    _refuse_unless_editable(order)
    unknown = set(data) - set(LINE_FIELDS)
    if unknown:
        raise ValueError(f"not position fields: {sorted(unknown)}")
    if line_id is None:
        last = order.lines.aggregate(last=Max("position"))["last"] or 0
        line = OrderLine(order=order, position=last + 1)
    else:
        line = OrderLine.objects.get(pk=line_id, order=order)
    for name, value in data.items():
        setattr(line, name, value)
    product = line.product
    if product is not None and not line.description:
        line.description = product.name
    line.discount_reason = (line.discount_reason or "").strip()
    line.full_clean()
    if line.discount_amount is not None and line.discount_amount > line.quantity * line.unit_price:
        raise ValidationError(
            {"discount_amount": _("The discount is more than the position costs.")}
        )
    line.save()
    _save(order, set())
    return line


@transaction.atomic
def line_remove(*, order_id: int, line_id: int, version: int | None, user=None) -> None:
    order = _locked(order_id, version)
    _refuse_unless_editable(order)
    OrderLine.objects.filter(pk=line_id, order=order).delete()
    _save(order, set())


def product_line(product: Product, **extra) -> dict:
    """A position's data for a product at its sales price and VAT rate."""
    return {
        "kind": {
            Category.FRAME: "frame",
            Category.SPECTACLE_LENS: "lens",
            Category.CONTACT_LENS: "contact_lens",
        }.get(product.category, "product"),
        "product": product,
        "description": product.name,
        "unit_price": product.sale_price,
        "vat_rate": product.vat_rate,
        **extra,
    }
