"""Orders, part 2: centration checked by the trade's rules, lenses from the
price list priced per eye, contact lenses from a fitting with the reorder
date, repairs' own steps."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from customers.tests import factories
from orders import rules, services
from orders.models import Kind, Status
from prescriptions.tests.factories import fitting, refraction
from products import services as product_services
from products.models import Category, LensPrice
from products.tests.factories import product

pytestmark = pytest.mark.django_db


@pytest.fixture
def customer():
    return factories.customer(first_name="Erika", last_name="Muster")


def lens(design="single_vision", prices=None):
    made = product(
        name=f"Glas {design}",
        category=Category.SPECTACLE_LENS,
        brand="Zeiss",
        spectacle_design=design,
        lens_index=Decimal("1.60"),
        sale_price=Decimal("150.00"),
    )
    for (low, high, cylinder), price in (prices or {}).items():
        LensPrice.objects.create(
            product=made,
            sphere_from=Decimal(low),
            sphere_to=Decimal(high),
            cylinder_to=Decimal(cylinder),
            sale_price=Decimal(price),
        )
    return made


def test_each_lens_is_priced_by_its_eyes_power(customer, optician):
    refraction(
        customer,
        optician,
        right_sphere=Decimal("-2.00"),
        left_sphere=Decimal("-7.50"),
        left_cylinder=None,
        left_axis=None,
    )
    order = services.order_create(customer_id=customer.pk, user=optician)
    chosen = lens(prices={("-6", "6", "2"): "99.00", ("-10", "8", "4"): "139.00"})
    right, left = services.lens_pair_add(
        order_id=order.pk,
        product_id=chosen.pk,
        eyes=("right", "left"),
        diameter=65,
        version=order.version,
    )
    assert (right.eye, right.unit_price, right.diameter, right.kind) == (
        "right",
        Decimal("99.00"),
        65,
        "lens",
    )
    assert (left.eye, left.unit_price) == ("left", Decimal("139.00"))
    # A frame is not a lens.
    with pytest.raises(ValidationError) as refused:
        services.lens_pair_add(
            order_id=order.pk,
            product_id=product().pk,
            eyes=("right",),
            diameter=65,
            version=None,
        )
    assert "product" in refused.value.message_dict


def test_unusual_centration_needs_a_reason_impossible_is_refused(customer, optician):
    refraction(customer, optician)
    order = services.order_create(customer_id=customer.pk, user=optician)
    with pytest.raises(ValidationError) as unusual:
        services.order_update(
            order_id=order.pk, data={"right_pantoscopic_tilt": Decimal("20")}, version=None
        )
    assert "plausibility_reason" in unusual.value.message_dict
    services.order_update(
        order_id=order.pk,
        data={"right_pantoscopic_tilt": Decimal("20"), "plausibility_reason": "Sportbrille"},
        version=None,
    )
    with pytest.raises(ValidationError) as impossible:
        services.order_update(
            order_id=order.pk, data={"right_pantoscopic_tilt": Decimal("40")}, version=None
        )
    assert "right_pantoscopic_tilt" in impossible.value.message_dict


def test_a_progressive_lens_needs_an_addition_and_a_fitting_height_to_be_placed(customer, optician):
    refraction(customer, optician)  # no addition
    order = services.order_create(customer_id=customer.pk, user=optician)
    services.lens_pair_add(
        order_id=order.pk,
        product_id=lens("progressive").pk,
        eyes=("right",),
        diameter=70,
        version=None,
    )
    problems = services.centration_problems(order)
    assert [problem.hard for problem in problems] == [True, True]
    with pytest.raises(ValidationError) as refused:
        services.order_status_change(order_id=order.pk, status=Status.ORDERED, version=None)
    text = " ".join(refused.value.messages)
    assert "Addition" in text and "Einschleifhöhe" in text
    assert order.status == Status.QUOTE


def test_the_lens_must_be_big_enough_for_the_frame_and_the_pd(customer, optician):
    refraction(customer, optician, right_pd=Decimal("30"))
    frame = product(name="Große Fassung", lens_width=56, bridge_width=20, temple_length=145)
    product_services.stock_move(product_id=frame.pk, kind="receipt", quantity=1)
    order = services.order_create(customer_id=customer.pk, user=optician)
    services.order_update(order_id=order.pk, data={"frame": frame}, version=None)
    services.lens_pair_add(
        order_id=order.pk, product_id=lens().pk, eyes=("right",), diameter=65, version=None
    )
    order.refresh_from_db()
    # (56 + 20) / 2 − 30 = 8 mm decentration: 56 + 16 + 2 = 74 mm at least.
    assert services.minimum_diameter(box_width=56, bridge=20, pd=Decimal("30")) == 74
    (problem,) = services.centration_problems(order)
    assert not problem.hard
    assert "74" in problem.text and "65" in problem.text
    with pytest.raises(ValidationError) as refused:
        services.order_status_change(order_id=order.pk, status=Status.ORDERED, version=None)
    assert "plausibility_reason" in refused.value.message_dict
    services.order_update(
        order_id=order.pk, data={"plausibility_reason": "Glas wird gerandet"}, version=None
    )
    placed = services.order_status_change(order_id=order.pk, status=Status.ORDERED, version=None)
    assert placed.status == Status.ORDERED


def test_contact_lenses_come_from_the_fitting_and_set_the_reorder_date(customer, optician):
    monthly = product(
        name="Biofinity 6er", category=Category.CONTACT_LENS, sale_price=Decimal("39.90")
    )
    record = fitting(customer, optician, right_product=monthly, left_product=monthly)
    order = services.order_create(
        customer_id=customer.pk, kind=Kind.CONTACT_LENSES, fitting_id=record.pk, user=optician
    )
    lines = list(order.lines.order_by("position"))
    assert [(line.eye, line.kind, line.supply_days) for line in lines] == [
        ("right", "contact_lens", 180),
        ("left", "contact_lens", 180),
    ]
    assert order.fitting == record
    services.line_save(
        order_id=order.pk, line_id=lines[1].pk, data={"supply_days": 90}, version=None
    )
    placed = services.order_status_change(order_id=order.pk, status=Status.ORDERED, version=None)
    assert placed.reorder_due == timezone.localdate() + datetime.timedelta(days=90)
    # Contact lenses are not edged.
    assert Status.WORKSHOP not in rules.next_statuses(Status.ORDERED, Kind.CONTACT_LENSES)
    with pytest.raises(ValidationError):
        services.order_status_change(order_id=order.pk, status=Status.WORKSHOP, version=None)


def test_a_fitting_of_another_customer_is_refused(customer, optician):
    other = factories.customer(first_name="Otto", last_name="Anders")
    theirs = fitting(other, optician)
    with pytest.raises(ValidationError) as refused:
        services.order_create(
            customer_id=customer.pk, kind=Kind.CONTACT_LENSES, fitting_id=theirs.pk
        )
    assert "fitting" in refused.value.message_dict


def test_a_repair_is_taken_in_and_runs_its_own_steps(customer, optician):
    repair = services.order_create(customer_id=customer.pk, kind=Kind.REPAIR, user=optician)
    assert repair.status == Status.ORDERED
    assert rules.status_label(Status.ORDERED, Kind.REPAIR) == "angenommen"
    assert rules.next_statuses(Status.ORDERED, Kind.REPAIR) == (
        Status.WORKSHOP,
        Status.READY,
        Status.CANCELLED,
    )
    for status, label in ((Status.WORKSHOP, "in Arbeit"), (Status.READY, "fertig")):
        repair = services.order_status_change(order_id=repair.pk, status=status, version=None)
        assert rules.status_label(repair.status, repair.kind) == label
    done = services.order_status_change(order_id=repair.pk, status=Status.PICKED_UP, version=None)
    assert rules.status_label(done.status, done.kind) == "Abgeholt"


def test_placed_glasses_keep_what_the_lab_needs(customer, optician):
    refraction(customer, optician, right_addition=Decimal("2.00"), left_addition=Decimal("2.00"))
    order = services.order_create(customer_id=customer.pk, user=optician)
    services.order_update(
        order_id=order.pk,
        data={"right_fitting_height": Decimal("22"), "left_fitting_height": Decimal("22")},
        version=None,
    )
    services.lens_pair_add(
        order_id=order.pk,
        product_id=lens("progressive").pk,
        eyes=("right", "left"),
        diameter=70,
        version=None,
    )
    services.order_status_change(order_id=order.pk, status=Status.ORDERED, version=None)
    # Taking the fitting height away from a placed order is refused …
    with pytest.raises(ValidationError) as refused:
        services.order_update(order_id=order.pk, data={"right_fitting_height": None}, version=None)
    assert "Einschleifhöhe" in " ".join(refused.value.messages)
    # … and a progressive pair added without an addition stops it moving on.
    other = factories.customer(first_name="Ohne", last_name="Addition")
    refraction(other, optician)
    plain = services.order_create(customer_id=other.pk, user=optician)
    services.lens_pair_add(
        order_id=plain.pk, product_id=lens().pk, eyes=("right",), diameter=70, version=None
    )
    services.order_status_change(order_id=plain.pk, status=Status.ORDERED, version=None)
    services.lens_pair_add(
        order_id=plain.pk,
        product_id=lens("progressive").pk,
        eyes=("left",),
        diameter=70,
        version=None,
    )
    with pytest.raises(ValidationError):
        services.order_status_change(order_id=plain.pk, status=Status.LENSES_ORDERED, version=None)
    # Cancelling is always possible.
    cancelled = services.order_status_change(
        order_id=plain.pk, status=Status.CANCELLED, version=None, reason="Kunde verzichtet"
    )
    assert cancelled.status == Status.CANCELLED


def test_the_frames_position_follows_the_frame(customer, optician):
    first = product(name="Fassung A", sale_price=Decimal("100.00"))
    second = product(name="Fassung B", sale_price=Decimal("150.00"))
    order = services.order_create(customer_id=customer.pk, user=optician)
    services.order_update(order_id=order.pk, data={"frame": first}, version=None)
    services.order_update(order_id=order.pk, data={"frame": second}, version=None)
    assert [(line.kind, line.product, line.unit_price) for line in order.lines.all()] == [
        ("frame", second, Decimal("150.00"))
    ]
    services.order_update(
        order_id=order.pk, data={"frame": None, "own_frame": "eigene"}, version=None
    )
    assert not order.lines.exists()
    inactive = product(name="Ausgelistet", active=False)
    with pytest.raises(ValidationError) as refused:
        services.order_update(
            order_id=order.pk, data={"frame": inactive, "own_frame": ""}, version=None
        )
    assert "frame" in refused.value.message_dict


def test_a_lens_position_is_priced_by_its_eye_whichever_way_it_is_added(customer, optician):
    refraction(
        customer,
        optician,
        right_sphere=Decimal("-2.50"),
        right_cylinder=Decimal("-1.50"),
        right_axis=90,
    )
    chosen = lens(prices={("-2", "0", "2"): "50.00", ("-6", "0", "2"): "90.00"})
    order = services.order_create(customer_id=customer.pk, user=optician)
    line = services.line_save(
        order_id=order.pk, data=services.product_line(chosen, eye="right"), version=None
    )
    assert line.unit_price == Decimal("90.00")
    # Plus-cylinder notation of the same power costs the same.
    from products.selectors import lens_price

    assert lens_price(chosen, sphere=Decimal("-4.00"), cylinder=Decimal("1.50")) == Decimal("90.00")
    assert lens_price(chosen, sphere=Decimal("-1.00"), cylinder=Decimal("-1.50")) == Decimal(
        "50.00"
    )


def test_the_insurer_pays_one_lens_per_eye_and_never_below_nothing(optician):
    from customers.models import InsuranceProvider
    from orders import selectors
    from orders.models import FixedAmount

    insurer = InsuranceProvider.objects.create(name="BKK Test", kind="statutory")
    adult = factories.customer(
        first_name="Stark",
        last_name="Kurzsichtig",
        date_of_birth=datetime.date(1970, 1, 1),
        insurance_provider=insurer,
    )
    refraction(
        adult,
        optician,
        kind="external",
        right_sphere=Decimal("-7.00"),
        right_cylinder=None,
        right_axis=None,
    )
    FixedAmount.objects.create(
        valid_from=datetime.date(2020, 1, 1),
        lens_type="single_vision",
        power_from=Decimal("6"),
        power_to=Decimal("10"),
        cylinder_to=Decimal("4"),
        amount=Decimal("3.00"),
        aid_number="25.21.01.1003",
    )
    order = services.order_create(customer_id=adult.pk, user=optician)
    single = lens()
    for _ in range(2):
        services.lens_pair_add(
            order_id=order.pk, product_id=single.pk, eyes=("right",), diameter=65, version=None
        )
    share = selectors.insurance_share(order)
    assert share.eligibility.eligible and share.eligibility.adult
    (right,) = share.lenses
    # 3 € fixed amount: the co-payment (at least 5 €) is capped at it.
    assert (right.insurer_amount, right.co_payment, right.insurer_pays) == (
        Decimal("3.00"),
        Decimal("3.00"),
        Decimal("0.00"),
    )
    money = selectors.order_money(order)
    assert money.open == money.gross == Decimal("300.00")
