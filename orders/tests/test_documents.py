"""An order's documents (orders.documents) read back with pypdf: the quote
for the customer, the cost estimate for the insurer and the lens order for
the lab, in German notation; and none breaks on what is missing."""

import datetime
import io
from decimal import Decimal

import pytest
from django.utils import timezone
from fpdf import FPDF
from pypdf import PdfReader

from customers.models import InsuranceProvider
from customers.tests import factories
from opticrm.lib.pdf import FONT, add_dejavu
from orders import services
from orders.documents import cost_estimate_pdf, lab_order_pdf, quote_pdf
from orders.models import FixedAmount, LensType
from prescriptions.models import Refraction
from prescriptions.tests.factories import refraction
from products.models import Category, Coating, SpectacleDesign, Supplier, Tint
from products.tests.factories import product

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
EXAMINED = TODAY - datetime.timedelta(days=10)
AID_NUMBER = "25.21.03.1001"
MM_PER_POINT = 25.4 / 72


def years_ago(years: int) -> datetime.date:
    """A birthday ``years`` ago that has passed this year."""
    return datetime.date(TODAY.year - years, TODAY.month, min(TODAY.day, 28))


def german(day: datetime.date) -> str:
    return f"{day.day:02d}.{day.month:02d}.{day.year}"


def pages(pdf: bytes) -> list[str]:
    assert pdf.startswith(b"%PDF-")
    return [
        (page.extract_text() or "").replace("\xa0", " ")
        for page in PdfReader(io.BytesIO(pdf)).pages
    ]


def fragments(pdf: bytes) -> list[list[tuple[str, float, float, float]]]:
    """Per page the text as drawn: (text, left, right, baseline) in mm from
    the top left, the width measured with the font it is set in."""
    ruler = FPDF(unit="mm")
    add_dejavu(ruler)
    result = []
    for page in PdfReader(io.BytesIO(pdf)).pages:
        drawn = []

        def visit(text, cm, tm, font, size, drawn=drawn):
            if not text.strip():
                return
            bold = font is not None and "Bold" in str(font.get("/BaseFont", ""))
            ruler.set_font(FONT, "B" if bold else "", size)
            x = (tm[4] * cm[0] + tm[5] * cm[2] + cm[4]) * MM_PER_POINT
            y = (tm[4] * cm[1] + tm[5] * cm[3] + cm[5]) * MM_PER_POINT
            drawn.append((text.strip(), x, x + ruler.get_string_width(text.strip()), 297 - y))

        page.extract_text(visitor_text=visit)
        result.append(drawn)
    return result


def assert_within_margins(pdf: bytes) -> None:
    """Everything within the 20 mm margins; only the footer below the text."""
    for page in fragments(pdf):
        for text, left, right, baseline in page:
            assert left >= 20 - 0.01 and right <= 190 + 0.01, (text, left, right)
            assert baseline <= 297 - 20 or "Seite" in text, (text, baseline)


def text(pdf: bytes) -> str:
    return "\n".join(pages(pdf))


def flat(pdf: bytes) -> str:
    """The text with line breaks as spaces: a phrase that wraps is found."""
    return " ".join(text(pdf).split())


@pytest.fixture
def insurer():
    provider, _ = InsuranceProvider.objects.update_or_create(
        name="AOK Bayern", defaults={"kind": InsuranceProvider.Kind.STATUTORY}
    )
    return provider


@pytest.fixture
def supplier():
    return Supplier.objects.create(name="Carl Zeiss Vision GmbH", customer_number="K-4711")


@pytest.fixture
def teen(insurer):
    """Fifteen, insured by a statutory insurer: eligible for any power."""
    return factories.customer(
        first_name="Łucja",
        last_name="Öztürk-Weiß",
        salutation="ms",
        street="Üsterstraße 5",
        postcode="80331",
        town="München",
        date_of_birth=years_ago(15),
        insurance_provider=insurer,
    )


@pytest.fixture
def frame():
    return product(
        name="Lindberg 9700",
        lens_width=52,
        bridge_width=18,
        temple_length=140,
        sale_price=Decimal("289.00"),
    )


@pytest.fixture
def zeiss(supplier):
    return product(
        category=Category.SPECTACLE_LENS,
        name="SmartLife Progressive 1,6",
        brand="Zeiss",
        model="SmartLife",
        spectacle_design=SpectacleDesign.PROGRESSIVE,
        lens_index=Decimal("1.60"),
        coatings=[Coating.SUPER_AR, Coating.HARD],
        tint=Tint.PHOTOCHROMIC,
        sale_price=Decimal("289.00"),
        supplier=supplier,
    )


@pytest.fixture
def fixed_amount():
    return FixedAmount.objects.create(
        valid_from=TODAY - datetime.timedelta(days=400),
        lens_type=LensType.MULTIFOCAL,
        power_from=Decimal("0"),
        power_to=Decimal("8"),
        cylinder_to=Decimal("2"),
        amount=Decimal("41.50"),
        aid_number=AID_NUMBER,
    )


PRESCRIPTION = {
    "kind": Refraction.Kind.EXTERNAL,
    "prescriber": "Dr. med. Jürgen Groß",
    "right_sphere": Decimal("-1.25"),
    "right_cylinder": Decimal("-0.50"),
    "right_axis": 90,
    "right_addition": Decimal("2.00"),
    "right_prism_horizontal": Decimal("1.00"),
    "right_prism_horizontal_base": "in",
    "right_visus_cc": Decimal("0.8"),
    "left_sphere": Decimal("-0.50"),
    "left_cylinder": Decimal("-0.75"),
    "left_axis": 85,
    "left_addition": Decimal("2.00"),
    "left_visus_cc": Decimal("1.0"),
    "vertex_distance": Decimal("13"),
}


def glasses(customer, user, *, values=None, header=None, lines=()):
    """A glasses order for ``customer``'s refraction of ``values`` (none:
    an order without prescription) with ``header`` fields and positions."""
    if values is not None:
        refraction(customer, user, date=EXAMINED, **values)
    order = services.order_create(customer_id=customer.pk, user=user)
    if header:
        services.order_update(order_id=order.pk, data=header, version=None)
    for data in lines:
        services.line_save(order_id=order.pk, data=data, version=None)
    order.refresh_from_db()
    return order


@pytest.fixture
def order(teen, optician, frame, zeiss, fixed_amount):
    return glasses(
        teen,
        optician,
        values=PRESCRIPTION,
        header={
            "frame": frame,
            "right_pd": Decimal("31.5"),
            "left_pd": Decimal("32"),
            "right_fitting_height": Decimal("22"),
            "left_fitting_height": Decimal("21.5"),
            "right_pantoscopic_tilt": Decimal("8"),
            "left_pantoscopic_tilt": Decimal("8"),
            "right_wrap_angle": Decimal("5"),
            "left_wrap_angle": Decimal("5"),
            "insurance_number": "A123456789",
            "promised_date": TODAY + datetime.timedelta(days=10),
            "notes": "Frau Öztürk-Weiß mag Rot",
        },
        # The frame's position comes with the frame.
        lines=[
            services.product_line(
                zeiss,
                eye="right",
                diameter=70,
                discount_percent=Decimal("10"),
                discount_reason="Stammkunde",
            ),
            services.product_line(zeiss, eye="left", diameter=65),
            {
                "kind": "product",
                "description": "Fachbuch „Gutes Sehen“",
                "quantity": 3,
                "unit_price": Decimal("1.99"),
                "vat_rate": 7,
            },
        ],
    )


def attributes() -> str:
    coatings = f"{Coating.SUPER_AR.label}, {Coating.HARD.label}"
    design = SpectacleDesign.PROGRESSIVE.label
    return f"Zeiss · SmartLife · {design} · Index 1,60 · {coatings} · {Tint.PHOTOCHROMIC.label}"


# --- The quote -----------------------------------------------------------------


def test_the_quote_names_the_values_positions_totals_and_the_insurers_share(order):
    pdf = quote_pdf(order)
    content = text(pdf)
    words = flat(pdf)
    assert_within_margins(pdf)

    for line in ("Frau Łucja Öztürk-Weiß", "Üsterstraße 5", "80331 München"):
        assert line in content
    assert f"Angebot Nr. {order.pk}" in content
    assert german(TODAY) in content
    assert "Sehr geehrte Frau Öztürk-Weiß," in content
    # The prescription as opticians write it.
    assert "Ihre Brillenwerte" in content
    for value in ("−1,25", "−0,50", "90°", "−0,75", "85°", "2,00", "31,5", "32,0"):
        assert value in content
    assert "1,00 Basis innen" in words
    assert f"Fremdverordnung, {german(EXAMINED)}" in content
    assert "Lindberg 9700 · 52□18 140" in content
    # Each position: quantity, description with the lens, price, discount.
    for heading in ("Pos.", "Menge", "Bezeichnung", "Einzelpreis", "Rabatt", "Gesamt"):
        assert heading in content
    assert "SmartLife Progressive 1,6 (rechts)" in content
    assert f"{attributes()} · Ø 70 mm" in words
    assert "Rabatt 10 %: Stammkunde" in words
    assert "−28,90 €" in content and "260,10 €" in content
    assert "Fachbuch „Gutes Sehen“" in content and "1,99 €" in content and "5,97 €" in content
    # Per rate: 838,10 gross at 19 % (133,81 VAT), 5,97 at 7 % (0,39 VAT).
    for value in ("19 %", "704,29 €", "133,81 €", "838,10 €", "7 %", "5,58 €", "0,39 €"):
        assert value in content
    assert "Gesamtbetrag 844,07 €" in content
    assert "Enthaltene Rabatte 28,90 €" in content
    # Under 18: two lenses at the fixed amount of 41,50 €, no co-payment.
    assert "Voraussichtlicher Anteil Ihrer Krankenkasse (AOK Bayern) −83,00 €" in words
    assert "Ihr Eigenanteil 761,07 €" in words
    assert "Zuzahlung" not in content
    valid_until = german(TODAY + datetime.timedelta(weeks=4))
    assert f"Dieses Angebot ist 4 Wochen gültig, bis zum {valid_until}." in words
    # The shop's internal note is not the customer's business.
    assert "mag Rot" not in content


def test_an_adult_quote_shows_the_co_payment_in_the_own_share(insurer, optician, zeiss):
    adult = factories.customer(date_of_birth=years_ago(40), insurance_provider=insurer)
    FixedAmount.objects.create(
        valid_from=TODAY - datetime.timedelta(days=400),
        lens_type=LensType.MULTIFOCAL,
        power_from=Decimal("6.25"),
        power_to=Decimal("10"),
        cylinder_to=Decimal("2"),
        amount=Decimal("76.50"),
        aid_number="25.21.03.2001",
    )
    order = glasses(
        adult,
        optician,
        values={**PRESCRIPTION, "right_sphere": Decimal("-7.00"), "left_sphere": Decimal("-7.50")},
        lines=[services.product_line(zeiss, eye="right")],
    )

    words = flat(quote_pdf(order))

    # 10 % of 76,50 is 7,65: the insurer pays 68,85 of the 289,00.
    assert "Voraussichtlicher Anteil Ihrer Krankenkasse (AOK Bayern) −68,85 €" in words
    assert "Ihr Eigenanteil 220,15 €" in words
    assert "gesetzliche Zuzahlung von 7,65 €" in words


def test_a_quote_with_nothing_yet(optician):
    customer = factories.customer(first_name="Ömer", last_name="Łukasiewicz")
    order = glasses(customer, optician)

    content = text(quote_pdf(order))

    assert "Ömer Łukasiewicz" in content
    assert "Brillenwerte" not in content
    assert "Fassung" not in content
    assert "Noch keine Positionen." in content
    assert "Gesamtbetrag 0,00 €" in content
    assert "Krankenkasse" not in content


def test_many_positions_with_long_descriptions_go_on_over_the_next_page(teen, optician):
    long = "Sehr lange Beschreibung einer Position mit Überlänge, die umbrechen muss " * 2
    order = glasses(
        teen,
        optician,
        lines=[
            {
                "kind": "service",
                "description": f"{number}: {long}"[:200],
                "unit_price": Decimal("10.00"),
            }
            for number in range(1, 36)
        ],
    )

    pdf = quote_pdf(order)
    result = pages(pdf)
    words = [" ".join(page.split()) for page in result]
    assert_within_margins(pdf)

    assert len(result) >= 2
    # The table's headings again on the next page, and the pages counted.
    assert "Bezeichnung" in result[1]
    assert f"Seite 1 von {len(result)}" in result[0]
    assert f"Seite {len(result)} von {len(result)}" in result[-1]
    assert f"Angebot Nr. {order.pk}" in result[-1]
    all_words = " ".join(words)
    for number in (1, 17, 35):
        assert f"{number}: Sehr lange Beschreibung" in all_words
    # Wrapped, not cut off: the description's last words are there.
    assert all_words.count("die umbrechen muss") >= 35
    assert "Gesamtbetrag 350,00 €" in result[-1]


# --- The cost estimate ---------------------------------------------------------------


def test_the_cost_estimate_for_the_insurer(order):
    pdf = cost_estimate_pdf(order)
    content = text(pdf)
    words = flat(pdf)
    assert_within_margins(pdf)

    assert "Kostenvoranschlag für Brillengläser" in content
    assert "AOK Bayern" in content
    # The insured person.
    assert "Łucja Öztürk-Weiß" in content
    assert german(order.customer.date_of_birth) in content
    assert "Üsterstraße 5, 80331 München" in content
    assert "A123456789" in content
    # The prescription: an ophthalmologist's, so no note that one is needed.
    assert "Dr. med. Jürgen Groß" in content
    assert german(EXAMINED) in content
    assert "Verordnung" in content
    assert "augenärztlichen Verordnung" not in words
    for value in ("−1,25", "−0,50", "90°", "2,00", "0,8", "1,0"):
        assert value in content
    # Each lens with its aid position number, price and the insurer's part.
    assert "Hilfsmittelpositionsnummer" in content
    assert content.count(AID_NUMBER) == 2
    assert "260,10 €" in content and "289,00 €" in content
    assert content.count("41,50 €") == 4  # fixed amount and insurer pays, per lens
    assert "Anteil der Krankenkasse gesamt 83,00 €" in content
    assert "Anspruch besteht: unter 18 Jahre alt" in words
    assert "ab 14" in words
    assert "elektronisch (eKV) über einen zertifizierten Dienstleister" in words
    assert "OptiCRM übermittelt ihn nicht" in words
    # Frames are never paid: the frame is not among the lenses.
    assert "Lindberg" not in content


def test_the_cost_estimate_names_the_shops_ik_when_it_is_set(order, settings):
    assert "IK" not in text(cost_estimate_pdf(order))
    settings.SHOP_IK = "123456789"
    assert "Unser IK 123456789" in text(cost_estimate_pdf(order))


def test_a_cost_estimate_from_the_opticians_own_values_says_a_prescription_is_needed(
    teen, optician, zeiss, fixed_amount
):
    order = glasses(
        teen,
        optician,
        values={**PRESCRIPTION, "kind": Refraction.Kind.SUBJECTIVE, "prescriber": ""},
        lines=[{**services.product_line(zeiss, eye="left"), "description": "Ein Glas " * 20}],
    )

    words = flat(cost_estimate_pdf(order))

    assert "Die Krankenkasse zahlt nur mit einer augenärztlichen Verordnung" in words
    assert "Subjektive Refraktion" in words
    assert words.count(AID_NUMBER) == 1


def test_a_cost_estimate_without_statutory_insurer_or_values(optician):
    customer = factories.customer(first_name="Zoë", last_name="Groß")
    order = glasses(customer, optician)

    words = flat(cost_estimate_pdf(order))

    assert "Zoë Groß" in words
    assert "keine gesetzliche Krankenkasse" in words
    assert "Keine Brillenwerte." in words
    assert "eKV" in words


def test_an_adult_without_eligibility_is_told_why(insurer, optician, zeiss):
    adult = factories.customer(date_of_birth=years_ago(40), insurance_provider=insurer)
    order = glasses(adult, optician, values=PRESCRIPTION, lines=[services.product_line(zeiss)])

    words = flat(cost_estimate_pdf(order))

    assert "Kein Anspruch: Erwachsene nur bei" in words
    assert "Ihr Eigenanteil" not in flat(quote_pdf(order))


# --- The lens order --------------------------------------------------------------------


def test_the_lens_order_for_the_lab(order):
    pdf = lab_order_pdf(order)
    content = text(pdf)
    words = flat(pdf)
    assert_within_margins(pdf)

    assert f"Glasbestellung – Auftrag {order.pk}" in content
    assert "Carl Zeiss Vision GmbH" in content
    assert "K-4711" in content
    # The customer as the order number and initials only.
    assert f"{order.pk} / Ł. Ö." in content
    customer = order.customer
    for personal in (
        customer.first_name,
        customer.last_name,
        "Öztürk",
        "Üsterstraße",
        german(customer.date_of_birth),
        "AOK",
        "A123456789",
        "mag Rot",
    ):
        assert personal not in content
    # Per eye in the lab's notation.
    for heading in ("Sph", "Zyl", "Achse", "Add", "Prisma/Basis", "Durchmesser"):
        assert heading in content
    for value in ("−1,25", "−0,50", "90°", "−0,75", "85°", "2,00", "70 mm", "65 mm"):
        assert value in content
    assert "1,00 Basis innen" in words
    assert attributes() in words
    # Centration.
    for heading in ("PD (mm)", "Einschleifhöhe (mm)", "HSA (mm)", "Vorneigung (°)"):
        assert heading in words
    assert "FSW (°)" in words
    for value in ("31,5", "32,0", "22,0", "21,5", "13,0", "8,0", "5,0"):
        assert value in content
    assert "Lindberg 9700 · 52□18 140" in content
    assert german(order.promised_date) in content


def test_a_lens_order_with_the_customers_frame_and_a_lens_without_product(teen, optician):
    order = glasses(
        teen,
        optician,
        values={"right_sphere": Decimal("-2.00"), "left_sphere": None, "left_pd": None},
        header={"own_frame": "Ray-Ban RB5154 Clubmaster, 51□21"},
        lines=[
            {
                "kind": "lens",
                "eye": "right",
                "description": "Lagerglas Einstärken 1,5 hartbeschichtet",
                "unit_price": Decimal("39.00"),
            }
        ],
    )

    content = text(lab_order_pdf(order))

    assert "Kundenfassung: Ray-Ban RB5154 Clubmaster, 51□21" in content
    assert "Lagerglas Einstärken 1,5 hartbeschichtet" in content
    assert "−2,00" in content
    # One eye ordered: one row of values.
    assert "\nL " not in content and "\nL\n" not in content


def test_documents_of_an_empty_order_do_not_break(optician):
    customer = factories.customer(first_name="Ünal", last_name="Şahin")
    order = glasses(customer, optician)

    for document in (quote_pdf, cost_estimate_pdf, lab_order_pdf):
        assert pages(document(order))
    content = text(lab_order_pdf(order))
    assert "Keine Fassung angegeben." in content
    assert "—" in content
    assert "Şahin" not in content and "Ü. Ş." in content
