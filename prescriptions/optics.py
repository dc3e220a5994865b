"""Dioptre arithmetic and notation for refraction values, free of Django.

Conventions from shared/DOMAIN.md: decimal comma, always two decimals and an
explicit sign (+1,25 / −0,50 / ±0,00), axis 1…180 in the TABO scheme (0 and
180 mean the same), transposition between minus and plus cylinder, and the
vertex-distance conversion from spectacle to contact lens power.
"""

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

QUARTER = Decimal("0.25")
MINUS = "\u2212"  # typographic minus, as on the printed card


class NotationError(ValueError):
    """Text that is not a dioptre value."""


def parse_dioptre(text: str) -> Decimal:
    """Read what an optician types: "-1,25", "+1.25", "1,25", "−0,5", "±0"."""
    cleaned = (
        text.strip()
        .replace(MINUS, "-")
        .replace("\u2013", "-")
        .replace("±", "")
        .replace(",", ".")
        .replace(" ", "")
    )
    if not cleaned or cleaned in {"+", "-"}:
        raise NotationError(text)
    try:
        value = Decimal(cleaned)
    except InvalidOperation as error:
        raise NotationError(text) from error
    # Beyond any lens; also keeps Decimal arithmetic away from huge exponents.
    if not value.is_finite() or abs(value) >= 1000:
        raise NotationError(text)
    return value


def format_dioptre(value: Decimal) -> str:
    """+1,25 / −0,50 / ±0,00: two decimals, decimal comma, sign always shown."""
    value = Decimal(value).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    if value == 0:
        return "±0,00"
    sign = "+" if value > 0 else MINUS
    return f"{sign}{abs(value):.2f}".replace(".", ",")


def format_equivalent(value: Decimal) -> str:
    """A spherical equivalent (an eighth where the cylinder is an odd
    quarter): to two decimals like every power on the card, rounded half up
    (+0,625 → +0,63), not with a third decimal no one writes (issue 23)."""
    return format_dioptre(value)


def is_on_step(value: Decimal, step: Decimal = QUARTER) -> bool:
    return Decimal(value) % step == 0


def normal_axis(axis: int) -> int:
    """An axis within 1…180: 0 and 180 are the same meridian."""
    axis %= 180
    return 180 if axis == 0 else axis


@dataclass(frozen=True)
class SphCyl:
    sphere: Decimal
    cylinder: Decimal
    axis: int | None

    def transposed(self) -> "SphCyl":
        """The same correction in the other cylinder notation:
        Sph' = Sph + Zyl, Zyl' = −Zyl, A' = A ± 90°."""
        if not self.cylinder:
            return self
        axis = normal_axis((self.axis or 0) + 90)
        return SphCyl(self.sphere + self.cylinder, -self.cylinder, axis)

    @property
    def spherical_equivalent(self) -> Decimal:
        return self.sphere + Decimal(self.cylinder) / 2

    def in_minus_cylinder(self) -> "SphCyl":
        return self.transposed() if self.cylinder > 0 else self


def contact_lens_power(spectacle: Decimal, vertex_mm: Decimal = Decimal(12)) -> Decimal:
    """Spectacle power at the vertex distance moved to the cornea,
    F_CL = F / (1 − d·F), rounded to the nearest quarter dioptre."""
    spectacle = Decimal(spectacle)
    d = Decimal(vertex_mm) / 1000
    exact = spectacle / (1 - d * spectacle)
    return (exact / QUARTER).quantize(Decimal(1), rounding=ROUND_HALF_UP) * QUARTER


def contact_lens_sphcyl(spectacle: SphCyl, vertex_mm: Decimal = Decimal(12)) -> SphCyl:
    """A spectacle correction moved to the cornea. Each principal meridian
    (Sph and Sph + Zyl) is converted on its own, so a toric lens keeps the
    right cylinder: −5,00 −1,00 A 180 at 12 mm becomes −4,75 −0,75 A 180."""
    sphere = contact_lens_power(spectacle.sphere, vertex_mm)
    if not spectacle.cylinder:
        return SphCyl(sphere, Decimal(0), None)
    other = contact_lens_power(spectacle.sphere + spectacle.cylinder, vertex_mm)
    return SphCyl(sphere, other - sphere, spectacle.axis)
