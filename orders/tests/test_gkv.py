"""The insurer's share for lenses (GKV, § 33 SGB V, DOMAIN.md): who is
eligible, the fixed amount per lens from the dated table, the co-payment."""

import datetime
from decimal import Decimal

import pytest

from orders import gkv, selectors
from orders.models import FixedAmount, LensType

DAY = datetime.date(2026, 12, 6)


def eyes(right: dict, left: dict | None = None, kind: str = "external") -> dict:
    return {"kind": kind, "right": right, "left": left or right}


def born(years_old: int, days: int = 0) -> datetime.date:
    return DAY.replace(year=DAY.year - years_old) - datetime.timedelta(days=days)


def test_a_child_is_eligible_whatever_the_power():
    result = gkv.eligibility(born=born(15), day=DAY, prescription=eyes({"sphere": "-0.50"}))
    assert result.eligible and not result.adult
    assert result.reasons[0] == "unter 18 Jahre alt"
    # 18 on the order's day: an adult.
    assert not gkv.eligibility(
        born=born(18), day=DAY, prescription=eyes({"sphere": "-0.50"})
    ).eligible
    assert gkv.eligibility(
        born=born(18, days=-1), day=DAY, prescription=eyes({"sphere": "-0.50"})
    ).eligible


@pytest.mark.parametrize(
    ("right", "eligible"),
    [
        ({"sphere": "-6.00"}, False),  # exactly 6: not above
        ({"sphere": "-6.25"}, True),
        ({"sphere": "+6.25"}, True),
        # The stronger meridian counts: −4,50 with −2,00 cylinder is −6,50.
        ({"sphere": "-4.50", "cylinder": "-2.00"}, True),
        ({"sphere": "+1.00", "cylinder": "-4.00"}, False),
        ({"sphere": "+1.00", "cylinder": "-4.25"}, True),
        ({"sphere": "+1.00", "visus_cc": "0.3"}, True),
        ({"sphere": "+1.00", "visus_cc": "0.4"}, False),
    ],
)
def test_adults_by_power_astigmatism_or_low_vision(right, eligible):
    left = {"sphere": "+1.00", "visus_cc": right.get("visus_cc")}
    result = gkv.eligibility(born=born(40), day=DAY, prescription=eyes(right, left))
    assert result.eligible is eligible, result.reasons
    if not eligible:
        assert "Erwachsene nur bei" in result.reasons[-1]


def test_low_vision_counts_the_better_eye():
    prescription = eyes({"sphere": "+1", "visus_cc": "0.2"}, {"sphere": "+1", "visus_cc": "0.8"})
    assert not gkv.eligibility(born=born(40), day=DAY, prescription=prescription).eligible


def test_a_share_needs_an_ophthalmologists_prescription():
    own = gkv.eligibility(
        born=born(10), day=DAY, prescription=eyes({"sphere": "-1"}, kind="subjective")
    )
    assert own.eligible and own.needs_prescription
    prescribed = gkv.eligibility(born=born(10), day=DAY, prescription=eyes({"sphere": "-1"}))
    assert not prescribed.needs_prescription


def test_without_a_birth_date_nothing_can_be_said():
    result = gkv.eligibility(born=None, day=DAY, prescription=eyes({"sphere": "-9"}))
    assert not result.eligible
    assert result.reasons == ["Das Geburtsdatum ist nicht bekannt."]


@pytest.mark.parametrize(
    ("amount", "cost", "adult", "pays"),
    [
        ("12.00", "100", True, "5.00"),  # 10 % is 1,20: at least 5 €
        ("76.50", "100", True, "7.65"),
        ("113.00", "200", True, "10.00"),  # at most 10 €
        ("12.00", "3.00", True, "3.00"),  # never more than the cost
        ("113.00", "200", False, "0.00"),  # children pay none
    ],
)
def test_the_co_payment(amount, cost, adult, pays):
    assert gkv.co_payment(Decimal(amount), Decimal(cost), adult=adult) == Decimal(pays)


@pytest.mark.django_db
def test_the_fixed_amount_of_the_table_in_force_for_the_power():
    def row(valid_from, power_from, power_to, cylinder_to, amount, number):
        return FixedAmount.objects.create(
            valid_from=valid_from,
            lens_type=LensType.SINGLE_VISION,
            power_from=Decimal(power_from),
            power_to=Decimal(power_to),
            cylinder_to=Decimal(cylinder_to),
            amount=Decimal(amount),
            aid_number=number,
        )

    old = datetime.date(2020, 1, 1)
    row(old, "0", "4", "2", "10.00", "old")
    row(DAY.replace(month=1, day=1), "0", "4", "2", "12.00", "25.21.01.1001")
    row(DAY.replace(month=1, day=1), "0", "4", "6", "25.00", "25.21.01.1002")
    row(DAY.replace(month=1, day=1), "4.25", "8", "2", "40.00", "25.21.01.2001")

    def amount(eye, day=DAY):
        found = selectors.fixed_amount(lens_type=LensType.SINGLE_VISION, eye=eye, day=day)
        return found and found.aid_number

    assert amount({"sphere": "-3.00", "cylinder": "-1.00"}) == "25.21.01.1001"
    assert amount({"sphere": "-1.00", "cylinder": "-3.00"}) == "25.21.01.1002"
    assert amount({"sphere": "-5.00"}) == "25.21.01.2001"
    assert amount({"sphere": "-9.00"}) is None
    assert amount({"sphere": "-3.00"}, day=datetime.date(2021, 5, 1)) == "old"
    assert amount({"sphere": "-3.00"}, day=datetime.date(2019, 5, 1)) is None
    assert amount({}) is None


def test_low_vision_needs_both_eyes_known():
    prescription = eyes({"sphere": "+1", "visus_cc": "0.2"}, {"sphere": "+1"})
    assert not gkv.eligibility(born=born(40), day=DAY, prescription=prescription).eligible


def test_from_14_a_new_claim_needs_a_change():
    teen = gkv.eligibility(born=born(15), day=DAY, prescription=eyes({"sphere": "-1"}))
    assert teen.eligible and teen.needs_change
    assert "ab 14" in teen.reasons[-1]
    child = gkv.eligibility(born=born(13), day=DAY, prescription=eyes({"sphere": "-1"}))
    assert child.eligible and not child.needs_change
