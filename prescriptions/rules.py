"""The rules between fields of a refraction or fitting (shared/DOMAIN.md).
Single values are checked by the field validators; these run in the model's
clean(), so forms, admin and services all apply them."""

from decimal import Decimal

from django.utils import timezone
from django.utils.translation import gettext as _

from prescriptions import optics
from prescriptions.eyes import SIDES, format_plain
from products import contact_lenses

# Values that only make sense on an eye whose sphere is known.
POWER_PARTS = ("cylinder", "axis", "addition", "prism_horizontal", "prism_vertical")
PRISMS = (("prism_horizontal", "prism_horizontal_base"), ("prism_vertical", "prism_vertical_base"))
# Both eyes' PD together (shared/DOMAIN.md): adults about 50–75 mm, children from 42.
USUAL_PD_TOTAL = (Decimal(50), Decimal(75))


def _value(record, side: str, name: str):
    return getattr(record, f"{side}_{name}", None)


def _has(record, side: str, name: str) -> bool:
    value = _value(record, side, name)
    return value not in (None, "")


def _eye_errors(record, side: str) -> dict[str, str]:
    errors = {}
    field = f"{side}_%s"
    if not _has(record, side, "sphere") and any(_has(record, side, n) for n in POWER_PARTS):
        errors[field % "sphere"] = _("Please enter the sphere (±0,00 if none).")
    cylinder = _value(record, side, "cylinder")
    has_cylinder = isinstance(cylinder, Decimal) and cylinder != 0
    has_axis = _has(record, side, "axis")
    if has_cylinder and not has_axis:
        errors[field % "axis"] = _("Please enter the axis of the cylinder.")
    elif has_axis and not has_cylinder:
        errors[field % "axis"] = _(
            "An axis belongs to a cylinder; enter the cylinder or clear the axis."
        )
    for amount, base in PRISMS:
        if _has(record, side, amount) and not _has(record, side, base):
            errors[field % base] = _("Please choose the base of the prism.")
        elif _has(record, side, base) and not _has(record, side, amount):
            errors[field % amount] = _("Please enter the prism or clear its base.")
    return errors


def record_errors(record) -> dict[str, str]:
    # "At least one eye" is the model's constraint; it reports itself.
    errors = {}
    for side in SIDES:
        errors.update(_eye_errors(record, side))
    if record.date:
        if record.date > timezone.localdate():
            errors["date"] = _("The date must not be in the future.")
        birth = record.customer.date_of_birth if record.customer_id else None
        if birth and record.date < birth:
            errors["date"] = _("The date cannot be before the customer's date of birth.")
    return errors


def normalise(record) -> None:
    """Store every cylinder in minus notation, no cylinder as empty, and the
    axis 0 as 180 (the same meridian)."""
    for side in SIDES:
        sphere = _value(record, side, "sphere")
        cylinder = _value(record, side, "cylinder")
        if sphere is None or cylinder is None:
            continue
        if cylinder == 0:
            setattr(record, f"{side}_cylinder", None)
            setattr(record, f"{side}_axis", None)
            continue
        axis = optics.normal_axis(_value(record, side, "axis"))
        minus = optics.SphCyl(sphere, cylinder, axis).in_minus_cylinder()
        setattr(record, f"{side}_sphere", minus.sphere)
        setattr(record, f"{side}_cylinder", minus.cylinder)
        setattr(record, f"{side}_axis", minus.axis)


def unusual_values(record) -> list[str]:
    """Values that are possible but unusual enough to ask before saving."""
    warnings = []
    right_pd, left_pd = (_value(record, side, "pd") for side in SIDES)
    if right_pd is not None and left_pd is not None:
        total = right_pd + left_pd
        if not USUAL_PD_TOTAL[0] <= total <= USUAL_PD_TOTAL[1]:
            warnings.append(
                _(
                    "Both PDs together are %(total)s mm; usual are 50 to 75 mm "
                    "(children from about 42 mm)."
                )
                % {"total": format_plain(total, 1)}
            )
    right_add, left_add = (_value(record, side, "addition") for side in SIDES)
    if right_add is not None and left_add is not None and right_add != left_add:
        warnings.append(
            _("The addition differs between the eyes (R %(right)s, L %(left)s).")
            % {"right": format_plain(right_add), "left": format_plain(left_add)}
        )
    return warnings


# The values of a fitting checked against the parameters of its lens.
LENS_CHECKED = ("base_curve", "diameter", "sphere", "cylinder", "axis", "addition")


def _lens(fitting, side: str):
    """The eye's lens product, or None (none chosen, or not found)."""
    if not getattr(fitting, f"{side}_product_id", None):
        return None
    return getattr(fitting, f"{side}_product")


def lens_errors(fitting) -> dict[str, str]:
    """Values the chosen lens is not made in (a base curve it does not come
    in cannot be ordered), at their fields: products.contact_lenses decides,
    for every path that saves a fitting. Run after normalise(), so that a
    plus cylinder is compared in minus notation."""
    errors = {}
    for side in SIDES:
        values = {name: _value(fitting, side, name) for name in LENS_CHECKED}
        found = contact_lenses.fit_errors(_lens(fitting, side), **values)
        errors.update({f"{side}_{name}": message for name, message in found.items()})
    return errors


def unusual_fitting_values(fitting) -> list[str]:
    """A contact lens is usually fitted with the same schedule in both eyes;
    a toric lens with a cylinder, a multifocal one with an addition."""
    warnings = []
    schedules = {_value(fitting, side, "replacement") for side in SIDES} - {"", None}
    if len(schedules) > 1:
        warnings.append(_("The eyes have different replacement schedules."))
    for side in SIDES:
        if _value(fitting, side, "sphere") is None:
            continue
        warnings += contact_lenses.fit_warnings(
            _lens(fitting, side),
            cylinder=_value(fitting, side, "cylinder"),
            addition=_value(fitting, side, "addition"),
        )
    return list(dict.fromkeys(warnings))
