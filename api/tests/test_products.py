"""/api/v1/products and the stock ledger through the API."""

import json
from decimal import Decimal

import pytest

from api import services as api_services
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
