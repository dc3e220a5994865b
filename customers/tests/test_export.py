"""The customer list as CSV and Excel file (issue 27): the filters the list
shows, German Excel conventions, text that never turns into a formula, and
only for those with the export right (the shop's owner)."""

import csv
import datetime
import io

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook

from customers.models import Customer
from customers.tests import factories
from opticrm.lib import export

pytestmark = pytest.mark.django_db
LIST = "/customers/"
CSV_URL = "/customers/export.csv"
XLSX_URL = "/customers/export.xlsx"


def csv_rows(response) -> list[list[str]]:
    text = b"".join(response.streaming_content).decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:]), delimiter=";"))


def workbook_rows(response) -> list[tuple]:
    book = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    return [tuple(cell.value for cell in row) for row in book.active.iter_rows()]


@pytest.fixture
def shop():
    aok = factories.insurance("AOK Bayern")
    factories.customer(
        first_name="Grete",
        last_name="Müller",
        email="grete@example.de",
        phone="089 1234567",
        street="Hauptstr. 1",
        postcode="80331",
        town="München",
        insurance_provider=aok,
        last_exam_date=datetime.date(2025, 3, 4),
        notes='=HYPERLINK("http://evil")',
    )
    factories.customer(first_name="Karl", last_name="Inaktiv", status=Customer.Status.INACTIVE)
    return aok


def test_csv_has_german_headers_dates_and_the_list_filters(admin_client, shop):
    response = admin_client.get(CSV_URL, {"status": "active"})
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="kunden-')
    header, *rows = csv_rows(response)
    assert header[:5] == ["Kundennummer", "Anrede", "Titel", "Vorname", "Nachname"]
    assert [row[4] for row in rows] == ["Müller"]  # the inactive one is filtered out
    row = dict(zip(header, rows[0], strict=True))
    assert row["Geburtsdatum"] == "17.05.1980"
    assert row["Letzte Untersuchung"] == "04.03.2025"
    assert row["Telefon"] == "089 1234567"
    assert row["Krankenkasse"] == "AOK Bayern"
    assert row["Status"] == "Aktiv"
    # A formula typed into the notes stays text.
    assert row["Notizen"] == '\'=HYPERLINK("http://evil")'


def test_the_search_and_the_sort_of_the_list_are_kept_or_ignored(admin_client, shop):
    factories.customer(first_name="Anna", last_name="Müller-Weber")
    rows = csv_rows(admin_client.get(CSV_URL, {"q": "müller", "sort": "-name", "page": "3"}))[1:]
    # Found by the search; in customer number order, whatever the table's sort and page.
    assert [row[4] for row in rows] == ["Müller", "Müller-Weber"]


def test_xlsx_has_typed_cells_and_no_formulas(admin_client, shop):
    response = admin_client.get(XLSX_URL)
    assert response.status_code == 200
    assert response["Content-Type"] == export.CONTENT_TYPES[export.XLSX]
    header, *rows = workbook_rows(response)
    assert header[3:5] == ("Vorname", "Nachname")
    muller = dict(zip(header, next(r for r in rows if r[4] == "Müller"), strict=True))
    assert muller["Geburtsdatum"] == datetime.datetime(1980, 5, 17)
    assert muller["Kundennummer"] == Customer.objects.get(last_name="Müller").pk
    book = load_workbook(io.BytesIO(b"".join(admin_client.get(XLSX_URL).streaming_content)))
    notes = next(c for c in book.active[1] if c.value == "Notizen").column
    cell = next(r for r in book.active.iter_rows(min_row=2) if r[4].value == "Müller")[notes - 1]
    assert (cell.value, cell.data_type) == ('=HYPERLINK("http://evil")', "s")


def test_a_list_too_long_for_excel_goes_back_with_a_message(admin_client, shop, monkeypatch):
    monkeypatch.setattr(export, "XLSX_MAX_ROWS", 1)
    response = admin_client.get(XLSX_URL, {"status": "active"})
    assert response.status_code == 200  # the one active customer fits
    response = admin_client.get(XLSX_URL)
    assert response.status_code == 302
    assert response["Location"] == LIST
    shown = [str(m) for m in get_messages(response.wsgi_request)]
    assert shown == [
        "Die Liste hat mehr als 1 Zeilen, zu viele für eine Excel-Datei. Exportieren Sie "
        "sie als CSV oder grenzen Sie sie mit den Filtern ein."
    ]


def test_rows_are_read_in_chunks_without_losing_one(admin_client, monkeypatch):
    for n in range(7):
        factories.customer(last_name=f"Kunde{n}")
    monkeypatch.setattr(export, "CHUNK", 3)
    response = admin_client.get(CSV_URL)
    with CaptureQueriesContext(connection) as read:
        rows = csv_rows(response)[1:]
    assert len([q for q in read.captured_queries if '"customers_customer"' in q["sql"]]) == 3
    assert [row[4] for row in rows] == [f"Kunde{n}" for n in range(7)]
    assert [int(row[0]) for row in rows] == sorted(int(row[0]) for row in rows)


def test_invalid_filters_go_back_with_a_message(admin_client, shop):
    response = admin_client.get(CSV_URL, {"status": "gibt-es-nicht"})
    assert response.status_code == 302
    assert [str(m) for m in get_messages(response.wsgi_request)] == [
        "Bitte korrigieren Sie zuerst die Filter der Liste."
    ]


def test_an_unknown_format_is_not_found(admin_client):
    assert admin_client.get("/customers/export.pdf").status_code == 404


def test_only_the_export_right_may_export_and_sees_the_links(client, staff, admin_client, shop):
    client.force_login(staff)
    assert client.get(CSV_URL).status_code == 403
    assert client.get(XLSX_URL).status_code == 403
    assert "data-export" not in client.get(LIST).content.decode()
    page = admin_client.get(LIST, {"status": "active", "page": "1"}).content.decode()
    assert 'href="/customers/export.csv?status=active"' in page
    assert 'href="/customers/export.xlsx?status=active"' in page
    partial = admin_client.get(LIST, {"q": "grete"}, HTTP_HX_REQUEST="true").content.decode()
    assert 'href="/customers/export.csv?q=grete"' in partial


def test_anonymous_users_are_sent_to_log_in(client):
    response = client.get(CSV_URL)
    assert response.status_code == 302
    assert response["Location"].startswith("/login/?next=")


def test_control_characters_do_not_break_the_excel_file(admin_client):
    factories.customer(last_name="Tab", notes="Zeile\x0beins\x1b")
    response = admin_client.get(XLSX_URL)
    assert response.status_code == 200
    header, *rows = workbook_rows(response)
    notes = dict(zip(header, rows[0], strict=True))["Notizen"]
    assert notes == "Zeileeins"


def test_the_notes_need_the_health_data_right(client, django_user_model, shop):
    """The notes once held the free-text prescription (health data)."""
    from django.contrib.auth.models import Permission

    user = django_user_model.objects.create_user(username="export-ohne-refraktion")
    user.user_permissions.add(
        Permission.objects.get(codename="view_customer"),
        Permission.objects.get(codename="export_customer"),
    )
    client.force_login(user)
    header, *rows = csv_rows(client.get(CSV_URL))
    assert "Notizen" not in header
    assert "HYPERLINK" not in str(rows)
