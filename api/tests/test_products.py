"""/api/v1/products and the stock ledger through the API."""

import json
from decimal import Decimal

import pytest

from api import services as api_services
from products import services
from products.models import Product, StockMovement
from products.tests.factories import product

pytestmark = pytest.mark.django_db
URL = "/api/v1/products"


@pytest.fixture
def auth() -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {api_services.api_key_create(name='Kasse')[1]}"}


def send(client, auth, url, body, method="post"):
    return getattr(client, method)(
        url, data=json.dumps(body), content_type="application/json", **auth
    )


def lens_body(**values) -> dict:
    body = {
        "category": "contact_lens",
        "article_number": "KL-100",
        "name": "Biofinity",
        "purchase_price": "21.00",
        "sale_price": "49.90",
        "minimum_stock": 5,
    }
    body.update(values)
    return body


def test_create_read_and_change_without_touching_stock(client, auth):
    created = send(client, auth, URL, lens_body(stock=99))
    assert created.status_code == 201, created.content
    data = created.json()
    assert (data["stock"], data["sale_price"], data["category"]) == (0, "49.90", "contact_lens")
    changed = send(
        client, auth, f"{URL}/{data['id']}", lens_body(name="Biofinity XR", stock=5), "put"
    )
    assert changed.status_code == 200
    assert changed.json()["name"] == "Biofinity XR" and changed.json()["stock"] == 0
    assert client.get(f"{URL}/{data['id']}", **auth).json()["name"] == "Biofinity XR"
    assert client.get(f"{URL}/999999", **auth).status_code == 404


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"category": "brille"}, "category"),
        # A frame size is lens width and bridge together (Product.clean).
        ({"category": "frame", "lens_width": 52}, "bridge_width"),
        ({"category": "frame", "bridge_width": 18}, "lens_width"),
        ({"ean": "4006381333932"}, "ean"),  # wrong check digit
        ({"lens_width": 52}, "lens_width"),  # frame sizes only for frames
        ({"supplier": "Niemand GmbH"}, "supplier"),
        ({"sale_price": "viel"}, "sale_price"),
    ],
)
def test_bad_products_answer_422(client, auth, values, field):
    response = send(client, auth, URL, lens_body(**values))
    assert response.status_code == 422, response.content
    assert field in {error["field"] for error in response.json()["detail"]}
    assert not Product.objects.exists()


def test_duplicate_article_number_is_422(client, auth):
    product(article_number="KL-100")
    response = send(client, auth, URL, lens_body())
    assert response.status_code == 422
    assert response.json()["detail"][0]["field"] == "article_number"


def test_stock_only_through_movements(client, auth):
    lens = product(category="contact_lens", name="Dailies", minimum_stock=5)
    url = f"{URL}/{lens.pk}/stock-movements"
    received = send(client, auth, url, {"kind": "receipt", "quantity": 10, "note": "Lieferung"})
    assert received.status_code == 201, received.content
    assert received.json()["stock_after"] == 10
    sold = send(client, auth, url, {"kind": "sale", "quantity": 7})
    assert (sold.json()["quantity"], sold.json()["stock_after"]) == (-7, 3)
    too_many = send(client, auth, url, {"kind": "sale", "quantity": 4})
    assert too_many.status_code == 422
    assert too_many.json()["detail"][0]["message"].startswith("Nicht genug Bestand")
    assert send(client, auth, url, {"kind": "geschenkt", "quantity": 1}).status_code == 422
    lens.refresh_from_db()
    assert lens.stock == 3 and StockMovement.objects.count() == 2
    ledger = client.get(url, **auth).json()
    assert ledger["total"] == 2 and ledger["items"][0]["kind"] == "sale"
    assert (
        send(
            client, auth, f"{URL}/999999/stock-movements", {"kind": "sale", "quantity": 1}
        ).status_code
        == 404
    )


def test_filters(client, auth):
    low = product(category="contact_lens", name="Acuvue", minimum_stock=5)
    product(category="frame", name="Lindberg Air", minimum_stock=0)
    product(category="frame", name="Alt", active=False, minimum_stock=0)

    def names(**query):
        return [p["name"] for p in client.get(URL, query, **auth).json()["items"]]

    assert names(category="frame") == ["Alt", "Lindberg Air"]
    assert names(active="false") == ["Alt"]
    assert names(below_minimum="true") == [low.name]
    assert names(search="air") == ["Lindberg Air"]
    assert client.get(URL, {"category": "x"}, **auth).status_code == 422
    assert Decimal(client.get(URL, **auth).json()["items"][0]["sale_price"]) > 0


def test_outdated_product_change_answers_409(client, auth):
    lens = product(category="contact_lens", name="Air Optix")
    loaded = client.get(f"{URL}/{lens.pk}", **auth)
    etag, updated_at = loaded["ETag"], loaded.json()["updated_at"]
    body = lens_body(article_number=lens.article_number, name="Neu")
    first = client.put(
        f"{URL}/{lens.pk}", data=json.dumps(body), content_type="application/json",
        HTTP_IF_MATCH=etag, **auth,
    )  # fmt: skip
    assert first.status_code == 200 and first["ETag"] != etag
    for extra in ({"HTTP_IF_MATCH": etag}, {}):
        body = lens_body(article_number=lens.article_number, name="Zu spät")
        if not extra:
            body["updated_at"] = updated_at
        stale = client.put(
            f"{URL}/{lens.pk}",
            data=json.dumps(body),
            content_type="application/json",
            **extra,
            **auth,
        )
        assert stale.status_code == 409
    lens.refresh_from_db()
    assert lens.name == "Neu"


def test_a_frame_with_only_a_lens_width_says_so_in_german(client, auth):
    body = lens_body(category="frame", article_number="F-52", lens_width=52)
    response = send(client, auth, URL, body)
    assert response.status_code == 422
    assert response.json()["detail"] == [
        {"field": "bridge_width", "message": "Bitte geben Sie Glasbreite und Steg zusammen ein."}
    ]
    # A PUT replaces the product: a size without its bridge is refused too.
    frame = product(category="frame", lens_width=52, bridge_width=18)
    body = lens_body(
        category="frame", article_number=frame.article_number, lens_width=54, bridge_width=18
    )
    assert send(client, auth, f"{URL}/{frame.pk}", body, "put").status_code == 200
    del body["bridge_width"]
    response = send(client, auth, f"{URL}/{frame.pk}", body, "put")
    assert response.status_code == 422
    assert response.json()["detail"][0]["field"] == "bridge_width"
    frame.refresh_from_db()
    assert (frame.lens_width, frame.bridge_width) == (54, 18)


def test_etag_is_the_version_and_margin_is_read(client, auth):
    lens = product(category="contact_lens", purchase_price=Decimal("21.00"))
    loaded = client.get(f"{URL}/{lens.pk}", **auth)
    assert loaded["ETag"] == '"1"'
    assert loaded.json()["margin"] == "228.00"
    body = lens_body(article_number=lens.article_number)
    changed = client.put(
        f"{URL}/{lens.pk}", data=json.dumps(body), content_type="application/json",
        HTTP_IF_MATCH='"1"', **auth,
    )  # fmt: skip
    assert changed.status_code == 200 and changed["ETag"] == '"2"'
    assert changed.json()["margin"] == "28.90"


@pytest.mark.parametrize("based_on", ["etag", "updated_at"])
def test_a_sale_after_reading_is_no_conflict(client, auth, based_on):
    """Stock movements are no edit: an update based on what was read before a
    sale goes through, by If-Match as by updated_at (issue 24)."""
    lens = product(category="contact_lens", name="Air Optix")
    loaded = client.get(f"{URL}/{lens.pk}", **auth)
    url = f"{URL}/{lens.pk}/stock-movements"
    assert send(client, auth, url, {"kind": "receipt", "quantity": 3}).status_code == 201
    assert send(client, auth, url, {"kind": "sale", "quantity": 1}).status_code == 201
    body = lens_body(article_number=lens.article_number, name="Air Optix Plus")
    extra = {}
    if based_on == "etag":
        extra["HTTP_IF_MATCH"] = loaded["ETag"]
    else:
        body["updated_at"] = loaded.json()["updated_at"]
    response = client.put(
        f"{URL}/{lens.pk}", data=json.dumps(body), content_type="application/json",
        **extra, **auth,
    )  # fmt: skip
    assert response.status_code == 200, response.content
    assert (response.json()["name"], response.json()["stock"]) == ("Air Optix Plus", 2)


@pytest.mark.parametrize("based_on", ["etag", "updated_at"])
def test_an_edit_in_the_admin_or_on_the_screens_after_reading_is_a_conflict(client, auth, based_on):
    lens = product(category="contact_lens", name="Air Optix")
    loaded = client.get(f"{URL}/{lens.pk}", **auth)
    services.product_update(
        product_id=lens.pk, data={"sale_price": Decimal("59.90")}, expected_version=1
    )
    body = lens_body(article_number=lens.article_number, name="Zu spät")
    extra = {}
    if based_on == "etag":
        extra["HTTP_IF_MATCH"] = loaded["ETag"]
    else:
        body["updated_at"] = loaded.json()["updated_at"]
    response = client.put(
        f"{URL}/{lens.pk}", data=json.dumps(body), content_type="application/json",
        **extra, **auth,
    )  # fmt: skip
    assert response.status_code == 409
    assert (
        response.json()["detail"]
        == "Der Artikel wurde zwischenzeitlich von jemand anderem geändert."
    )
    lens.refresh_from_db()
    assert (lens.name, lens.sale_price, lens.version) == ("Air Optix", Decimal("59.90"), 2)
