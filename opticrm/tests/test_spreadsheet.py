"""Exports defuse every cell a spreadsheet would compute."""

import json

import pytest

from api import services as api_services
from opticrm.lib.spreadsheet import FORMULA_STARTS, spreadsheet_text
from products.models import Product
from products.tests.factories import product


@pytest.mark.parametrize("start", FORMULA_STARTS)
def test_every_dangerous_first_character_is_defused(start):
    assert spreadsheet_text(f"{start}1+1") == f"'{start}1+1"


@pytest.mark.parametrize("text", ["Lindberg", "1+1", "Ray-Ban", " =1", "", "'=1"])
def test_harmless_text_stays_as_it_is(text):
    assert spreadsheet_text(text) == text


@pytest.mark.django_db
def test_the_api_trims_text_like_the_forms_and_the_csv_defuses_it(client, staff_client):
    secret = api_services.api_key_create(name="Warenwirtschaft")[1]
    frame = product(minimum_stock=5)
    body = client.get(f"/api/v1/products/{frame.pk}", HTTP_AUTHORIZATION=f"Bearer {secret}").json()
    body.update(name="\t=1+1 ", brand="  Lindberg\r\n")
    body = {k: v for k, v in body.items() if k not in ("id", "stock", "updated_at")}
    saved = client.put(
        f"/api/v1/products/{frame.pk}",
        data=json.dumps(body),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {secret}",
    )
    assert saved.status_code == 200, saved.content
    assert Product.objects.values_list("name", "brand").get(pk=frame.pk) == ("=1+1", "Lindberg")
    csv = staff_client.get("/products/reorder.csv").content.decode("utf-8-sig")
    assert ";'=1+1;" in csv
