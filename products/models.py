from decimal import Decimal
from typing import NamedTuple

import pghistory
from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex, OpClass
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Case, F, IntegerField, Q, Value, When
from django.db.models.functions import NullIf, Upper
from django.utils.translation import gettext_lazy as _

from opticrm.lib import sorting
from opticrm.lib.constraints import CheckConstraint
from opticrm.lib.models import TimeStampedModel, event_meta
from opticrm.lib.pricing import VatRate
from products import contact_lenses, gtin


def validate_gtin(value: str) -> None:
    if value and not gtin.is_valid(value):
        raise ValidationError(
            _("This is not a valid EAN/GTIN: 8, 12, 13 or 14 digits with a correct check digit."),
            code="invalid_gtin",
        )


class Supplier(TimeStampedModel):
    name = models.CharField(_("name"), max_length=120, unique=True)
    customer_number = models.CharField(_("our customer number"), max_length=60, blank=True)
    email = models.EmailField(_("email"), blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("supplier")
        verbose_name_plural = _("suppliers")

    def __str__(self) -> str:
        return self.name


class Category(models.TextChoices):
    FRAME = "frame", _("Frame")
    SPECTACLE_LENS = "spectacle_lens", _("Spectacle lens")
    CONTACT_LENS = "contact_lens", _("Contact lens")
    CARE = "care", _("Care product")
    SUNGLASSES = "sunglasses", _("Sunglasses")
    ACCESSORY = "accessory", _("Accessory")


class LensDesign(models.TextChoices):
    SPHERICAL = "spherical", _("Spherical")
    TORIC = "toric", _("Toric")
    MULTIFOCAL = "multifocal", _("Multifocal/bifocal")


class SpectacleDesign(models.TextChoices):
    SINGLE_VISION = "single_vision", _("Single vision")
    PROGRESSIVE = "progressive", _("Progressive")
    OCCUPATIONAL = "occupational", _("Occupational/near comfort")
    BIFOCAL = "bifocal", _("Bifocal")


# Designs a lens with an addition is made in (DOMAIN.md): the others have
# one power only.
ADDITION_DESIGNS = (
    SpectacleDesign.PROGRESSIVE,
    SpectacleDesign.OCCUPATIONAL,
    SpectacleDesign.BIFOCAL,
)
LENS_INDICES = [(Decimal(i), i.replace(".", ",")) for i in ("1.50", "1.53", "1.60", "1.67", "1.74")]


class Coating(models.TextChoices):
    SUPER_AR = "super_ar", _("Super anti-reflective")
    HARD = "hard", _("Hard coat")
    CLEAN = "clean", _("Clean coat")
    BLUE_FILTER = "blue_filter", _("Blue light filter")


class Tint(models.TextChoices):
    NONE = "", _("clear")
    TINTED = "tinted", _("tinted")
    PHOTOCHROMIC = "photochromic", _("photochromic")


# The attributes of a spectacle lens, empty for every other category (the
# constraints product_*_only_for_spectacle_lenses, and clean() for the coatings).
SPECTACLE_LENS_FIELDS = ("spectacle_design", "lens_index", "coatings", "tint")


# Axis steps a toric lens is made in: divisors of 180, so 180° is always one.
AXIS_STEPS = [(step, f"{step}°") for step in (1, 5, 10, 15, 20, 30, 45, 90)]
LENS_FIELDS = (
    "lens_design",
    "base_curves",
    "diameters",
    "sphere_min",
    "sphere_max",
    "cylinders",
    "axis_step",
)


# Sort keys of the product table: column -> expressions, then by id. Blank
# brands sort last, so blanks never fill the first page.
_CATEGORY_ORDER = Case(
    *[When(category=category, then=Value(order)) for order, category in enumerate(Category)],
    output_field=IntegerField(),
)
_STATUS_ORDER = Case(
    When(active=True, then=Value(0)), default=Value(1), output_field=IntegerField()
)
SORT_KEYS = {
    "article_number": (F("article_number"),),
    "name": (F("name"),),
    "brand": (NullIf(F("brand"), Value("")), F("name")),
    # Categories and statuses in the order of their choices, not by their codes.
    "category": (_CATEGORY_ORDER, F("name")),
    "sale_price": (F("sale_price"), F("name")),
    "stock": (F("stock"), F("name")),
    "status": (_STATUS_ORDER, F("name")),
}
# Short names for the index of each direction (PostgreSQL allows 30 characters).
_SORT_INDEX_NAMES = {
    "article_number": "article",
    "name": "name",
    "brand": "brand",
    "category": "category",
    "sale_price": "price",
    "stock": "stock",
    "status": "status",
}
INDEXED_SORTS = tuple(_SORT_INDEX_NAMES)
# Searched with icontains, which PostgreSQL runs as UPPER(column) LIKE UPPER(…).
SEARCH_FIELDS = ("name", "brand", "article_number", "ean")


def sort_ordering(column: str, *, descending: bool) -> list:
    return sorting.ordering(SORT_KEYS[column], descending=descending)


def sort_indexes() -> list[models.Index]:
    """Not partial: the list shows inactive products too when asked."""
    return sorting.indexes(SORT_KEYS, _SORT_INDEX_NAMES, prefix="product_sort")


def _between(low: int, high: int) -> list:
    return [MinValueValidator(low), MaxValueValidator(high)]


class Margin(NamedTuple):
    amount: Decimal | None  # euros
    percent: Decimal | None  # of the sale price, one decimal


def margin(purchase: Decimal | None, sale: Decimal | None) -> Margin:
    """The gross margin: sale minus purchase price, in euros and in per cent
    of the sale price. The one home of the rule: the product page, the form's
    live preview of typed prices and the API read it here (Product.margin)."""
    if purchase is None or sale is None:
        return Margin(None, None)
    amount = sale - purchase
    percent = (amount * 100 / sale).quantize(Decimal("0.1")) if sale else None
    return Margin(amount, percent)


MONEY = {"max_digits": 10, "decimal_places": 2, "validators": [MinValueValidator(Decimal("0"))]}


# Below minimum stock: the one home of the rule. Queries read it through
# ProductQuerySet.below_minimum() (the product list's filter, the API) or as
# this Q (the reorder list); the partial index product_below_minimum is built
# from it, and PostgreSQL uses a partial index only for a query that repeats
# its predicate, so both must come from here. Product.below_minimum is its
# twin for a product already loaded (test_rules keeps the two in step).
BELOW_MINIMUM = Q(stock__lt=F("minimum_stock"))


class ProductQuerySet(models.QuerySet):
    def below_minimum(self) -> "ProductQuerySet":
        """Products whose stock is below their minimum stock (BELOW_MINIMUM)."""
        return self.filter(BELOW_MINIMUM)


# The stock has its own history, the ledger (StockMovement, tracked too);
# the version is bookkeeping, told by the events themselves.
@pghistory.track(
    exclude=["updated_at", "stock", "version"], meta=event_meta("product_event_newest")
)
class Product(TimeStampedModel):
    category = models.CharField(_("category"), max_length=20, choices=Category)
    article_number = models.CharField(_("article number"), max_length=40, unique=True)
    ean = models.CharField(_("EAN/GTIN"), max_length=14, blank=True, validators=[validate_gtin])
    name = models.CharField(_("name"), max_length=160)
    brand = models.CharField(_("brand"), max_length=80, blank=True)
    model = models.CharField(_("model"), max_length=80, blank=True)
    colour = models.CharField(_("colour"), max_length=60, blank=True)
    # Frame size as printed on the temple: 52□18 140.
    # Plausible ranges of frames on the market, children's included.
    lens_width = models.PositiveSmallIntegerField(
        _("lens width (mm)"), null=True, blank=True, validators=_between(30, 75)
    )
    bridge_width = models.PositiveSmallIntegerField(
        _("bridge (mm)"), null=True, blank=True, validators=_between(10, 30)
    )
    temple_length = models.PositiveSmallIntegerField(
        _("temple length (mm)"), null=True, blank=True, validators=_between(100, 170)
    )
    supplier = models.ForeignKey(
        Supplier,
        verbose_name=_("supplier"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="products",
    )
    # Contact lenses: the parameters the lens is made in, all optional; a
    # fitting with this lens is checked against them (contact_lenses.fit_errors).
    # Database defaults too: rows written outside Django (the benchmark's
    # bulk load) are valid without naming these columns.
    lens_design = models.CharField(
        _("lens design"),
        max_length=12,
        blank=True,
        choices=LensDesign,
        default="",
        db_default="",
    )
    base_curves = ArrayField(
        models.DecimalField(max_digits=4, decimal_places=2),
        verbose_name=_("base curves (mm)"),
        blank=True,
        default=list,
        db_default=[],
        validators=[contact_lenses.BASE_CURVES],
    )
    diameters = ArrayField(
        models.DecimalField(max_digits=4, decimal_places=1),
        verbose_name=_("diameters (mm)"),
        blank=True,
        default=list,
        db_default=[],
        validators=[contact_lenses.DIAMETERS],
    )
    sphere_min = models.DecimalField(
        _("sphere from (dpt)"),
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[contact_lenses.SPHERE],
    )
    sphere_max = models.DecimalField(
        _("sphere to (dpt)"),
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[contact_lenses.SPHERE],
    )
    cylinders = ArrayField(
        models.DecimalField(max_digits=4, decimal_places=2),
        verbose_name=_("cylinders (dpt)"),
        blank=True,
        default=list,
        db_default=[],
        validators=[contact_lenses.CYLINDERS],
    )
    axis_step = models.PositiveSmallIntegerField(
        _("axis steps"), null=True, blank=True, choices=AXIS_STEPS
    )
    # Spectacle lenses (the lens price list): manufacturer and product line
    # are brand and model; the price per power range in LensPrice.
    spectacle_design = models.CharField(
        _("spectacle lens design"),
        max_length=20,
        blank=True,
        choices=SpectacleDesign,
        default="",
        db_default="",
    )
    lens_index = models.DecimalField(
        _("refractive index"),
        max_digits=3,
        decimal_places=2,
        null=True,
        blank=True,
        choices=LENS_INDICES,
    )
    coatings = ArrayField(
        models.CharField(max_length=20, choices=Coating),
        verbose_name=_("coatings"),
        blank=True,
        default=list,
        db_default=[],
    )
    tint = models.CharField(
        _("tint"), max_length=20, blank=True, choices=Tint, default="", db_default=""
    )
    purchase_price = models.DecimalField(_("purchase price (gross)"), **MONEY)
    sale_price = models.DecimalField(_("sale price (gross)"), **MONEY)
    vat_rate = models.PositiveSmallIntegerField(
        _("VAT rate"), choices=VatRate, default=VatRate.STANDARD
    )
    minimum_stock = models.PositiveIntegerField(_("minimum stock"), default=0)
    # Kept equal to the sum of the ledger by services.stock_move, under a row lock.
    stock = models.IntegerField(_("stock"), default=0, editable=False)
    active = models.BooleanField(_("active"), default=True)
    # Optimistic locking: every edit (services.product_update, deactivating)
    # counts it up, a stock movement does not; an edit must name the version
    # it was made from. ``updated_at`` moves with it and only with it.
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)

    objects = ProductQuerySet.as_manager()

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("product")
        verbose_name_plural = _("products")
        constraints = [
            CheckConstraint(
                condition=Q(stock__gte=0),
                name="product_stock_not_negative",
                violation_error_message=_("The stock cannot go below zero."),
            ),
            models.UniqueConstraint(
                fields=["ean"],
                condition=~Q(ean=""),
                name="product_unique_ean",
                violation_error_message=_("Another product already has this EAN."),
            ),
            CheckConstraint(
                condition=Q(vat_rate__in=[19, 7]),
                name="product_vat_rate_valid",
                violation_error_message=_("Please choose a VAT rate of 19 or 7 per cent."),
                field="vat_rate",
            ),
            CheckConstraint(
                condition=Q(purchase_price__gte=0) & Q(sale_price__gte=0),
                name="product_prices_not_negative",
                violation_error_message=_("Prices cannot be negative."),
            ),
            CheckConstraint(
                condition=Q(category="frame")
                | (
                    Q(lens_width__isnull=True)
                    & Q(bridge_width__isnull=True)
                    & Q(temple_length__isnull=True)
                ),
                name="product_frame_size_only_for_frames",
                violation_error_message=_("A frame size only belongs to frames."),
                field="lens_width",
            ),
            # The lists (base curves, …) are checked by clean(): a CHECK on
            # arrays is not one Python answers (opticrm.lib.constraints).
            CheckConstraint(
                condition=Q(category="contact_lens")
                | (Q(lens_design="") & Q(axis_step__isnull=True)),
                name="product_lens_only_for_contact_lenses",
                violation_error_message=_("Lens parameters only belong to contact lenses."),
                field="lens_design",
            ),
            CheckConstraint(
                condition=Q(category="spectacle_lens") | Q(spectacle_design=""),
                name="product_spectacle_design_only_for_spectacle_lenses",
                violation_error_message=_(
                    "Design, index and tint only belong to spectacle lenses."
                ),
                field="spectacle_design",
            ),
            CheckConstraint(
                condition=Q(category="spectacle_lens") | Q(lens_index__isnull=True),
                name="product_lens_index_only_for_spectacle_lenses",
                violation_error_message=_(
                    "Design, index and tint only belong to spectacle lenses."
                ),
                field="lens_index",
            ),
            CheckConstraint(
                condition=Q(category="spectacle_lens") | Q(tint=""),
                name="product_tint_only_for_spectacle_lenses",
                violation_error_message=_(
                    "Design, index and tint only belong to spectacle lenses."
                ),
                field="tint",
            ),
            CheckConstraint(
                condition=Q(sphere_min__lte=F("sphere_max")),
                name="product_sphere_range_ordered",
                violation_error_message=_("The sphere range must not end below where it starts."),
                field="sphere_max",
            ),
        ]
        indexes = [
            models.Index(fields=["category", "name"], name="product_category"),
            models.Index(fields=["brand", "name"], name="product_brand"),
            models.Index(fields=["supplier", "name"], name="product_supplier"),
            # With the id, the default list (active products by name) and its
            # count read this index alone instead of every product's row.
            models.Index(fields=["active", "name", "id"], name="product_active"),
            # The products below their minimum stock, the few a chain has to
            # reorder: the reorder list reads them from here (and the ids of
            # open order lines from reorderline_open) instead of every
            # product, and the product list's and the API's filter in name
            # order, active or not (the predicate is the rule alone, so every
            # query that has it may use the index).
            models.Index(
                fields=["name", "id"], name="product_below_minimum", condition=BELOW_MINIMUM
            ),
            *sort_indexes(),
            # Search by any part of name, brand, article number or EAN.
            GinIndex(
                *[OpClass(Upper(field), name="gin_trgm_ops") for field in SEARCH_FIELDS],
                name="product_search_trgm",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.article_number})"

    @property
    def frame_size(self) -> str:
        """52□18 140, as printed on the temple."""
        if not (self.lens_width and self.bridge_width):
            return ""
        size = f"{self.lens_width}□{self.bridge_width}"
        return f"{size} {self.temple_length}" if self.temple_length else size

    @property
    def margin(self) -> Margin:
        return margin(self.purchase_price, self.sale_price)

    @property
    def below_minimum(self) -> bool:
        """BELOW_MINIMUM for this product as loaded, without a query."""
        return self.stock < self.minimum_stock

    @classmethod
    def from_db(cls, db, field_names, values):
        product = super().from_db(db, field_names, values)
        # The category as saved: clean() asks for the price list only when a
        # spectacle lens becomes something else, not on every save.
        product._saved_category = product.__dict__.get("category")
        return product

    def clean(self) -> None:
        if self.ean and Product.objects.filter(ean=self.ean).exclude(pk=self.pk).exists():
            raise ValidationError(
                {"ean": _("Another product already has this EAN.")}, code="duplicate_ean"
            )
        sizes = (self.lens_width, self.bridge_width, self.temple_length)
        if self.category != Category.FRAME and any(size is not None for size in sizes):
            raise ValidationError(
                {"lens_width": _("A frame size only belongs to frames.")}, code="not_a_frame"
            )
        if self.category == Category.FRAME and (self.lens_width is None) != (
            self.bridge_width is None
        ):
            # Said at the one missing: 52□ or □18 is no frame size.
            missing = "lens_width" if self.lens_width is None else "bridge_width"
            raise ValidationError(
                {missing: _("Please enter lens width and bridge together.")},
                code="frame_size_incomplete",
            )
        if self.category != Category.CONTACT_LENS and self.has_lens_parameters:
            raise ValidationError(
                {"lens_design": _("Lens parameters only belong to contact lenses.")},
                code="not_a_contact_lens",
            )
        saved_category = getattr(self, "_saved_category", None)
        if (
            self.pk is not None
            and self.category != Category.SPECTACLE_LENS
            and saved_category in (Category.SPECTACLE_LENS, None)
            and LensPrice.objects.filter(product_id=self.pk).exists()
        ):
            raise ValidationError(
                {
                    "category": _(
                        "This spectacle lens has prices by power; please delete them "
                        "before changing its category."
                    )
                },
                code="has_lens_prices",
            )
        if self.category != Category.SPECTACLE_LENS and self.coatings:
            # Design, index and tint: the constraints product_*_only_for_spectacle_lenses.
            raise ValidationError(
                {"coatings": _("Coatings only belong to spectacle lenses.")},
                code="not_a_spectacle_lens",
            )
        if self.lens_design == LensDesign.SPHERICAL and (self.cylinders or self.axis_step):
            raise ValidationError(
                {
                    "cylinders": _(
                        "A spherical lens has no cylinder; choose the design “toric” "
                        "or clear cylinders and axis steps."
                    )
                },
                code="spherical_with_cylinder",
            )

    @property
    def has_lens_parameters(self) -> bool:
        return any(getattr(self, name) not in (None, "", []) for name in LENS_FIELDS)

    @property
    def has_spectacle_lens_attributes(self) -> bool:
        return any(getattr(self, name) not in (None, "", []) for name in SPECTACLE_LENS_FIELDS)

    def get_coatings_display(self) -> str:
        """The coatings by name in the order of their choices (Superentspiegelung, Hartschicht)."""
        labels = dict(Coating.choices)
        return ", ".join(str(labels[c]) for c in Coating.values if c in (self.coatings or []))


# The largest cylinder a price row may go up to: spectacle lenses are made
# to about 6 dpt, some to 8; with room for special lenses.
LENS_PRICE_CYLINDER = contact_lenses.ValuesRange("cylinder_to", "0", "10", "0.25", "dpt")


@pghistory.track(exclude=["updated_at"])
class LensPrice(TimeStampedModel):
    """One line of a spectacle lens's price list (Glaspreisliste): the price
    of one lens for the powers from ``sphere_from`` to ``sphere_to`` with a
    cylinder of up to ``cylinder_to`` (its amount: cylinders are written in
    minus notation). Rows may overlap; the narrowest row covering a power
    wins (selectors.lens_price), so a wide base row and a narrower cheaper
    one for the common powers are both possible. A power no row covers
    costs the product's sale price."""

    # Indexed by lensprice_unique_range, which leads with the product.
    product = models.ForeignKey(
        Product,
        verbose_name=_("spectacle lens"),
        on_delete=models.CASCADE,
        related_name="lens_prices",
        db_index=False,
    )
    sphere_from = models.DecimalField(
        _("sphere from (dpt)"), max_digits=5, decimal_places=2, validators=[contact_lenses.SPHERE]
    )
    sphere_to = models.DecimalField(
        _("sphere to (dpt)"), max_digits=5, decimal_places=2, validators=[contact_lenses.SPHERE]
    )
    cylinder_to = models.DecimalField(
        _("cylinder up to (dpt)"),
        max_digits=4,
        decimal_places=2,
        default=Decimal("0"),
        validators=[LENS_PRICE_CYLINDER],
        help_text=_("The amount, without its sign: 2 covers cylinders from 0 to −2 dpt."),
    )
    sale_price = models.DecimalField(_("sale price per lens (gross)"), **MONEY)
    purchase_price = models.DecimalField(
        _("purchase price per lens (gross)"), null=True, blank=True, **MONEY
    )

    class Meta:
        ordering = ["product", "sphere_from", "sphere_to", "cylinder_to", "id"]
        verbose_name = _("lens price")
        verbose_name_plural = _("lens prices")
        constraints = [
            # Also the index of the lookup (selectors.lens_price): a product's
            # rows by sphere range, read without touching the table.
            models.UniqueConstraint(
                fields=["product", "sphere_from", "sphere_to", "cylinder_to"],
                name="lensprice_unique_range",
                violation_error_message=_("This lens already has a price for this power range."),
            ),
            CheckConstraint(
                condition=Q(sphere_from__gte=Decimal("-30"))
                & Q(sphere_to__lte=Decimal("30"))
                & Q(sphere_from__lte=F("sphere_to")),
                name="lensprice_sphere_range_valid",
                violation_error_message=_(
                    "The sphere range must lie between −30 and +30 dpt and must not end "
                    "below where it starts."
                ),
                field="sphere_to",
            ),
            CheckConstraint(
                condition=Q(cylinder_to__gte=Decimal("0")) & Q(cylinder_to__lte=Decimal("10")),
                name="lensprice_cylinder_valid",
                violation_error_message=_(
                    "The cylinder limit must lie between 0 and 10 dpt (without its sign)."
                ),
                field="cylinder_to",
            ),
            CheckConstraint(
                condition=Q(sale_price__gte=Decimal("0")) & Q(purchase_price__gte=Decimal("0")),
                name="lensprice_prices_not_negative",
                violation_error_message=_("Prices cannot be negative."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.product}: sph {self.sphere_range}, cyl {self.cylinder_limit}"

    @property
    def sphere_range(self) -> str:
        """−6,00 … +6,00, as the price list is written."""
        low, high = (
            contact_lenses.format_value(value, places=2, signed=True)
            for value in (self.sphere_from, self.sphere_to)
        )
        return f"{low} … {high}"

    @property
    def cylinder_limit(self) -> str:
        """Up to −2,00: the limit in minus notation, as cylinders are written."""
        return contact_lenses.format_value(-abs(self.cylinder_to), places=2)

    def covers(self, sphere: Decimal, cylinder: Decimal) -> bool:
        """Whether the row prices a lens of this sphere and cylinder (minus
        notation or not: its amount counts). Both given."""
        return self.sphere_from <= sphere <= self.sphere_to and abs(cylinder) <= self.cylinder_to

    def clean(self) -> None:
        if self.product_id is not None and self.product.category != Category.SPECTACLE_LENS:
            raise ValidationError(
                {"product": _("Prices by power only belong to spectacle lenses.")},
                code="not_a_spectacle_lens",
            )


@pghistory.track()
class StockMovement(models.Model):
    """One line of the stock ledger; rows are never changed or deleted."""

    class Kind(models.TextChoices):
        RECEIPT = "receipt", _("Goods received")
        SALE = "sale", _("Sale")
        RETURN = "return", _("Return")
        CORRECTION = "correction", _("Correction")
        INVENTORY = "inventory", _("Stock-taking")

    product = models.ForeignKey(
        Product, verbose_name=_("product"), on_delete=models.PROTECT, related_name="movements"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    quantity = models.IntegerField(_("quantity"))
    stock_after = models.PositiveIntegerField(_("stock afterwards"))
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("stock movement")
        verbose_name_plural = _("stock movements")
        constraints = [
            CheckConstraint(
                condition=~Q(quantity=0) | Q(kind="inventory"),
                name="movement_quantity_not_zero",
                violation_error_message=_("Please enter a quantity other than 0."),
                field="quantity",
            ),
        ]
        indexes = [
            models.Index(fields=["product", "-created_at"], name="movement_product"),
            # A product's last sale (the stock report's slow movers,
            # reports.stock): one step in the index per product.
            models.Index(
                fields=["product", "-created_at"],
                name="movement_sale",
                condition=Q(kind="sale"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.quantity:+d} – {self.product}"


@pghistory.track(exclude=["updated_at"])
class ReorderLine(TimeStampedModel):
    """An order placed with the supplier for a product of the reorder list,
    open until the goods are received (services.reorder_line_receive books
    them into the stock ledger) or the order is cancelled."""

    class Status(models.TextChoices):
        OPEN = "open", _("Ordered")
        RECEIVED = "received", _("Received")
        CANCELLED = "cancelled", _("Cancelled")

    # Indexed by reorderline_product, which leads with the product.
    product = models.ForeignKey(
        Product,
        verbose_name=_("product"),
        on_delete=models.PROTECT,
        related_name="reorder_lines",
        db_index=False,
    )
    quantity = models.PositiveIntegerField(_("quantity ordered"))
    received_quantity = models.PositiveIntegerField(_("quantity received"), default=0)
    ordered_at = models.DateField(_("ordered on"))
    ordered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("ordered by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    reference = models.CharField(_("order reference or note"), max_length=200, blank=True)
    status = models.CharField(_("status"), max_length=12, choices=Status, default=Status.OPEN)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    class Meta:
        ordering = ["ordered_at", "id"]
        verbose_name = _("order line")
        verbose_name_plural = _("order lines")
        constraints = [
            CheckConstraint(
                condition=Q(quantity__gte=1),
                name="reorderline_quantity_positive",
                violation_error_message=_("Please enter a quantity of at least 1."),
                field="quantity",
            ),
            CheckConstraint(
                condition=Q(status__in=["open", "received", "cancelled"]),
                name="reorderline_status_valid",
                violation_error_message=_("Please choose one of the offered statuses."),
                field="status",
            ),
            # An open line still waits for goods: what it has on order is > 0.
            CheckConstraint(
                condition=Q(status__in=["received", "cancelled"])
                | Q(received_quantity__lt=F("quantity")),
                name="reorderline_open_awaits_goods",
                violation_error_message=_(
                    "An order that is still open cannot have received everything."
                ),
                field="received_quantity",
            ),
        ]
        indexes = [
            models.Index(fields=["product", "-ordered_at"], name="reorderline_product"),
            # What the reorder list reads: the open lines of its products.
            models.Index(
                fields=["product", "ordered_at"],
                name="reorderline_open",
                condition=Q(status="open"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.product} – {self.quantity} ({self.get_status_display()})"

    @property
    def outstanding(self) -> int:
        """What is still to come: ordered minus received, for an open line."""
        if self.status != self.Status.OPEN:
            return 0
        return max(self.quantity - self.received_quantity, 0)
