"""Spectacle lenses: their attributes (design, index, coatings, tint) and
their price list by power (LensPrice), through the model, the selector, the
admin, the product form and page, and the demo catalogue."""

import json
from decimal import Decimal

import pghistory
import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation
from django.utils.text import capfirst
from django.utils.translation import gettext

from opticrm.tests.test_conflict_merge import form_of, post
from products import selectors, services
from products.demo import LENS_ATTRIBUTES, LENS_PRICES, seed_demo_products
from products.models import Category, Coating, LensPrice, Product, SpectacleDesign, Tint
from products.tests.factories import product

pytestmark = pytest.mark.django_db

D = Decimal
HTMX = {"HTTP_HX_REQUEST": "true"}
CREATE = reverse("products:create")


def de(text: str) -> str:
    with translation.override("de"):
        return gettext(text)


def spectacle_lens(**fields) -> Product:
    values = {
        "category": Category.SPECTACLE_LENS,
        "name": "Hoyalux Summit Pro 1.5",
        "brand": "Hoya",
        "model": "Hoyalux Summit Pro",
        "spectacle_design": SpectacleDesign.PROGRESSIVE,
        "lens_index": D("1.50"),
        "coatings": [Coating.SUPER_AR, Coating.HARD],
        "purchase_price": D("61.00"),
        "sale_price": D("199.00"),
        "minimum_stock": 0,
    }
    values.update(fields)
    return product(**values)


def price(lens: Product, low: str, high: str, cylinder: str, sale: str, **extra) -> LensPrice:
    data = {
        "sphere_from": D(low),
        "sphere_to": D(high),
        "cylinder_to": D(cylinder),
        "sale_price": D(sale),
        **extra,
    }
    return services.lens_price_create(product_id=lens.pk, data=data)


@pytest.fixture
def lens() -> Product:
    """A progressive lens with a standard range and a dearer wider one."""
    item = spectacle_lens()
    price(item, "-6", "6", "2", "189")
    price(item, "-10", "8", "4", "249")
    return item


# --- The model: constraints and rules ----------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "constraint"),
    [
        ({"sphere_from": D("2"), "sphere_to": D("-2")}, "lensprice_sphere_range_valid"),
        ({"sphere_from": D("-30.25")}, "lensprice_sphere_range_valid"),
        ({"sphere_to": D("30.25")}, "lensprice_sphere_range_valid"),
        ({"cylinder_to": D("-1")}, "lensprice_cylinder_valid"),
        ({"cylinder_to": D("10.25")}, "lensprice_cylinder_valid"),
        ({"sale_price": D("-1")}, "lensprice_prices_not_negative"),
        ({"purchase_price": D("-1")}, "lensprice_prices_not_negative"),
    ],
)
def test_the_database_refuses_impossible_rows(fields, constraint):
    lens = spectacle_lens()
    values = {"sphere_from": D("-6"), "sphere_to": D("6"), "sale_price": D("189"), **fields}
    with pytest.raises(IntegrityError, match=constraint), transaction.atomic():
        LensPrice.objects.create(product=lens, **values)


def test_the_same_range_twice_is_refused_in_german(lens):
    with pytest.raises(IntegrityError), transaction.atomic():
        LensPrice.objects.create(
            product=lens, sphere_from=D("-6"), sphere_to=D("6"), cylinder_to=D("2"), sale_price=1
        )
    with pytest.raises(ValidationError) as raised:
        price(lens, "-6", "6", "2", "199")
    assert raised.value.messages == [de("This lens already has a price for this power range.")]


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        (
            {"sphere_from": D("2"), "sphere_to": D("-2")},
            "sphere_to",
            "The sphere range must lie between −30 and +30 dpt and must not end "
            "below where it starts.",
        ),
        ({"sphere_from": D("-32")}, "sphere_from", None),
        ({"sphere_to": D("6.1")}, "sphere_to", None),  # not a quarter dioptre
        ({"cylinder_to": D("12")}, "cylinder_to", None),
        ({"cylinder_to": D("-2")}, "cylinder_to", None),
        ({"sale_price": D("-1")}, "sale_price", None),
    ],
)
def test_a_wrong_row_is_refused_at_its_field(fields, field, message):
    lens = spectacle_lens()
    data = {"sphere_from": D("-6"), "sphere_to": D("6"), "sale_price": D("189"), **fields}
    with pytest.raises(ValidationError) as raised:
        services.lens_price_create(product_id=lens.pk, data=data)
    assert field in raised.value.message_dict, raised.value.message_dict
    if message:
        assert de(message) in raised.value.message_dict[field]
    assert not LensPrice.objects.exists()


def test_the_cylinder_limit_names_its_range_in_german():
    lens = spectacle_lens()
    data = {"sphere_from": D("-6"), "sphere_to": D("6"), "cylinder_to": D("11"), "sale_price": 1}
    with pytest.raises(ValidationError) as raised:
        services.lens_price_create(product_id=lens.pk, data=data)
    assert raised.value.message_dict["cylinder_to"] == [
        "Erlaubt ist 0 bis 10 dpt in Schritten von 0,25."
    ]


def test_only_a_spectacle_lens_has_prices_by_power():
    frame = product(category=Category.FRAME)
    data = {"sphere_from": D("-6"), "sphere_to": D("6"), "sale_price": D("189")}
    with pytest.raises(ValidationError) as raised:
        services.lens_price_create(product_id=frame.pk, data=data)
    assert raised.value.message_dict["product"] == [
        de("Prices by power only belong to spectacle lenses.")
    ]


def test_a_row_is_written_as_the_price_list_writes_it(lens):
    row = lens.lens_prices.get(sale_price=D("189"))
    assert (row.sphere_range, row.cylinder_limit) == ("−6,00 … +6,00", "−2,00")
    assert row.purchase_price is None and row.cylinder_to == D("2")
    assert str(row).endswith("sph −6,00 … +6,00, cyl −2,00")


def test_the_prices_go_with_their_lens(lens):
    assert services.product_delete(product_id=lens.pk)
    assert not LensPrice.objects.exists()


def test_a_spectacle_lens_keeps_its_attributes():
    lens = spectacle_lens(tint=Tint.PHOTOCHROMIC, lens_index=D("1.67"))
    lens.refresh_from_db()
    assert (lens.spectacle_design, lens.lens_index, lens.tint) == (
        "progressive",
        D("1.67"),
        "photochromic",
    )
    assert lens.coatings == ["super_ar", "hard"]
    assert lens.get_coatings_display() == f"{de('Super anti-reflective')}, {de('Hard coat')}"
    assert lens.get_lens_index_display() == "1,67"


def test_coatings_only_belong_to_spectacle_lenses():
    with pytest.raises(ValidationError) as raised:
        product(category=Category.FRAME, coatings=[Coating.SUPER_AR])
    assert raised.value.message_dict["coatings"] == [
        de("Coatings only belong to spectacle lenses.")
    ]


@pytest.mark.parametrize(
    "fields",
    [
        {"spectacle_design": SpectacleDesign.SINGLE_VISION},
        {"lens_index": D("1.60")},
        {"tint": Tint.TINTED},
    ],
)
def test_design_index_and_tint_only_belong_to_spectacle_lenses(fields):
    with pytest.raises(ValidationError) as raised:
        product(category=Category.CONTACT_LENS, **fields)
    (field,) = fields
    assert raised.value.message_dict[field] == [
        de("Design, index and tint only belong to spectacle lenses.")
    ]


def test_a_lens_with_prices_keeps_its_category(lens):
    accessory = {
        "category": Category.ACCESSORY,
        "spectacle_design": "",
        "lens_index": None,
        "coatings": [],
    }
    with pytest.raises(ValidationError) as raised:
        services.product_update(product_id=lens.pk, data=accessory)
    assert raised.value.message_dict == {
        "category": [
            de(
                "This spectacle lens has prices by power; please delete them "
                "before changing its category."
            )
        ]
    }
    # Without prices it may become something else.
    lens.lens_prices.all().delete()
    assert services.product_update(product_id=lens.pk, data=accessory).category == "accessory"


def test_saving_another_product_does_not_ask_for_lens_prices():
    frame = product(category=Category.FRAME)
    with CaptureQueriesContext(connection) as captured:
        services.product_update(product_id=frame.pk, data={"name": "Titan"})
    assert not [q for q in captured.captured_queries if "products_lensprice" in q["sql"]]


def test_lens_prices_have_a_history(lens, staff):
    row = lens.lens_prices.first()
    with pghistory.context(user=staff.pk):
        services.lens_price_update(lens_price_id=row.pk, data={"sale_price": D("199")})
    assert row.events.count() == 2  # created, changed


# --- The selector: the price of one lens ---------------------------------------------------------


@pytest.mark.parametrize(
    ("sphere", "cylinder", "expected"),
    [
        # The standard range, borders included.
        ("-6", "-2", "189"),
        ("6", "0", "189"),
        ("0", "-2", "189"),
        ("2.25", "2", "189"),  # plus notation counts by its amount
        (None, None, "189"),  # plano
        # Just beyond it: the wider range.
        ("-6.25", "0", "249"),
        ("6.25", "-0.25", "249"),
        ("0", "-2.25", "249"),
        ("-10", "-4", "249"),
        ("8", "-4", "249"),
        # No range covers it: the product's sale price.
        ("-10.25", "0", "199"),
        ("8.25", "0", "199"),
        ("0", "-4.25", "199"),
    ],
)
def test_the_narrowest_range_covering_the_power_prices_the_lens(lens, sphere, cylinder, expected):
    value = selectors.lens_price(
        lens,
        sphere=None if sphere is None else D(sphere),
        cylinder=None if cylinder is None else D(cylinder),
    )
    assert value == D(expected)


def test_a_lens_without_a_price_list_costs_its_sale_price():
    lens = spectacle_lens(sale_price=D("129.00"))
    assert selectors.lens_price(lens, sphere=D("-3"), cylinder=D("-1")) == D("129.00")


def test_a_narrower_range_wins_even_when_dearer():
    lens = spectacle_lens()
    price(lens, "-10", "8", "4", "249")
    price(lens, "-2", "2", "4", "279")
    price(lens, "-2", "2", "0.5", "269")
    assert selectors.lens_price(lens, sphere=D("1"), cylinder=D("-0.5")) == D("269")
    assert selectors.lens_price(lens, sphere=D("1"), cylinder=D("-0.75")) == D("279")
    assert selectors.lens_price(lens, sphere=D("3"), cylinder=D("-0.5")) == D("249")


def test_the_price_is_one_query(lens, django_assert_num_queries):
    with django_assert_num_queries(1):
        selectors.lens_price(lens, sphere=D("-1"), cylinder=D("-0.5"))


def test_the_catalogue_offers_active_spectacle_lenses_by_brand_line_and_name():
    b = spectacle_lens(brand="Zeiss", model="SmartLife", name="SmartLife 1.6")
    a = spectacle_lens(brand="Hoya", model="Nulux", name="Nulux 1.67")
    c = spectacle_lens(brand="Zeiss", model="SmartLife", name="SmartLife 1.67")
    spectacle_lens(brand="Hoya", name="Alt", active=False)
    product(category=Category.FRAME, brand="Hoya")
    assert list(selectors.lens_catalogue()) == [a, b, c]


# --- The admin --------------------------------------------------------------------------------


def change_url(item: Product) -> str:
    return reverse("admin:products_product_change", args=[item.pk])


def admin_data(client, item: Product) -> dict:
    """The admin's change form as loaded, ready to post back, with its inlines."""
    response = client.get(change_url(item))
    data = {}
    for name, values in form_of(response).items():
        data[name] = values if len(values) > 1 else values[0]
    return data


def test_the_admin_shows_the_price_list_of_a_spectacle_lens(owner_client, lens):
    body = owner_client.get(change_url(lens)).content.decode()
    assert 'id="lens_prices-group"' in body
    assert 'name="lens_prices-0-sphere_from"' in body and 'value="-6.00"' in body
    assert capfirst(de("lens prices")) in body  # the inline's heading
    assert de("Spectacle lens") in body  # the fieldset "Brillenglas"
    assert 'name="coatings"' in body and 'type="checkbox"' in body
    frame = product(category=Category.FRAME)
    assert 'id="lens_prices-group"' not in owner_client.get(change_url(frame)).content.decode()


def test_the_admin_saves_attributes_and_prices_through_the_services(owner_client, lens):
    data = admin_data(owner_client, lens)
    assert data["lens_prices-TOTAL_FORMS"] == "3"  # two rows and an empty one
    assert (data["lens_prices-0-sphere_from"], data["lens_prices-1-sphere_from"]) == (
        "-10.00",
        "-6.00",
    )
    data.update(
        {
            "coatings": ["super_ar", "hard", "blue_filter"],
            "tint": "tinted",
            "lens_prices-2-sphere_from": "-4",
            "lens_prices-2-sphere_to": "4",
            "lens_prices-2-cylinder_to": "1",
            "lens_prices-2-sale_price": "169",
            "lens_prices-1-sale_price": "259",
            "lens_prices-0-DELETE": "on",
        }
    )
    response = owner_client.post(change_url(lens), data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    lens.refresh_from_db()
    assert lens.coatings == ["super_ar", "hard", "blue_filter"] and lens.tint == "tinted"
    rows = list(lens.lens_prices.values_list("sphere_from", "sphere_to", "sale_price"))
    assert rows == [(D("-6"), D("6"), D("259")), (D("-4"), D("4"), D("169"))]


def test_the_admin_refuses_a_wrong_row_at_its_field(owner_client, lens):
    data = admin_data(owner_client, lens)
    data.update({"lens_prices-0-sphere_from": "8", "lens_prices-0-sphere_to": "-8"})
    response = owner_client.post(change_url(lens), data)
    assert response.status_code == 200
    formset = response.context["inline_admin_formsets"][0].formset
    assert formset.forms[0].errors["sphere_to"]
    assert lens.lens_prices.count() == 2


def test_a_new_product_in_the_admin_has_the_fieldsets_but_no_price_list_yet(owner_client):
    body = owner_client.get(reverse("admin:products_product_add")).content.decode()
    assert de("Spectacle lens") in body and 'name="spectacle_design"' in body
    assert 'name="version"' in body
    assert 'id="lens_prices-group"' not in body


def test_the_price_list_admin_lists_and_adds_rows(owner_client, lens):
    body = owner_client.get(reverse("admin:products_lensprice_changelist")).content.decode()
    assert body.count("Hoyalux Summit Pro 1.5") >= 2
    add = reverse("admin:products_lensprice_add")
    assert owner_client.get(add).status_code == 200
    data = {"product": lens.pk, "sphere_from": "-2", "sphere_to": "2", "cylinder_to": "0"}
    response = owner_client.post(add, {**data, "sale_price": "179"})
    assert response.status_code == 302
    assert selectors.lens_price(lens, sphere=D("1"), cylinder=None) == D("179")
    frame = product(category=Category.FRAME)
    response = owner_client.post(add, {**data, "product": frame.pk, "sale_price": "179"})
    assert response.status_code == 200 and not frame.lens_prices.exists()


# --- The product form and page ------------------------------------------------------------------


def lens_form(**overrides) -> dict:
    data = {
        "category": "spectacle_lens",
        "article_number": "G-1",
        "ean": "",
        "name": "Nulux 1.6 Hi-Vision LongLife",
        "brand": "Hoya",
        "model": "Nulux",
        "colour": "",
        "supplier": "",
        "spectacle_design": "single_vision",
        "lens_index": "1.60",
        "coatings": ["super_ar", "hard"],
        "tint": "",
        "purchase_price": "44,00",
        "sale_price": "149,00",
        "vat_rate": "19",
        "minimum_stock": "2",
        "active": "on",
    }
    data.update(overrides)
    return data


def test_the_form_offers_the_spectacle_lens_fields(staff_client):
    body = staff_client.get(CREATE, **HTMX).content.decode()
    assert "data-spectacle-lens-only" in body
    for name in ("spectacle_design", "lens_index", "tint"):
        assert f'name="{name}"' in body
    assert body.count('type="checkbox" name="coatings"') == len(Coating.values)
    assert '<option value="1.60">1,60</option>' in body


def test_a_spectacle_lens_is_saved_with_its_attributes_and_shown_again(staff_client):
    response = staff_client.post(CREATE, lens_form(), **HTMX)
    assert "productSaved" in json.loads(response["HX-Trigger"])
    lens = Product.objects.get()
    assert (lens.spectacle_design, lens.lens_index, lens.coatings, lens.tint) == (
        "single_vision",
        D("1.60"),
        ["super_ar", "hard"],
        "",
    )
    edit = form_of(staff_client.get(reverse("products:update", args=[lens.pk]), **HTMX))
    assert edit["coatings"] == ["super_ar", "hard"]
    assert edit["lens_index"] == ["1.60"] and edit["spectacle_design"] == ["single_vision"]
    assert edit["initial-coatings"] == ["super_ar", "hard"]  # the loaded value, for conflicts


def test_coatings_are_cleared_by_unticking_them(staff_client):
    lens = spectacle_lens()
    url = reverse("products:update", args=[lens.pk])
    loaded = form_of(staff_client.get(url, **HTMX))
    loaded.pop("coatings")
    response = post(staff_client, url, loaded)
    assert "HX-Trigger" in response, response.context["form"].errors
    lens.refresh_from_db()
    assert lens.coatings == []


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"category": "frame", "spectacle_design": "", "lens_index": "", "tint": ""}, "coatings"),
        ({"category": "accessory", "coatings": []}, "spectacle_design"),
        ({"lens_index": "1.55"}, "lens_index"),
        ({"coatings": ["gold"]}, "coatings"),
        ({"tint": "pink"}, "tint"),
    ],
)
def test_wrong_attributes_are_refused_at_their_field(staff_client, overrides, field):
    response = staff_client.post(CREATE, lens_form(**overrides), **HTMX)
    assert "HX-Trigger" not in response
    form = response.context["form"]
    assert field in form.errors, form.errors
    assert not Product.objects.exists()


def test_attributes_of_another_category_are_shown_to_be_cleared(staff_client):
    data = lens_form(category="accessory")
    response = staff_client.post(CREATE, data, **HTMX)
    assert response.context["form"].spectacle_lens_refused
    assert "spectacle-lens-fields field-wide is-refused" in response.content.decode()


def test_a_conflict_on_the_coatings_names_the_saved_ones(staff_client, staff):
    lens = spectacle_lens()
    url = reverse("products:update", args=[lens.pk])
    loaded = form_of(staff_client.get(url, **HTMX))
    services.product_update(product_id=lens.pk, data={"coatings": [Coating.CLEAN]})
    mine = {**loaded, "coatings": ["super_ar", "hard", "blue_filter"]}
    conflict = post(staff_client, url, mine)
    assert conflict.context["form"].conflict_display == {"coatings": de("Clean coat")}
    merged = form_of(conflict)
    assert merged["coatings"] == ["super_ar", "hard", "blue_filter"]  # the user's choice stays
    post(staff_client, url, merged)
    lens.refresh_from_db()
    assert lens.coatings == ["super_ar", "hard", "blue_filter"]


def test_the_page_shows_the_attributes_and_the_prices_by_power(staff_client, lens):
    body = staff_client.get(reverse("products:detail", args=[lens.pk])).content.decode()
    assert de("Prices by power") in body
    assert de("Progressive") in body and "1,50" in body
    assert f"{de('Super anti-reflective')}, {de('Hard coat')}" in body
    assert "−6,00 … +6,00" in body and "−10,00 … +8,00" in body
    assert "−2,00" in body and "−4,00" in body
    assert "189,00&nbsp;€" in body and "249,00&nbsp;€" in body
    # Refreshed after an edit (the htmx partial) with the prices too.
    partial = staff_client.get(reverse("products:detail", args=[lens.pk]), **HTMX)
    assert "−10,00 … +8,00" in partial.content.decode()


def test_a_page_without_prices_by_power_shows_no_table(staff_client):
    lens = spectacle_lens()
    frame = product(category=Category.FRAME)
    for item in (lens, frame):
        body = staff_client.get(reverse("products:detail", args=[item.pk])).content.decode()
        assert de("Prices by power") not in body
    assert (
        de("Refractive index")
        not in staff_client.get(reverse("products:detail", args=[frame.pk])).content.decode()
    )


def test_the_page_reads_the_prices_in_one_query(staff_client):
    def queries(item: Product) -> int:
        url = reverse("products:detail", args=[item.pk])
        staff_client.get(url)
        with CaptureQueriesContext(connection) as captured:
            assert staff_client.get(url).status_code == 200
        return len(captured)

    few, many = spectacle_lens(article_number="G-FEW"), spectacle_lens(article_number="G-MANY")
    price(few, "-6", "6", "2", "189")
    for step in range(12):
        price(many, str(-6 - step), str(6 + step / 2), "2", str(189 + step))
    assert queries(few) == queries(many)


def test_the_product_list_does_not_read_the_prices(staff_client, lens):
    with CaptureQueriesContext(connection) as captured:
        body = staff_client.get(reverse("products:list")).content.decode()
    assert "Hoyalux Summit Pro 1.5" in body
    assert not [q for q in captured.captured_queries if "products_lensprice" in q["sql"]]


# --- The demo catalogue ------------------------------------------------------------------------


def test_the_demo_lenses_have_attributes_and_price_lists():
    seed_demo_products()
    lenses = Product.objects.filter(category=Category.SPECTACLE_LENS)
    assert {"Zeiss", "Rodenstock", "Hoya"} <= set(lenses.values_list("brand", flat=True))
    assert set(lenses.values_list("article_number", flat=True)) == set(LENS_ATTRIBUTES)
    for lens in lenses:
        lens.full_clean()
        assert lens.spectacle_design and lens.lens_index and "super_ar" in lens.coatings
        for row in lens.lens_prices.all():
            row.full_clean()
    assert {lens.lens_index for lens in lenses} >= {D("1.50"), D("1.60"), D("1.67")}
    assert LensPrice.objects.count() == sum(len(rows) for rows in LENS_PRICES.values())
    summit = lenses.get(article_number="G-2014")
    assert selectors.lens_price(summit, sphere=D("-5.5"), cylinder=D("-1.75")) == D("189")
    assert selectors.lens_price(summit, sphere=D("-9"), cylinder=D("-3")) == D("249")


def test_seeding_again_adds_no_prices_and_completes_older_demo_lenses():
    seed_demo_products()
    count = LensPrice.objects.count()
    # A lens seeded before it had attributes and prices, one priced by hand.
    older = Product.objects.get(article_number="G-2011")
    services.product_update(
        product_id=older.pk,
        data={"spectacle_design": "", "lens_index": None, "coatings": [], "tint": ""},
    )
    older.lens_prices.all().delete()
    by_hand = Product.objects.get(article_number="G-2014")
    by_hand.lens_prices.all().delete()
    price(by_hand, "-4", "4", "2", "179")
    assert seed_demo_products() == 0
    older.refresh_from_db()
    assert older.spectacle_design == "single_vision" and older.coatings == ["super_ar", "hard"]
    assert older.lens_prices.count() == len(LENS_PRICES["G-2011"])
    assert list(by_hand.lens_prices.values_list("sale_price", flat=True)) == [D("179")]
    assert LensPrice.objects.count() == count - len(LENS_PRICES["G-2014"]) + 1
