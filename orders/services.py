"""Every write to orders goes through here (screens, admin, API, tasks), so
each rule has one home: the version check against lost changes, the way
through the statuses, the frame taken from stock and put back."""

import datetime
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from customers.models import Customer
from messaging import services as messaging_services
from orders import rules
from orders.models import (
    CENTRATION,
    CENTRATION_FIELDS,
    SIDES,
    Kind,
    LineKind,
    Order,
    OrderLine,
    Status,
)
from orders.selectors import default_refraction
from prescriptions.eyes import EyeValues
from prescriptions.models import CURRENT, ContactLensFitting, Refraction
from products import selectors as product_selectors
from products import services as product_services
from products.models import ADDITION_DESIGNS, Category, Product, StockMovement

logger = logging.getLogger(__name__)

HEADER_FIELDS = (
    "staff",
    "promised_date",
    "frame",
    "own_frame",
    "deposit",
    "notes",
    "plausibility_reason",
    "insurance_number",
    "fitting",
    "item",
    "work",
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
    "diameter",
    "supply_days",
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
    *,
    customer_id: int,
    kind: str = Kind.GLASSES,
    refraction_id: int | None = None,
    fitting_id: int | None = None,
    user=None,
) -> Order:
    """A new order (an Angebot) of a living customer; glasses are made for
    ``refraction_id`` or else the newest subjective refraction, contact
    lenses come from ``fitting_id`` where given; a repair is taken in as
    an order right away."""
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
    if kind == Kind.REPAIR:
        order.status = Status.ORDERED
    order.status_changed_at = timezone.now()
    order.full_clean()
    order.save()
    if kind == Kind.CONTACT_LENSES and fitting_id is not None:
        fitting_lines_add(order_id=order.pk, fitting_id=fitting_id, version=None, user=user)
        order.refresh_from_db()
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
    data = dict(data)
    if data.get("insurance_number"):
        data["insurance_number"] = data["insurance_number"].strip().upper()
    for name, value in data.items():
        setattr(order, name, value)
    if (
        frame_changes
        and order.frame_id
        and (order.frame.category != Category.FRAME or not order.frame.active)
    ):
        raise ValidationError({"frame": _("Please choose a frame.")})
    fields = set(data)
    if order.kind == Kind.GLASSES and order.status != Status.QUOTE:
        # Placed glasses keep what the lab needs (a quote is still a draft).
        hard = [problem.text for problem in centration_problems(order) if problem.hard]
        if hard:
            raise ValidationError(hard)
    if any(name in data for name in CENTRATION_FIELDS) and not order.plausibility_reason:
        unusual = [problem.text for problem in centration_problems(order) if not problem.hard]
        if unusual:
            raise ValidationError(
                {
                    "plausibility_reason": [
                        _("These values are unusual; please check them or give the reason:"),
                        *unusual,
                    ]
                }
            )
    if frame_changes and order.status != Status.QUOTE:
        # Placed: the frame in the shop's hands changes, and the stock.
        _lock_products(old_frame, order.frame_id)
        if order.frame_out_id and not order.frame_back_id:
            _frame_back(order, user, note=_("Order %(number)s: frame exchanged"))
        order.frame_out = order.frame_back = None
        if order.frame_id:
            _frame_out(order, user)
        fields |= {"frame_out", "frame_back"}
    if frame_changes:
        _frame_line(order, old_frame)
    _save(order, fields)
    return order


def _frame_line(order: Order, old_frame: int | None) -> None:
    """The frame from stock is a position of the order at its sale price:
    the old frame's position goes, the new one's comes (an own frame has
    none)."""
    if old_frame:
        order.lines.filter(kind=LineKind.FRAME, product_id=old_frame).delete()
    if order.frame_id:
        last = order.lines.aggregate(last=Max("position"))["last"] or 0
        line = OrderLine(order=order, position=last + 1, **product_line(order.frame))
        line.full_clean()
        line.save()


def _refuse_unplaceable(order: Order) -> None:
    """What glasses need before the lab can make them: the refraction's
    values, a position, a fitting height for a lens with an addition, and
    a reason for every value outside a plausibility limit."""
    if not order.prescription or not order.lines.exists():
        raise ValidationError(
            _("Glasses are ordered with the values of a refraction and at least one position.")
        )
    errors = [problem for problem in centration_problems(order) if problem.hard]
    if errors:
        raise ValidationError([problem.text for problem in errors])
    if not order.plausibility_reason and any(
        not problem.hard for problem in centration_problems(order)
    ):
        raise ValidationError(
            {
                "plausibility_reason": _(
                    "Some values are unusual (see Centration). Please check them, or give "
                    "the reason why they are right."
                )
            }
        )


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
    *,
    order_id: int,
    status: str,
    version: int | None,
    user=None,
    reason: str = "",
    lab_pays_remake: bool = False,
) -> Order:
    """Move the order on (rules.TRANSITIONS). Placing glasses (Angebot →
    Auftrag) needs what the lab needs (_refuse_unplaceable) and takes the
    frame from stock; cancelling puts it back; a cancellation and a
    complaint need their reason (a complaint records whether the lab pays
    the remake). Placing contact lenses sets when the supply runs out. The
    history records who and when."""
    order = _locked(order_id, version)
    if status not in Status.values:
        raise ValidationError({"status": _("Please choose one of the offered statuses.")})
    if not rules.may_move(order.status, status, order.kind):
        raise ValidationError(
            {
                "status": _("An order that is “%(current)s” cannot move to “%(new)s”.")
                % {
                    "current": rules.status_label(order.status, order.kind),
                    "new": rules.status_label(status, order.kind),
                }
            }
        )
    reason = reason.strip()
    if status in rules.NEEDS_REASON and not reason:
        raise ValidationError({"status_reason": _("Please give the reason.")})
    # Glasses leave a status in which they may change (the quote, the
    # order, a complaint's remake) only as the lab can make them.
    if (
        order.kind == Kind.GLASSES
        and order.status in rules.EDITABLE
        and status not in (Status.CANCELLED, Status.COMPLAINT)
    ):
        _refuse_unplaceable(order)
    fields = {"status", "status_changed_at", "status_reason"}
    if status == Status.ORDERED and order.kind == Kind.CONTACT_LENSES:
        order.reorder_due = reorder_due(order, timezone.localdate())
        fields.add("reorder_due")
    if status == Status.COMPLAINT:
        order.lab_pays_remake = lab_pays_remake
        fields.add("lab_pays_remake")
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
    if status == Status.READY and order.kind in ANNOUNCED_KINDS:
        _announce_ready(order, user)
    return order


# "Ihre Brille ist abholbereit" fits glasses and their repair; contact
# lenses are collected without it.
ANNOUNCED_KINDS = (Kind.GLASSES, Kind.REPAIR)


def _announce_ready(order: Order, user) -> None:
    """ "Ihre Brille ist abholbereit" to the customer (a service message:
    once per order, through the consent's channel). A customer who cannot
    be reached is no reason to refuse the status: ``order.announcement``
    holds the message, or ``order.announcement_problem`` what to do instead
    (call)."""
    order.announcement, order.announcement_problem = None, ""
    try:
        with transaction.atomic():
            # Once per time the order becomes ready (a remake is ready again).
            order.announcement = messaging_services.ready_notify_for(
                customer_id=order.customer_id,
                reference=f"order:{order.pk}:{order.version}",
                user=user,
            )
    except ValidationError as problem:
        order.announcement_problem = " ".join(problem.messages)
    except Exception:
        # The message is the lesser part: the order is ready all the same.
        logger.exception("Announcing order %s as ready failed", order.pk)
        order.announcement_problem = _(
            "The ready message could not be prepared; please tell the customer yourself."
        )


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
    if product is not None and line.unit_price is None:
        line.unit_price = _product_price(order, product, line.eye)
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
    deleted, _kinds = OrderLine.objects.filter(pk=line_id, order=order).delete()
    if not deleted:
        raise OrderLine.DoesNotExist(f"order {order_id} has no position {line_id}")
    _save(order, set())


def _product_price(order: Order, product: Product, eye: str) -> Decimal:
    """A spectacle lens for an eye costs what the price list says for that
    eye's power; everything else its sale price."""
    if product.category != Category.SPECTACLE_LENS or not eye:
        return product.sale_price
    values = (order.prescription or {}).get(eye) or {}
    sphere, cylinder = (_decimal_or_none(values.get(name)) for name in ("sphere", "cylinder"))
    return product_selectors.lens_price(product, sphere=sphere, cylinder=cylinder)


def product_line(product: Product, **extra) -> dict:
    """A position's data for a product at its VAT rate and its sale price
    (a spectacle lens: the price for its eye's power, set by line_save)."""
    return {
        "kind": {
            Category.FRAME: "frame",
            Category.SPECTACLE_LENS: "lens",
            Category.CONTACT_LENS: "contact_lens",
        }.get(product.category, "product"),
        "product": product,
        "description": product.name,
        "unit_price": None if product.category == Category.SPECTACLE_LENS else product.sale_price,
        "vat_rate": product.vat_rate,
        **extra,
    }


@dataclass(frozen=True)
class Problem:
    """A centration check's finding: ``hard`` ones stop the order (the lab
    cannot make it), the others are plausibility limits the optician may
    override with a reason."""

    text: str
    hard: bool = False


# Plausibility limits per eye (DOMAIN.md): outside them a value is possible
# but more often a typing error.
PLAUSIBLE = {
    "pd": (Decimal("27"), Decimal("38")),
    "fitting_height": (Decimal("14"), Decimal("32")),
    "vertex_distance": (Decimal("8"), Decimal("18")),
    "pantoscopic_tilt": (Decimal("2"), Decimal("15")),
    "wrap_angle": (Decimal("0"), Decimal("12")),
}
SIDE_LABELS = {"right": _lazy("right"), "left": _lazy("left")}


def minimum_diameter(*, box_width, bridge, pd) -> Decimal:
    """The smallest lens that can be edged for the frame (DOMAIN.md): lens
    width A + 2 × the decentration + 2 mm, the decentration being half of
    A + DBL less the monocular PD."""
    decentration = (Decimal(box_width) + Decimal(bridge)) / 2 - Decimal(pd)
    return Decimal(box_width) + 2 * abs(decentration) + 2


def centration_problems(order: Order, lines=None) -> list[Problem]:
    """The order's centration checked by the trade's rules: plausible
    values, a lens big enough for the frame and the PD, an addition only
    with a design that has one, a fitting height for such a design."""
    problems: list[Problem] = []
    lines = list(order.lines.select_related("product") if lines is None else lines)
    for side in SIDES:
        label = SIDE_LABELS[side]
        for name, (low, high) in PLAUSIBLE.items():
            value = getattr(order, f"{side}_{name}")
            if value is not None and not low <= value <= high:
                problems.append(
                    Problem(
                        _("%(eye)s: %(field)s %(value)s is outside the usual %(low)s–%(high)s.")
                        % {
                            "eye": label,
                            "field": CENTRATION[name][0],
                            "value": number_format(value),
                            "low": number_format(low),
                            "high": number_format(high),
                        }
                    )
                )
        lenses = [line for line in lines if line.kind == "lens" and line.eye == side]
        eye = (order.prescription or {}).get(side) or {}
        has_addition = eye.get("addition") not in (None, "")
        for line in lenses:
            design = line.product.spectacle_design if line.product_id else ""
            if design in ADDITION_DESIGNS:
                if not has_addition:
                    problems.append(
                        Problem(
                            _("%(eye)s: a %(design)s lens needs an addition in the values.")
                            % {"eye": label, "design": line.product.get_spectacle_design_display()},
                            hard=True,
                        )
                    )
                if getattr(order, f"{side}_fitting_height") is None:
                    problems.append(
                        Problem(
                            _("%(eye)s: a %(design)s lens needs the fitting height.")
                            % {"eye": label, "design": line.product.get_spectacle_design_display()},
                            hard=True,
                        )
                    )
            pd = getattr(order, f"{side}_pd")
            frame = order.frame
            if (
                line.diameter
                and pd is not None
                and frame is not None
                and frame.lens_width
                and frame.bridge_width
            ):
                needed = minimum_diameter(
                    box_width=frame.lens_width, bridge=frame.bridge_width, pd=pd
                )
                if line.diameter < needed:
                    problems.append(
                        Problem(
                            _(
                                "%(eye)s: for this frame and PD the lens needs a diameter of "
                                "at least %(needed)s mm; %(ordered)s mm are ordered."
                            )
                            % {
                                "eye": label,
                                "needed": number_format(needed.quantize(Decimal("0.1"))),
                                "ordered": line.diameter,
                            }
                        )
                    )
    return problems


def reorder_due(order: Order, day: datetime.date) -> datetime.date | None:
    """When the contact lenses of an order placed on ``day`` run out: the
    shortest supply of its positions."""
    days = [line.supply_days for line in order.lines.all() if line.supply_days]
    return day + datetime.timedelta(days=min(days)) if days else None


# How long one box lasts by default, per replacement (a box of 30 daily
# lenses, 6 two-week or monthly lenses per eye, a yearly lens): the
# optician corrects it on the position.
SUPPLY_DAYS = {"daily": 30, "two_weeks": 84, "monthly": 180, "yearly": 365}


def lens_pair_add(
    *, order_id: int, product_id: int, eyes: tuple[str, ...], diameter, version, user=None
) -> list[OrderLine]:
    """A spectacle lens from the price list for each of ``eyes``, priced by
    that eye's power (products.selectors.lens_price)."""
    product = Product.objects.filter(pk=product_id, category=Category.SPECTACLE_LENS).first()
    if product is None:
        raise ValidationError({"product": _("Please choose a lens from the price list.")})
    with transaction.atomic():
        order = _locked(order_id, version)
        return [
            line_save(
                order_id=order.pk,
                version=None,
                user=user,
                data=product_line(product, eye=side, diameter=diameter),
            )
            for side in eyes
        ]


def _decimal_or_none(value) -> Decimal | None:
    return None if value in (None, "") else Decimal(str(value))


def fitting_lines_add(*, order_id: int, fitting_id: int, version, user=None) -> list[OrderLine]:
    """Contact lenses per eye from a fitting of the customer: its lens
    products, one box each, the supply from the lens's replacement."""
    with transaction.atomic():
        order = _locked(order_id, version)
        fitting = ContactLensFitting.objects.filter(
            CURRENT, pk=fitting_id, customer_id=order.customer_id
        ).first()
        if fitting is None:
            raise ValidationError(
                {"fitting": _("Please choose one of this customer's contact lens fittings.")}
            )
        _refuse_unless_editable(order)
        order.fitting = fitting
        _save(order, {"fitting"})
        lines = []
        for side in SIDES:
            product = getattr(fitting, f"{side}_product")
            if product is None:
                continue
            lines.append(
                line_save(
                    order_id=order.pk,
                    version=None,
                    user=user,
                    data=product_line(
                        product,
                        eye=side,
                        supply_days=SUPPLY_DAYS.get(getattr(fitting, f"{side}_replacement")),
                    ),
                )
            )
        # A fitting without lens products: the lenses are added by hand.
        return lines
