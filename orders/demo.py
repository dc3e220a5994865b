"""German demo orders (one per status on the board) and a demo table of
the insurers' fixed amounts, for the demo customers."""

import datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.utils import timezone

from customers.models import Customer
from orders import services
from orders.models import FixedAmount, Kind, LensType, Order, Status
from prescriptions.models import CURRENT, Refraction
from products.models import Category, Product
from products.selectors import lens_catalogue

# A demo excerpt in the shape of the published table (product group 25):
# the shop keeps the real one current in the admin.
FIXED_AMOUNTS = [
    (LensType.SINGLE_VISION, "0", "4", "2", "10.00", "25.21.01.1001"),
    (LensType.SINGLE_VISION, "4", "6", "2", "16.00", "25.21.01.1002"),
    (LensType.SINGLE_VISION, "6", "10", "4", "29.00", "25.21.01.1003"),
    (LensType.SINGLE_VISION, "10", "30", "8", "57.00", "25.21.01.1004"),
    (LensType.MULTIFOCAL, "0", "4", "2", "41.00", "25.21.02.2001"),
    (LensType.MULTIFOCAL, "4", "6", "2", "51.00", "25.21.02.2002"),
    (LensType.MULTIFOCAL, "6", "10", "4", "74.00", "25.21.02.2003"),
    (LensType.MULTIFOCAL, "10", "30", "8", "113.00", "25.21.02.2004"),
]
FIXED_FROM = datetime.date(2024, 1, 1)

# Where each demo order ends up, the way a user would have taken it.
PATHS = [
    (),
    (Status.ORDERED,),
    (Status.ORDERED, Status.LENSES_ORDERED),
    (Status.ORDERED, Status.LENSES_ORDERED, Status.LENSES_ARRIVED),
    (Status.ORDERED, Status.LENSES_ORDERED, Status.LENSES_ARRIVED, Status.WORKSHOP),
    (Status.ORDERED, Status.LENSES_ORDERED, Status.LENSES_ARRIVED, Status.WORKSHOP, Status.READY),
    (Status.ORDERED, Status.READY, Status.PICKED_UP),
]


def seed_fixed_amounts() -> int:
    if FixedAmount.objects.exists():
        return 0
    FixedAmount.objects.bulk_create(
        FixedAmount(
            valid_from=FIXED_FROM,
            lens_type=lens_type,
            power_from=Decimal(low),
            power_to=Decimal(high),
            cylinder_to=Decimal(cylinder),
            amount=Decimal(amount),
            aid_number=number,
        )
        for lens_type, low, high, cylinder, amount, number in FIXED_AMOUNTS
    )
    return len(FIXED_AMOUNTS)


def seed_demo_orders(*, user) -> int:
    """Glasses orders along the board for customers with a refraction, and
    a repair; nothing when orders exist already. Returns how many were new."""
    seed_fixed_amounts()
    if Order.objects.exists():
        return 0
    today = timezone.localdate()
    lenses = list(lens_catalogue()[:2])
    frames = list(
        Product.objects.filter(category=Category.FRAME, active=True, stock__gt=2).order_by("id")
    )
    with_values = (
        Refraction.objects.filter(CURRENT, kind=Refraction.Kind.SUBJECTIVE)
        .values_list("customer_id", flat=True)
        .distinct()
        .order_by("customer_id")
    )
    created = 0
    for index, (customer_id, path) in enumerate(zip(with_values, PATHS, strict=False)):
        order = services.order_create(customer_id=customer_id, user=user)
        data = {"promised_date": today + datetime.timedelta(days=index * 2 - 3)}
        if frames:
            data["frame"] = frames[index % len(frames)]
        services.order_update(order_id=order.pk, data=data, version=None, user=user)
        if lenses:
            services.lens_pair_add(
                order_id=order.pk,
                product_id=lenses[index % len(lenses)].pk,
                eyes=("right", "left"),
                diameter=70,
                version=None,
                user=user,
            )
        services.line_save(
            order_id=order.pk,
            data={
                "kind": "service",
                "description": "Anpassung und Werkstatt",
                "unit_price": Decimal("25.00"),
            },
            version=None,
            user=user,
        )
        order.refresh_from_db()
        if order.prescription and any(
            (order.prescription.get(side) or {}).get("addition") for side in ("right", "left")
        ):
            # Progressive lenses need the fitting height; a demo value.
            services.order_update(
                order_id=order.pk,
                data={"right_fitting_height": Decimal("22"), "left_fitting_height": Decimal("22")},
                version=None,
                user=user,
            )
        for status in path:
            try:
                services.order_status_change(
                    order_id=order.pk, status=status, version=None, user=user
                )
            except ValidationError:
                # E.g. unusual demo centration: the order stays where it is.
                break
        created += 1
    customer = Customer.objects.alive().order_by("id").first()
    if customer is not None:
        repair = services.order_create(customer_id=customer.pk, kind=Kind.REPAIR, user=user)
        services.order_update(
            order_id=repair.pk,
            data={
                "item": "Eigene Brille, Metallfassung",
                "work": "Scharnier links löten, Nasenpads tauschen",
                "promised_date": today + datetime.timedelta(days=2),
            },
            version=None,
            user=user,
        )
        services.line_save(
            order_id=repair.pk,
            data={"kind": "service", "description": "Lötarbeit", "unit_price": Decimal("18.00")},
            version=None,
            user=user,
        )
        created += 1
    return created
