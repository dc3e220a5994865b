"""The rules of shared/DOMAIN.md as the services apply them, on real PostgreSQL."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from customers import services as customer_services
from customers.tests import factories as customer_factories
from prescriptions import services
from prescriptions.models import ContactLensFitting, Refraction
from prescriptions.tests.factories import fitting, refraction, refraction_data

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture
def customer():
    return customer_factories.customer(date_of_birth=datetime.date(1970, 1, 1))


def record(customer, user, **values):
    return services.refraction_record(
        customer_id=customer.pk, data=refraction_data(user, **values), user=user
    )


def errors_of(customer, user, **values) -> dict:
    with pytest.raises(ValidationError) as caught:
        record(customer, user, **values)
    return caught.value.message_dict


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("right_sphere", D("30.25"), "Erlaubt ist −30 bis +30 dpt in Schritten von 0,25."),
        ("right_sphere", D("-30.25"), "Erlaubt ist −30 bis +30 dpt in Schritten von 0,25."),
        ("right_sphere", D("1.1"), "Bitte den Wert in Schritten von 0,25 dpt eingeben."),
        ("right_cylinder", D("-10.25"), "Erlaubt ist −10 bis +10 dpt in Schritten von 0,25."),
        ("right_cylinder", D("-0.3"), "Bitte den Wert in Schritten von 0,25 dpt eingeben."),
        ("right_axis", 181, "Die Achse ist eine ganze Gradzahl von 0 bis 180."),
        ("right_addition", D("0"), "Erlaubt ist 0,25 bis 4 dpt in Schritten von 0,25."),
        ("right_addition", D("4.25"), "Erlaubt ist 0,25 bis 4 dpt in Schritten von 0,25."),
        ("right_addition", D("2.1"), "Bitte den Wert in Schritten von 0,25 dpt eingeben."),
        ("right_visus_cc", D("0.04"), "Erlaubt ist 0,05 bis 2."),
        ("right_visus_sc", D("2.1"), "Erlaubt ist 0,05 bis 2."),
        ("right_pd", D("24.5"), "Erlaubt ist 25 bis 40 mm in Schritten von 0,5."),
        ("right_pd", D("40.5"), "Erlaubt ist 25 bis 40 mm in Schritten von 0,5."),
        ("right_pd", D("31.3"), "Bitte den Wert in Schritten von 0,5 mm eingeben."),
        ("vertex_distance", D("4.5"), "Erlaubt ist 5 bis 25 mm in Schritten von 0,5."),
        ("vertex_distance", D("25.5"), "Erlaubt ist 5 bis 25 mm in Schritten von 0,5."),
    ],
)
def test_ranges_and_steps(customer, owner, field, value, message):
    extra = {"right_prism_horizontal_base": ""} if field.startswith("right_prism") else {}
    assert errors_of(customer, owner, **{field: value}, **extra)[field] == [message]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("right_sphere", D("-30")),
        ("right_sphere", D("30")),
        ("right_cylinder", D("-10")),
        ("right_addition", D("0.25")),
        ("right_addition", D("4")),
        ("right_visus_cc", D("0.05")),
        ("right_visus_sc", D("2")),
        ("right_pd", D("25")),
        ("right_pd", D("40")),
        ("vertex_distance", D("5")),
        ("vertex_distance", D("25")),
    ],
)
def test_limits_themselves_are_allowed(customer, owner, field, value):
    saved = record(customer, owner, **{field: value}, left_addition=None)
    assert getattr(Refraction.objects.get(pk=saved.pk), field) == value


def test_prism_needs_a_base_and_a_base_needs_a_prism(customer, owner):
    errors = errors_of(
        customer, owner, right_prism_horizontal=D("1"), left_prism_vertical_base="up"
    )
    assert errors["right_prism_horizontal_base"] == ["Bitte die Basis des Prismas wählen."]
    assert errors["left_prism_vertical"] == ["Bitte das Prisma eingeben oder seine Basis leeren."]
    assert errors_of(
        customer, owner, right_prism_vertical=D("10.25"), right_prism_vertical_base="down"
    )["right_prism_vertical"] == ["Erlaubt ist 0,25 bis 10 cm/m in Schritten von 0,25."]


def test_prism_is_saved_with_its_base(customer, owner):
    saved = record(
        customer, owner, right_prism_horizontal=D("1.5"), right_prism_horizontal_base="in"
    )
    assert saved.eye("right").power == "Sph +1,25 Zyl −0,50 A 90° Pr 1,50 Basis innen"


def test_axis_is_required_exactly_with_a_cylinder(customer, owner):
    assert errors_of(customer, owner, right_axis=None)["right_axis"] == [
        "Bitte die Achse des Zylinders angeben."
    ]
    assert errors_of(customer, owner, left_axis=45)["left_axis"] == [
        "Eine Achse gehört zu einem Zylinder: Zylinder eingeben oder Achse leeren."
    ]
    assert errors_of(customer, owner, right_cylinder=D("0"), right_axis=90)["right_axis"]


def test_a_zero_cylinder_without_axis_is_stored_as_none(customer, owner):
    saved = record(customer, owner, right_cylinder=D("0"), right_axis=None)
    assert (saved.right_cylinder, saved.right_axis) == (None, None)


def test_sphere_is_needed_for_other_powers_and_one_eye_must_be_filled(customer, owner):
    errors = errors_of(customer, owner, right_sphere=None)
    assert errors["right_sphere"] == ["Bitte die Sphäre angeben (±0,00, wenn keine)."]
    empty = {
        f"{side}_{name}": None
        for side in ("right", "left")
        for name in ("sphere", "cylinder", "axis", "pd")
    }
    assert errors_of(customer, owner, **empty)["__all__"] == [
        "Bitte die Werte von mindestens einem Auge eingeben."
    ]


def test_one_eye_alone_is_enough(customer, owner):
    saved = record(customer, owner, left_sphere=None, left_pd=None, right_pd=None)
    assert saved.eye("left").compact == "L: —"


def test_plus_cylinder_is_stored_in_minus_notation(customer, owner):
    saved = record(customer, owner, right_sphere=D("0.75"), right_cylinder=D("0.5"), right_axis=180)
    saved.refresh_from_db()
    assert (saved.right_sphere, saved.right_cylinder, saved.right_axis) == (
        D("1.25"),
        D("-0.5"),
        90,
    )


def test_axis_zero_means_180(customer, owner):
    saved = record(customer, owner, right_axis=0)
    assert saved.right_axis == 180


def test_the_database_refuses_plus_cylinders_and_lone_axes(customer, owner):
    for values in ({"right_cylinder": D("0.5"), "right_axis": 90}, {"right_axis": 90}):
        with pytest.raises(IntegrityError), transaction.atomic():
            Refraction.objects.create(
                customer=customer,
                examiner=owner,
                date=datetime.date(2026, 1, 1),
                right_sphere=D("1"),
                **values,
            )


def test_dates_in_the_future_or_before_birth_are_refused(customer, owner):
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    assert errors_of(customer, owner, date=tomorrow)["date"] == [
        "Das Datum darf nicht in der Zukunft liegen."
    ]
    assert errors_of(customer, owner, date=datetime.date(1969, 12, 31))["date"] == [
        "Das Datum kann nicht vor dem Geburtsdatum liegen."
    ]


def test_unusual_pd_asks_first_and_saves_when_confirmed(customer, owner):
    values = refraction_data(owner, right_pd=D("40"), left_pd=D("40"))
    with pytest.raises(services.UnusualValues) as caught:
        services.refraction_record(customer_id=customer.pk, data=values, user=owner)
    assert caught.value.warnings == [
        "Beide PD zusammen sind 80,0 mm; üblich sind 50 bis 75 mm (Kinder ab etwa 42 mm)."
    ]
    assert not Refraction.objects.exists()
    services.refraction_record(
        customer_id=customer.pk, data=values, user=owner, confirm_unusual=True
    )
    assert Refraction.objects.count() == 1


def test_different_additions_ask_first(customer, owner):
    with pytest.raises(services.UnusualValues) as caught:
        record(customer, owner, right_addition=D("2"), left_addition=D("2.25"))
    assert caught.value.warnings == [
        "Die Addition ist an beiden Augen verschieden (R 2,00, L 2,25)."
    ]


def test_a_correction_is_a_new_version_and_keeps_the_old_one(customer, owner, staff):
    first = refraction(customer, owner)
    corrected = services.refraction_correct(
        refraction_id=first.pk, data=refraction_data(staff, right_sphere=D("1.5")), user=staff
    )
    first.refresh_from_db()
    assert corrected.replaces == first
    assert first.superseded_by == staff
    assert first.superseded_at is not None
    assert first.right_sphere == D("1.25")
    assert corrected.created_by == staff
    with pytest.raises(ValidationError) as caught:
        services.refraction_correct(refraction_id=first.pk, data=refraction_data(owner), user=owner)
    assert caught.value.code == "superseded"
    assert Refraction.objects.count() == 2


def test_an_invalid_correction_changes_nothing(customer, owner):
    first = refraction(customer, owner)
    with pytest.raises(ValidationError):
        services.refraction_correct(
            refraction_id=first.pk, data=refraction_data(owner, right_axis=None), user=owner
        )
    first.refresh_from_db()
    assert first.superseded_at is None
    assert Refraction.objects.count() == 1


def test_deleted_customers_get_no_new_records(customer, owner):
    first = refraction(customer, owner)
    customer_services.customer_soft_delete(customer_id=customer.pk)
    with pytest.raises(customer.DoesNotExist):
        refraction(customer, owner)
    with pytest.raises(customer.DoesNotExist):
        services.refraction_correct(refraction_id=first.pk, data=refraction_data(owner), user=owner)


def test_subjective_refraction_becomes_the_last_exam(customer, owner):
    refraction(customer, owner, kind=Refraction.Kind.OBJECTIVE, date=datetime.date(2026, 5, 1))
    customer.refresh_from_db()
    assert customer.last_exam_date is None
    refraction(customer, owner, date=datetime.date(2026, 3, 1))
    refraction(customer, owner, date=datetime.date(2025, 3, 1))
    customer.refresh_from_db()
    assert customer.last_exam_date == datetime.date(2026, 3, 1)
    assert customer.version == 2


def test_purging_a_customer_erases_the_health_data(customer, owner):
    refraction(customer, owner)
    fitting(customer, owner)
    customer_services.customer_soft_delete(customer_id=customer.pk)
    customer_services.customer_purge(customer_id=customer.pk)
    assert not Refraction.objects.exists()
    assert not ContactLensFitting.objects.exists()


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("right_base_curve", D("6.45"), "Erlaubt ist 6,5 bis 10 mm in Schritten von 0,05."),
        ("right_base_curve", D("8.62"), "Bitte den Wert in Schritten von 0,05 mm eingeben."),
        ("right_diameter", D("20.1"), "Erlaubt ist 8 bis 20 mm in Schritten von 0,1."),
        ("right_sphere", D("-2.1"), "Bitte den Wert in Schritten von 0,25 dpt eingeben."),
    ],
)
def test_fitting_ranges(customer, owner, field, value, message):
    with pytest.raises(ValidationError) as caught:
        fitting(customer, owner, **{field: value})
    assert caught.value.message_dict[field] == [message]


def test_toric_fitting_needs_an_axis_and_is_stored_in_minus_cylinder(customer, owner):
    with pytest.raises(ValidationError) as caught:
        fitting(customer, owner, right_cylinder=D("-0.75"))
    assert "right_axis" in caught.value.message_dict
    saved = fitting(customer, owner, right_cylinder=D("0.75"), right_axis=10)
    assert (saved.right_sphere, saved.right_cylinder, saved.right_axis) == (
        D("-1.5"),
        D("-0.75"),
        100,
    )


def test_fitting_with_different_schedules_asks_first(customer, owner):
    with pytest.raises(services.UnusualValues):
        fitting(customer, owner, left_replacement="daily")


def test_fitting_correction(customer, owner):
    first = fitting(customer, owner)
    data = {"date": first.date, "examiner": owner, "right_sphere": D("-2"), "left_sphere": D("-2")}
    new = services.fitting_correct(fitting_id=first.pk, data=data, user=owner)
    first.refresh_from_db()
    assert first.is_superseded and new.replaces == first


def test_a_lens_named_in_a_fitting_is_deactivated_not_deleted(customer, owner):
    from products import services as product_services
    from products.models import Category, Product
    from products.tests.factories import product

    lens = product(category=Category.CONTACT_LENS, name="Biofinity")
    fitting(customer, owner, right_product=lens)
    assert product_services.product_delete(product_id=lens.pk) is False
    assert Product.objects.get(pk=lens.pk).active is False


def test_purging_erases_corrected_histories_too(customer, owner):
    first = refraction(customer, owner)
    services.refraction_correct(refraction_id=first.pk, data=refraction_data(owner), user=owner)
    first_fit = fitting(customer, owner)
    services.fitting_correct(
        fitting_id=first_fit.pk,
        data={"date": first_fit.date, "examiner": owner, "right_sphere": D("-2")},
        user=owner,
    )
    customer_services.customer_soft_delete(customer_id=customer.pk)
    customer_services.customer_purge(customer_id=customer.pk)
    assert not Refraction.objects.exists()
    assert not ContactLensFitting.objects.exists()
