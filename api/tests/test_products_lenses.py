"""/api/v1/products and spectacle lenses: design, index, coatings and tint
read and written with the product's own rules, and the price list by power
on the detail, read-only."""

import json
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation
from django.utils.translation import gettext

from api import services as api_services
from opticrm.lib.pagination import forget_estimates
from products import services
from products.models import Category, Coating, Product, SpectacleDesign, Tint
from products.tests.factories import product

pytestmark = pytest.mark.django_db
URL = "/api/v1/products"
D = Decimal


def de(text: str) -> str:
    with translation.override("de"):
        return gettext(text)


@pytest.fixture
def auth() -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {api_services.api_key_create(name='Labor')[1]}"}


@pytest.fixture(autouse=True)
def still_clock(monkeypatch):
    """One rate-limit window per test (its first request also clears the last)."""
    monkeypatch.setattr("opticrm.lib.ratelimit.clock", lambda: 1_800_000_030.0)
    # And one verification of the key: on a busy machine two requests could
    # lie either side of its API_KEY_CACHE_SECONDS, one query more.
    monkeypatch.setattr("api.services.clock", lambda: 1_000.0)


def send(client, auth, url, body, method="post", **headers):
    return getattr(client, method)(
        url, data=json.dumps(body), content_type="application/json", **headers, **auth
    )


def lens_body(**values) -> dict:
    body = {
        "category": "spectacle_lens",
        "article_number": "HOYA-ID-16",
        "name": "Hoyalux iD MyStyle 1.6",
        "brand": "Hoya",
        "purchase_price": "61.00",
        "sale_price": "199.00",
        "spectacle_design": "progressive",
        "lens_index": "1.60",
        "coatings": ["super_ar", "hard"],
        "tint": "photochromic",
    }
    body.update(values)
    return body


def spectacle_lens(**fields) -> Product:
    values = {
        "category": Category.SPECTACLE_LENS,
        "name": "Zeiss SmartLife 1.5",
        "spectacle_design": SpectacleDesign.SINGLE_VISION,
        "lens_index": D("1.50"),
        "coatings": [Coating.SUPER_AR],
        "sale_price": D("99.00"),
        "minimum_stock": 0,
    }
    values.update(fields)
    return product(**values)


def price(lens: Product, low: str, high: str, cylinder: str, sale: str, purchase=None):
    data = {
        "sphere_from": D(low),
        "sphere_to": D(high),
        "cylinder_to": D(cylinder),
        "sale_price": D(sale),
        "purchase_price": None if purchase is None else D(purchase),
    }
    return services.lens_price_create(product_id=lens.pk, data=data)


def test_a_spectacle_lens_is_created_read_and_listed_with_its_attributes(client, auth):
    created = send(client, auth, URL, lens_body(lens_index=1.6))
    assert created.status_code == 201, created.content
    data = created.json()
    assert (data["spectacle_design"], data["lens_index"], data["coatings"], data["tint"]) == (
        "progressive",
        "1.60",
        ["super_ar", "hard"],
        "photochromic",
    )
    assert data["lens_prices"] == []
    lens = Product.objects.get()
    assert (lens.lens_index, lens.coatings) == (D("1.60"), ["super_ar", "hard"])
    listed = client.get(URL, {"category": "spectacle_lens"}, **auth).json()["items"]
    assert listed[0]["lens_index"] == "1.60" and listed[0]["tint"] == "photochromic"
    assert "lens_prices" not in listed[0]
    # Coatings each once, in the order of the choices, however sent.
    body = lens_body(coatings=["hard", "super_ar", "hard"], lens_index="1.6")
    changed = send(client, auth, f"{URL}/{lens.pk}", body, "put")
    assert changed.status_code == 200, changed.content
    assert changed.json()["coatings"] == ["super_ar", "hard"]


def test_other_products_answer_with_empty_attributes(client, auth):
    frame = product(category=Category.FRAME)
    data = client.get(f"{URL}/{frame.pk}", **auth).json()
    assert (data["spectacle_design"], data["lens_index"], data["coatings"], data["tint"]) == (
        "",
        None,
        [],
        "",
    )
    assert data["lens_prices"] == []


@pytest.mark.parametrize(
    ("values", "errors"),
    [
        (
            {"spectacle_design": "single_vision"},
            {"spectacle_design": "Design, index and tint only belong to spectacle lenses."},
        ),
        (
            {"lens_index": "1.67", "tint": "tinted"},
            {
                "lens_index": "Design, index and tint only belong to spectacle lenses.",
                "tint": "Design, index and tint only belong to spectacle lenses.",
            },
        ),
        ({"coatings": ["hard"]}, {"coatings": "Coatings only belong to spectacle lenses."}),
    ],
)
def test_lens_attributes_on_a_frame_are_refused_in_german(client, auth, values, errors):
    body = {
        "category": "frame",
        "article_number": "F-1",
        "name": "Titan",
        "purchase_price": "10.00",
        "sale_price": "99.00",
        **values,
    }
    response = send(client, auth, URL, body)
    assert response.status_code == 422, response.content
    assert {e["field"]: e["message"] for e in response.json()["detail"]} == {
        field: de(message) for field, message in errors.items()
    }
    assert not Product.objects.exists()


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"spectacle_design": "trifocal"}, "spectacle_design"),
        ({"lens_index": "1.55"}, "lens_index"),
        ({"lens_index": "hoch"}, "lens_index"),
        ({"lens_index": "sNaN"}, "lens_index"),
        ({"lens_index": True}, "lens_index"),
        ({"coatings": ["gold"]}, "coatings.0"),
        ({"coatings": "hard"}, "coatings"),
        ({"tint": "rosa"}, "tint"),
        ({"tint": None}, "tint"),
    ],
)
def test_values_no_lens_has_answer_422(client, auth, values, field):
    response = send(client, auth, URL, lens_body(**values))
    assert response.status_code == 422, response.content
    assert field in {error["field"] for error in response.json()["detail"]}
    assert not Product.objects.exists()


def test_unknown_values_say_so_in_german(client, auth):
    response = send(client, auth, URL, lens_body(spectacle_design="trifocal"))
    assert response.json()["detail"] == [
        {"field": "spectacle_design", "message": "Bitte einen der erlaubten Werte wählen."}
    ]


def test_a_put_that_leaves_the_attributes_out_keeps_them(client, auth):
    """Integrations written before spectacle lenses had attributes send
    products without them: their changes must not clear a lens's."""
    lens = spectacle_lens(tint=Tint.TINTED)
    body = {
        "category": "spectacle_lens",
        "article_number": lens.article_number,
        "name": "Zeiss SmartLife 1.5 neu",
        "purchase_price": "30.00",
        "sale_price": "109.00",
    }
    response = send(client, auth, f"{URL}/{lens.pk}", body, "put")
    assert response.status_code == 200, response.content
    lens.refresh_from_db()
    assert (lens.name, lens.spectacle_design, lens.lens_index, lens.coatings, lens.tint) == (
        "Zeiss SmartLife 1.5 neu",
        "single_vision",
        D("1.50"),
        ["super_ar"],
        "tinted",
    )
    # Sent empty, they are cleared; a lens made another product must clear them.
    accessory = {**body, "category": "accessory"}
    refused = send(client, auth, f"{URL}/{lens.pk}", accessory, "put")
    assert refused.status_code == 422
    assert {error["field"] for error in refused.json()["detail"]} >= {"spectacle_design"}
    cleared = {**accessory, "spectacle_design": "", "lens_index": None, "coatings": [], "tint": ""}
    response = send(client, auth, f"{URL}/{lens.pk}", cleared, "put")
    assert response.status_code == 200, response.content
    lens.refresh_from_db()
    assert (lens.category, lens.spectacle_design, lens.lens_index, lens.coatings, lens.tint) == (
        "accessory",
        "",
        None,
        [],
        "",
    )


def test_a_lens_with_prices_keeps_its_category(client, auth):
    lens = spectacle_lens()
    price(lens, "-6", "6", "2", "189")
    body = {
        "category": "accessory",
        "article_number": lens.article_number,
        "name": lens.name,
        "purchase_price": "30.00",
        "sale_price": "99.00",
        "spectacle_design": "",
        "lens_index": None,
        "coatings": [],
        "tint": "",
    }
    response = send(client, auth, f"{URL}/{lens.pk}", body, "put")
    assert response.status_code == 422
    assert response.json()["detail"] == [
        {
            "field": "category",
            "message": de(
                "This spectacle lens has prices by power; please delete them "
                "before changing its category."
            ),
        }
    ]


def test_the_detail_shows_the_price_list_read_only(client, auth):
    lens = spectacle_lens()
    price(lens, "-10", "8", "4", "249", purchase="80")
    price(lens, "-6", "6", "2", "189")
    loaded = client.get(f"{URL}/{lens.pk}", **auth)
    assert loaded.json()["lens_prices"] == [
        {
            "sphere_from": "-10.00",
            "sphere_to": "8.00",
            "cylinder_to": "4.00",
            "sale_price": "249.00",
            "purchase_price": "80.00",
        },
        {
            "sphere_from": "-6.00",
            "sphere_to": "6.00",
            "cylinder_to": "2.00",
            "sale_price": "189.00",
            "purchase_price": None,
        },
    ]
    # What was read goes back as it is; the price list in it changes nothing.
    body = {k: v for k, v in loaded.json().items() if k not in ("id", "stock", "updated_at")}
    body["lens_prices"] = []
    body["name"] = "Zeiss SmartLife 1.5 (2027)"
    saved = send(client, auth, f"{URL}/{lens.pk}", body, "put", HTTP_IF_MATCH=loaded["ETag"])
    assert saved.status_code == 200, saved.content
    assert len(saved.json()["lens_prices"]) == 2
    assert lens.lens_prices.count() == 2


def measure(client, auth, url: str, query: dict | None = None) -> tuple[int, dict]:
    assert client.get(url, query or {}, **auth).status_code == 200
    forget_estimates()
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, query or {}, **auth)
    assert response.status_code == 200, response.content
    return len(captured), response.json()


def lenses(number: int, *, start: int) -> None:
    """``number`` spectacle lenses, each with a price list of two rows."""
    for index in range(start, start + number):
        lens = spectacle_lens(name=f"Glas {index:02d}", coatings=[Coating.HARD])
        price(lens, "-6", "6", "2", "189")
        price(lens, "-10", "8", "4", "249")


def test_the_list_reads_no_price_rows_and_stays_constant(client, auth):
    lenses(2, start=0)
    few, few_page = measure(client, auth, URL, {"category": "spectacle_lens"})
    lenses(18, start=2)
    many, many_page = measure(client, auth, URL, {"category": "spectacle_lens"})
    assert len(few_page["items"]) == 2 and len(many_page["items"]) == 20
    assert {item["coatings"][0] for item in many_page["items"]} == {"hard"}
    assert few == many


def test_the_detail_reads_the_price_list_in_one_query(client, auth):
    frame = product(category=Category.FRAME)
    lens = spectacle_lens()
    price(lens, "-6", "6", "2", "189")
    frame_queries, _data = measure(client, auth, f"{URL}/{frame.pk}")
    lens_queries, data = measure(client, auth, f"{URL}/{lens.pk}")
    assert len(data["lens_prices"]) == 1
    price(lens, "-10", "8", "4", "249")
    more_queries, data = measure(client, auth, f"{URL}/{lens.pk}")
    assert len(data["lens_prices"]) == 2
    assert lens_queries == more_queries == frame_queries


def test_the_openapi_schema_describes_the_lens_fields(client):
    schemas = client.get("/api/v1/openapi.json").json()["components"]["schemas"]
    detail = schemas["ProductDetailOut"]["properties"]
    assert detail["lens_prices"]["type"] == "array"
    assert "nur lesen" in detail["lens_prices"]["description"]
    assert schemas["LensPriceOut"]["properties"]["cylinder_to"]["description"].startswith(
        "Zylinder bis"
    )
    body = schemas["ProductIn"]["properties"]
    assert body["lens_index"]["anyOf"][0]["enum"] == ["1.50", "1.53", "1.60", "1.67", "1.74"]
    assert body["coatings"]["items"]["enum"] == ["super_ar", "hard", "clean", "blue_filter"]
    for name in ("spectacle_design", "lens_index", "coatings", "tint"):
        assert "bleibt" in body[name]["description"], name
        assert "kept" in body[name]["description"], name
    assert "lens_prices" not in schemas["ProductOut"]["properties"]
    assert "lens_prices" not in body
