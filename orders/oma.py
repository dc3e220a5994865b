"""The lens order in the OMA/VCA data communication standard (The Vision
Council, DCS 3.x): text records ``LABEL=right;left`` that lab software,
tracers and edgers read (DOMAIN.md, "Orders and the lens lab").

The records written, in this order:

========  =================================================================
JOB       the order number (the job's only reference: no customer name,
          the DCS ``CLIENT`` record is left out on purpose)
DO        the eyes to be made: B, R or L
LNAM      lens name: manufacturer and product line, else the product's or
          the position's name (ASCII, see below)
LIND      refractive index of the lens, ``1.60``
SPH       sphere, ``-1.25``
CYL       cylinder as entered (OptiCRM keeps minus cylinder), ``0.00`` for a
          spherical eye
AX        cylinder axis in whole degrees, ``0`` for a spherical eye
ADD       addition (only when an eye has one)
PRVM      prism magnitude (cm/m), only when an eye has a prism
PRVA      prism base angle, whole degrees, 360° notation (see below)
IPD       far monocular PD (mm)
SEGHT     fitting height (mm) of multifocal lenses (progressive, bifocal,
          occupational) — or, for single vision lenses, OCHT (optical
          centre height); both are measured from the lowest point of the box
BVD       vertex distance (mm)
PANTO     pantoscopic tilt (°)
ZTILT     face form (wrap) angle (°)
CRIB      the lens diameter ordered (mm)
HBOX      frame box width A (mm), the same for both eyes; VBOX (box height)
          is not known to OptiCRM and is left out
DBL       distance between lenses, the frame's bridge (mm; not chiral)
========  =================================================================

Conventions:

- One record a line, each ended by CR LF (the last one too), as DCS asks.
- Numbers with a decimal point and no sign for positive values: powers and
  prism with 2 decimals (``-1.25``, ``2.00``), millimetres and tilt angles
  with 1 decimal (``31.5``), axes and prism angles as whole degrees. Never
  ``-0.00``.
- Chiral records are ``right;left``. A value that is not known is ``?``
  (DCS's unknown value), and so is every value of an eye that is not made
  (a one-eye order: ``DO=R`` and ``SPH=-1.25;?``). A record whose values
  are unknown on both sides is left out.
- For an eye whose sphere is known, a missing cylinder or prism means none:
  ``0.00`` (axis ``0``), not unknown; a missing addition stays unknown, as
  does a prism whose base is not given.
- Prism: the order's prescription has a horizontal part with base in/out and
  a vertical part with base up/down. DCS wants one resulting prism, its
  magnitude (PRVM) and its base angle (PRVA) in the 360° notation as seen
  facing the wearer (as TABO for axes): base up is 90°, base down 270° for
  both eyes; base in is 0° for the right eye and 180° for the left, base out
  180° for the right eye and 0° for the left. With ``h`` the horizontal
  part, positive toward 0° (in for the right eye, out for the left), and
  ``v`` the vertical part, positive up: PRVM = √(h² + v²), PRVA = atan2(v,
  h) in degrees within 0…359. 2,00 base in and 1,00 base up on the left eye:
  PRVM 2.24, PRVA 153.
- Text (LNAM) is plain ASCII without the record's separators: umlauts are
  written out (ä → ae, ß → ss), accents dropped, other letters left out,
  and ``;`` / ``=`` become ``,`` / ``-``.
"""

import math
import unicodedata
from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from orders.models import SIDES, LensType, LineKind, Order, OrderLine
from orders.selectors import line_lens_type, order_lines

UNKNOWN = "?"
CRLF = "\r\n"
HUNDREDTH = Decimal("0.01")
TENTH = Decimal("0.1")
# What a prescription copy holds as decimal text (orders.services.snapshot).
DECIMAL_VALUES = (
    "sphere",
    "cylinder",
    "addition",
    "prism_horizontal",
    "prism_vertical",
    "visus_sc",
    "visus_cc",
    "pd",
)
_TRANSLITERATION = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "Ä": "Ae", "Ö": "Oe", "Ü": "Ue"})
_TRANSLITERATION.update({ord("ß"): "ss", ord(";"): ",", ord("="): "-"})


def snapshot_eye(prescription: dict | None, side: str) -> dict[str, Any]:
    """One eye of an order's prescription copy with its decimals as Decimal
    (the copy keeps them as text); {} when the eye has no values. Values
    that are not numbers are dropped rather than break a document."""
    eye = dict((prescription or {}).get(side) or {})
    for name in DECIMAL_VALUES:
        value = eye.get(name)
        if value in (None, ""):
            eye[name] = None
            continue
        try:
            eye[name] = Decimal(str(value))
        except ArithmeticError:
            eye[name] = None
    axis = eye.get("axis")
    eye["axis"] = int(axis) if isinstance(axis, int | str) and str(axis).isdigit() else None
    return eye if eye.get("sphere") is not None else {}


def lens_lines(lines: Iterable[OrderLine]) -> list[OrderLine]:
    return [line for line in lines if line.kind == LineKind.LENS]


def side_line(lines: Iterable[OrderLine], side: str) -> OrderLine | None:
    """The lens position of one eye: the first for that eye, else the first
    for both eyes (no eye given)."""
    lenses = lens_lines(lines)
    return next((line for line in lenses if line.eye == side), None) or next(
        (line for line in lenses if not line.eye), None
    )


def lens_sides(order: Order, lines: Iterable[OrderLine]) -> list[str]:
    """The eyes lenses are made for: those of the lens positions; a lens
    position without an eye, or none at all, adds the eyes the prescription
    has values for."""
    lenses = lens_lines(lines)
    sides = {line.eye for line in lenses if line.eye}
    if not lenses or any(not line.eye for line in lenses):
        sides |= {side for side in SIDES if snapshot_eye(order.prescription, side)}
    return [side for side in SIDES if side in sides]


def _number(value: Decimal | None, step: Decimal) -> str:
    if value is None:
        return UNKNOWN
    value = Decimal(value).quantize(step, rounding=ROUND_HALF_UP)
    return str(abs(value) if value == 0 else value)


def power(value: Decimal | None) -> str:
    """A power or prism as DCS writes it: ``-1.25``, ``2.00``; ``?`` unknown."""
    return _number(value, HUNDREDTH)


def millimetres(value: Decimal | None) -> str:
    """A length or a tilt: ``31.5``; ``?`` unknown."""
    return _number(None if value is None else Decimal(value), TENTH)


def ascii_text(text: str) -> str:
    """Text for a record: ASCII, without the separators, on one line."""
    written = " ".join(str(text).translate(_TRANSLITERATION).split())
    decomposed = unicodedata.normalize("NFKD", written)
    plain = "".join(c for c in decomposed if c.isascii() and c.isprintable())
    return " ".join(plain.split())


def prism(eye: dict, side: str) -> tuple[Decimal, int] | None:
    """The eye's resulting prism as (magnitude, base angle) in the DCS's
    360° notation (module docstring); (0, 0) without a prism; None when a
    part has no base, so the prism is not known."""
    parts = {}
    for part, bases in (
        ("horizontal", {"in": 1, "out": -1}),
        ("vertical", {"up": 1, "down": -1}),
    ):
        amount = eye.get(f"prism_{part}")
        if not amount:
            parts[part] = Decimal(0)
            continue
        sign = bases.get(eye.get(f"prism_{part}_base") or "")
        if sign is None:
            return None
        parts[part] = sign * abs(amount)
    # 0° points nasally for the right eye (base in), temporally for the left.
    h = parts["horizontal"] if side == "right" else -parts["horizontal"]
    v = parts["vertical"]
    if not h and not v:
        return Decimal("0.00"), 0
    magnitude = Decimal(math.hypot(h, v)).quantize(HUNDREDTH, rounding=ROUND_HALF_UP)
    angle = Decimal(math.degrees(math.atan2(v, h))).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    return magnitude, int(angle) % 360


def _lens_name(line: OrderLine | None) -> str | None:
    if line is None:
        return None
    product = line.product if line.product_id else None
    if product is not None:
        name = " ".join(part for part in (product.brand, product.model) if part) or product.name
    else:
        name = line.description
    return ascii_text(name) or None


def _record(label: str, values: list[str]) -> str | None:
    if all(value == UNKNOWN for value in values):
        return None
    return f"{label}={';'.join(values)}"


def oma_text(order: Order, lines: Iterable[OrderLine] | None = None) -> str:
    """The order's lens order as DCS records (the module docstring says
    which and how), CR LF after each."""
    if lines is None:
        lines = order_lines(order.pk).select_related("product")
    lines = list(lines)
    sides = lens_sides(order, lines)
    eyes = {side: snapshot_eye(order.prescription, side) if side in sides else {} for side in SIDES}
    lens = {side: side_line(lines, side) if side in sides else None for side in SIDES}

    def per_eye(value_of) -> list[str]:
        """The values of both eyes, ``?`` for an eye that is not made."""
        return [value_of(side) if side in sides else UNKNOWN for side in SIDES]

    def of_eye(name, write, *, default=None):
        def value(side):
            eye = eyes[side]
            if not eye:
                return UNKNOWN
            found = eye.get(name)
            return write(found if found is not None else default)

        return value

    def of_order(name, write):
        return lambda side: write(getattr(order, f"{side}_{name}"))

    records = [f"JOB={order.pk}"]
    if sides:
        records.append("DO=" + ("B" if len(sides) == 2 else sides[0][0].upper()))

    def lens_index(side):
        line = lens[side]
        index = line.product.lens_index if line is not None and line.product_id else None
        return UNKNOWN if index is None else f"{Decimal(index):.2f}"

    def diameter(side):
        line = lens[side]
        return millimetres(line.diameter if line is not None else None)

    def axis(side):
        eye = eyes[side]
        if not eye:
            return UNKNOWN
        return str(eye["axis"]) if eye.get("cylinder") and eye.get("axis") is not None else "0"

    def with_prism(index: int):
        def value(side):
            eye = eyes[side]
            if not eye:
                return UNKNOWN
            found = prism(eye, side)
            if found is None:
                return UNKNOWN
            return power(found[0]) if index == 0 else str(found[1])

        return value

    candidates = [
        ("LNAM", per_eye(lambda side: _lens_name(lens[side]) or UNKNOWN)),
        ("LIND", per_eye(lens_index)),
        ("SPH", per_eye(of_eye("sphere", power))),
        ("CYL", per_eye(of_eye("cylinder", power, default=Decimal(0)))),
        ("AX", per_eye(axis)),
    ]
    if any(eyes[side].get("addition") for side in sides):
        candidates.append(("ADD", per_eye(of_eye("addition", power))))
    if any(prism(eyes[side], side) != (Decimal("0.00"), 0) for side in sides if eyes[side]):
        candidates.append(("PRVM", per_eye(with_prism(0))))
        candidates.append(("PRVA", per_eye(with_prism(1))))
    multifocal = any(
        line_lens_type(lens[side], order.prescription or {}) == LensType.MULTIFOCAL
        for side in sides
        if lens[side] is not None
    ) or any(eyes[side].get("addition") for side in sides)
    candidates += [
        ("IPD", per_eye(of_order("pd", millimetres))),
        ("SEGHT" if multifocal else "OCHT", per_eye(of_order("fitting_height", millimetres))),
        ("BVD", per_eye(of_order("vertex_distance", millimetres))),
        ("PANTO", per_eye(of_order("pantoscopic_tilt", millimetres))),
        ("ZTILT", per_eye(of_order("wrap_angle", millimetres))),
        ("CRIB", per_eye(diameter)),
    ]
    frame = order.frame if order.frame_id else None
    if frame is not None and frame.lens_width:
        candidates.append(("HBOX", [millimetres(frame.lens_width)] * 2))
    if frame is not None and frame.bridge_width:
        candidates.append(("DBL", [millimetres(frame.bridge_width)]))
    records += [record for record in (_record(*c) for c in candidates) if record]
    return "".join(record + CRLF for record in records)
