"""The import pages through Django's test client, as the owner uses them:
upload, assignment, test run with progress, import, report download."""

import csv
import datetime
import io

import pytest
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from customers.models import Customer
from imports.models import ImportJob, ImportMapping, ImportRow
from imports.tests.helpers import ERIKA, HEADER, csv_bytes, run_queued_imports

pytestmark = pytest.mark.django_db

LIST = reverse("imports:list")
BROKEN = ["4712", "Herr", "Max", "Fehler", "31.02.1970", "", "", ""]


def upload(client, data: bytes, name: str = "altsystem.csv", kind: str = "customers"):
    return client.post(LIST, {"kind": kind, "file": SimpleUploadedFile(name, data)})


def mapping_data(job: ImportJob, **changes) -> dict:
    data = {f"column_{index}": name for index, name in enumerate(job.mapping)}
    data.update(key="external_number", existing="update", save_as="")
    data.update(changes)
    return data


@pytest.fixture
def uploaded(owner_client) -> ImportJob:
    response = upload(owner_client, csv_bytes([HEADER, ERIKA, BROKEN]))
    job = ImportJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("imports:job", args=[job.pk])
    return job


def test_only_who_may_import_sees_the_pages(client, staff_client, owner_client, staff):
    assert client.get(LIST).status_code == 302
    assert staff_client.get(LIST).status_code == 403
    assert upload(staff_client, csv_bytes([HEADER, ERIKA])).status_code == 403
    assert not ImportJob.objects.exists()
    assert 'href="/imports/"' not in staff_client.get(reverse("customers:list")).text
    assert 'href="/imports/"' in owner_client.get(reverse("customers:list")).text
    staff.user_permissions.add(Permission.objects.get(codename="add_importjob"))
    assert staff_client.get(LIST).status_code == 200


def test_upload_reads_the_file_and_proposes_an_assignment(owner_client, uploaded):
    page = owner_client.get(reverse("imports:job", args=[uploaded.pk])).text
    assert "Kunden · 2 Zeilen · CSV-Datei, UTF-8, getrennt durch Semikolon" in page
    assert "Spalten zuordnen" in page
    assert "Erika · Max" in page  # the column's examples
    assert '<option value="date_of_birth" selected>Geburtsdatum</option>' in page
    assert uploaded.created_by.username == "inhaber"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "Die Datei ist leer."),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "weder eine CSV-Textdatei noch eine Excel-Datei"),
        (b"Name;Ort\r\n", "keine Datenzeilen"),
        (b"PK\x03\x04broken", "beschädigt"),
    ],
)
def test_a_bad_file_gets_a_german_message_and_nothing_is_stored(owner_client, data, message):
    response = upload(owner_client, data)
    assert response.status_code == 400
    assert message in response.text
    assert not ImportJob.objects.exists()


def test_a_too_large_file_is_refused_before_it_is_read(owner_client, settings):
    settings.IMPORT_MAX_BYTES = 50
    response = upload(owner_client, csv_bytes([HEADER, ERIKA, ERIKA]))
    assert response.status_code == 400
    assert "Die Datei ist zu groß (218\xa0Bytes); höchstens 50\xa0Bytes" in response.text
    assert not ImportJob.objects.exists()


def test_the_assignment_starts_a_test_run_in_the_background(owner_client, uploaded):
    url = reverse("imports:mapping", args=[uploaded.pk])
    response = owner_client.post(url, mapping_data(uploaded, save_as="Optiplan 7"))
    assert response.status_code == 302
    uploaded.refresh_from_db()
    assert uploaded.state == ImportJob.State.CHECKING
    task = DBTaskResult.objects.get()
    assert task.task_path.endswith("run_import")
    assert ImportMapping.objects.get().name == "Optiplan 7"

    page = owner_client.get(reverse("imports:job", args=[uploaded.pk])).text
    assert "Probelauf läuft" in page
    assert '<progress max="2" value="0"' in page
    assert 'hx-trigger="every 1s"' in page
    assert "Sie können diese Seite verlassen" in page


def test_an_incomplete_assignment_is_refused_with_the_reason(owner_client, uploaded):
    data = mapping_data(uploaded, column_0="")
    response = owner_client.post(reverse("imports:mapping", args=[uploaded.pk]), data)
    assert response.status_code == 400
    assert "Bitte eine Spalte zuordnen für: Fremdnummer." in response.text
    uploaded.refresh_from_db()
    assert uploaded.state == ImportJob.State.MAPPING
    assert not DBTaskResult.objects.exists()


def test_progress_partial_counts_rows_and_estimates_the_time_left(owner_client, uploaded):
    ImportJob.objects.filter(pk=uploaded.pk).update(
        state=ImportJob.State.IMPORTING,
        rows_done=1,
        started_at=timezone.now() - datetime.timedelta(minutes=3),
    )
    url = reverse("imports:job", args=[uploaded.pk])
    response = owner_client.get(url, headers={"HX-Request": "true"})
    assert response.text.lstrip().startswith('<div id="import-status"')
    assert "<h1" not in response.text
    assert "1 von 2 Zeilen</strong> (50 %) · noch etwa 3 Minuten" in response.text
    ImportJob.objects.filter(pk=uploaded.pk).update(state=ImportJob.State.DONE)
    finished = owner_client.get(url + "?poll=1", headers={"HX-Request": "true"})
    assert finished.status_code == 204
    assert finished["HX-Refresh"] == "true"


def test_test_run_then_import_then_report(owner_client, uploaded):
    owner_client.post(reverse("imports:mapping", args=[uploaded.pk]), mapping_data(uploaded))
    run_queued_imports()
    url = reverse("imports:job", args=[uploaded.pk])
    page = owner_client.get(url).text
    assert "Probelauf fertig" in page
    assert "Noch ist nichts gespeichert" in page
    assert "neu: 1" in page and "Fehler: 1" in page
    assert "Geburtsdatum: Bitte ein gültiges Datum eingeben." in page
    errors_only = owner_client.get(url, {"outcome": "error"}).text
    assert 'data-row="3"' in errors_only and 'data-row="2"' not in errors_only
    assert not Customer.objects.exists()

    response = owner_client.post(reverse("imports:action", args=[uploaded.pk, "start"]))
    assert response.status_code == 302
    run_queued_imports()
    page = owner_client.get(url).text
    assert "Import fertig" in page
    erika = Customer.objects.get()
    assert f'href="/customers/{erika.pk}/"' in page

    report = owner_client.get(reverse("imports:report", args=[uploaded.pk, "csv"]))
    assert report["Content-Disposition"].startswith('attachment; filename="importbericht-')
    rows = list(
        csv.reader(
            io.StringIO(b"".join(report.streaming_content).decode("utf-8-sig")), delimiter=";"
        )
    )
    assert rows == [
        ["Zeile", "Ergebnis", "Meldung", "Kundennummer"],
        ["2", "neu", "", str(erika.pk)],
        ["3", "Fehler", "Geburtsdatum: Bitte ein gültiges Datum eingeben.", ""],
    ]
    xlsx = owner_client.get(reverse("imports:report", args=[uploaded.pk, "xlsx"]))
    assert xlsx["Content-Type"].startswith("application/vnd.openxmlformats")


def test_a_second_start_does_not_import_twice(owner_client, uploaded):
    owner_client.post(reverse("imports:mapping", args=[uploaded.pk]), mapping_data(uploaded))
    run_queued_imports()
    start = reverse("imports:action", args=[uploaded.pk, "start"])
    owner_client.post(start)
    response = owner_client.post(start, follow=True)
    assert "Dieser Import läuft bereits." in response.text
    assert run_queued_imports() == 1
    assert Customer.objects.count() == 1


def test_change_assignment_and_discard(owner_client, uploaded):
    owner_client.post(reverse("imports:mapping", args=[uploaded.pk]), mapping_data(uploaded))
    run_queued_imports()
    owner_client.post(reverse("imports:action", args=[uploaded.pk, "remap"]))
    uploaded.refresh_from_db()
    assert uploaded.state == ImportJob.State.MAPPING
    assert not ImportRow.objects.exists()
    response = owner_client.post(
        reverse("imports:action", args=[uploaded.pk, "discard"]), follow=True
    )
    assert "Der Import wurde verworfen." in response.text
    assert not ImportJob.objects.exists()


def test_a_saved_assignment_is_applied_to_the_next_file_of_that_system(owner_client, uploaded):
    data = mapping_data(uploaded, column_7="", key="name_and_birth", save_as="Optiplan")
    owner_client.post(reverse("imports:mapping", args=[uploaded.pk]), data)
    upload(owner_client, csv_bytes([HEADER, ERIKA]), "zweite.csv")
    second = ImportJob.objects.get(filename="zweite.csv")
    page = owner_client.get(reverse("imports:job", args=[second.pk])).text
    assert "Die gespeicherte Zuordnung „Optiplan“ wurde angewendet." in page
    assert '<option value="town">Ort</option>' in page  # "Ort" stays out, as saved
    assert (
        '<input type="radio" name="key" value="name_and_birth" required id="id_key_1" checked>'
        in page
    )


def test_the_job_page_reads_a_constant_number_of_rows(owner_client, uploaded):
    owner_client.post(reverse("imports:mapping", args=[uploaded.pk]), mapping_data(uploaded))
    run_queued_imports()
    url = reverse("imports:job", args=[uploaded.pk])

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert owner_client.get(url).status_code == 200
        return len(captured)

    few = queries()
    ImportRow.objects.bulk_create(
        ImportRow(job=uploaded, row_number=n, outcome="new") for n in range(10, 200)
    )
    assert queries() == few


def test_the_admin_lists_lead_to_the_import_page(owner_client, staff, staff_client):
    for name in ("admin:customers_customer_changelist", "admin:products_product_changelist"):
        page = owner_client.get(reverse(name)).text
        assert 'href="/imports/" data-admin-import>Aus Datei importieren</a>' in page
    staff.is_staff = True
    staff.save()
    page = staff_client.get(reverse("admin:customers_customer_changelist")).text
    assert "data-admin-import" not in page


def test_odd_parameters_and_a_second_discard_get_no_error_page(owner_client, uploaded):
    url = reverse("imports:job", args=[uploaded.pk])
    assert owner_client.get(url, {"mapping": "²"}).status_code == 200
    assert owner_client.get(url, {"mapping": "999999"}).status_code == 200
    data = mapping_data(uploaded, column_0="is_superuser")
    response = owner_client.post(reverse("imports:mapping", args=[uploaded.pk]), data)
    assert response.status_code == 400
    assert (
        "Bitte eine gültige Auswahl treffen. is_superuser ist keine gültige Auswahl."
        in response.text
    )
    discard = reverse("imports:action", args=[uploaded.pk, "discard"])
    owner_client.post(discard)
    response = owner_client.post(discard, follow=True)
    assert response.status_code == 404
