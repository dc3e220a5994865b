"""Ranges and steps of refraction and contact lens values (shared/DOMAIN.md),
used by the model fields, so forms, admin and services share them."""

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.utils.deconstruct import deconstructible
from django.utils.translation import gettext_lazy as _

from prescriptions import optics


def _number(value: Decimal, signed: bool = False) -> str:
    """A limit as German staff write it: 0,25 / 30 / −30 / +30."""
    text = format(abs(Decimal(value)).normalize(), "f").replace(".", ",")
    if value < 0:
        return optics.MINUS + text
    return f"+{text}" if signed and value > 0 else text


@deconstructible
class RangeStep:
    """A value between ``low`` and ``high`` in multiples of ``step``.

    One validator instead of Django's Min/Max/StepValue trio, so the message
    names the whole rule: "between −30 and +30 dpt in steps of 0,25"."""

    def __init__(self, low, high, step=None, unit=""):
        self.low, self.high = Decimal(low), Decimal(high)
        self.step = Decimal(step) if step is not None else None
        self.unit = unit

    def __call__(self, value) -> None:
        value = Decimal(value)
        signed = self.low < 0
        params = {
            "low": _number(self.low, signed),
            "high": _number(self.high, signed),
            "step": _number(self.step or 0),
            "unit": f" {self.unit}" if self.unit else "",
        }
        if not self.low <= value <= self.high:
            raise ValidationError(
                _("Allowed is %(low)s to %(high)s%(unit)s.")
                if self.step is None
                else _("Allowed is %(low)s to %(high)s%(unit)s in steps of %(step)s."),
                code="range",
                params=params,
            )
        if self.step is not None and not optics.is_on_step(value, self.step):
            raise ValidationError(
                _("Please enter the value in steps of %(step)s%(unit)s."),
                code="step",
                params=params,
            )

    def __eq__(self, other) -> bool:
        return isinstance(other, RangeStep) and (
            (self.low, self.high, self.step, self.unit)
            == (other.low, other.high, other.step, other.unit)
        )


DPT = "dpt"
sphere = RangeStep("-30", "30", optics.QUARTER, DPT)
cylinder = RangeStep("-10", "10", optics.QUARTER, DPT)
addition = RangeStep("0.25", "4", optics.QUARTER, DPT)
prism = RangeStep("0.25", "10", optics.QUARTER, "cm/m")
visus = RangeStep("0.05", "2")
monocular_pd = RangeStep("25", "40", "0.5", "mm")
vertex_distance = RangeStep("5", "25", "0.5", "mm")
# Soft lenses 8,3–9,0 and rigid 7,0–8,5 mm; the union with a little room.
base_curve = RangeStep("6.5", "10", "0.05", "mm")
# Soft 13,8–14,5 and rigid 9,0–10,5 mm; scleral lenses reach 16 mm and more.
diameter = RangeStep("8", "20", "0.1", "mm")
