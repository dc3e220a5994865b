"""/api/v1/products: the assortment; stock changes only through the stock
ledger (POST …/stock-movements), never by writing ``stock``. Spectacle
lenses carry their design, index, coatings and tint (only they may: the
product's own rule), and the detail shows their price list by power,
read-only (kept in the admin or imported as a Glaspreisliste)."""

import datetime
from decimal import Decimal, InvalidOperation
from typing import Literal

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from pydantic import field_validator

from api.auth import require_write
from api.errors import field_errors
from api.schemas import (
    TOTAL_IS_ESTIMATE,
    AwareDateTime,
    Detail,
    Errors,
    Input,
    LocalDateTime,
    api_page,
    based_on_version,
    describe,
    document,
    etag,
)
from opticrm.lib.pagination import TablePaginator
from products import selectors, services
from products.filters import product_table_page
from products.models import (
    LENS_INDICES,
    SPECTACLE_LENS_FIELDS,
    Category,
    Coating,
    LensPrice,
    Product,
    SpectacleDesign,
    StockMovement,
    Supplier,
    Tint,
)

router = Router(tags=["products"])

CategoryName = Literal[tuple(Category.values)]
MovementKind = Literal[tuple(StockMovement.Kind.values)]
# A spectacle lens's attributes; "" (null for the index): none.
DesignName = Literal[("", *SpectacleDesign.values)]
IndexName = Literal[tuple(str(index) for index, _label in LENS_INDICES)]
CoatingName = Literal[tuple(Coating.values)]
TintName = Literal[tuple(Tint.values)]

# (German, English) of each attribute, and what a PUT that leaves it out does.
KEPT = (
    "nur Brillengläser; bei PUT weggelassen: bleibt, wie es ist",
    "spectacle lenses only; left out of a PUT: kept as it is",
)
LENS_DESCRIPTIONS = {
    "spectacle_design": (
        "Glastyp: single_vision (Einstärkenglas), progressive (Gleitsicht), occupational "
        "(Arbeitsplatz/Nahkomfort), bifocal (Bifokal); leer: keiner",
        "Lens type: single_vision, progressive, occupational, bifocal; empty: none",
    ),
    "lens_index": (
        "Brechungsindex (auch als 1.6 oder Zahl); null: keiner",
        "Refractive index (also as 1.6 or a number); null: none",
    ),
    "coatings": (
        "Beschichtungen: super_ar (Superentspiegelung), hard (Hartschicht), clean (Clean-Coat), "
        "blue_filter (Blaulichtfilter)",
        "Coatings: super_ar, hard, clean, blue_filter",
    ),
    "tint": (
        "Tönung: leer (klar), tinted (getönt), photochromic (phototrop)",
        "Tint: empty (clear), tinted, photochromic",
    ),
}


def _lens_field(name: str, default, *, kept: bool = False, **options):
    german, english = LENS_DESCRIPTIONS[name]
    if kept:
        german, english = f"{german}; {KEPT[0]}", f"{english}; {KEPT[1]}"
    return Field(default, description=describe(german, english), **options)


class ProductOut(Schema):
    id: int
    category: CategoryName
    article_number: str
    ean: str
    name: str
    brand: str
    model: str
    colour: str
    lens_width: int | None
    bridge_width: int | None
    temple_length: int | None
    supplier: str | None = Field(description=describe("Lieferant", "Supplier"))
    purchase_price: Decimal | None = Field(
        description=describe("EK brutto", "Purchase price, gross")
    )
    sale_price: Decimal | None = Field(description=describe("VK brutto", "Sale price, gross"))
    margin: Decimal | None = Field(
        description=describe(
            "Spanne brutto: VK − EK (nur lesen)", "Gross margin: sale − purchase price (read-only)"
        )
    )
    spectacle_design: DesignName = _lens_field("spectacle_design", ...)
    lens_index: IndexName | None = _lens_field("lens_index", ...)
    coatings: list[CoatingName] = _lens_field("coatings", ...)
    tint: TintName = _lens_field("tint", ...)
    vat_rate: int
    minimum_stock: int
    stock: int = Field(description=describe("Bestand (nur lesen)", "Stock (read-only)"))
    active: bool
    created_at: LocalDateTime
    updated_at: LocalDateTime = Field(
        description=describe(
            "Letzte Änderung der Artikeldaten; Bestandsbewegungen zählen nicht",
            "Last change of the product's data; stock movements do not count",
        )
    )

    @staticmethod
    def resolve_supplier(obj: Product) -> str | None:
        return obj.supplier.name if obj.supplier_id else None

    @staticmethod
    def resolve_margin(obj: Product) -> Decimal | None:
        return obj.margin.amount

    @staticmethod
    def resolve_lens_index(obj: Product) -> str | None:
        return None if obj.lens_index is None else f"{obj.lens_index:.2f}"


class LensPriceOut(Schema):
    sphere_from: Decimal
    sphere_to: Decimal
    cylinder_to: Decimal = Field(
        description=describe(
            "Zylinder bis (dpt), als Betrag: 2.00 deckt 0 bis −2,00 dpt",
            "Cylinder up to (dpt), as its amount: 2.00 covers 0 to −2.00 dpt",
        )
    )
    sale_price: Decimal
    purchase_price: Decimal | None


document(LensPriceOut, LensPrice)


class ProductDetailOut(ProductOut):
    lens_prices: list[LensPriceOut] = Field(
        description=describe(
            "Preisliste eines Brillenglases nach Stärke, je Glas (nur lesen; gepflegt im Admin "
            "oder per Import „Glaspreisliste“); es gilt die engste Zeile, die Sphäre und "
            "Zylinder abdeckt, sonst der VK",
            "A spectacle lens's price list by power, per lens (read-only; kept in the admin or "
            "imported as a lens price list); the narrowest row covering sphere and cylinder "
            "applies, else the sale price",
        )
    )

    @staticmethod
    def resolve_lens_prices(obj: Product) -> list[LensPrice]:
        return list(selectors.lens_price_rows(obj))


class ProductIn(Input):
    category: CategoryName
    article_number: str
    ean: str = ""
    name: str
    brand: str = ""
    model: str = ""
    colour: str = ""
    lens_width: int | None = None
    bridge_width: int | None = None
    temple_length: int | None = None
    supplier: str | None = Field(
        None, description=describe("Name des Lieferanten", "Supplier name")
    )
    purchase_price: Decimal = Field(description=describe("EK brutto", "Purchase price, gross"))
    sale_price: Decimal = Field(description=describe("VK brutto", "Sale price, gross"))
    spectacle_design: DesignName = _lens_field("spectacle_design", "", kept=True)
    lens_index: IndexName | None = _lens_field("lens_index", None, kept=True)
    coatings: list[CoatingName] = _lens_field(
        "coatings", [], kept=True, max_length=len(Coating.values) * 2
    )
    tint: TintName = _lens_field("tint", "", kept=True)
    vat_rate: int = 19
    minimum_stock: int = 0
    active: bool = True

    @field_validator("lens_index", mode="before")
    @classmethod
    def index_as_written(cls, value):
        """1.6 and "1.6" name the index "1.60" (anything else is refused
        as none of the allowed values)."""
        if isinstance(value, bool) or not isinstance(value, str | int | float | Decimal):
            return value
        try:
            number = Decimal(str(value).strip())
        except InvalidOperation:
            return value
        if not number.is_finite():  # "sNaN" cannot even be compared
            return value
        return next((str(index) for index, _label in LENS_INDICES if index == number), value)

    @field_validator("coatings", mode="after")
    @classmethod
    def coatings_in_order(cls, value: list[str]) -> list[str]:
        """Each once, in the order of the choices, as the form saves them."""
        return [code for code in Coating.values if code in value]


class ProductUpdate(ProductIn):
    updated_at: AwareDateTime | None = Field(
        None,
        description=describe(
            "Stand, von dem die Änderung ausgeht; älter als gespeichert → 409",
            "The version the change is based on; older than stored → 409",
        ),
    )


for _schema in (ProductOut, ProductDetailOut, ProductIn, ProductUpdate):
    document(_schema, Product)


class ProductPage(Schema):
    items: list[ProductOut]
    total: int
    total_is_estimate: bool = TOTAL_IS_ESTIMATE
    page: int
    page_size: int


class ProductQuery(Input):
    page: int = Field(1, ge=1, le=1_000_000)
    page_size: int = Field(25, ge=1, le=100)
    category: CategoryName | None = None
    active: bool | None = None
    below_minimum: bool | None = Field(
        None, description=describe("Unter Mindestbestand", "Below minimum stock")
    )
    search: str | None = Field(None, max_length=200)


class MovementIn(Input):
    kind: MovementKind = Field(
        description=describe(
            "receipt/sale/return: Menge > 0; correction: Änderung mit Vorzeichen; "
            "inventory: gezählter Bestand",
            "receipt/sale/return: quantity > 0; correction: signed change; "
            "inventory: counted stock",
        )
    )
    quantity: int = Field(ge=-1_000_000, le=1_000_000)
    note: str = Field("", max_length=200)


class MovementOut(Schema):
    id: int
    kind: MovementKind
    quantity: int = Field(description=describe("Änderung des Bestands", "Change of stock"))
    stock_after: int
    note: str
    created_at: datetime.datetime


document(MovementIn, StockMovement)
document(MovementOut, StockMovement)


class MovementPage(Schema):
    items: list[MovementOut]
    total: int
    total_is_estimate: bool = TOTAL_IS_ESTIMATE
    page: int
    page_size: int


class PageQuery(Input):
    page: int = Field(1, ge=1, le=1_000_000)
    page_size: int = Field(25, ge=1, le=100)


def _read(product_id: int) -> Product:
    return get_object_or_404(selectors.product_list().select_related("supplier"), pk=product_id)


def _data(payload: Schema, **options) -> tuple[dict, list[dict]]:
    values = payload.dict(**options)
    for name in SPECTACLE_LENS_FIELDS:
        # Left out: as stored (a new product: none). Clients that know
        # nothing of spectacle lenses do not clear a lens's attributes.
        if name not in payload.model_fields_set:
            values.pop(name, None)
    name = (values.get("supplier") or "").strip()
    values["supplier"] = None
    if name:
        values["supplier"] = Supplier.objects.filter(name__iexact=name).first()
        if values["supplier"] is None:
            return values, [{"field": "supplier", "message": _("Unknown supplier.")}]
    return values, []


@router.get("", response={200: ProductPage, 422: Errors}, summary="List products")
def list_products(request: HttpRequest, filters: Query[ProductQuery]):
    data = {
        "q": filters.search or "",
        "category": filters.category or "",
        # The API lists every product unless asked; the screen active ones.
        "active": {True: "yes", False: "no", None: "all"}[filters.active],
        "sort": "name",
    }
    if filters.below_minimum:
        data["below_minimum"] = "on"
    _filter, page = product_table_page(
        data,
        page=filters.page,
        page_size=filters.page_size,
        queryset=selectors.product_list().select_related("supplier"),
    )
    return api_page(page, filters)


@router.post("", response={201: ProductDetailOut, 422: Errors}, summary="Create a product")
def create_product(request: HttpRequest, payload: ProductIn):
    require_write(request)
    values, errors = _data(payload)
    if errors:
        return Status(422, {"detail": errors})
    try:
        product = services.product_create(data=values)
    except ValidationError as error:
        return Status(422, {"detail": field_errors(error.message_dict)})
    return Status(201, _read(product.pk))


@router.get(
    "/{int:product_id}", response={200: ProductDetailOut, 404: Detail}, summary="One product"
)
def get_product(request: HttpRequest, product_id: int, response: HttpResponse):
    product = _read(product_id)
    response["ETag"] = etag(product.version)
    return product


@router.put(
    "/{int:product_id}",
    response={200: ProductDetailOut, 404: Detail, 409: Detail, 422: Errors},
    summary="Change a product (not its stock)",
)
def update_product(
    request: HttpRequest, product_id: int, payload: ProductUpdate, response: HttpResponse
):
    require_write(request)
    product = _read(product_id)
    values, errors = _data(payload, exclude={"updated_at"})
    if errors:
        return Status(422, {"detail": errors})
    try:
        services.product_update(
            product_id=product.pk,
            data=values,
            # The version the client read (its ETag, or its updated_at, which
            # only edits move, as they move the version); the service decides.
            expected_version=based_on_version(request, product, payload.updated_at),
        )
    except services.ProductConflict:
        detail = _("The product was changed by someone else in the meantime.")
        return Status(409, {"detail": detail})
    except ValidationError as error:
        return Status(422, {"detail": field_errors(error.message_dict)})
    saved = _read(product_id)
    response["ETag"] = etag(saved.version)
    return saved


@router.get(
    "/{int:product_id}/stock-movements",
    response={200: MovementPage, 404: Detail, 422: Errors},
    summary="The stock ledger of a product, newest first",
)
def list_movements(request: HttpRequest, product_id: int, query: Query[PageQuery]):
    product = _read(product_id)
    # One product's movements: few enough to count, as the product page does.
    ledger = TablePaginator(selectors.product_ledger(product), query.page_size, filtered=True)
    return api_page(ledger.get_page(query.page), query)


@router.post(
    "/{int:product_id}/stock-movements",
    response={201: MovementOut, 404: Detail, 422: Errors},
    summary="Book a stock movement",
)
def create_movement(request: HttpRequest, product_id: int, payload: MovementIn):
    require_write(request)
    product = _read(product_id)
    try:
        movement = services.stock_move(
            product_id=product.pk, kind=payload.kind, quantity=payload.quantity, note=payload.note
        )
    except ValidationError as error:
        return Status(422, {"detail": field_errors(error.message_dict)})
    return Status(201, movement)
