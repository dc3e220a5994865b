"""The appointment list as CSV and Excel file (issue 27): the list's filters
(from today on unless a start date is given), typed times in Excel."""

import csv
import datetime
import io

import pytest
from openpyxl import load_workbook

from appointments.tests.factories import TUESDAY, appointment, at, calendar_for
from customers.tests import factories as customer_factories

pytestmark = pytest.mark.django_db
LIST = "/appointments/"


def csv_rows(response) -> list[list[str]]:
    text = b"".join(response.streaming_content).decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:]), delimiter=";"))


@pytest.fixture
def booked(staff):
    calendar_for(staff)
    grete = customer_factories.customer(first_name="Grete", last_name="Müller")
    first = appointment(staff=staff, customer=grete, start=at(10), notes="Gleitsicht")
    second = appointment(staff=staff, start=at(11, day=TUESDAY), type_name="Kontaktlinsenanpassung")
    return first, second


def test_csv_of_the_filtered_list(staff_client, booked, staff):
    first, _second = booked
    day = first.start.date().strftime("%d.%m.%Y")
    response = staff_client.get(f"{LIST}export.csv", {"date_from": day, "date_to": day})
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="termine-')
    header, *rows = csv_rows(response)
    assert header == [
        "Beginn",
        "Ende",
        "Kundennummer",
        "Kunde",
        "Mitarbeiter",
        "Terminart",
        "Status",
        "Notizen",
    ]
    assert len(rows) == 1
    assert rows[0][0] == f"{day} 10:00"
    assert rows[0][2:5] == [str(first.customer_id), "Grete Müller", "Anna Schmidt"]
    assert rows[0][7] == "Gleitsicht"


def test_a_start_date_narrows_the_file(staff_client, booked):
    _first, second = booked
    rows = csv_rows(staff_client.get(f"{LIST}export.csv"))[1:]
    assert len(rows) == 2  # from today on, as the list without a start date
    day = TUESDAY.strftime("%d.%m.%Y")
    rows = csv_rows(staff_client.get(f"{LIST}export.csv", {"date_from": day}))[1:]
    assert [row[5] for row in rows] == ["Kontaktlinsenanpassung"]
    assert rows[0][2] == str(second.customer_id)


def test_invalid_filters_go_back_to_the_list(staff_client):
    response = staff_client.get(f"{LIST}export.csv", {"date_from": "32.13.2026"})
    assert response.status_code == 302
    assert response["Location"].startswith(LIST)


def test_xlsx_has_local_times(staff_client, booked):
    first, _second = booked
    response = staff_client.get(f"{LIST}export.xlsx")
    book = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    rows = list(book.active.iter_rows(values_only=True))
    assert rows[0][0] == "Beginn"
    starts = sorted(row[0] for row in rows[1:])
    assert starts[0] == datetime.datetime.combine(first.start.date(), datetime.time(10, 0))


def test_the_list_links_its_files_with_its_filters(staff_client, booked):
    page = staff_client.get(LIST, {"status": "planned", "page": "1"}).content.decode()
    assert '/appointments/export.csv?status=planned"' in page
    assert '/appointments/export.xlsx?status=planned"' in page


def test_needs_the_view_right(client, django_user_model):
    client.force_login(django_user_model.objects.create_user(username="ohne"))
    assert client.get(f"{LIST}export.csv").status_code == 403


def test_a_deleted_customer_is_not_named(staff_client, booked):
    from customers import services as customer_services

    first, _second = booked
    customer_services.customer_soft_delete(customer_id=first.customer_id)
    rows = csv_rows(staff_client.get(f"{LIST}export.csv"))[1:]
    row = next(r for r in rows if r[7] == "Gleitsicht")
    assert row[2:4] == ["", "gelöschter Kunde"]
    assert "Müller" not in str(rows)
