"""A supplier's price list of spectacle lenses by power (Glaspreisliste):
rows of a lens (by EAN or article number), sphere from, sphere to, cylinder
up to, sale price per lens and, if the file has it, purchase price per lens.

A new list from the supplier replaces a lens's price rows whole. So the
rows of one lens belong together wherever they stand in the file: the
import reads the whole file first (`survey`), checks each lens's rows
together (every row by the model's own rules, LensPrice.full_clean; no range
twice, and rows may cover the same powers only where one lies inside the
others) and, at the lens's first row, writes its whole list in one
savepoint through products.services: a range
that is stored already keeps its row (its prices updated if they differ), a
new range is added, a stored range the file no longer has is deleted. A
lens with any row in error keeps its stored prices untouched; its other rows
are skipped with the rows to correct. Importing the same file again changes
nothing ("keine Änderungen").
"""

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import NamedTuple

from django.core.exceptions import ValidationError
from django.db import DatabaseError, transaction
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from imports.files import as_text
from imports.models import ImportJob, Kind, Outcome
from imports.products import FIELDS as PRODUCT_FIELDS
from imports.rows import ImportField, Result, RowError, Skip, clean_value, messages, outcome_of
from products import selectors, services
from products.contact_lenses import format_value
from products.forms import DioptreField, MoneyField
from products.models import LensPrice, Product

# The columns of a price row, in LensPrice's field names.
PRICE_FIELDS = ("sphere_from", "sphere_to", "cylinder_to", "sale_price", "purchase_price")
# How many rows in error a skipped row names.
NAMED_ROWS = 10
QUARTER = Decimal("0.25")


def _label(name: str):
    return lambda: capfirst(str(LensPrice._meta.get_field(name).verbose_name))


FIELDS = (
    *(f for f in PRODUCT_FIELDS if f.name in ("article_number", "ean")),
    ImportField(
        "sphere_from",
        _label("sphere_from"),
        ("sphaerevon", "sphvon", "vonsph", "sphab", "sphmin", "von", "ab", "spherefrom"),
    ),
    ImportField(
        "sphere_to",
        _label("sphere_to"),
        ("sphaerebis", "sphbis", "bissph", "sphmax", "bis", "sphereto"),
    ),
    ImportField(
        "cylinder_to",
        _label("cylinder_to"),
        (
            "zylinderbis",
            "zylbis",
            "cylbis",
            "zylmax",
            "cylmax",
            "zylinder",
            "zyl",
            "cyl",
            "cylinderto",
            "cylinderupto",
        ),
    ),
    ImportField(
        "sale_price",
        _label("sale_price"),
        (
            "vk",
            "vkbrutto",
            "verkaufspreis",
            "vkjeglas",
            "vkproglas",
            "preisjeglas",
            "preisproglas",
            "glaspreis",
            "preis",
            "uvp",
            "saleprice",
            "price",
        ),
    ),
    ImportField(
        "purchase_price",
        _label("purchase_price"),
        ("ek", "ekbrutto", "einkaufspreis", "ekjeglas", "ekproglas", "purchaseprice"),
    ),
)


class Line(NamedTuple):
    """One row of the file, its values read (purchase price None: not given)."""

    row_number: int
    sphere_from: Decimal
    sphere_to: Decimal
    cylinder_to: Decimal
    sale_price: Decimal
    purchase_price: Decimal | None

    @property
    def range(self) -> tuple[Decimal, Decimal, Decimal]:
        return self.sphere_from, self.sphere_to, self.cylinder_to

    def data(self) -> dict:
        values = {name: getattr(self, name) for name in PRICE_FIELDS}
        if self.purchase_price is None:
            del values["purchase_price"]
        return values

    def shown(self) -> str:
        """sph −6,00 … +6,00, cyl −2,00: as the price row writes itself."""
        sphere_from, sphere_to, cylinder_to = self.range
        return shown(
            LensPrice(sphere_from=sphere_from, sphere_to=sphere_to, cylinder_to=cylinder_to)
        )


@dataclass
class PriceList:
    """The rows of one lens in the file, and what became of them."""

    key: str  # the EAN or article number as the first row writes it
    lines: list[Line] = field(default_factory=list)
    # Rows that cannot be imported, with the reason ("": the run reports
    # the row itself, e.g. more cells than columns).
    errors: dict[int, str] = field(default_factory=dict)
    product: Product | None = None
    checked: bool = False
    # Set once the list is written (or found unchanged) in this run.
    results: dict[int, Result] | None = None
    # The row whose writing failed: the list's other rows are not imported.
    failed_row: int | None = None
    # The lens's first row was dealt with by an earlier run of this import
    # (a resumed one): the list was written then, or refused.
    written_before: bool = False


class LensPriceImporter:
    kind = Kind.LENS_PRICES
    fields = FIELDS
    keys = (ImportJob.Key.EAN, ImportJob.Key.ARTICLE_NUMBER)
    record_label = gettext_lazy("Spectacle lens")
    record_url = "products:detail"
    # The file replaces the lists of the lenses it names: nothing to choose.
    updates_existing = False
    permissions = (
        "products.add_lensprice",
        "products.change_lensprice",
        "products.delete_lensprice",
    )

    @staticmethod
    def needed(key: str) -> list[str]:
        return [key, "sphere_from", "sphere_to", "sale_price"]

    def __init__(self, *, key: str, existing: str = "", user=None):
        self.key = key
        self.labels = {f.name: f.label() for f in FIELDS}
        self.lists: dict[str, PriceList] = {}
        # The product form's fields: German decimal comma, typographic minus.
        self.form_fields = {
            "sphere_from": DioptreField(required=True),
            "sphere_to": DioptreField(required=True),
            "cylinder_to": DioptreField(),
            "sale_price": MoneyField(required=True),
            "purchase_price": MoneyField(required=False),
        }
        # The same few values over and over: read once, kept once.
        self.values: dict[tuple[str, str], Decimal] = {}

    def _key(self, values: dict) -> tuple[str, str]:
        """The lens's key as written and as compared (article numbers in any case)."""
        text = as_text(values.get(self.key))
        return text, text if self.key == ImportJob.Key.EAN else text.casefold()

    # --- Reading the whole file first ---------------------------------------------------

    def survey(self, rows: Iterable[tuple[int, dict, bool]], *, done: int = 0) -> None:
        """Every row of the file, as (row number, values, whether the run
        can read it), before the first is processed: the rows of each lens.
        ``done``: how many rows earlier runs of this import dealt with."""
        for position, (row_number, values, intact) in enumerate(rows):
            text, key = self._key(values)
            if not key:
                continue
            if key not in self.lists:
                self.lists[key] = PriceList(key=text, written_before=position < done)
            price_list = self.lists[key]
            if not intact:
                price_list.errors[row_number] = ""
                continue
            try:
                price_list.lines.append(self._line(row_number, values))
            except RowError as error:
                price_list.errors[row_number] = error.reason

    def _line(self, row_number: int, values: dict) -> Line:
        read, errors = {}, []
        for name in PRICE_FIELDS:
            text = as_text(values.get(name))
            if not text and name == "cylinder_to":
                read[name] = Decimal(0)  # a spherical lens's row
                continue
            if not text and name == "purchase_price":
                read[name] = None
                continue
            try:
                read[name] = self._number(name, text)
            except RowError as error:
                errors.append(error.reason)
        if errors:
            raise RowError("; ".join(errors))
        return Line(row_number, **read)

    def _number(self, name: str, text: str) -> Decimal:
        known = self.values.get((name, text))
        if known is not None:
            return known
        value = clean_value(self.form_fields[name], text, self.labels[name])
        if name == "cylinder_to":
            # Written in minus (or plus) notation, stored as its amount.
            value = abs(value)
        return self.values.setdefault((name, text), value)

    # --- Checking a lens's rows together ----------------------------------------------------

    def _check(self, price_list: PriceList) -> None:
        price_list.checked = True
        product = selectors.product_by(**{self.key: price_list.key})
        if product is None:
            reason = _("no product has the %(key)s %(value)s") % {
                "key": self.labels[self.key],
                "value": price_list.key,
            }
            for line in price_list.lines:
                price_list.errors[line.row_number] = reason
            return
        price_list.product = product
        labels = {**self.labels, "product": str(product)}
        for line in price_list.lines:
            row = LensPrice(product=product, **line.data())
            try:
                # The model's rules (ranges, steps, prices, only for spectacle
                # lenses); the uniqueness is the file's own, checked below.
                row.full_clean(exclude=["product"])
            except ValidationError as error:
                price_list.errors[line.row_number] = messages(error, labels)
        self._overlaps(price_list)

    def _overlaps(self, price_list: PriceList) -> None:
        """Rows of a lens may cover the same powers when one lies inside the
        others: a wide row and a narrower one for the common powers, which
        wins there (selectors.lens_price). So at every power, one of the rows
        covering it must lie inside all the others; where none does, or a
        range repeats, which price applies would be a tie-break, not the
        list's: an error at the later of two such rows."""
        lines = [line for line in price_list.lines if line.row_number not in price_list.errors]
        found: dict[int, str] = {}
        first_of: dict[tuple, Line] = {}
        distinct = []
        for line in lines:
            first = first_of.setdefault(line.range, line)
            if first is line:
                distinct.append(line)
            else:
                found[line.row_number] = _("the same range as row %(row)s") % {
                    "row": first.row_number
                }
        for sphere, cylinder, covering in _unclear_powers(distinct, first_of):
            # The row the price would come from, and one it does not lie in.
            chosen = min(covering, key=lambda line: (line.sphere_to - line.sphere_from, line.range))
            other = next(line for line in covering if not _inside(chosen, line))
            first, later = sorted((chosen, other), key=lambda line: line.row_number)
            found.setdefault(
                later.row_number,
                _(
                    "overlaps row %(row)s (%(range)s) at sph %(sphere)s, cyl %(cylinder)s "
                    "without either lying inside the other: which price applies there "
                    "would be unclear"
                )
                % {
                    "row": first.row_number,
                    "range": first.shown(),
                    "sphere": format_value(sphere, places=2, signed=True),
                    "cylinder": format_value(-cylinder, places=2),
                },
            )
        price_list.errors.update(found)

    # --- Each row ---------------------------------------------------------------------------

    def process(self, row_number: int, values: dict[str, object]) -> Result:
        return outcome_of(lambda: self._process(row_number, values))

    def _process(self, row_number: int, values: dict[str, object]) -> Result:
        _text, key = self._key(values)
        if not key:
            raise Skip(_("no %(key)s") % {"key": self.labels[self.key]})
        price_list = self.lists[key]
        if not price_list.checked:
            self._check(price_list)
        if row_number in price_list.errors:
            raise RowError(price_list.errors[row_number])
        if price_list.errors:
            rows = sorted(price_list.errors)
            named = ", ".join(str(number) for number in rows[:NAMED_ROWS])
            raise Skip(
                _("not imported: the price list of this lens has errors in rows %(rows)s")
                % {"rows": named + (" …" if len(rows) > NAMED_ROWS else "")}
            )
        if price_list.failed_row is not None:
            raise Skip(
                _("not imported: the price list of this lens could not be saved (row %(row)s)")
                % {"row": price_list.failed_row}
            )
        if price_list.written_before:
            first = min([*price_list.errors, *(line.row_number for line in price_list.lines)])
            raise Skip(_("written with row %(row)s, the lens's first (see there)") % {"row": first})
        if price_list.results is None:
            # The lens's first row writes its whole list.
            self._replace(price_list, row_number)
        return price_list.results[row_number]

    def _replace(self, price_list: PriceList, row_number: int) -> None:
        """The lens's stored rows made the file's, in one savepoint."""
        product = price_list.product
        labels = {**self.labels, "product": str(product)}
        results: dict[int, Result] = {}
        price_list.failed_row = row_number
        line = price_list.lines[0]
        try:
            with transaction.atomic():
                # The lens locked as its rows are written (as services do),
                # so that no change in the admin comes in between.
                Product.objects.select_for_update(no_key=True).filter(pk=product.pk).exists()
                stored = {row_range(row): row for row in selectors.lens_price_rows(product)}
                for line in price_list.lines:
                    results[line.row_number] = self._write(
                        product, line, stored.pop(line.range, None)
                    )
                for row in stored.values():
                    services.lens_price_delete(lens_price_id=row.pk)
        except ValidationError as error:
            # Refused after all (changed meanwhile): nothing of the list is kept.
            reason = messages(error, labels)
            if line.row_number != row_number:
                reason = _("row %(row)s: %(message)s") % {
                    "row": line.row_number,
                    "message": reason,
                }
            raise RowError(reason) from None
        except DatabaseError:
            raise RowError(_("could not be saved")) from None
        if stored:
            results[row_number] = self._with_deleted(results[row_number], stored.values(), product)
        price_list.results, price_list.failed_row = results, None

    def _write(self, product: Product, line: Line, row: LensPrice | None) -> Result:
        if row is None:
            services.lens_price_create(product_id=product.pk, data=line.data())
            return Result(Outcome.NEW, "", product.pk)
        changes = {
            name: value for name, value in line.data().items() if getattr(row, name) != value
        }
        if not changes:
            return Result(Outcome.SKIPPED, _("no changes: %(who)s") % {"who": line.shown()})
        services.lens_price_update(lens_price_id=row.pk, data=changes)
        return Result(Outcome.UPDATED, ", ".join(self.labels[name] for name in changes), product.pk)

    @staticmethod
    def _with_deleted(result: Result, deleted, product: Product) -> Result:
        """The writing row's result, naming the stored rows the file no
        longer has (deleted): the lens's list changed, so never "skipped"."""
        deleted = list(deleted)
        ranges = "; ".join(shown(row) for row in deleted)
        text = ngettext(
            "%(count)s price row no longer in the list deleted: %(ranges)s",
            "%(count)s price rows no longer in the list deleted: %(ranges)s",
            len(deleted),
        ) % {"count": len(deleted), "ranges": ranges}
        if result.outcome == Outcome.SKIPPED:
            return Result(Outcome.UPDATED, text, product.pk)
        return Result(result.outcome, "; ".join(filter(None, (result.message, text))), product.pk)


def _inside(line: Line, other: Line) -> bool:
    """Whether every power ``line`` covers, ``other`` covers too."""
    return (
        other.sphere_from <= line.sphere_from
        and line.sphere_to <= other.sphere_to
        and line.cylinder_to <= other.cylinder_to
    )


def _unclear_powers(lines: list[Line], ranges: dict) -> Iterator[tuple[Decimal, Decimal, list]]:
    """The powers (sphere, cylinder amount) that two or more of the rows
    cover without one of them lying inside all the others, with those rows.
    Which rows cover a power changes only at the rows' limits: each sphere
    limit and the quarter above it, and each cylinder limit, stand for all."""
    limits = sorted({value for line in lines for value in (line.sphere_from, line.sphere_to)})
    spheres = []
    for index, limit in enumerate(limits):
        spheres.append(limit)
        if index + 1 < len(limits) and limit + QUARTER < limits[index + 1]:
            spheres.append(limit + QUARTER)
    for sphere in spheres:
        covering = sorted(
            (line for line in lines if line.sphere_from <= sphere <= line.sphere_to),
            key=lambda line: -line.cylinder_to,
        )
        # From the highest cylinder limit down, each limit adds the rows that reach it.
        highest_from, lowest_to, count = None, None, 0
        for line in covering:
            count += 1
            highest_from = line.sphere_from if count == 1 else max(highest_from, line.sphere_from)
            lowest_to = line.sphere_to if count == 1 else min(lowest_to, line.sphere_to)
            last_of_limit = (
                count == len(covering) or covering[count].cylinder_to != line.cylinder_to
            )
            if count < 2 or not last_of_limit:
                continue
            # The one row inside all the others would have exactly these limits.
            if (highest_from, lowest_to, line.cylinder_to) not in ranges:
                yield sphere, line.cylinder_to, covering[:count]
                break


def row_range(row: LensPrice) -> tuple[Decimal, Decimal, Decimal]:
    return row.sphere_from, row.sphere_to, row.cylinder_to


def shown(row: LensPrice) -> str:
    """sph −6,00 … +6,00, cyl −2,00: a price row's range as it writes itself."""
    return f"sph {row.sphere_range}, cyl {row.cylinder_limit}"
