"""Reads of products and stock that are more than one ORM call."""

from decimal import Decimal
from itertools import groupby

from django.contrib.postgres.expressions import ArraySubquery
from django.db import connection
from django.db.models import (
    F,
    IntegerField,
    Lookup,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce, Greatest

from opticrm.lib.models import with_names_of
from products.models import (
    BELOW_MINIMUM,
    SEARCH_FIELDS,
    SORT_KEYS,
    Category,
    LensPrice,
    Product,
    ReorderLine,
    StockMovement,
    Supplier,
    sort_ordering,
)

DEFAULT_SORT = "name"


def product_list() -> QuerySet[Product]:
    return Product.objects.all()


def product_search(queryset: QuerySet[Product], query: str) -> QuerySet[Product]:
    """Every word must be part of the name, brand, article number or EAN,
    in any case (read from the trigram index on UPPER(…))."""
    condition = Q()
    for term in (query or "").split():
        matches = Q()
        for field in SEARCH_FIELDS:
            matches |= Q(**{f"{field}__icontains": term})
        condition &= matches
    return queryset.filter(condition)


def product_sort(queryset: QuerySet[Product], sort: str) -> QuerySet[Product]:
    column = sort.lstrip("-")
    if column not in SORT_KEYS:
        column, sort = DEFAULT_SORT, DEFAULT_SORT
    return queryset.order_by(*sort_ordering(column, descending=sort.startswith("-")))


def product_by_code(code: str) -> Product | None:
    """The one product whose EAN or article number is exactly the code (a
    scanned barcode, a typed article number in any case), else None."""
    code = (code or "").strip()
    if not code or "\x00" in code:  # matches no stored code; PostgreSQL refuses it
        return None
    found = list(Product.objects.filter(Q(ean=code) | Q(article_number__iexact=code))[:2])
    return found[0] if len(found) == 1 else None


def product_by(*, ean: str = "", article_number: str = "") -> Product | None:
    """The product with this EAN, or with this article number in any case
    (a supplier's price list's match, imports)."""
    if ean:
        return Product.objects.filter(ean=ean.strip()).first()
    return Product.objects.filter(article_number__iexact=article_number.strip()).first()


# Each next brand is one step in the brand index (product_brand), so the
# few brands of 20,000 products are found without reading them all.
_BRANDS = """
    WITH RECURSIVE brands (brand) AS (
        (SELECT brand FROM products_product WHERE brand > '' ORDER BY brand LIMIT 1)
        UNION ALL
        SELECT (
            SELECT p.brand FROM products_product p
            WHERE p.brand > brands.brand ORDER BY p.brand LIMIT 1
        )
        FROM brands WHERE brands.brand IS NOT NULL
    )
    SELECT brand FROM brands WHERE brand IS NOT NULL
"""


def supplier_choices() -> list[tuple[int, str]]:
    """(id, name) of every supplier, by name, for the filter's select."""
    return list(Supplier.objects.order_by("name").values_list("id", "name"))


def brand_choices() -> list[tuple[str, str]]:
    """The brands products have, for the filter's select."""
    with connection.cursor() as cursor:
        cursor.execute(_BRANDS)
        return [(brand, brand) for (brand,) in cursor.fetchall()]


def product_ledger(product: Product) -> QuerySet[StockMovement]:
    """The product's stock movements, newest first, with who booked them."""
    return (
        StockMovement.objects.filter(product=product)
        .select_related("created_by")
        .order_by("-created_at", "-id")
    )


def _open_lines() -> QuerySet[ReorderLine]:
    return ReorderLine.objects.filter(status=ReorderLine.Status.OPEN)


def with_reorder_figures(queryset: QuerySet[Product]) -> QuerySet[Product]:
    """Each product with ``on_order`` (ordered and not yet received, over its
    open orders) and ``missing``: how many still to order to reach the
    minimum stock, counting what is on order. The one home of that rule:
    the reorder list, its CSV and the product page all read it here."""
    on_order = (
        _open_lines()
        .filter(product=OuterRef("pk"))
        .values("product")
        .annotate(total=Sum(F("quantity") - F("received_quantity")))
        .values("total")
    )
    return queryset.annotate(
        on_order=Coalesce(Subquery(on_order, output_field=IntegerField()), Value(0)),
        missing=Greatest(F("minimum_stock") - F("stock") - F("on_order"), Value(0)),
    )


class _AnyOf(Lookup):
    """``lhs = ANY(rhs)``, rhs an array. Unlike IN or EXISTS with a subquery,
    PostgreSQL reads it from an index, also as one side of an OR."""

    lookup_name = "any_of"
    prepare_rhs = False

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return f"{lhs} = ANY({rhs})", (*lhs_params, *rhs_params)


def reorder_list(*, supplier_id: int | None = None) -> QuerySet[Product]:
    """What to order and what is on order: active products below their
    minimum stock, and every product with an open order (so its goods can be
    received), by supplier (none last) and name. Each with ``on_order``,
    ``missing`` (with_reorder_figures) and ``open_orders``, its open order
    lines, oldest first. Two queries per page (or for the whole CSV),
    however long the list."""
    # Both sides of the OR come from an index and PostgreSQL joins the two
    # bitmaps: the index product_below_minimum, whose predicate the first
    # side repeats, and the ids of the open order lines (reorderline_open)
    # looked up by primary key. With EXISTS on the second side, the page and
    # its count each tested all 20,000 products of a chain (5 ms each).
    open_ids = ArraySubquery(_open_lines().order_by().values("product_id"))
    has_open_order = _AnyOf(F("pk"), open_ids)
    products = Product.objects.filter(
        (Q(active=True) & BELOW_MINIMUM) | has_open_order
    ).select_related("supplier")
    if supplier_id is not None:
        products = products.filter(supplier_id=supplier_id)
    products = (
        with_reorder_figures(products)
        .prefetch_related(
            Prefetch(
                "reorder_lines",
                queryset=with_names_of(_open_lines(), users=["ordered_by"]).order_by(
                    "ordered_at", "id"
                ),
                to_attr="open_orders",
            )
        )
        .order_by(F("supplier__name").asc(nulls_last=True), "name", "id")
    )
    return products


def reorder_groups(products: list[Product]) -> list[tuple]:
    """The reorder list split by supplier: [(supplier or None, [products])]."""
    return [
        (supplier, list(group)) for supplier, group in groupby(products, key=lambda p: p.supplier)
    ]


# --- Spectacle lenses: the catalogue and the price list ---------------------------------


def lens_catalogue() -> QuerySet[Product]:
    """The active spectacle lenses, by manufacturer (brand), product line
    (model) and name: what an order's lens chooser offers."""
    return Product.objects.filter(category=Category.SPECTACLE_LENS, active=True).order_by(
        "brand", "model", "name", "id"
    )


def lens_price_rows(product: Product) -> QuerySet[LensPrice]:
    """The product's price list by power, in the order the product page shows it."""
    return LensPrice.objects.filter(product=product).order_by(
        "sphere_from", "sphere_to", "cylinder_to", "id"
    )


def lens_price(product: Product, *, sphere: Decimal | None, cylinder: Decimal | None) -> Decimal:
    """The sale price of ONE lens of ``product`` for a power: of the rows of
    its price list covering the sphere (sphere_from ≤ sphere ≤ sphere_to) and
    the cylinder (its amount up to cylinder_to; a plus cylinder transposed
    first), the
    narrowest one: the smallest sphere span, then the smallest cylinder
    limit, then the lower price. No sphere counts as plano (0), no cylinder
    as none. Without a row covering the power, or without a price list at
    all, the product's sale price. One query, read from the index
    lensprice_unique_range."""
    sphere = Decimal(0) if sphere is None else Decimal(sphere)
    cylinder = Decimal(0) if cylinder is None else Decimal(cylinder)
    if cylinder > 0:
        # Plus-cylinder notation: the price list is in minus cylinder.
        sphere, cylinder = sphere + cylinder, -cylinder
    cylinder = abs(cylinder)
    row = (
        LensPrice.objects.filter(
            product=product,
            sphere_from__lte=sphere,
            sphere_to__gte=sphere,
            cylinder_to__gte=cylinder,
        )
        .annotate(span=F("sphere_to") - F("sphere_from"))
        .order_by("span", "cylinder_to", "sale_price", "id")
        .values_list("sale_price", flat=True)
        .first()
    )
    return product.sale_price if row is None else row


def frame_search(query: str, limit: int = 12) -> list[Product]:
    """Active frames by name, brand or model, or the one with the scanned
    EAN / article number alone: the frame pickers of orders and documents."""
    exact = product_by_code(query)
    if exact is not None and exact.category == Category.FRAME and exact.active:
        return [exact]
    frames = Product.objects.filter(category=Category.FRAME, active=True)
    return list(product_search(frames, query).order_by("name", "id")[:limit])
