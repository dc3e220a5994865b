"""A supplier's price list: products matched by EAN or article number,
created or updated through products.services with the product form's own
fields (German amounts, the EAN check digit)."""

from django.core.exceptions import ValidationError
from django.db import DatabaseError
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from imports.files import as_text
from imports.models import ImportJob, Kind, Outcome
from imports.rows import (
    ImportField,
    Result,
    RowError,
    Skip,
    clean_value,
    messages,
    normalised,
    outcome_of,
)
from products import selectors, services
from products.forms import ProductForm
from products.models import Category, Product, Supplier


def _label(name: str):
    return lambda: capfirst(str(Product._meta.get_field(name).verbose_name))


FIELDS = (
    ImportField(
        "article_number",
        _label("article_number"),
        (
            "artikelnummer",
            "artnr",
            "artikelnr",
            "bestellnummer",
            "herstellernummer",
            "sku",
            "articlenumber",
        ),
    ),
    ImportField("ean", _label("ean"), ("ean", "gtin", "ean13", "barcode", "eancode")),
    ImportField(
        "name", _label("name"), ("bezeichnung", "artikel", "artikelbezeichnung", "produkt", "name")
    ),
    ImportField("brand", _label("brand"), ("marke", "hersteller", "brand")),
    ImportField("model", _label("model"), ("modell", "model")),
    ImportField("colour", _label("colour"), ("farbe", "color", "colour")),
    ImportField("category", _label("category"), ("kategorie", "warengruppe", "gruppe", "category")),
    ImportField("supplier", _label("supplier"), ("lieferant", "supplier")),
    ImportField(
        "purchase_price",
        _label("purchase_price"),
        ("ek", "einkaufspreis", "ekbrutto", "ekpreis", "purchaseprice"),
    ),
    ImportField(
        "sale_price",
        _label("sale_price"),
        ("vk", "verkaufspreis", "vkbrutto", "uvp", "preis", "saleprice"),
    ),
    ImportField(
        "vat_rate", _label("vat_rate"), ("mwst", "ust", "steuersatz", "mwstsatz", "vatrate")
    ),
    ImportField(
        "minimum_stock", _label("minimum_stock"), ("mindestbestand", "meldebestand", "minimumstock")
    ),
)
CATEGORY_WORDS = {
    "fassung": Category.FRAME,
    "brillenfassung": Category.FRAME,
    "glas": Category.SPECTACLE_LENS,
    "glaeser": Category.SPECTACLE_LENS,
    "kontaktlinsen": Category.CONTACT_LENS,
    "kl": Category.CONTACT_LENS,
    "pflege": Category.CARE,
    "pflegemittel": Category.CARE,
    "sonnenbrillen": Category.SUNGLASSES,
}


class ProductImporter:
    kind = Kind.PRODUCTS
    fields = FIELDS
    keys = (ImportJob.Key.EAN, ImportJob.Key.ARTICLE_NUMBER)
    # The report's last column: the record a row made or changed (its page).
    record_label = gettext_lazy("Product")
    record_url = "products:detail"
    updates_existing = True
    permissions = ("products.add_product", "products.change_product")

    @staticmethod
    def needed(key: str) -> list[str]:
        return [key, "name"] if key == ImportJob.Key.EAN else ["article_number", "name"]

    def __init__(self, *, key: str, existing: str, user=None):
        self.key = key
        self.update_existing = existing == ImportJob.Existing.UPDATE
        self.labels = {f.name: f.label() for f in FIELDS}
        self.form_fields = ProductForm.base_fields
        self.seen: dict[str, int] = {}
        self.suppliers = {s.name.casefold(): s for s in Supplier.objects.filter(active=True)}
        self.categories = {
            **{normalised(str(label)): value for value, label in Category.choices},
            **{normalised(value): value for value in Category.values},
            **CATEGORY_WORDS,
        }

    def _value(self, name: str, value):
        label = self.labels[name]
        text = as_text(value)
        if name == "supplier":
            supplier = self.suppliers.get(text.casefold())
            if supplier is None:
                raise RowError(
                    f"{label}: "
                    + _("“%(name)s” is not a known supplier; please add it first.") % {"name": text}
                )
            return supplier
        if name == "category":
            category = self.categories.get(normalised(text))
            if category is None:
                raise RowError(
                    f"{label}: "
                    + _("“%(value)s” is not one of the allowed values.") % {"value": text}
                )
            return category
        if name == "vat_rate":
            text = text.removesuffix("%").strip().removesuffix(",0").removesuffix(",00")
        return clean_value(self.form_fields[name], text, label)

    def process(self, row_number: int, values: dict[str, object]) -> Result:
        return outcome_of(lambda: self._process(row_number, values))

    def _process(self, row_number: int, values: dict[str, object]) -> Result:
        data, errors = {}, []
        for name, value in values.items():
            if as_text(value) == "":
                continue
            try:
                data[name] = self._value(name, value)
            except RowError as error:
                errors.append(error.reason)
        if errors:
            raise RowError("; ".join(errors))
        key_value = data.get(self.key, "")
        if not key_value:
            raise Skip(_("no %(key)s") % {"key": self.labels[self.key]})
        # Article numbers are matched in any case (product_by), EANs are digits.
        seen_key = key_value.casefold()
        if seen_key in self.seen:
            raise Skip(_("the same product as in row %(row)s") % {"row": self.seen[seen_key]})
        existing = selectors.product_by(**{self.key: key_value})
        if existing is not None:
            # Found: later rows with this key are the same product, whatever
            # becomes of this one.
            self.seen[seen_key] = row_number
        try:
            if existing is None:
                product = services.product_create(data=data)
                self.seen[seen_key] = row_number
                return Result(Outcome.NEW, "", product.pk)
            return self._update(existing, data)
        except ValidationError as error:
            raise RowError(messages(error, self.labels)) from None
        except DatabaseError:
            raise RowError(_("could not be saved")) from None

    def _update(self, product: Product, data: dict) -> Result:
        if not self.update_existing:
            raise Skip(_("exists already: article %(number)s") % {"number": product.article_number})
        changes = {name: value for name, value in data.items() if getattr(product, name) != value}
        if not changes:
            raise Skip(_("no changes: article %(number)s") % {"number": product.article_number})
        services.product_update(product_id=product.pk, data=changes)
        return Result(Outcome.UPDATED, ", ".join(self.labels[name] for name in changes), product.pk)
