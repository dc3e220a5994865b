import itertools
from decimal import Decimal

from products import services
from products.models import Category, Product

_numbers = itertools.count(1)


def product(**fields) -> Product:
    number = next(_numbers)
    data = {
        "category": Category.FRAME,
        "article_number": f"ART-{number:05d}",
        "ean": "",
        "name": f"Fassung {number}",
        "brand": "Lindberg",
        "purchase_price": Decimal("80.00"),
        "sale_price": Decimal("249.00"),
        "vat_rate": 19,
        "minimum_stock": 2,
        "active": True,
    }
    data.update(fields)
    return services.product_create(data=data)
