"""Property-based checks of the notation and transposition: for every value
an optician can enter, not only the examples in test_optics.py."""

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from prescriptions.optics import SphCyl, format_dioptre, parse_dioptre

quarters = st.integers(min_value=-120, max_value=120).map(lambda q: Decimal(q) / 4)
cylinders = st.integers(min_value=-40, max_value=40).filter(bool).map(lambda q: Decimal(q) / 4)
axes = st.integers(min_value=1, max_value=180)


@given(quarters, cylinders, axes)
def test_transposing_twice_gives_the_same_prescription(sphere, cylinder, axis):
    prescription = SphCyl(sphere, cylinder, axis)
    once = prescription.transposed()
    assert once.transposed() == prescription
    assert once.cylinder == -cylinder
    assert 1 <= once.axis <= 180
    assert abs(once.axis - axis) == 90


@given(quarters, cylinders, axes)
def test_both_notations_are_the_same_correction(sphere, cylinder, axis):
    prescription = SphCyl(sphere, cylinder, axis)
    minus = prescription.in_minus_cylinder()
    assert minus.cylinder < 0
    assert minus.spherical_equivalent == prescription.spherical_equivalent
    # The two principal meridians carry the same powers in both notations.
    assert {minus.sphere, minus.sphere + minus.cylinder} == {sphere, sphere + cylinder}


@given(quarters, st.sampled_from(["", "+"]), st.sampled_from([",", "."]))
def test_what_is_typed_reads_back_and_formats_with_sign_and_comma(value, plus, separator):
    typed = f"{plus if value > 0 else ''}{value:.2f}".replace(".", separator)
    assert parse_dioptre(typed) == value
    shown = format_dioptre(value)
    assert parse_dioptre(shown) == value
    assert shown[0] in "+−±" and "," in shown and len(shown.split(",")[1]) == 2
