"""The parameters of a contact lens product: typed in the product form,
validated, shown; and the rule that checks a fitting against them."""

import json
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

from products import contact_lenses
from products.demo import LENS_PARAMETERS, seed_demo_products
from products.models import Category, LensDesign, Product
from products.tests.factories import product

D = Decimal
HTMX = {"HTTP_HX_REQUEST": "true"}
CREATE = reverse("products:create")


def de(text: str) -> str:
    with translation.override("de"):
        return gettext(text)


def lens_form(**overrides) -> dict:
    data = {
        "category": "contact_lens",
        "article_number": "KL-1",
        "ean": "",
        "name": "Acuvue Oasys, 6 Stück",
        "brand": "Acuvue",
        "model": "",
        "colour": "",
        "supplier": "",
        "lens_design": "spherical",
        "base_curves": "8,4 / 8,8",
        "diameters": "14,0",
        "sphere_min": "−12,00",
        "sphere_max": "+8",
        "cylinders": "",
        "axis_step": "",
        "purchase_price": "15,80",
        "sale_price": "34,90",
        "vat_rate": "19",
        "minimum_stock": "6",
        "active": "on",
    }
    data.update(overrides)
    return data


# --- Notation ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "negative", "values"),
    [
        ("8,4 / 8,8", False, [D("8.4"), D("8.8")]),
        ("8.8; 8.4", False, [D("8.4"), D("8.8")]),
        ("8,4 8,8 8,4", False, [D("8.4"), D("8.8")]),
        ("8.4, 8.8", False, [D("8.4"), D("8.8")]),
        ("14,2 mm", False, [D("14.2")]),
        ("", False, []),
        ("0,75 / −1,25 / -1.75", True, [D("-0.75"), D("-1.25"), D("-1.75")]),
    ],
)
def test_values_are_read_as_opticians_type_them(text, negative, values):
    assert contact_lenses.parse_values(text, negative=negative) == values


@pytest.mark.parametrize("text", ["8,4,8,8", "acht", "8,4 / x", "1e999", "NaN"])
def test_unreadable_values_are_refused(text):
    with pytest.raises(contact_lenses.NotationError):
        contact_lenses.parse_values(text)


def test_values_are_written_the_german_way():
    assert contact_lenses.format_values([D("8.4"), D("8.8")], "base_curves") == "8,40 / 8,80"
    assert contact_lenses.format_values([D("14")], "diameters") == "14,0"
    assert contact_lenses.format_values([D("-0.75"), D("-1.25")], "cylinders") == "−0,75 / −1,25"


# --- The product form -----------------------------------------------------------------------


@pytest.mark.django_db
def test_a_contact_lens_is_saved_with_its_parameters(staff_client):
    response = staff_client.post(CREATE, lens_form(), **HTMX)
    assert "productSaved" in json.loads(response["HX-Trigger"])
    lens = Product.objects.get()
    assert (lens.lens_design, lens.base_curves, lens.diameters) == (
        LensDesign.SPHERICAL,
        [D("8.4"), D("8.8")],
        [D("14.0")],
    )
    assert (lens.sphere_min, lens.sphere_max, lens.cylinders, lens.axis_step) == (
        D("-12"),
        D("8"),
        [],
        None,
    )
    # The edit form shows them as typed, the product page too.
    form = staff_client.get(reverse("products:update", args=[lens.pk]), **HTMX)
    body = form.content.decode()
    assert 'value="8,40 / 8,80"' in body and 'value="−12,00"' in body and 'value="+8,00"' in body
    page = staff_client.get(reverse("products:detail", args=[lens.pk])).content.decode()
    assert "8,40 / 8,80 mm" in page and "14,0 mm" in page and "−12,00 … +8,00 dpt" in page


@pytest.mark.django_db
def test_a_toric_lens_keeps_cylinders_in_minus_notation_and_its_axis_steps(staff_client):
    data = lens_form(lens_design="toric", cylinders="0,75 / 1,25 / -1,75", axis_step="10")
    staff_client.post(CREATE, data, **HTMX)
    lens = Product.objects.get()
    assert lens.cylinders == [D("-0.75"), D("-1.25"), D("-1.75")]
    assert lens.axis_step == 10


@pytest.mark.django_db
def test_all_parameters_are_optional(staff_client):
    data = lens_form(lens_design="", base_curves="", diameters="", sphere_min="", sphere_max="")
    staff_client.post(CREATE, data, **HTMX)
    lens = Product.objects.get()
    assert not lens.has_lens_parameters


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"base_curves": "5,9"}, "base_curves", "Erlaubt ist 6 bis 10 mm in Schritten von 0,05."),
        ({"base_curves": "8,63"}, "base_curves", "Erlaubt ist 6 bis 10 mm in Schritten von 0,05."),
        ({"base_curves": "8,4,8,8"}, "base_curves", None),
        ({"diameters": "25"}, "diameters", "Erlaubt ist 8 bis 20 mm in Schritten von 0,1."),
        ({"sphere_min": "-40"}, "sphere_min", None),
        ({"sphere_min": "+2", "sphere_max": "-2"}, "sphere_max", None),
        ({"sphere_max": "viel"}, "sphere_max", None),
        ({"cylinders": "-0,75"}, "cylinders", None),  # spherical
        ({"lens_design": "toric", "cylinders": "-12"}, "cylinders", None),
        ({"lens_design": "round"}, "lens_design", None),
    ],
)
def test_wrong_parameters_are_refused_at_their_field(staff_client, overrides, field, message):
    response = staff_client.post(CREATE, lens_form(**overrides), **HTMX)
    assert "HX-Trigger" not in response
    errors = response.context["form"].errors
    assert field in errors, errors
    if message:
        assert message in errors[field]
    assert not Product.objects.exists()


@pytest.mark.django_db
def test_lens_parameters_of_another_category_are_refused_and_shown(staff_client):
    data = lens_form(category="frame", lens_width="52", bridge_width="18")
    response = staff_client.post(CREATE, data, **HTMX)
    errors = response.context["form"].errors
    assert de("Lens parameters only belong to contact lenses.") in errors["lens_design"]
    assert response.context["form"].lens_parameters_refused
    assert "lens-fields field-wide is-refused" in response.content.decode()
    assert not Product.objects.exists()


@pytest.mark.django_db
def test_the_lens_fields_are_in_the_form_for_contact_lenses(staff_client):
    body = staff_client.get(CREATE, **HTMX).content.decode()
    assert "data-contact-lens-only" in body and 'name="base_curves"' in body


@pytest.mark.django_db
def test_the_demo_contact_lenses_have_their_parameters():
    seed_demo_products()
    for number, (design, *_rest) in LENS_PARAMETERS.items():
        lens = Product.objects.get(article_number=number)
        assert lens.category == Category.CONTACT_LENS
        assert lens.lens_design == design and lens.base_curves and lens.diameters
        lens.full_clean()
    toric = Product.objects.get(article_number="KL-3006")
    assert toric.cylinders and toric.axis_step == 10


# --- A fitting against its lens ----------------------------------------------------------------


def lens(**fields) -> Product:
    values = {
        "name": "Acuvue Oasys",
        "category": Category.CONTACT_LENS,
        "lens_design": LensDesign.SPHERICAL,
        "base_curves": [D("8.4"), D("8.8")],
        "diameters": [D("14.0")],
        "sphere_min": D("-12"),
        "sphere_max": D("8"),
        "cylinders": [],
        "axis_step": None,
    }
    values.update(fields)
    return Product(**values)


def errors(product_, **values) -> dict:
    fitted = dict.fromkeys(
        ("base_curve", "diameter", "sphere", "cylinder", "axis", "addition"), None
    )
    fitted.update(values)
    with translation.override("de"):
        return contact_lenses.fit_errors(product_, **fitted)


def test_values_the_lens_is_made_in_pass():
    assert errors(lens(), base_curve=D("8.80"), diameter=D("14"), sphere=D("-3.25")) == {}
    assert errors(None, base_curve=D("7.1"), cylinder=D("-2")) == {}


def test_a_spherical_lens_takes_no_cylinder():
    assert errors(lens(), sphere=D("-2"), cylinder=D("-0.75"), axis=90) == {
        "cylinder": de("This lens is spherical; a cylinder is not possible.")
    }


def test_a_base_curve_or_diameter_it_does_not_come_in_names_the_ones_it_does():
    found = errors(lens(), base_curve=D("8.65"), diameter=D("14.2"))
    assert "8,40 / 8,80 mm" in found["base_curve"]
    assert "14,0 mm" in found["diameter"]


def test_the_sphere_range():
    assert "−12,00" in errors(lens(), sphere=D("-12.5"))["sphere"]
    assert "+8,00" in errors(lens(sphere_min=None), sphere=D("9"))["sphere"]
    assert "−12,00" in errors(lens(sphere_max=None), sphere=D("-13"))["sphere"]
    assert errors(lens(sphere_min=None, sphere_max=None), sphere=D("-20")) == {}


def test_a_toric_lens_takes_its_cylinders_and_axis_steps_only():
    toric = lens(lens_design=LensDesign.TORIC, cylinders=[D("-0.75"), D("-1.25")], axis_step=10)
    assert errors(toric, sphere=D("-2"), cylinder=D("-1.25"), axis=170) == {}
    assert "−0,75 / −1,25" in errors(toric, sphere=D("-2"), cylinder=D("-1"), axis=170)["cylinder"]
    assert "170" in errors(toric, sphere=D("-2"), cylinder=D("-0.75"), axis=173)["axis"]


def test_an_addition_needs_a_multifocal_lens():
    assert "addition" in errors(lens(), sphere=D("1"), addition=D("2"))
    assert errors(lens(lens_design=LensDesign.MULTIFOCAL), sphere=D("1"), addition=D("2")) == {}
    assert errors(lens(lens_design=""), sphere=D("1"), addition=D("2")) == {}


def test_warnings_for_a_toric_lens_without_cylinder_and_a_multifocal_without_addition():
    toric = lens(lens_design=LensDesign.TORIC, name="Biofinity toric")
    assert "Biofinity toric" in contact_lenses.fit_warnings(toric, cylinder=None, addition=None)[0]
    multifocal = lens(lens_design=LensDesign.MULTIFOCAL)
    assert contact_lenses.fit_warnings(multifocal, cylinder=None, addition=None)
    assert contact_lenses.fit_warnings(multifocal, cylinder=None, addition=D("1.5")) == []


@pytest.mark.django_db
def test_the_factory_still_makes_products_without_parameters():
    assert product(category=Category.CONTACT_LENS).base_curves == []
