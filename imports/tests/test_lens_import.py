"""Spectacle lenses through the import: their attributes in a product file,
and a supplier's price list by power ("Glaspreisliste"), each through the
path every import takes (upload, assignment, test run, import), from CSV
and from XLSX."""

import csv
import datetime
import io
from decimal import Decimal

import pghistory.models
import pytest
from django.contrib.auth.models import Permission
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext, ngettext

from imports import services
from imports.kinds import kinds_for
from imports.lens_prices import LensPriceImporter
from imports.models import ImportJob, ImportRow
from imports.tests.helpers import csv_bytes, run_queued_imports, xlsx_bytes
from products import services as product_services
from products.models import Category, Coating, LensPrice, Product, SpectacleDesign
from products.selectors import lens_price
from products.tests.factories import product

pytestmark = pytest.mark.django_db
D = Decimal


def de(text: str) -> str:
    """A message as the German report shows it (the source until translated)."""
    with translation.override("de"):
        return gettext(text)


def report(job: ImportJob) -> list[tuple[int, str, str]]:
    return list(
        ImportRow.objects.filter(job=job)
        .order_by("row_number")
        .values_list("row_number", "outcome", "message")
    )


def imported(kind: str, data: bytes, *, key: str, filename: str = "liste.csv"):
    """Upload, the guessed assignment, the test run, the import: the job and
    both reports (the test run's and the import's)."""
    job = services.job_create(data=data, filename=filename, kind=kind)
    services.job_map(job_id=job.pk, mapping=job.mapping, key=key, existing="update")
    services.job_start(job_id=job.pk, dry_run=True)
    run_queued_imports()
    job.refresh_from_db()
    assert job.state == ImportJob.State.CHECKED, job.failure
    checked = report(job)
    services.job_start(job_id=job.pk, dry_run=False)
    run_queued_imports()
    job.refresh_from_db()
    assert job.state == ImportJob.State.DONE, job.failure
    return job, checked, report(job)


def as_file(rows: list[list], file_format: str) -> tuple[bytes, str]:
    if file_format == "xlsx":
        return xlsx_bytes(rows), "liste.xlsx"
    return csv_bytes([[str(cell) for cell in row] for row in rows]), "liste.csv"


def deleted_rows(count: int, ranges: str) -> str:
    with translation.override("de"):
        return ngettext(
            "%(count)s price row no longer in the list deleted: %(ranges)s",
            "%(count)s price rows no longer in the list deleted: %(ranges)s",
            count,
        ) % {"count": count, "ranges": ranges}


def spectacle_lens(**fields) -> Product:
    values = {
        "category": Category.SPECTACLE_LENS,
        "name": "Hoyalux iD MyStyle 1.6",
        "brand": "Hoya",
        "spectacle_design": SpectacleDesign.PROGRESSIVE,
        "lens_index": D("1.60"),
        "sale_price": D("199.00"),
        "minimum_stock": 0,
    }
    values.update(fields)
    return product(**values)


def prices(lens: Product) -> list[tuple]:
    return list(
        lens.lens_prices.order_by("sphere_from", "sphere_to", "cylinder_to").values_list(
            "sphere_from", "sphere_to", "cylinder_to", "sale_price", "purchase_price"
        )
    )


# --- Part 1: a product file with spectacle lenses ------------------------------------------

LENS_HEADER = [
    "Artikelnummer", "Bezeichnung", "Warengruppe", "Glastyp", "Index", "Beschichtung",
    "Tönung", "EK", "VK",
]  # fmt: skip


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_lens_attributes_as_the_screens_show_them_and_as_stored(file_format):
    rows = [
        LENS_HEADER,
        ["BG-1", "Gleitsicht 1,6", "Brillenglas", "Gleitsicht", "1,6",
         "Superentspiegelung, Hartschicht", "phototrop", "61,00", "199,00"],
        ["BG-2", "Progressive 1.6", "spectacle_lens", "progressive", "1.60",
         "['hard', 'super_ar']", "photochromic", "61.00", "199.00"],
        ["BG-3", "Einstärke 1,5", "Glas", "Einstärkenglas", "1,50", "HC + AR", "klar",
         "9,00", "39,00"],
        ["BG-4", "Arbeitsplatz", "Brillenglas", "Arbeitsplatz/Nahkomfort", "1,67",
         "Blaulichtfilter / Clean-Coat", "getönt", "40", "149"],
    ]  # fmt: skip
    if file_format == "xlsx":
        rows[2][4] = 1.6  # a number cell
        rows[3][4] = 1.5
    data, filename = as_file(rows, file_format)
    job, checked, done = imported("products", data, key="article_number", filename=filename)
    assert job.mapping[3:7] == ["spectacle_design", "lens_index", "coatings", "tint"]
    assert checked == done == [(n, "new", "") for n in range(2, 6)]
    stored = {
        p.article_number: (p.spectacle_design, p.lens_index, p.coatings, p.tint)
        for p in Product.objects.all()
    }
    both = ("progressive", D("1.60"), ["super_ar", "hard"], "photochromic")
    assert stored == {
        "BG-1": both,
        "BG-2": both,
        "BG-3": ("single_vision", D("1.50"), ["super_ar", "hard"], ""),
        "BG-4": ("occupational", D("1.67"), ["clean", "blue_filter"], "tinted"),
    }
    assert {p.category for p in Product.objects.all()} == {Category.SPECTACLE_LENS}


def test_english_headings_and_labels_are_read_too():
    rows = [
        ["sku", "name", "category", "lens type", "refractive index", "coatings", "tint",
         "purchase price", "sale price"],
        ["BG-9", "Lens", "Spectacle lens", "Single vision", "1.74", "Blue light filter",
         "tinted", "10", "20"],
    ]  # fmt: skip
    _job, _checked, done = imported("products", csv_bytes(rows), key="article_number")
    assert done == [(2, "new", "")]
    lens = Product.objects.get()
    assert (lens.spectacle_design, lens.lens_index, lens.coatings, lens.tint) == (
        "single_vision",
        D("1.74"),
        ["blue_filter"],
        "tinted",
    )


def test_lens_attributes_on_another_product_are_row_errors_and_nothing_is_saved():
    frame = product(article_number="F-1", category=Category.FRAME, name="Titan")
    other = product(article_number="F-3", category=Category.FRAME, name="Horn")
    rows = [
        LENS_HEADER,
        # A new frame with a lens type.
        ["F-2", "Neu", "Fassung", "Gleitsicht", "", "", "", "10", "20"],
        # An existing frame given coatings, another an index and a tint.
        ["F-1", "Titan", "", "", "", "Hartschicht", "", "", ""],
        ["F-3", "Horn", "", "", "1,6", "", "getönt", "", ""],
        # Values no lens has.
        ["BG-5", "Glas", "Brillenglas", "Trifokal", "1,55", "Gold", "rosa", "10", "20"],
        ["BG-6", "Glas", "Brillenglas", "", "sNaN", "keine", "", "10", "20"],
    ]  # fmt: skip
    _job, checked, done = imported("products", csv_bytes(rows), key="article_number")
    assert checked == done
    only_lenses = de("Design, index and tint only belong to spectacle lenses.")
    assert done[0] == (2, "error", f"Glastyp: {only_lenses}")
    assert done[1] == (
        3,
        "error",
        "Beschichtungen: " + de("Coatings only belong to spectacle lenses."),
    )
    # Fields refused for the same reason share it.
    assert done[2] == (4, "error", f"Brechungsindex, Tönung: {only_lenses}")
    allowed = de("“%(value)s” is not one of the allowed values: %(allowed)s.")
    assert done[3][:2] == (5, "error")
    assert done[3][2] == "; ".join(
        [
            "Glastyp: "
            + allowed
            % {
                "value": "Trifokal",
                "allowed": "Einstärkenglas, Gleitsicht, Arbeitsplatz/Nahkomfort, Bifokal",
            },
            "Brechungsindex: "
            + allowed % {"value": "1,55", "allowed": "1,50 / 1,53 / 1,60 / 1,67 / 1,74"},
            "Beschichtungen: "
            + allowed
            % {
                "value": "Gold",
                "allowed": "Superentspiegelung, Hartschicht, Clean-Coat, Blaulichtfilter",
            },
            "Tönung: " + allowed % {"value": "rosa", "allowed": "klar, getönt, phototrop"},
        ]
    )
    assert done[4] == (
        6,
        "error",
        "Brechungsindex: "
        + allowed % {"value": "sNaN", "allowed": "1,50 / 1,53 / 1,60 / 1,67 / 1,74"},
    )
    for unchanged in (frame, other):
        unchanged.refresh_from_db()
        assert (unchanged.coatings, unchanged.lens_index, unchanged.tint) == ([], None, "")
        assert unchanged.version == 1
    assert sorted(Product.objects.values_list("article_number", flat=True)) == ["F-1", "F-3"]


def test_a_lens_file_imported_again_changes_nothing():
    rows = [
        LENS_HEADER,
        ["BG-1", "Gleitsicht", "Brillenglas", "Gleitsicht", "1,6",
         "Hartschicht, Superentspiegelung", "", "61,00", "199,00"],
    ]  # fmt: skip
    imported("products", csv_bytes(rows), key="article_number")
    lens = Product.objects.get()
    _job, _checked, again = imported("products", csv_bytes(rows), key="article_number")
    assert again == [(2, "skipped", "keine Änderungen: Artikel BG-1")]
    lens.refresh_from_db()
    assert lens.version == 1 and lens.coatings == ["super_ar", "hard"]
    # A changed attribute is named in the report.
    rows[1][5] = "Hartschicht"
    _job, _checked, changed = imported("products", csv_bytes(rows), key="article_number")
    assert changed == [(2, "updated", "Beschichtungen")]
    lens.refresh_from_db()
    assert lens.coatings == [Coating.HARD]


def test_a_lens_with_prices_stays_a_lens():
    lens = spectacle_lens(article_number="BG-1")
    product_services.lens_price_create(
        product_id=lens.pk,
        data={"sphere_from": D("-6"), "sphere_to": D("6"), "sale_price": D("189")},
    )
    rows = [
        ["Artikelnummer", "Bezeichnung", "Warengruppe"],
        ["BG-1", "Hoyalux", "Zubehör"],
    ]
    _job, _checked, done = imported("products", csv_bytes(rows), key="article_number")
    assert done == [
        (
            2,
            "error",
            "Kategorie: "
            + de(
                "This spectacle lens has prices by power; please delete them "
                "before changing its category."
            ),
        )
    ]
    lens.refresh_from_db()
    assert lens.category == Category.SPECTACLE_LENS


# --- Part 2: the price list by power --------------------------------------------------------

PRICE_HEADER = ["EAN", "Bezeichnung", "Sph von", "Sph bis", "Zyl bis", "VK je Glas"]
# The range of the lens fixture that the new lists no longer have.
DROPPED = "sph −12,00 … −10,25, cyl −2,00"
EAN_1 = "4006381333931"
EAN_2 = "4012345678901"


@pytest.fixture
def lens() -> Product:
    """A progressive lens with last year's list: a standard range, a wider
    dearer one and a range the new list drops."""
    item = spectacle_lens(ean=EAN_1, article_number="HOYA-ID-16")
    for low, high, cylinder, sale in [
        ("-6", "6", "2", "189"),
        ("-10", "8", "4", "249"),
        ("-12", "-10.25", "2", "299"),
    ]:
        product_services.lens_price_create(
            product_id=item.pk,
            data={
                "sphere_from": D(low),
                "sphere_to": D(high),
                "cylinder_to": D(cylinder),
                "sale_price": D(sale),
            },
        )
    return item


def test_the_columns_of_a_price_list_are_guessed():
    job = services.job_create(
        data=csv_bytes([PRICE_HEADER + ["EK"], [EAN_1, "x", "-6", "6", "2", "189", "61"]]),
        filename="preise.csv",
        kind="lens_prices",
    )
    assert job.mapping == [
        "ean", "", "sphere_from", "sphere_to", "cylinder_to", "sale_price", "purchase_price",
    ]  # fmt: skip
    assert job.key == "ean"
    english = services.job_create(
        data=csv_bytes(
            [
                ["article_number", "sphere_from", "sphere_to", "cylinder_to", "sale_price"],
                ["A-1", "-6", "6", "2", "189"],
            ]
        ),  # fmt: skip
        filename="prices.csv",
        kind="lens_prices",
    )
    assert english.mapping == [
        "article_number", "sphere_from", "sphere_to", "cylinder_to", "sale_price",
    ]  # fmt: skip


def test_the_assignment_needs_the_lens_the_range_and_the_price():
    job = services.job_create(
        data=csv_bytes([PRICE_HEADER, [EAN_1, "x", "-6", "6", "2", "189"]]),
        filename="preise.csv",
        kind="lens_prices",
    )
    mapping = ["ean", "", "sphere_from", "sphere_to", "cylinder_to", ""]
    with pytest.raises(ValidationError) as raised:
        services.job_map(job_id=job.pk, mapping=mapping, key="ean", existing="skip")
    assert raised.value.messages == [
        "Bitte eine Spalte zuordnen für: Verkaufspreis pro Glas (brutto)."
    ]


def test_a_price_list_through_the_pages(owner_client, lens):
    rows = [
        PRICE_HEADER,
        [EAN_1, "Hoyalux iD 1.6", "-6,00", "+6,00", "-2,00", "199,00"],
        [EAN_1, "Hoyalux iD 1.6", "−10,00", "+8,00", "4", "259,00"],
    ]
    upload = owner_client.post(
        reverse("imports:list"),
        {"kind": "lens_prices", "file": SimpleUploadedFile("hoya.csv", csv_bytes(rows))},
    )
    job = ImportJob.objects.get()
    assert upload["Location"] == reverse("imports:job", args=[job.pk])
    url = reverse("imports:job", args=[job.pk])
    page = owner_client.get(url).text
    assert '<option value="sphere_from" selected>Sphäre von (dpt)</option>' in page
    # The file replaces the lists of its lenses: nothing to choose about existing ones.
    assert 'name="existing"' not in page
    data = {f"column_{index}": name for index, name in enumerate(job.mapping)}
    data.update(key="ean", save_as="Hoya")
    assert owner_client.post(reverse("imports:mapping", args=[job.pk]), data).status_code == 302
    run_queued_imports()
    page = owner_client.get(url).text
    assert "Probelauf fertig" in page and "aktualisiert: 2" in page
    assert lens.lens_prices.get(sphere_from=D("-6")).sale_price == D("189.00")  # not saved
    owner_client.post(reverse("imports:action", args=[job.pk, "start"]))
    run_queued_imports()
    page = owner_client.get(url).text
    assert "Import fertig" in page
    assert f'href="/products/{lens.pk}/"' in page
    export = owner_client.get(reverse("imports:report", args=[job.pk, "csv"]))
    lines = list(
        csv.reader(
            io.StringIO(b"".join(export.streaming_content).decode("utf-8-sig")), delimiter=";"
        )
    )
    assert lines[0] == ["Zeile", "Ergebnis", "Meldung", "Brillenglas"]
    deleted = deleted_rows(1, DROPPED)
    assert lines[1] == [
        "2", "aktualisiert", f"Verkaufspreis pro Glas (brutto); {deleted}", str(lens.pk),
    ]  # fmt: skip
    assert lines[2] == ["3", "aktualisiert", "Verkaufspreis pro Glas (brutto)", str(lens.pk)]
    assert prices(lens) == [
        (D("-10.00"), D("8.00"), D("4.00"), D("259.00"), None),
        (D("-6.00"), D("6.00"), D("2.00"), D("199.00"), None),
    ]


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_a_new_list_replaces_the_lens_rows_whole(lens, file_format, settings):
    """Kept ranges keep their row (prices updated), new ones are added,
    ranges the list no longer has are deleted; the rows of a lens need not
    stand together, and may fall in different batches."""
    settings.IMPORT_BATCH_SIZE = 2
    other = spectacle_lens(ean=EAN_2, article_number="ZEISS-SV", name="Zeiss SV 1.5")
    kept = lens.lens_prices.get(sphere_from=D("-6"))
    rows = [
        PRICE_HEADER + ["EK je Glas"],
        [EAN_1, "Hoyalux", "-6,00", "6,00", "2,00", "189,00", ""],  # unchanged
        [EAN_2, "Zeiss", "-4", "4", "0", "49,90", "12,50"],
        [EAN_1, "Hoyalux", "-10,00", "8,00", "4,00", "1.249,00", "80"],  # dearer
        [EAN_1, "Hoyalux", "0,25", "4,00", "0,00", "169,00", ""],  # a new, narrower row
    ]
    if file_format == "xlsx":
        rows[2][2:7] = [-4, 4, 0, 49.9, 12.5]  # number cells
    data, filename = as_file(rows, file_format)
    job, checked, done = imported("lens_prices", data, key="ean", filename=filename)
    assert checked == done
    # The lens's first row writes its whole list: the dropped range is named there.
    assert done == [
        (2, "updated", deleted_rows(1, DROPPED)),
        (3, "new", ""),
        (4, "updated", "Verkaufspreis pro Glas (brutto), Einkaufspreis pro Glas (brutto)"),
        (5, "new", ""),
    ]
    assert prices(lens) == [
        (D("-10.00"), D("8.00"), D("4.00"), D("1249.00"), D("80.00")),
        (D("-6.00"), D("6.00"), D("2.00"), D("189.00"), None),
        (D("0.25"), D("4.00"), D("0.00"), D("169.00"), None),
    ]
    assert prices(other) == [(D("-4.00"), D("4.00"), D("0.00"), D("49.90"), D("12.50"))]
    assert lens.lens_prices.get(sphere_from=D("-6")).pk == kept.pk
    report_rows = ImportRow.objects.filter(job=job, outcome="new")
    assert {row.object_id for row in report_rows} == {lens.pk, other.pk}


def test_importing_the_same_list_again_changes_nothing(lens):
    rows = [
        PRICE_HEADER,
        [EAN_1, "Hoyalux", "-6,00", "6,00", "2,00", "199,00"],
        [EAN_1, "Hoyalux", "-10,00", "8,00", "4,00", "259,00"],
    ]
    imported("lens_prices", csv_bytes(rows), key="ean")
    before = prices(lens)
    events = pghistory.models.Events.objects.filter(pgh_model="products.LensPriceEvent").count()
    _job, checked, again = imported("lens_prices", csv_bytes(rows), key="ean")
    assert (
        checked
        == again
        == [
            (2, "skipped", "keine Änderungen: sph −6,00 … +6,00, cyl −2,00"),
            (3, "skipped", "keine Änderungen: sph −10,00 … +8,00, cyl −4,00"),
        ]
    )
    assert prices(lens) == before
    assert (
        pghistory.models.Events.objects.filter(pgh_model="products.LensPriceEvent").count()
        == events
    )


def test_a_lens_by_article_number_in_any_case_and_nested_rows(lens):
    rows = [
        ["Artikelnr", "Sph von", "Sph bis", "Zyl", "Preis"],
        ["hoya-id-16", "-8", "8", "0", "229"],
        ["HOYA-ID-16", "-8", "8", "-2", "239"],  # the same spheres, more cylinder
        ["Hoya-Id-16", "-4", "4", "0", "199"],  # inside the first
        ["HOYA-ID-16", "-4", "4", "2", "209"],
    ]
    _job, checked, done = imported("lens_prices", csv_bytes(rows), key="article_number")
    dropped = "; ".join(
        [
            "sph −12,00 … −10,25, cyl −2,00",
            "sph −10,00 … +8,00, cyl −4,00",
            "sph −6,00 … +6,00, cyl −2,00",
        ]
    )
    assert (
        checked
        == done
        == [
            (2, "new", deleted_rows(3, dropped)),
            (3, "new", ""),
            (4, "new", ""),
            (5, "new", ""),
        ]
    )
    assert len(prices(lens)) == 4
    # The narrowest row covering a power prices it.
    assert lens_price(lens, sphere=D("2"), cylinder=D("0")) == D("199.00")
    assert lens_price(lens, sphere=D("2"), cylinder=D("-1.5")) == D("209.00")
    assert lens_price(lens, sphere=D("6"), cylinder=D("-1.5")) == D("239.00")


def test_every_error_is_a_german_row_error_and_the_lens_keeps_its_prices(lens):
    frame = product(category=Category.FRAME, ean="4000000000006", name="Titan")
    zeiss = spectacle_lens(ean=EAN_2, article_number="ZEISS-SV", name="Zeiss SV")
    before = prices(lens)
    rows = [
        PRICE_HEADER,
        ["4012345678918", "Unbekannt", "-6", "6", "0", "99"],  # 2: unknown product
        ["4000000000006", "Fassung", "-6", "6", "0", "99"],  # 3: not a lens
        [EAN_1, "Hoyalux", "6,00", "-6,00", "2", "189"],  # 4: from > to
        [EAN_1, "Hoyalux", "-8,00", "0,00", "2", "189"],  # 5
        [EAN_1, "Hoyalux", "-2,00", "+4,00", "2", "189"],  # 6: crosses row 5
        [EAN_1, "Hoyalux", "-8,00", "0,00", "2", "199"],  # 7: the range of row 5
        [EAN_1, "Hoyalux", "minus sechs", "6", "2", "189"],  # 8: no number
        [EAN_1, "Hoyalux", "-6", "6", "2", "1,2,3"],  # 9: no amount
        [EAN_1, "Hoyalux", "-6", "6", "2", "-189,00"],  # 10: negative price
        [EAN_1, "Hoyalux", "-6,1", "6", "12", "189"],  # 11: no quarter, cylinder too high
        [EAN_1, "Hoyalux", "", "6", "2", ""],  # 12: empty values
        [EAN_2, "Zeiss", "-4,00", "4,00", "0", "49,90"],  # 13: another lens, fine
        ["", "Zwischenüberschrift", "", "", "", ""],  # 14: no lens named
    ]
    _job, checked, done = imported("lens_prices", csv_bytes(rows), key="ean")
    assert checked == done
    messages = {number: (outcome, message) for number, outcome, message in done}
    assert messages[2] == (
        "error",
        de("no product has the %(key)s %(value)s") % {"key": "EAN/GTIN", "value": "4012345678918"},
    )
    assert messages[3] == (
        "error",
        f"{frame}: " + de("Prices by power only belong to spectacle lenses."),
    )
    assert messages[4] == (
        "error",
        "Sphäre bis (dpt): "
        + de(
            "The sphere range must lie between −30 and +30 dpt and must not end "
            "below where it starts."
        ),
    )
    assert messages[5] == (
        "skipped",
        de("not imported: the price list of this lens has errors in rows %(rows)s")
        % {"rows": "4, 6, 7, 8, 9, 10, 11, 12"},
    )
    assert messages[6] == (
        "error",
        de(
            "overlaps row %(row)s (%(range)s) at sph %(sphere)s, cyl %(cylinder)s "
            "without either lying inside the other: which price applies there "
            "would be unclear"
        )
        % {
            "row": 5,
            "range": "sph −8,00 … 0,00, cyl −2,00",
            "sphere": "−2,00",
            "cylinder": "−2,00",
        },
    )
    assert messages[7] == ("error", de("the same range as row %(row)s") % {"row": 5})
    assert messages[8] == ("error", "Sphäre von (dpt): Bitte eine Zahl wie −1,25 eingeben.")
    assert messages[9] == (
        "error",
        "Verkaufspreis pro Glas (brutto): Bitte geben Sie einen Betrag wie 49,90 ein.",
    )
    assert messages[10] == (
        "error",
        "Verkaufspreis pro Glas (brutto): Dieser Wert muss größer oder gleich 0 sein.",
    )
    assert messages[11] == (
        "error",
        "Sphäre von (dpt): Erlaubt ist −30 bis +30 dpt in Schritten von 0,25.; "
        "Zylinder bis (dpt): Erlaubt ist 0 bis 10 dpt in Schritten von 0,25.",
    )
    assert messages[12] == (
        "error",
        "Sphäre von (dpt): Dieses Feld ist zwingend erforderlich.; "
        "Verkaufspreis pro Glas (brutto): Dieses Feld ist zwingend erforderlich.",
    )
    assert messages[13] == ("new", "")
    assert messages[14] == ("skipped", "keine EAN/GTIN")
    # A list with errors leaves the lens's prices as they were.
    assert prices(lens) == before
    assert prices(zeiss) == [(D("-4.00"), D("4.00"), D("0.00"), D("49.90"), None)]
    assert not LensPrice.objects.filter(product=frame).exists()


def test_a_row_with_more_cells_than_columns_keeps_its_lens_unchanged(lens):
    before = prices(lens)
    data = csv_bytes(
        [
            PRICE_HEADER,
            [EAN_1, "Hoyalux", "-6", "6", "2", "199"],
            [EAN_1, "Hoyalux", "-10", "8", "4", "259", "überzählig"],
        ]
    )
    _job, _checked, done = imported("lens_prices", data, key="ean")
    assert done[0][:2] == (2, "skipped")
    assert done[1] == (3, "error", "die Zeile hat mehr Zellen, als die Datei Spalten hat")
    assert prices(lens) == before


def test_a_failing_write_leaves_the_lens_as_it_was(lens, monkeypatch):
    before = prices(lens)

    def refused(**kwargs):
        raise ValidationError({"sale_price": "Geändert, während importiert wurde."})

    monkeypatch.setattr(product_services, "lens_price_update", refused)
    rows = [
        PRICE_HEADER,
        [EAN_1, "Hoyalux", "0,25", "2,00", "0", "99,00"],  # a new range: added first
        [EAN_1, "Hoyalux", "-10,00", "8,00", "4,00", "259,00"],  # its update is refused
        [EAN_1, "Hoyalux", "-6,00", "6,00", "2,00", "199,00"],
    ]
    _job, _checked, done = imported("lens_prices", csv_bytes(rows), key="ean")
    assert done[0] == (
        2,
        "error",
        de("row %(row)s: %(message)s")
        % {
            "row": 3,
            "message": "Verkaufspreis pro Glas (brutto): Geändert, während importiert wurde.",
        },
    )
    skipped = de("not imported: the price list of this lens could not be saved (row %(row)s)") % {
        "row": 2
    }
    assert done[1:] == [(3, "skipped", skipped), (4, "skipped", skipped)]
    assert prices(lens) == before


def test_a_price_list_needs_the_rights_to_lens_prices(staff):
    staff.user_permissions.add(Permission.objects.get(codename="add_importjob"))
    assert "lens_prices" not in [kind for kind, _label in kinds_for(staff)]
    for codename in ("add_lensprice", "change_lensprice", "delete_lensprice"):
        staff.user_permissions.add(Permission.objects.get(codename=codename))
    staff = type(staff).objects.get(pk=staff.pk)
    assert "lens_prices" in [kind for kind, _label in kinds_for(staff)]


def test_a_resumed_run_writes_each_lens_whole(lens, settings, monkeypatch):
    """The worker is killed after the first batch: the lenses whose first
    row was in it are in whole; resumed, their later rows point there."""
    settings.IMPORT_BATCH_SIZE = 2
    zeiss = spectacle_lens(ean=EAN_2, article_number="ZEISS-SV", name="Zeiss SV")
    rows = [
        PRICE_HEADER,
        [EAN_1, "Hoyalux", "-6,00", "6,00", "2,00", "199,00"],
        [EAN_2, "Zeiss", "-4,00", "4,00", "0", "49,90"],
        [EAN_1, "Hoyalux", "-10,00", "8,00", "4,00", "259,00"],
        [EAN_2, "Zeiss", "-6,00", "6,00", "2", "69,90"],
    ]
    job = services.job_create(data=csv_bytes(rows), filename="liste.csv", kind="lens_prices")
    services.job_map(job_id=job.pk, mapping=job.mapping, key="ean", existing="skip")
    services.job_start(job_id=job.pk, dry_run=True)
    run_queued_imports()
    original = LensPriceImporter.process

    def killed_on_row_4(self, row_number, values):
        if row_number == 4:
            raise KeyboardInterrupt  # a killed worker: no chance to say so
        return original(self, row_number, values)

    monkeypatch.setattr(LensPriceImporter, "process", killed_on_row_4)
    services.job_start(job_id=job.pk, dry_run=False)
    with pytest.raises(KeyboardInterrupt):
        run_queued_imports()
    monkeypatch.setattr(LensPriceImporter, "process", original)
    # Both lenses were written whole with the first batch.
    assert prices(lens) == [
        (D("-10.00"), D("8.00"), D("4.00"), D("259.00"), None),
        (D("-6.00"), D("6.00"), D("2.00"), D("199.00"), None),
    ]
    assert len(prices(zeiss)) == 2
    ImportJob.objects.filter(pk=job.pk).update(
        progress_at=timezone.now() - datetime.timedelta(minutes=11)
    )
    services.job_resume(job_id=job.pk)
    run_queued_imports()
    job.refresh_from_db()
    assert job.state == ImportJob.State.DONE
    written = de("written with row %(row)s, the lens's first (see there)")
    assert report(job) == [
        (2, "updated", f"Verkaufspreis pro Glas (brutto); {deleted_rows(1, DROPPED)}"),
        (3, "new", ""),
        (4, "skipped", written % {"row": 2}),
        (5, "skipped", written % {"row": 3}),
    ]
    assert len(prices(lens)) == 2 and len(prices(zeiss)) == 2
