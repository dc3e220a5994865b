"""The statutory insurer's share for spectacle lenses (GKV, § 33 SGB V;
DOMAIN.md), free of the database: who is eligible, and what an adult pays
of the insurer's fixed amount (Zuzahlung)."""

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils.translation import gettext as _

from orders.rules import cents

ADULT_AGE = 18
# From this age a new claim needs a change of at least 0,5 dpt.
CHANGE_CHECK_AGE = 14
# Adults: above these (dpt), or a visual acuity with correction at most this.
MYOPIA_HYPEROPIA = Decimal("6")
ASTIGMATISM = Decimal("4")
LOW_VISION = Decimal("0.3")
# The co-payment for aids: 10 % of the insurer's amount, at least 5 €, at
# most 10 €, never more than the aid costs (§ 61 SGB V).
CO_PAYMENT_SHARE = Decimal("0.10")
CO_PAYMENT_MIN = Decimal("5.00")
CO_PAYMENT_MAX = Decimal("10.00")
EXTERNAL = "external"  # Refraction.Kind.EXTERNAL: an ophthalmologist's prescription


def age_on(born: datetime.date, day: datetime.date) -> int:
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def _decimal(value) -> Decimal | None:
    return None if value in (None, "") else Decimal(str(value))


def meridians(eye: dict) -> tuple[Decimal, Decimal] | None:
    """The powers of an eye's two principal meridians (sphere, sphere +
    cylinder), or None without a sphere."""
    sphere = _decimal(eye.get("sphere"))
    if sphere is None:
        return None
    cylinder = _decimal(eye.get("cylinder")) or Decimal("0")
    return sphere, sphere + cylinder


@dataclass
class Eligibility:
    eligible: bool
    # Why (or why not), in German, for the order page and the estimate.
    reasons: list[str] = field(default_factory=list)
    # A share needs an ophthalmologist's prescription (Verordnung).
    needs_prescription: bool = False
    adult: bool = True
    # 14 to 17: the insurer pays again only for a change of at least 0,5 dpt
    # against the glasses before; the optician checks it.
    needs_change: bool = False


def eligibility(
    *, born: datetime.date | None, day: datetime.date, prescription: dict
) -> Eligibility:
    """Whether the insurer pays towards the lenses, from the age on ``day``
    and the prescription's values (an order's copy: ``right``/``left``
    with sphere, cylinder, visus_cc; ``kind``)."""
    if born is None:
        return Eligibility(False, [_("The date of birth is not known.")])
    age = age_on(born, day)
    adult = age >= ADULT_AGE
    reasons = []
    if not adult:
        reasons.append(_("under 18 years old"))
    needs_change = CHANGE_CHECK_AGE <= age < ADULT_AGE
    if needs_change:
        reasons.append(_("from 14: only for a change of at least 0.5 dpt against the last glasses"))
    eyes = [prescription.get(side) or {} for side in ("right", "left")]
    powers = [m for m in (meridians(eye) for eye in eyes) if m is not None]
    if any(max(abs(power) for power in m) > MYOPIA_HYPEROPIA for m in powers):
        reasons.append(_("more than 6 dpt myopia or hyperopia"))
    if any(abs(m[1] - m[0]) > ASTIGMATISM for m in powers):
        reasons.append(_("more than 4 dpt astigmatism"))
    visus = [_decimal(eye.get("visus_cc")) for eye in eyes]
    # The better eye with its best correction: both must be known.
    if None not in visus and max(visus) <= LOW_VISION:
        reasons.append(_("visual acuity with correction at most 0.3"))
    eligible = bool(reasons)
    if not eligible:
        reasons.append(
            _(
                "Adults only with more than 6 dpt myopia or hyperopia, more than 4 dpt "
                "astigmatism or a visual acuity with correction of at most 0.3."
            )
        )
    return Eligibility(
        eligible=eligible,
        reasons=reasons,
        needs_prescription=eligible and prescription.get("kind") != EXTERNAL,
        adult=adult,
        needs_change=needs_change,
    )


def co_payment(insurer_amount: Decimal, cost: Decimal, *, adult: bool) -> Decimal:
    """What the insured pays of the insurer's amount for one aid: none under
    18; else 10 %, at least 5 €, at most 10 €, never more than the cost."""
    if not adult or insurer_amount <= 0:
        return Decimal("0.00")
    share = cents(insurer_amount * CO_PAYMENT_SHARE)
    return min(max(share, CO_PAYMENT_MIN), CO_PAYMENT_MAX, cost)
