"""The parameters a contact lens is made in (design, base curves, diameters,
sphere range, cylinders, axis steps) and the one rule that checks a fitting
against them. prescriptions.rules calls ``fit_errors`` and ``fit_warnings``,
so the fitting form, the admin and the services all apply the same rule.

Ranges from shared/DOMAIN.md: base curves of soft and rigid lenses 6,0–10,0
mm, diameters 8–20 mm (scleral lenses included), sphere ±30 dpt, cylinders
in minus notation down to −10 dpt."""

import re
from collections.abc import Sequence
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.utils.deconstruct import deconstructible
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

MINUS = "\u2212"
# "8,4 / 8,8", "8.4; 8.8", "8,4 8,8" and "8.4, 8.8" (a comma followed by a
# space; without one the comma is the decimal comma).
_SEPARATORS = re.compile(r"\s*[/;]\s*|,\s+|\s+")


class NotationError(ValueError):
    """Text that is not a list of numbers."""


def parse_values(text: str, *, negative: bool = False) -> list[Decimal]:
    """The values typed into a list field, sorted, each once. ``negative``
    reads cylinders: "0,75" and "−0,75" both mean −0,75 (minus notation)."""
    values = set()
    for part in _SEPARATORS.split((text or "").strip()):
        cleaned = part.replace(MINUS, "-").replace("\u2013", "-").replace(",", ".")
        cleaned = cleaned.removesuffix("mm").removesuffix("dpt").strip()
        if not cleaned:
            continue
        try:
            value = Decimal(cleaned)
        except InvalidOperation:
            raise NotationError(part) from None
        if not value.is_finite() or abs(value) >= 1000:
            raise NotationError(part)
        values.add(-abs(value) if negative else value)
    return sorted(values, reverse=negative)


def format_value(value: Decimal, *, places: int, signed: bool = False) -> str:
    """8,40 / 14,2 / −0,75: German notation, as the fitting shows its values."""
    text = f"{abs(Decimal(value)):.{places}f}".replace(".", ",")
    if value < 0:
        return MINUS + text
    return f"+{text}" if signed and value > 0 else text


# How each list is written: decimal places and whether the sign is shown.
NOTATION = {
    "base_curves": {"places": 2},
    "diameters": {"places": 1},
    "cylinders": {"places": 2, "signed": True},
    "sphere": {"places": 2, "signed": True},
}


def format_values(values: Sequence[Decimal], kind: str) -> str:
    return " / ".join(format_value(value, **NOTATION[kind]) for value in values)


def _limit(value: Decimal, signed: bool) -> str:
    """A limit as staff write it: 0,05 / 10 / −30 / +30."""
    text = format(abs(value).normalize(), "f").replace(".", ",")
    if value < 0:
        return MINUS + text
    return f"+{text}" if signed and value > 0 else text


@deconstructible
class ValuesRange:
    """Every value of a list between ``low`` and ``high`` in steps of ``step``."""

    def __init__(self, kind: str, low: str, high: str, step: str, unit: str):
        self.kind, self.unit = kind, unit
        self.low, self.high, self.step = Decimal(low), Decimal(high), Decimal(step)

    def message(self) -> str:
        # The same sentence as the fitting's own ranges (prescriptions.validators).
        signed = self.low < 0
        return _("Allowed is %(low)s to %(high)s%(unit)s in steps of %(step)s.") % {
            "low": _limit(self.low, signed),
            "high": _limit(self.high, signed),
            "unit": f" {self.unit}",
            "step": _limit(self.step, False),
        }

    def __call__(self, values) -> None:
        if isinstance(values, Decimal):
            values = [values]
        for value in values or ():
            value = Decimal(value)
            if not (self.low <= value <= self.high) or value % self.step:
                raise ValidationError(self.message(), code="range")

    def __eq__(self, other) -> bool:
        return isinstance(other, ValuesRange) and (
            (self.kind, self.low, self.high, self.step, self.unit)
            == (other.kind, other.low, other.high, other.step, other.unit)
        )


BASE_CURVES = ValuesRange("base_curves", "6", "10", "0.05", "mm")
DIAMETERS = ValuesRange("diameters", "8", "20", "0.1", "mm")
SPHERE = ValuesRange("sphere", "-30", "30", "0.25", "dpt")
CYLINDERS = ValuesRange("cylinders", "-10", "-0.25", "0.25", "dpt")


# --- The fitting against the lens ---------------------------------------------------------


def fit_errors(
    lens,
    *,
    base_curve: Decimal | None,
    diameter: Decimal | None,
    sphere: Decimal | None,
    cylinder: Decimal | None,
    axis: int | None,
    addition: Decimal | None,
) -> dict[str, str]:
    """What of one eye's fitted values the lens is not made in, by value
    name (base_curve, diameter, sphere, cylinder, axis, addition). A lens
    cannot be ordered in these, so they are errors; where the product leaves
    a parameter open, anything goes."""
    errors = {}
    if lens is None:
        return errors
    # Imported here: models imports this module for its validators.
    from products.models import LensDesign

    if base_curve is not None and lens.base_curves and base_curve not in lens.base_curves:
        errors["base_curve"] = ngettext(
            "This lens is made with base curve %(values)s mm only.",
            "This lens is made with the base curves %(values)s mm only.",
            len(lens.base_curves),
        ) % {"values": format_values(lens.base_curves, "base_curves")}
    if diameter is not None and lens.diameters and diameter not in lens.diameters:
        errors["diameter"] = ngettext(
            "This lens is made with diameter %(values)s mm only.",
            "This lens is made with the diameters %(values)s mm only.",
            len(lens.diameters),
        ) % {"values": format_values(lens.diameters, "diameters")}
    if sphere is not None:
        low, high = lens.sphere_min, lens.sphere_max
        if (low is not None and sphere < low) or (high is not None and sphere > high):
            errors["sphere"] = _sphere_range_message(low, high)
    has_cylinder = cylinder is not None and cylinder != 0
    if has_cylinder and lens.lens_design == LensDesign.SPHERICAL:
        errors["cylinder"] = _("This lens is spherical; a cylinder is not possible.")
    elif has_cylinder and lens.cylinders and cylinder not in lens.cylinders:
        errors["cylinder"] = _("This lens is made with the cylinders %(values)s dpt only.") % {
            "values": format_values(lens.cylinders, "cylinders")
        }
    elif has_cylinder and axis is not None and lens.axis_step and axis % lens.axis_step:
        errors["axis"] = _(
            "This lens is made in axis steps of %(step)d° only (e.g. %(near)d°)."
        ) % {
            "step": lens.axis_step,
            "near": _nearest_axis(axis, lens.axis_step),
        }
    if addition is not None and lens.lens_design in (LensDesign.SPHERICAL, LensDesign.TORIC):
        errors["addition"] = _("This lens has a single focus; an addition is not possible.")
    return errors


def _nearest_axis(axis: int, step: int) -> int:
    near = round(axis / step) * step
    return 180 if near == 0 else min(near, 180)


def _sphere_range_message(low: Decimal | None, high: Decimal | None) -> str:
    notation = NOTATION["sphere"]
    if low is not None and high is not None:
        return _("This lens is made from %(low)s to %(high)s dpt only.") % {
            "low": format_value(low, **notation),
            "high": format_value(high, **notation),
        }
    if low is not None:
        return _("This lens is made from %(low)s dpt on only.") % {
            "low": format_value(low, **notation)
        }
    return _("This lens is made up to %(high)s dpt only.") % {
        "high": format_value(high, **notation)
    }


def fit_warnings(lens, *, cylinder: Decimal | None, addition: Decimal | None) -> list[str]:
    """Possible, but worth a second look before saving."""
    if lens is None:
        return []
    from products.models import LensDesign

    warnings = []
    if lens.lens_design == LensDesign.TORIC and not cylinder:
        warnings.append(
            _("%(lens)s is a toric lens, but no cylinder is entered.") % {"lens": lens.name}
        )
    if lens.lens_design == LensDesign.MULTIFOCAL and addition is None:
        warnings.append(
            _("%(lens)s is a multifocal lens, but no addition is entered.") % {"lens": lens.name}
        )
    return warnings
