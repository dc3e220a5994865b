"""A supplier's price list: products matched by EAN or article number,
created or updated through products.services with the product form's own
fields (German amounts, the EAN check digit). Spectacle lenses bring their
design, index, coatings and tint, written as the screens show them or as
stored; that only lenses have them is the product's own rule
(Product.clean and its constraints), reported per row."""

import re
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import DatabaseError
from django.utils import translation
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
from products.models import (
    LENS_INDICES,
    Category,
    Coating,
    Product,
    SpectacleDesign,
    Supplier,
    Tint,
)


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
    # Spectacle lenses. "Glastyp" as the product form names it; not
    # "lens_design", the contact lens's column in OptiCRM's own export.
    ImportField(
        "spectacle_design",
        lambda: str(gettext_lazy("Lens type")),
        ("glastyp", "glasdesign", "glasart", "design", "lenstype", "spectacledesign"),
    ),
    ImportField(
        "lens_index",
        _label("lens_index"),
        ("index", "brechzahl", "brechungszahl", "glasindex", "lensindex", "refractiveindex"),
    ),
    ImportField(
        "coatings",
        _label("coatings"),
        ("beschichtung", "veredelung", "veredelungen", "coating", "coatings"),
    ),
    ImportField("tint", _label("tint"), ("toenung", "einfaerbung", "tint", "tinting")),
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
# Words of other systems for a spectacle lens's choices, besides the labels
# (German and English) and the stored codes; compared as `normalised`.
LENS_WORDS = {
    "spectacle_design": {
        "einstaerke": SpectacleDesign.SINGLE_VISION,
        "einstaerken": SpectacleDesign.SINGLE_VISION,
        "ev": SpectacleDesign.SINGLE_VISION,
        "sv": SpectacleDesign.SINGLE_VISION,
        "gleitsichtglas": SpectacleDesign.PROGRESSIVE,
        "gleitsichtglaeser": SpectacleDesign.PROGRESSIVE,
        "gl": SpectacleDesign.PROGRESSIVE,
        "progressiv": SpectacleDesign.PROGRESSIVE,
        "arbeitsplatz": SpectacleDesign.OCCUPATIONAL,
        "arbeitsplatzglas": SpectacleDesign.OCCUPATIONAL,
        "nahkomfort": SpectacleDesign.OCCUPATIONAL,
        "raumglas": SpectacleDesign.OCCUPATIONAL,
        "zweistaerken": SpectacleDesign.BIFOCAL,
        "zweistaerkenglas": SpectacleDesign.BIFOCAL,
    },
    "coatings": {
        "entspiegelung": Coating.SUPER_AR,
        "superentspiegelt": Coating.SUPER_AR,
        "ar": Coating.SUPER_AR,
        "hart": Coating.HARD,
        "hartbeschichtung": Coating.HARD,
        "hc": Coating.HARD,
        "clean": Coating.CLEAN,
        "cleanschicht": Coating.CLEAN,
        "blaufilter": Coating.BLUE_FILTER,
        "bluefilter": Coating.BLUE_FILTER,
    },
    "tint": {
        "ungetoent": Tint.NONE,
        "ohne": Tint.NONE,
        "keine": Tint.NONE,
        "none": Tint.NONE,
        "sonnenschutz": Tint.TINTED,
        "selbsttoenend": Tint.PHOTOCHROMIC,
    },
}
LENS_CHOICES = {
    "spectacle_design": SpectacleDesign,
    "coatings": Coating,
    "tint": Tint,
}
# A coatings cell that says there are none.
NO_COATINGS = ("keine", "ohne", "none")
# Between the coatings of one cell: "Superentspiegelung, Hartschicht", the
# export's "['super_ar', 'hard']", "HC + AR".
COATING_SEPARATORS = re.compile(r"[,;/+|&]|\s(?:und|and)\s")


def lens_index(text: str) -> Decimal | None:
    """The refractive index a cell means ("1,6", "1.60", "1,600"), if it
    is one a lens is made in."""
    try:
        value = Decimal(text.strip().replace(",", "."))
    except InvalidOperation:
        return None
    if not value.is_finite():  # NaN cannot even be compared
        return None
    return next((index for index, _label in LENS_INDICES if index == value), None)


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
        self.lens_words = {
            name: _words(choices, LENS_WORDS[name]) for name, choices in LENS_CHOICES.items()
        }

    def _not_allowed(self, name: str, text: str):
        if name == "lens_index":
            allowed = " / ".join(label for _index, label in LENS_INDICES)
        else:
            allowed = ", ".join(str(label) for _value, label in LENS_CHOICES[name].choices)
        return RowError(
            f"{self.labels[name]}: "
            + _("“%(value)s” is not one of the allowed values: %(allowed)s.")
            % {"value": text, "allowed": allowed}
        )

    def _lens_value(self, name: str, text: str):
        """A spectacle lens's attribute as its code, through the product
        form's field: design, index and tint one each, coatings several."""
        if name == "lens_index":
            index = lens_index(text)
            if index is None:
                raise self._not_allowed(name, text)
            return clean_value(self.form_fields[name], str(index), self.labels[name])
        words = self.lens_words[name]
        if name != "coatings":
            if normalised(text) not in words:
                raise self._not_allowed(name, text)
            return clean_value(self.form_fields[name], words[normalised(text)], self.labels[name])
        chosen = set()
        for part in COATING_SEPARATORS.split(text.strip("[]{}() ")):
            word = normalised(part.strip(" '\""))
            if not word or word in NO_COATINGS:
                continue
            if word not in words:
                raise self._not_allowed(name, part.strip(" '\""))
            chosen.add(words[word])
        # In the order of the choices, as the form saves them.
        codes = [code for code in Coating.values if code in chosen]
        return clean_value(self.form_fields[name], codes, self.labels[name])

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
        if name in ("spectacle_design", "lens_index", "coatings", "tint"):
            return self._lens_value(name, text)
        if name == "vat_rate":
            text = text.removesuffix("%").strip().removesuffix(",0").removesuffix(",00")
        return clean_value(self.form_fields[name], text, label)

    def process(self, row_number: int, values: dict[str, object]) -> Result:
        return outcome_of(lambda: self._process(row_number, values))

    def _process(self, row_number: int, values: dict[str, object]) -> Result:
        data, errors = {}, []
        for name, value in values.items():
            # "[]": no coatings, as OptiCRM's export of all data writes it.
            if as_text(value) == "" or (name == "coatings" and as_text(value) == "[]"):
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
        changes = {
            name: value for name, value in data.items() if not _same(getattr(product, name), value)
        }
        if not changes:
            raise Skip(_("no changes: article %(number)s") % {"number": product.article_number})
        services.product_update(product_id=product.pk, data=changes)
        return Result(Outcome.UPDATED, ", ".join(self.labels[name] for name in changes), product.pk)


def _same(stored, value) -> bool:
    if isinstance(value, list):  # coatings: the same ones in any order
        return set(stored or []) == set(value)
    return stored == value


def _words(choices, words: dict[str, str]) -> dict[str, str]:
    """What a cell may say for each choice: its label in German and in
    English, its code, and the words of other systems."""
    found = {}
    for language in ("en", "de"):
        with translation.override(language):
            found.update({normalised(str(label)): value for value, label in choices.choices})
    found.update({normalised(value): value for value in choices.values if value})
    found.update(words)
    return found
