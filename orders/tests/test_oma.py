"""The lens order as OMA/VCA (DCS) records, against records written by hand
from the standard's conventions (orders.oma's docstring): a full order, one
eye only, prisms, and an order with nothing yet."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from customers.tests import factories
from orders import services
from orders.oma import ascii_text, oma_text, prism
from prescriptions.tests.factories import refraction
from products.models import Category
from products.tests.factories import product

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
EXAMINED = TODAY - datetime.timedelta(days=10)


def records(*lines: str) -> str:
    return "".join(f"{line}\r\n" for line in lines)


def lens(**fields):
    data = {
        "category": Category.SPECTACLE_LENS,
        "name": "SmartLife Progressive 1,6",
        "brand": "Zeiss",
        "model": "SmartLife",
        "spectacle_design": "progressive",
        "lens_index": Decimal("1.60"),
        "coatings": ["super_ar", "hard"],
        "sale_price": Decimal("289.00"),
    }
    data.update(fields)
    return product(**data)


def order_for(customer, user, *, values: dict, header: dict | None = None, lines=()):
    refraction(customer, user, date=EXAMINED, **values)
    order = services.order_create(customer_id=customer.pk, user=user)
    if header:
        services.order_update(order_id=order.pk, data=header, version=None)
    for data in lines:
        services.line_save(order_id=order.pk, data=data, version=None)
    order.refresh_from_db()
    return order


def test_a_full_order_of_progressive_lenses(optician):
    frame = product(name="Lindberg 9700", lens_width=52, bridge_width=18, temple_length=140)
    zeiss = lens()
    order = order_for(
        factories.customer(first_name="Łucja", last_name="Öztürk-Weiß"),
        optician,
        values={
            "right_sphere": Decimal("-1.25"),
            "right_cylinder": Decimal("-0.50"),
            "right_axis": 90,
            "right_addition": Decimal("2.00"),
            "left_sphere": Decimal("-0.50"),
            "left_cylinder": Decimal("-0.75"),
            "left_axis": 85,
            "left_addition": Decimal("2.00"),
            "vertex_distance": Decimal("13"),
        },
        header={
            "frame": frame,
            "right_pd": Decimal("31.5"),
            "left_pd": Decimal("32"),
            "right_fitting_height": Decimal("22"),
            "left_fitting_height": Decimal("21.5"),
            "right_pantoscopic_tilt": Decimal("8"),
            "left_pantoscopic_tilt": Decimal("8"),
            "right_wrap_angle": Decimal("5"),
            "left_wrap_angle": Decimal("5"),
        },
        lines=[
            services.product_line(frame),
            services.product_line(zeiss, eye="right", diameter=70),
            services.product_line(zeiss, eye="left", diameter=65),
        ],
    )

    assert oma_text(order) == records(
        f"JOB={order.pk}",
        "DO=B",
        "LNAM=Zeiss SmartLife;Zeiss SmartLife",
        "LIND=1.60;1.60",
        "SPH=-1.25;-0.50",
        "CYL=-0.50;-0.75",
        "AX=90;85",
        "ADD=2.00;2.00",
        "IPD=31.5;32.0",
        "SEGHT=22.0;21.5",
        "BVD=13.0;13.0",
        "PANTO=8.0;8.0",
        "ZTILT=5.0;5.0",
        "CRIB=70.0;65.0",
        "HBOX=52.0;52.0",
        "DBL=18.0",
    )


def test_one_eye_only_leaves_the_other_unknown(optician):
    single = lens(
        name="Nulux 1,5",
        brand="Hoya",
        model="Nulux",
        spectacle_design="single_vision",
        lens_index=Decimal("1.50"),
        coatings=[],
    )
    order = order_for(
        factories.customer(),
        optician,
        values={
            "right_sphere": Decimal("2.00"),
            "right_cylinder": None,
            "right_axis": None,
            "right_pd": Decimal("31.5"),
            "left_sphere": Decimal("-1.00"),
            "left_pd": Decimal("32"),
        },
        header={"right_fitting_height": Decimal("19.5")},
        lines=[services.product_line(single, eye="right")],
    )

    # The left eye is not made: its values are unknown, though known in the
    # prescription; a spherical right eye has cylinder 0.00 and axis 0; single
    # vision: the height is the optical centre's (OCHT); no diameter, no HSA,
    # no frame: no CRIB, BVD, HBOX or DBL.
    assert oma_text(order) == records(
        f"JOB={order.pk}",
        "DO=R",
        "LNAM=Hoya Nulux;?",
        "LIND=1.50;?",
        "SPH=2.00;?",
        "CYL=0.00;?",
        "AX=0;?",
        "IPD=31.5;?",
        "OCHT=19.5;?",
    )


def test_prisms_as_magnitude_and_base_angle(optician):
    order = order_for(
        factories.customer(),
        optician,
        values={
            "right_sphere": Decimal("-1.00"),
            "right_cylinder": None,
            "right_axis": None,
            "right_prism_horizontal": Decimal("2.00"),
            "right_prism_horizontal_base": "in",
            "left_sphere": Decimal("-1.00"),
            "left_prism_horizontal": Decimal("2.00"),
            "left_prism_horizontal_base": "in",
            "left_prism_vertical": Decimal("1.00"),
            "left_prism_vertical_base": "up",
        },
    )

    # No lens position: the eyes with values. Right 2,00 base in: 0°; left
    # 2,00 base in (180°) with 1,00 base up: √5 = 2.24 at atan2(1, −2) = 153°.
    assert oma_text(order) == records(
        f"JOB={order.pk}",
        "DO=B",
        "SPH=-1.00;-1.00",
        "CYL=0.00;0.00",
        "AX=0;0",
        "PRVM=2.00;2.24",
        "PRVA=0;153",
        "IPD=31.5;32.0",
    )


@pytest.mark.parametrize(
    ("side", "eye", "expected"),
    [
        ("right", {"prism_horizontal": Decimal("1"), "prism_horizontal_base": "in"}, 0),
        ("right", {"prism_horizontal": Decimal("1"), "prism_horizontal_base": "out"}, 180),
        ("left", {"prism_horizontal": Decimal("1"), "prism_horizontal_base": "in"}, 180),
        ("left", {"prism_horizontal": Decimal("1"), "prism_horizontal_base": "out"}, 0),
        ("right", {"prism_vertical": Decimal("1"), "prism_vertical_base": "up"}, 90),
        ("left", {"prism_vertical": Decimal("1"), "prism_vertical_base": "up"}, 90),
        ("right", {"prism_vertical": Decimal("1"), "prism_vertical_base": "down"}, 270),
        ("left", {"prism_vertical": Decimal("1"), "prism_vertical_base": "down"}, 270),
    ],
)
def test_the_base_directions_in_360_degree_notation(side, eye, expected):
    assert prism(eye, side) == (Decimal("1.00"), expected)


def test_combined_prisms_and_a_prism_without_base():
    # Right eye 1,50 base out (180°) and 1,00 base down (270°): 1.80 at 214°.
    eye = {
        "prism_horizontal": Decimal("1.50"),
        "prism_horizontal_base": "out",
        "prism_vertical": Decimal("1.00"),
        "prism_vertical_base": "down",
    }
    assert prism(eye, "right") == (Decimal("1.80"), 214)
    assert prism({}, "left") == (Decimal("0.00"), 0)
    assert prism({"prism_vertical": Decimal("1")}, "left") is None


def test_an_order_without_values_or_positions_is_just_its_job(customer_without_values):
    order = services.order_create(customer_id=customer_without_values.pk)
    assert order.prescription == {}
    assert oma_text(order) == records(f"JOB={order.pk}")


def test_a_lens_position_without_product_is_named_by_its_description(optician):
    order = order_for(
        factories.customer(),
        optician,
        values={"left_sphere": None, "left_pd": None},
        lines=[
            {
                "kind": "lens",
                "eye": "",
                "description": "Rodenstock Impression; Nähe=gut",
                "unit_price": Decimal("120"),
                "diameter": 60,
            }
        ],
    )

    text = oma_text(order)

    # A lens for "both" eyes: the eyes with values, here only the right.
    assert "DO=R\r\n" in text
    assert "LNAM=Rodenstock Impression, Naehe-gut;?\r\n" in text
    assert "CRIB=60.0;?\r\n" in text
    assert "LIND" not in text
    assert "\n" not in text.replace("\r\n", "")


def test_ascii_text():
    assert ascii_text("  Glas für   Nähe;\nGroß=Łódź ") == "Glas fuer Naehe, Gross-odz"


@pytest.fixture
def customer_without_values():
    return factories.customer()
