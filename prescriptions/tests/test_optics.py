"""Dioptre notation and arithmetic (pure Python, no database)."""

from decimal import Decimal

import pytest

from prescriptions.optics import (
    NotationError,
    SphCyl,
    contact_lens_power,
    contact_lens_sphcyl,
    format_dioptre,
    format_equivalent,
    is_on_step,
    normal_axis,
    parse_dioptre,
)

D = Decimal


@pytest.mark.parametrize(
    ("typed", "value"),
    [
        ("-1,25", D("-1.25")),
        ("+1.25", D("1.25")),
        ("1,25", D("1.25")),
        ("−0,5", D("-0.5")),
        ("±0", D("0")),
        (" +2,00 ", D("2")),
    ],
)
def test_parse_what_opticians_type(typed, value):
    assert parse_dioptre(typed) == value


@pytest.mark.parametrize("typed", ["", "+", "abc", "1,2,5", "nan", "inf"])
def test_parse_refuses_nonsense(typed):
    with pytest.raises(NotationError):
        parse_dioptre(typed)


@pytest.mark.parametrize(
    ("value", "shown"),
    [(D("1.25"), "+1,25"), (D("-0.5"), "−0,50"), (D("0"), "±0,00"), (D("-10"), "−10,00")],
)
def test_format_with_sign_and_two_decimals(value, shown):
    assert format_dioptre(value) == shown


def test_quarter_steps():
    assert is_on_step(D("-1.25")) and not is_on_step(D("1.1"))
    assert is_on_step(D("0.125"), D("0.125"))


@pytest.mark.parametrize(("axis", "normal"), [(0, 180), (180, 180), (90, 90), (270, 90), (181, 1)])
def test_axis_stays_within_1_to_180(axis, normal):
    assert normal_axis(axis) == normal


def test_transposition_example_and_round_trip():
    minus = SphCyl(D("1.25"), D("-0.50"), 90)
    plus = minus.transposed()
    assert plus == SphCyl(D("0.75"), D("0.50"), 180)
    assert plus.transposed() == minus
    assert plus.in_minus_cylinder() == minus


@pytest.mark.parametrize("sphere", [D(q) / 4 for q in range(-40, 41, 7)])
@pytest.mark.parametrize("cylinder", [D("-2.25"), D("-0.25"), D("0.75"), D("3.00")])
@pytest.mark.parametrize("axis", [1, 45, 90, 179, 180])
def test_transposition_round_trips_and_keeps_the_equivalent(sphere, cylinder, axis):
    prescription = SphCyl(sphere, cylinder, axis)
    assert prescription.transposed().transposed() == prescription
    assert prescription.transposed().spherical_equivalent == prescription.spherical_equivalent


def test_spherical_equivalent():
    assert SphCyl(D("-2.00"), D("-1.00"), 10).spherical_equivalent == D("-2.50")


@pytest.mark.parametrize(
    ("spectacle", "contact"),
    [
        (D("-4.00"), D("-3.75")),
        (D("4.00"), D("4.25")),
        (D("-8.00"), D("-7.25")),
        (D("-1.00"), D("-1.00")),
    ],
)
def test_contact_lens_power_at_12_mm(spectacle, contact):
    assert contact_lens_power(spectacle) == contact


@pytest.mark.parametrize(
    ("value", "text"),
    [(D("1"), "+1,00"), (D("0.625"), "+0,63"), (D("-0.125"), "−0,13"), (D("0"), "±0,00")],
)
def test_spherical_equivalent_has_two_decimals(value, text):
    assert format_equivalent(value) == text


@pytest.mark.parametrize(
    ("spectacle", "vertex", "contact"),
    [
        (SphCyl(D("-4"), D("0"), None), D("12"), SphCyl(D("-3.75"), D("0"), None)),
        (SphCyl(D("-5"), D("-1"), 180), D("12"), SphCyl(D("-4.75"), D("-0.75"), 180)),
        (SphCyl(D("2"), D("-0.5"), 90), D("14"), SphCyl(D("2"), D("-0.5"), 90)),
        (SphCyl(D("-8"), D("-2"), 10), D("12"), SphCyl(D("-7.25"), D("-1.75"), 10)),
    ],
)
def test_toric_contact_lens_power_per_meridian(spectacle, vertex, contact):
    assert contact_lens_sphcyl(spectacle, vertex) == contact
