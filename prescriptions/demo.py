"""German demo refractions and contact lens fittings for the demo customers."""

import datetime
import random
from decimal import Decimal

from django.utils import timezone

from customers.models import Customer
from prescriptions import services
from prescriptions.models import Refraction
from products.models import Category, Product

Q = Decimal("0.25")


def _quarter(rng: random.Random, low: float, high: float) -> Decimal:
    return Decimal(round(rng.uniform(low, high) / 0.25)) * Q


def _eye(rng: random.Random, base: Decimal, add: Decimal | None) -> dict:
    eye = {"sphere": base + _quarter(rng, -0.5, 0.5), "visus_cc": Decimal("1.0")}
    if rng.random() < 0.5:
        eye["cylinder"] = -_quarter(rng, 0.25, 2.0)
        eye["axis"] = rng.randint(1, 180)
    if add:
        eye["addition"] = add
    eye["pd"] = Decimal(rng.randint(58, 68)) / 2
    return eye


def _refraction_data(rng: random.Random, customer: Customer, day: datetime.date, user) -> dict:
    age = (day - customer.date_of_birth).days // 365 if customer.date_of_birth else 40
    add = _quarter(rng, 0.75, 2.5) if age >= 45 else None
    base = _quarter(rng, -5, 3)
    data = {"kind": Refraction.Kind.SUBJECTIVE, "date": day, "examiner": user}
    data["vertex_distance"] = Decimal(rng.choice([12, 13, 14]))
    for side in ("right", "left"):
        data.update({f"{side}_{k}": v for k, v in _eye(rng, base, add).items()})
    return data


def seed_demo_prescriptions(*, user) -> int:
    """Give about half of the demo customers one to three refractions and some
    a contact lens fitting; customers who already have any are left alone.
    Returns how many refractions were new."""
    today = timezone.localdate()
    # Spherical lenses: the demo fittings have no cylinder and no addition.
    lenses = list(
        Product.objects.filter(
            category=Category.CONTACT_LENS, active=True, lens_design__in=["", "spherical"]
        )[:3]
    )
    done = set(Refraction.objects.values_list("customer_id", flat=True))
    created = 0
    for customer in Customer.objects.alive().order_by("id"):
        rng = random.Random(customer.pk)
        if customer.pk in done or rng.random() < 0.5:
            continue
        for years_ago in sorted(rng.sample([0.3, 1.2, 2.5, 3.8], rng.randint(1, 3)), reverse=True):
            day = today - datetime.timedelta(days=int(years_ago * 365))
            if customer.date_of_birth and day < customer.date_of_birth:
                continue
            services.refraction_record(
                customer_id=customer.pk,
                data=_refraction_data(rng, customer, day, user),
                user=user,
                confirm_unusual=True,
            )
            created += 1
        if lenses and rng.random() < 0.25:
            lens = rng.choice(lenses)
            sphere = _quarter(rng, -4, 1)
            services.fitting_record(
                customer_id=customer.pk,
                data={
                    "date": today - datetime.timedelta(days=rng.randint(20, 300)),
                    "examiner": user,
                    **{
                        f"{side}_{k}": v
                        for side in ("right", "left")
                        for k, v in {
                            "product": lens,
                            # Values the lens is made in (its parameters, if it has any).
                            "base_curve": (lens.base_curves or [Decimal("8.60")])[0],
                            "diameter": (lens.diameters or [Decimal("14.2")])[0],
                            "sphere": sphere,
                            "replacement": "monthly",
                        }.items()
                    },
                },
                user=user,
            )
    return created
