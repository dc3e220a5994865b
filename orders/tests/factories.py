"""What the order tests build again and again."""

from decimal import Decimal

from products.models import Category, LensPrice, Product
from products.tests.factories import product


def progressive_lens() -> Product:
    lens = product(
        name="Zeiss Progressive Individual 1,6",
        category=Category.SPECTACLE_LENS,
        brand="Zeiss",
        model="Progressive Individual",
        spectacle_design="progressive",
        lens_index=Decimal("1.60"),
        sale_price=Decimal("300.00"),
    )
    LensPrice.objects.create(
        product=lens,
        sphere_from=Decimal("-6"),
        sphere_to=Decimal("6"),
        cylinder_to=Decimal("2"),
        sale_price=Decimal("249.00"),
    )
    return lens
