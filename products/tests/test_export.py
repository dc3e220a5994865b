"""The product list and a product's stock ledger as CSV and Excel file
(issue 27): prices with a decimal comma in CSV and as numbers in Excel."""

import csv
import io
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from openpyxl import load_workbook

from products import services
from products.tests.factories import product

pytestmark = pytest.mark.django_db


def csv_rows(response) -> list[list[str]]:
    text = b"".join(response.streaming_content).decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:]), delimiter=";"))


def test_product_csv_keeps_the_filters_and_writes_decimal_commas(staff_client):
    product(name="Fassung Ray", brand="Ray-Ban", sale_price=Decimal("1249.90"))
    product(name="Fassung Lindberg", active=False)
    response = staff_client.get("/products/export.csv", {"q": "Ray"})
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="artikel-')
    header, *rows = csv_rows(response)
    row = dict(zip(header, rows[0], strict=True))
    assert len(rows) == 1
    assert row["Name"] == "Fassung Ray"
    assert row["Verkaufspreis (brutto)"] == "1249,90"
    assert row["Einkaufspreis (brutto)"] == "80,00"
    assert row["Aktiv"] == "ja"


def test_product_xlsx_has_exact_prices(staff_client):
    product(sale_price=Decimal("249.95"))
    book = load_workbook(
        io.BytesIO(b"".join(staff_client.get("/products/export.xlsx").streaming_content))
    )
    header, row = list(book.active.iter_rows(values_only=True))
    price = dict(zip(header, row, strict=True))["Verkaufspreis (brutto)"]
    assert Decimal(str(price)) == Decimal("249.95")


def test_the_ledger_of_a_product(staff_client, staff):
    frame = product(article_number="RB 3025/1")
    services.stock_move(
        product_id=frame.pk, kind="receipt", quantity=5, note="Lieferung", user=staff
    )
    services.stock_move(product_id=frame.pk, kind="sale", quantity=2, user=staff)
    page = staff_client.get(f"/products/{frame.pk}/").content.decode()
    assert f'href="/products/{frame.pk}/ledger.csv"' in page
    response = staff_client.get(f"/products/{frame.pk}/ledger.csv")
    assert response["Content-Disposition"].startswith('attachment; filename="lagerbuch-rb-30251-')
    header, *rows = csv_rows(response)
    assert header[:4] == ["Erstellt am", "Art", "Menge", "Bestand danach"]
    # Newest first, as the product page shows the ledger.
    assert [(row[1], row[2], row[3]) for row in rows] == [
        ("Verkauf", "-2", "3"),
        ("Wareneingang", "5", "5"),
    ]
    assert rows[1][4] == "Anna Schmidt"
    assert rows[1][5] == "Lieferung"


def test_the_ledger_needs_its_right(client, django_user_model):
    frame = product()
    user = django_user_model.objects.create_user(username="nur-artikel")
    user.user_permissions.add(Permission.objects.get(codename="view_product"))
    client.force_login(user)
    assert client.get(f"/products/{frame.pk}/ledger.csv").status_code == 403
    assert client.get("/products/export.csv").status_code == 200
