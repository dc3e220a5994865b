"""The refraction and fitting screens through Django's test client: full pages,
htmx partials, permissions, and constant queries on the customer page."""

import datetime
from decimal import Decimal

import pghistory
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from customers.tests import factories as customer_factories
from prescriptions.models import ContactLensFitting, Refraction
from prescriptions.tests.factories import fitting, refraction
from products.models import Category
from products.tests.factories import product as make_product

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}
D = Decimal


@pytest.fixture
def customer():
    return customer_factories.customer(
        first_name="Jürgen", last_name="Weiß", date_of_birth=datetime.date(1962, 4, 3)
    )


def form_data(optician, **values) -> dict:
    data = {
        "date": "12.03.2026",
        "kind": "subjective",
        "examiner": str(optician.pk),
        "prescriber": "",
        "right_sphere": "+1,25",
        "right_cylinder": "-0,50",
        "right_axis": "90",
        "right_addition": "2,00",
        "left_sphere": "1.00",
        "left_cylinder": "",
        "left_axis": "",
        "left_addition": "2",
        "right_pd": "31,5",
        "left_pd": "32",
        "vertex_distance": "12",
        "binocular_notes": "",
        "remarks": "",
    }
    data.update(values)
    return data


def new_url(customer) -> str:
    return f"/prescriptions/customers/{customer.pk}/refractions/new/"


def test_modal_opens_as_partial_and_as_page(optician_client, customer):
    partial = optician_client.get(new_url(customer), **HTMX)
    assert partial.status_code == 200
    body = partial.content.decode()
    assert "<html" not in body
    assert "Neue Refraktion" in body
    assert 'aria-label="R Sph"' in body and 'aria-label="L PD"' in body
    # Take-over only when there is something to take over.
    assert "Werte von letzter Refraktion übernehmen" not in body
    page = optician_client.get(new_url(customer))
    assert "<html" in page.content.decode()


def test_saving_with_decimal_commas_and_signs(optician_client, optician, customer):
    response = optician_client.post(new_url(customer), form_data(optician), **HTMX)
    assert response.status_code == 200
    assert "closeModal" in response["HX-Trigger"] and "refractionSaved" in response["HX-Trigger"]
    saved = Refraction.objects.get()
    assert (saved.right_sphere, saved.right_cylinder, saved.right_axis) == (
        D("1.25"),
        D("-0.5"),
        90,
    )
    assert (saved.left_sphere, saved.left_addition, saved.right_pd) == (D("1"), D("2"), D("31.5"))
    assert saved.examiner == optician and saved.created_by == optician
    assert "Refraktion gespeichert." in response.content.decode()


def test_without_htmx_a_save_redirects_to_the_customer(optician_client, optician, customer):
    response = optician_client.post(new_url(customer), form_data(optician))
    assert response.status_code == 302
    assert response["Location"] == f"/customers/{customer.pk}/"


def test_plus_cylinder_input_is_saved_transposed(optician_client, optician, customer):
    data = form_data(optician, right_sphere="+0,75", right_cylinder="+0,50", right_axis="180")
    optician_client.post(new_url(customer), data, **HTMX)
    saved = Refraction.objects.get()
    assert saved.eye("right").power == "Sph +1,25 Zyl −0,50 A 90° Add 2,00"


@pytest.mark.parametrize(
    ("values", "field", "message"),
    [
        ({"right_axis": ""}, "right_axis", "Bitte die Achse des Zylinders angeben."),
        ({"right_sphere": "abc"}, "right_sphere", "Bitte eine Zahl wie −1,25 eingeben."),
        (
            {"right_sphere": "1,3"},
            "right_sphere",
            "Bitte den Wert in Schritten von 0,25 dpt eingeben.",
        ),
        ({"right_axis": "90.5"}, "right_axis", "Die Achse ist eine ganze Gradzahl von 0 bis 180."),
        ({"right_pd": "3x"}, "right_pd", "Bitte eine Zahl wie 31,5 eingeben."),
        ({"date": "31.02.2026"}, "date", "Bitte ein gültiges Datum eingeben."),
    ],
)
def test_bad_input_is_shown_in_german_and_nothing_is_saved(
    optician_client, optician, customer, values, field, message
):
    response = optician_client.post(new_url(customer), form_data(optician, **values), **HTMX)
    assert response.status_code == 200
    assert "HX-Trigger" not in response
    form = response.context["form"]
    assert message in form.errors[field]
    body = response.content.decode()
    assert message in body
    assert 'aria-invalid="true"' in body
    assert not Refraction.objects.exists()


def test_unreadable_cylinder_does_not_also_complain_about_the_axis(
    optician_client, optician, customer
):
    response = optician_client.post(
        new_url(customer), form_data(optician, right_cylinder="x"), **HTMX
    )
    form = response.context["form"]
    assert "right_cylinder" in form.errors
    assert "right_axis" not in form.errors


def test_unusual_values_ask_for_confirmation(optician_client, optician, customer):
    data = form_data(optician, right_pd="38", left_pd="38")
    body = optician_client.post(new_url(customer), data, **HTMX).content.decode()
    assert "Beide PD zusammen sind 76,0 mm" in body
    assert 'name="confirm_unusual"' in body
    assert not Refraction.objects.exists()
    optician_client.post(new_url(customer), {**data, "confirm_unusual": "on"}, **HTMX)
    assert Refraction.objects.count() == 1


def test_transpose_rewrites_the_input_without_saving(optician_client, optician, customer):
    data = form_data(optician, right_sphere="+1,25", right_cylinder="-0,50", right_axis="90")
    response = optician_client.post(new_url(customer), {**data, "action": "transpose"}, **HTMX)
    body = response.content.decode()
    assert 'name="right_sphere" value="+0,75"' in body
    assert 'name="right_cylinder" value="+0,50"' in body
    assert 'name="right_axis" value="180"' in body
    # The other eye has no cylinder and stays as typed.
    assert 'name="left_sphere" value="+1,00"' in body
    assert "errorlist" not in body and not Refraction.objects.exists()


def test_spherical_equivalents_while_typing(optician_client):
    response = optician_client.post(
        "/prescriptions/refractions/equivalents/",
        {"right_sphere": "+1,25", "right_cylinder": "-0,50", "left_sphere": "x"},
        **HTMX,
    )
    body = response.content.decode()
    assert '<output id="se-right" aria-live="polite" hx-swap-oob="true">+1,00</output>' in body
    assert '<output id="se-left" aria-live="polite" hx-swap-oob="true">—</output>' in body


def test_take_values_from_last_refraction(optician_client, optician, customer):
    refraction(customer, optician, right_sphere=D("-3.5"), right_cylinder=D("-1"), right_axis=15)
    body = optician_client.get(new_url(customer), **HTMX).content.decode()
    assert "Werte von letzter Refraktion übernehmen" in body
    copied = optician_client.get(
        new_url(customer) + "?copy=last&kind=objective&date=01.06.2026", **HTMX
    )
    form = copied.context["form"]
    assert form["right_sphere"].value() == "−3,50"
    assert form["kind"].value() == "objective"
    assert form["date"].value() == "01.06.2026"
    assert 'value="−3,50"' in copied.content.decode()


def test_correction_creates_a_new_version(optician_client, optician, customer):
    first = refraction(customer, optician)
    url = f"/prescriptions/refractions/{first.pk}/correct/"
    opened = optician_client.get(url, **HTMX).content.decode()
    assert "Refraktion korrigieren" in opened and 'value="+1,25"' in opened
    response = optician_client.post(url, form_data(optician, right_sphere="+1,50"), **HTMX)
    assert "refractionSaved" in response["HX-Trigger"]
    first.refresh_from_db()
    assert first.is_superseded and first.superseded_by == optician
    # A second correction of the old version is refused, nothing changes.
    again = optician_client.post(url, form_data(optician), **HTMX)
    assert "zwischenzeitlich von jemand anderem korrigiert" in again.content.decode()
    assert Refraction.objects.count() == 2


def test_customer_page_shows_latest_and_history_with_changes(optician_client, optician, customer):
    refraction(customer, optician, date=datetime.date(2024, 3, 1))
    latest = refraction(customer, optician, right_sphere=D("1.5"), date=datetime.date(2026, 3, 1))
    body = optician_client.get(f"/customers/{customer.pk}/").content.decode()
    assert "R: Sph +1,50 Zyl −0,50 A 90°" in body
    assert "L: Sph +1,00" in body
    assert 'class="num changed" title="vorher: +1,25"' in body
    assert f"/prescriptions/refractions/{latest.pk}/card/" in body
    assert "Neue Refraktion" in body and "Neue Kontaktlinsenanpassung" in body


def test_superseded_versions_stay_visible(optician_client, optician, customer):
    from prescriptions import services
    from prescriptions.tests.factories import refraction_data

    first = refraction(customer, optician)
    services.refraction_correct(
        refraction_id=first.pk, data=refraction_data(optician, right_sphere=D("2")), user=optician
    )
    body = optician_client.get(f"/customers/{customer.pk}/").content.decode()
    assert "history-record superseded" in body
    assert "ersetzt am" in body and "Otto Optiker" in body
    first.refresh_from_db()
    when = timezone.localtime(first.superseded_at)
    assert f"ersetzt am {when:%d.%m.%Y %H:%M} von Otto Optiker" in body
    assert "korrigierte Fassung" in body
    assert ">Brillenpass</a>" in body  # the current version's card, in the history


def test_front_desk_sees_no_prescriptions(staff_client, optician, customer):
    first = refraction(customer, optician)
    fit = fitting(customer, optician)
    body = staff_client.get(f"/customers/{customer.pk}/").content.decode()
    assert "Refraktion" not in body and "Kontaktlinsen" not in body
    assert "Sph" not in body
    for url in (
        new_url(customer),
        f"/prescriptions/refractions/{first.pk}/correct/",
        f"/prescriptions/customers/{customer.pk}/fittings/new/",
        f"/prescriptions/fittings/{fit.pk}/correct/",
    ):
        assert staff_client.get(url).status_code == 403
        assert staff_client.post(url, {}).status_code == 403
    assert staff_client.post("/prescriptions/refractions/equivalents/", {}).status_code == 403
    # Nor the recall filter, which would tell when eyes were measured.
    assert 'name="recall"' not in staff_client.get("/customers/").content.decode()


def test_login_required(client, customer):
    response = client.get(new_url(customer))
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_unknown_and_deleted_customers_are_404(optician_client, optician, customer):
    from customers import services as customer_services

    assert (
        optician_client.get("/prescriptions/customers/999999/refractions/new/").status_code == 404
    )
    first = refraction(customer, optician)
    customer_services.customer_soft_delete(customer_id=customer.pk)
    assert optician_client.get(new_url(customer)).status_code == 404
    assert optician_client.get(f"/prescriptions/refractions/{first.pk}/correct/").status_code == 404
    assert optician_client.post(new_url(customer), form_data(optician)).status_code == 404


def test_fitting_modal_saves_with_product(optician_client, optician, customer):
    lens = make_product(category=Category.CONTACT_LENS, name="Biofinity")
    url = f"/prescriptions/customers/{customer.pk}/fittings/new/"
    assert "Biofinity" in optician_client.get(url, **HTMX).content.decode()
    data = {
        "date": "02.04.2026",
        "examiner": str(optician.pk),
        "right_product": str(lens.pk),
        "right_base_curve": "8,6",
        "right_diameter": "14,2",
        "right_sphere": "-2,25",
        "right_replacement": "monthly",
        "left_product": str(lens.pk),
        "left_base_curve": "8.6",
        "left_diameter": "14.2",
        "left_sphere": "-2,50",
        "left_replacement": "monthly",
        "wearing_notes": "Verträgt die Linsen gut.",
    }
    response = optician_client.post(url, data, **HTMX)
    assert "fittingSaved" in response["HX-Trigger"]
    saved = ContactLensFitting.objects.get()
    assert (saved.right_product, saved.right_base_curve, saved.left_sphere) == (
        lens,
        D("8.6"),
        D("-2.5"),
    )
    body = optician_client.get(f"/customers/{customer.pk}/").content.decode()
    assert "Biofinity" in body and "8,60" in body and "Monatslinse" in body
    assert "R: Biofinity · BC 8,60 · DIA 14,2 · Sph −2,25 · Monatslinse" in body


def test_customer_page_queries_do_not_grow_with_records(optician_client, optician, customer):
    lens = make_product(category=Category.CONTACT_LENS, name="Biofinity")

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            response = optician_client.get(f"/customers/{customer.pk}/")
        assert response.status_code == 200
        return len(captured)

    # As in requests, every change is made under the user's history context.
    with pghistory.context(user=optician.pk):
        refraction(customer, optician, date=datetime.date(2020, 1, 1))
        fitting(customer, optician, right_product=lens)
    few = queries()
    with pghistory.context(user=optician.pk):
        for year in range(2021, 2027):
            refraction(
                customer, optician, date=datetime.date(year, 1, 1), right_sphere=D(year - 2020) / 4
            )
            refraction(customer, optician, kind="objective", date=datetime.date(year, 1, 2))
            fitting(customer, optician, right_product=lens, left_product=lens)
    assert queries() == few


def test_the_fittings_are_read_only_for_a_customer_who_has_some(
    optician_client, optician, customer
):
    def fitting_reads() -> tuple[list[str], str]:
        with CaptureQueriesContext(connection) as captured:
            body = optician_client.get(f"/customers/{customer.pk}/").content.decode()
        fittings = 'SELECT "prescriptions_contactlensfitting"'
        reads = [q["sql"] for q in captured if q["sql"].startswith(fittings)]
        return reads, body

    refraction(customer, optician)
    reads, body = fitting_reads()
    assert reads == []  # the customer's row said there are none
    assert "Noch keine Kontaktlinsenanpassung" in body
    fitting(customer, optician, right_product=make_product(category=Category.CONTACT_LENS))
    reads, body = fitting_reads()
    assert len(reads) == 1 and "Noch keine Kontaktlinsenanpassung" not in body


def test_recall_filter_lists_customers_whose_refraction_is_old(optician_client, optician):
    from django.utils import timezone

    from customers.validators import years_before

    today = timezone.localdate()
    old = customer_factories.customer(last_name="Altmann")
    recent = customer_factories.customer(last_name="Neumann")
    never = customer_factories.customer(last_name="Ohnemann")
    refraction(old, optician, date=years_before(today, 3))
    refraction(recent, optician, date=years_before(today, 3))
    refraction(recent, optician, date=today - datetime.timedelta(days=30))
    page = optician_client.get("/customers/")
    assert 'name="recall"' in page.content.decode()
    body = optician_client.get("/customers/?recall=on", **HTMX).content.decode()
    assert old.last_name in body
    assert recent.last_name not in body and never.last_name not in body


def test_fitting_starts_from_the_refraction_at_the_cornea(optician_client, optician, customer):
    refraction(
        customer,
        optician,
        right_sphere=D("-5"),
        right_cylinder=D("-1"),
        right_axis=180,
        left_sphere=D("-4"),
        vertex_distance=D("12"),
    )
    url = f"/prescriptions/customers/{customer.pk}/fittings/new/"
    assert "Stärken aus letzter Refraktion" in optician_client.get(url, **HTMX).content.decode()
    form = optician_client.get(url + "?copy=refraction&date=01.06.2026", **HTMX).context["form"]
    values = {name: form[name].value() for name in ("right_sphere", "right_cylinder", "right_axis")}
    assert values == {"right_sphere": "−4,75", "right_cylinder": "−0,75", "right_axis": 180}
    assert form["left_sphere"].value() == "−3,75"
    assert form["date"].value() == "01.06.2026"


def test_fitting_without_refraction_permission_cannot_copy_it(client, optician, customer):
    from django.contrib.auth.models import Permission

    from opticrm.lib.roles import staff_group

    fitter = type(optician).objects.create_user(username="kl-only")
    fitter.groups.add(staff_group())
    fitter.user_permissions.add(
        *Permission.objects.filter(
            codename__in=["add_contactlensfitting", "view_contactlensfitting"]
        )
    )
    refraction(customer, optician, right_sphere=D("-5"))
    client.force_login(fitter)
    url = f"/prescriptions/customers/{customer.pk}/fittings/new/"
    body = client.get(url, **HTMX).content.decode()
    assert "Stärken aus letzter Refraktion" not in body
    form = client.get(url + "?copy=refraction", **HTMX).context["form"]
    assert form["right_sphere"].value() in (None, "")


NASTY = [
    "1e999999",
    "-1E-999999",
    "NaN",
    "Infinity",
    "²",
    "٣",
    "90°°",
    "1,2,3",
    "+-1",
    " ",
    "9" * 40,
    "\x00",
]


@pytest.mark.parametrize("value", NASTY)
def test_no_input_makes_a_500(optician_client, optician, customer, value):
    """Whatever lands in any field: a German message, never a server error."""
    fields = [name for name in form_data(optician) if name.startswith(("right_", "left_"))]
    fields += ["date", "examiner", "kind", "vertex_distance", "right_prism_horizontal_base"]
    data = form_data(optician, **dict.fromkeys(fields, value))
    for extra in ({}, {"action": "transpose"}):
        response = optician_client.post(new_url(customer), {**data, **extra}, **HTMX)
        assert response.status_code == 200
    equivalents = optician_client.post("/prescriptions/refractions/equivalents/", data, **HTMX)
    assert equivalents.status_code == 200
    fitting_url = f"/prescriptions/customers/{customer.pk}/fittings/new/"
    fitting_fields = ["right_product", "right_base_curve", "right_diameter", "right_replacement"]
    response = optician_client.post(
        fitting_url, {**data, **dict.fromkeys(fitting_fields, value)}, **HTMX
    )
    assert response.status_code == 200
    assert not Refraction.objects.exists() and not ContactLensFitting.objects.exists()
    copied = optician_client.get(
        new_url(customer), {"copy": value, "date": value, "examiner": value}, **HTMX
    )
    # A NUL in a query string is refused before any view (NullCharacterMiddleware).
    assert copied.status_code == (400 if "\x00" in value else 200)


def test_a_plus_cylinder_next_to_other_mistakes_gets_readable_messages(optician_client, optician):
    """As an optician typed it: Sph +1,30 (not a quarter step), a plus
    cylinder (valid, converted) and axis 190. Each field says what is wrong,
    in German; no database rule's name shows."""
    customer = customer_factories.customer()
    response = optician_client.post(
        new_url(customer),
        form_data(optician, right_sphere="+1,30", right_cylinder="+0,50", right_axis="190"),
        **HTMX,
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "refraction_" not in body and "Bedingung" not in body
    assert "Schritten von 0,25" in body
    assert not Refraction.objects.exists()
