"""Reads of orders."""

from decimal import Decimal

from django.db.models import QuerySet

from orders import gkv, rules
from orders.models import OPEN_STATUSES, FixedAmount, Order, OrderLine
from prescriptions.models import CURRENT, Refraction
from prescriptions.optics import format_dioptre


def default_refraction(customer_id: int) -> Refraction | None:
    """What new glasses are made for unless chosen otherwise: the newest
    current subjective refraction, else the newest ophthalmologist's
    prescription; never silently an autorefractor's or the old glasses'."""
    current = Refraction.objects.filter(CURRENT, customer_id=customer_id).order_by("-date", "-id")
    return (
        current.filter(kind=Refraction.Kind.SUBJECTIVE).first()
        or current.filter(kind=Refraction.Kind.EXTERNAL).first()
    )


def order_lines(order_id: int) -> QuerySet[OrderLine]:
    return OrderLine.objects.filter(order_id=order_id).order_by("position")


def order_totals(order: Order, lines=None) -> rules.Totals:
    """The order's money: per VAT rate, gross, discounts, deposit, open."""
    return rules.totals(order_lines(order.pk) if lines is None else lines, order.deposit)


def customer_orders(customer_id: int) -> QuerySet[Order]:
    return Order.objects.filter(customer_id=customer_id).order_by("-created_at", "-id")


def customer_open_orders(customer_id: int) -> QuerySet[Order]:
    return customer_orders(customer_id).filter(status__in=OPEN_STATUSES)


def fixed_amount(*, lens_type: str, eye: dict, day) -> FixedAmount | None:
    """The insurer's fixed amount for one lens of ``eye``'s power (an
    order's prescription copy), as valid on ``day``: among the rows of the
    newest table in force, the narrowest covering the power and cylinder
    (neighbouring ranges may share their end, 0–4 and 4–8: the lower row
    takes it, and a power of 4,125 the upper)."""
    powers = gkv.meridians(eye)
    if powers is None:
        return None
    strongest = max(abs(power) for power in powers)
    cylinder = abs(powers[1] - powers[0])
    in_force = (
        FixedAmount.objects.filter(lens_type=lens_type, valid_from__lte=day)
        .order_by("-valid_from")
        .values_list("valid_from", flat=True)
        .first()
    )
    if in_force is None:
        return None
    return (
        FixedAmount.objects.filter(
            lens_type=lens_type,
            valid_from=in_force,
            power_from__lte=strongest,
            power_to__gte=strongest,
            cylinder_to__gte=cylinder,
        )
        .order_by("cylinder_to", "power_to")
        .first()
    )


def prescription_text(prescription: dict) -> str:
    """An order's copy of its refraction as opticians write it:
    "R: Sph −1,25 Zyl −0,50 A 90° Add 2,00 · L: …" (the access report)."""
    parts = []
    for side, label in (("right", "R"), ("left", "L")):
        eye = prescription.get(side) or {}
        values = []
        for name, short in (("sphere", "Sph"), ("cylinder", "Zyl"), ("addition", "Add")):
            if eye.get(name) not in (None, ""):
                values.append(f"{short} {format_dioptre(Decimal(eye[name]))}")
                if name == "cylinder" and eye.get("axis") is not None:
                    values.append(f"A {eye['axis']}°")
        if values:
            parts.append(f"{label}: " + " ".join(values))
    return " · ".join(parts)
