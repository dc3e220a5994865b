"""One eye's values of a refraction or fitting, and how they are written."""

import functools
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext

from prescriptions import optics
from prescriptions.choices import PrismBaseHorizontal, PrismBaseVertical, Replacement

SIDES = ("right", "left")
SIDE_LABELS = {"right": gettext_lazy("R"), "left": gettext_lazy("L")}


@functools.cache
def _eye_fields(model, side: str) -> tuple[tuple[str, str], ...]:
    """(value name, field name) of one eye's fields of a record model."""
    prefix = f"{side}_"
    return tuple(
        (f.name.removeprefix(prefix), f.name)
        for f in model._meta.concrete_fields
        if f.name.startswith(prefix)
    )


@dataclass(frozen=True)
class EyeValues:
    """The ``right_*`` or ``left_*`` fields of a record without the prefix:
    ``eye.sphere`` instead of ``record.right_sphere``."""

    side: str
    values: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def of(cls, record, side: str) -> "EyeValues":
        fields = _eye_fields(type(record), side)
        return cls(side, {name: getattr(record, field) for name, field in fields})

    def __getattr__(self, name: str) -> Any:
        try:
            return self.__dict__["values"][name]
        except KeyError:
            raise AttributeError(name) from None

    @property
    def label(self) -> str:
        return str(SIDE_LABELS[self.side])

    @property
    def is_filled(self) -> bool:
        return self.values.get("sphere") is not None

    @property
    def spherical_equivalent(self) -> Decimal | None:
        if self.values.get("sphere") is None:
            return None
        return optics.SphCyl(
            self.sphere, self.values.get("cylinder") or Decimal(0), None
        ).spherical_equivalent

    @property
    def equivalent(self) -> str:
        """The spherical equivalent as written: +1,00; empty without sphere."""
        value = self.spherical_equivalent
        return "" if value is None else optics.format_equivalent(value)

    @property
    def compact(self) -> str:
        """``R: Sph +1,25 Zyl −0,50 A 90° Add 2,00`` (shared/DOMAIN.md)."""
        return f"{self.label}: {self.power or '—'}"

    @property
    def power(self) -> str:
        """The same without the eye: ``Sph +1,25 Zyl −0,50 A 90° Add 2,00``."""
        if not self.is_filled:
            return ""
        parts = [f"{_('Sph')} {optics.format_dioptre(self.sphere)}"]
        if self.values.get("cylinder"):
            parts.append(f"{_('Cyl')} {optics.format_dioptre(self.cylinder)}")
            parts.append(f"{_('Ax')} {self.axis}°")
        if self.values.get("addition"):
            # The optician's "Add" (addition), not the admin's "Add" (Hinzufügen).
            addition = pgettext("optics", "Add")
            parts.append(f"{addition} {format_plain(self.addition)}")
        prism = _("Pr")  # outside the f-string, where xgettext finds it
        for amount, base in (
            ("prism_horizontal", "prism_horizontal_base"),
            ("prism_vertical", "prism_vertical_base"),
        ):
            if self.values.get(amount):
                parts.append(f"{prism} {format_plain(self.values[amount])} {self.base_label(base)}")
        return " ".join(parts)

    @property
    def lens(self) -> str:
        """A fitted lens on one line:
        ``Biofinity · BC 8,60 · DIA 14,2 · Sph −2,25 · Monatslinse``."""
        if not self.is_filled:
            return ""
        parts = []
        if self.values.get("product"):
            parts.append(self.product.name)
        if self.values.get("base_curve") is not None:
            parts.append(f"{_('BC')} {format_plain(self.base_curve)}")
        if self.values.get("diameter") is not None:
            parts.append(f"{_('DIA')} {format_plain(self.diameter, 1)}")
        parts.append(self.power)
        if self.values.get("replacement"):
            parts.append(str(Replacement(self.replacement).label))
        return " · ".join(parts)

    def base_label(self, name: str) -> str:
        choices = PrismBaseHorizontal if "horizontal" in name else PrismBaseVertical
        value = self.values.get(name)
        return _("base %(direction)s") % {"direction": choices(value).label} if value else ""


def format_plain(value: Decimal | None, places: int = 2) -> str:
    """A value without sign in German notation: 2,00 / 31,5. Empty for None."""
    if value is None:
        return ""
    return f"{Decimal(value):.{places}f}".replace(".", ",")
