"""A contact lens fitting checked against the parameters of its lens
(products.contact_lenses): in the fitting form, in the services and in a
correction. The API takes no fittings, so it has nothing to check."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone, translation
from django.utils.translation import gettext

from customers.tests import factories as customer_factories
from prescriptions import services
from prescriptions.models import ContactLensFitting
from prescriptions.tests.factories import fitting
from products.models import Category, LensDesign
from products.tests.factories import product

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}
D = Decimal
SPHERICAL = "This lens is spherical; a cylinder is not possible."


def de(text: str) -> str:
    with translation.override("de"):
        return gettext(text)


@pytest.fixture
def customer():
    return customer_factories.customer(
        first_name="Jürgen", last_name="Weiß", date_of_birth=datetime.date(1962, 4, 3)
    )


@pytest.fixture
def oasys():
    return product(
        category=Category.CONTACT_LENS,
        name="Acuvue Oasys",
        lens_design=LensDesign.SPHERICAL,
        base_curves=[D("8.4"), D("8.8")],
        diameters=[D("14.0")],
        sphere_min=D("-12"),
        sphere_max=D("8"),
    )


@pytest.fixture
def toric():
    return product(
        category=Category.CONTACT_LENS,
        name="Biofinity toric",
        lens_design=LensDesign.TORIC,
        base_curves=[D("8.7")],
        diameters=[D("14.5")],
        cylinders=[D("-0.75"), D("-1.25"), D("-1.75")],
        axis_step=10,
    )


def url(customer) -> str:
    return f"/prescriptions/customers/{customer.pk}/fittings/new/"


def form_data(optician, lens, **values) -> dict:
    data = {
        "date": (timezone.localdate() - datetime.timedelta(days=1)).strftime("%d.%m.%Y"),
        "examiner": str(optician.pk),
        "right_product": str(lens.pk),
        "right_base_curve": "8,8",
        "right_diameter": "14,0",
        "right_sphere": "-2,25",
        "right_cylinder": "",
        "right_axis": "",
        "right_replacement": "two_weeks",
        "left_product": str(lens.pk),
        "left_base_curve": "8,4",
        "left_diameter": "14",
        "left_sphere": "-2,50",
        "left_cylinder": "",
        "left_axis": "",
        "left_replacement": "two_weeks",
        "wearing_notes": "",
    }
    data.update(values)
    return data


def test_values_the_lens_is_made_in_are_saved(optician_client, optician, customer, oasys):
    response = optician_client.post(url(customer), form_data(optician, oasys), **HTMX)
    assert "fittingSaved" in response["HX-Trigger"]
    saved = ContactLensFitting.objects.get()
    assert (saved.right_base_curve, saved.left_base_curve) == (D("8.8"), D("8.4"))


def test_a_cylinder_on_a_spherical_lens_is_refused_at_the_cylinder(
    optician_client, optician, customer, oasys
):
    data = form_data(optician, oasys, right_cylinder="-0,75", right_axis="90")
    response = optician_client.post(url(customer), data, **HTMX)
    assert "HX-Trigger" not in response
    form = response.context["form"]
    assert form.errors["right_cylinder"] == [de(SPHERICAL)]
    assert de(SPHERICAL) in response.content.decode()
    assert not ContactLensFitting.objects.exists()


def test_a_plus_cylinder_is_refused_too(optician_client, optician, customer, oasys):
    data = form_data(optician, oasys, left_cylinder="+0,75", left_axis="180")
    response = optician_client.post(url(customer), data, **HTMX)
    assert response.context["form"].errors["left_cylinder"] == [de(SPHERICAL)]


def test_a_base_curve_or_diameter_the_lens_does_not_come_in_names_the_offered_ones(
    optician_client, optician, customer, oasys
):
    data = form_data(optician, oasys, right_base_curve="8,65", left_diameter="14,2")
    response = optician_client.post(url(customer), data, **HTMX)
    errors = response.context["form"].errors
    assert "8,40 / 8,80 mm" in errors["right_base_curve"][0]
    assert "14,0 mm" in errors["left_diameter"][0]
    assert not ContactLensFitting.objects.exists()


def test_a_sphere_outside_the_lens_range_is_refused(optician_client, optician, customer, oasys):
    data = form_data(optician, oasys, right_sphere="-13,00")
    response = optician_client.post(url(customer), data, **HTMX)
    assert "−12,00" in response.context["form"].errors["right_sphere"][0]


def test_a_toric_lens_takes_its_cylinders_and_axis_steps(
    optician_client, optician, customer, toric
):
    base = {
        "right_base_curve": "8,7",
        "right_diameter": "14,5",
        "left_base_curve": "8,7",
        "left_diameter": "14,5",
        "right_cylinder": "-1,25",
        "right_axis": "170",
        "left_cylinder": "-0,75",
        "left_axis": "10",
    }
    wrong = form_data(optician, toric, **{**base, "right_cylinder": "-1,00", "left_axis": "15"})
    errors = optician_client.post(url(customer), wrong, **HTMX).context["form"].errors
    assert "−0,75 / −1,25 / −1,75" in errors["right_cylinder"][0]
    assert "10°" in errors["left_axis"][0]
    response = optician_client.post(url(customer), form_data(optician, toric, **base), **HTMX)
    assert "fittingSaved" in response["HX-Trigger"]


def test_a_toric_lens_without_cylinder_asks_first(optician_client, optician, customer, toric):
    data = form_data(
        optician,
        toric,
        right_base_curve="8,7",
        right_diameter="14,5",
        left_base_curve="8,7",
        left_diameter="14,5",
    )
    response = optician_client.post(url(customer), data, **HTMX)
    assert "HX-Trigger" not in response
    assert 'name="confirm_unusual"' in response.content.decode()
    response = optician_client.post(url(customer), {**data, "confirm_unusual": "on"}, **HTMX)
    assert "fittingSaved" in response["HX-Trigger"]


def test_a_lens_without_parameters_takes_any_value(optician_client, optician, customer):
    plain = product(category=Category.CONTACT_LENS, name="Hausmarke")
    data = form_data(optician, plain, right_base_curve="7,7", right_cylinder="-2", right_axis="5")
    response = optician_client.post(url(customer), data, **HTMX)
    assert "fittingSaved" in response["HX-Trigger"]


def test_the_services_apply_the_same_rule(optician, customer, oasys):
    with pytest.raises(ValidationError) as raised:
        fitting(
            customer,
            optician,
            right_product=oasys,
            right_base_curve=D("8.8"),
            right_diameter=D("14"),
            right_cylinder=D("-1"),
            right_axis=90,
        )
    assert raised.value.message_dict == {"right_cylinder": [de(SPHERICAL)]}
    assert not ContactLensFitting.objects.exists()


def test_a_correction_is_checked_against_the_lens_too(optician, customer, oasys):
    first = fitting(customer, optician)  # no lens chosen: anything goes
    data = {
        "date": first.date,
        "examiner": optician,
        "right_product": oasys,
        "right_base_curve": D("8.6"),
        "right_sphere": D("-2"),
    }
    with pytest.raises(ValidationError) as raised:
        services.fitting_correct(fitting_id=first.pk, data=data, user=optician)
    assert list(raised.value.message_dict) == ["right_base_curve"]
    first.refresh_from_db()
    assert not first.is_superseded
