"""Importing customers: the test run shows per row what the import will do
and saves nothing; the import saves through the customer services (their
rules and duplicate check); a customer is found by the chosen key and never
overwritten without the report saying so; each batch commits whole."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from customers.models import Customer
from customers.tests import factories
from imports import services
from imports.models import ImportJob, ImportMapping, ImportRow
from imports.tests.helpers import ERIKA, HEADER, csv_bytes, run_queued_imports, xlsx_bytes

pytestmark = pytest.mark.django_db


def job_for(rows, *, key="external_number", existing="update", data=None, user=None):
    job = services.job_create(
        data=data or csv_bytes([HEADER, *rows]), filename="alt.csv", user=user
    )
    services.job_map(job_id=job.pk, mapping=job.mapping, key=key, existing=existing)
    return job


def run(job, *, dry_run):
    services.job_start(job_id=job.pk, dry_run=dry_run)
    assert run_queued_imports() == 1
    job.refresh_from_db()
    return job


def report(job) -> list[tuple[int, str, str]]:
    return list(
        ImportRow.objects.filter(job=job)
        .order_by("row_number")
        .values_list("row_number", "outcome", "message")
    )


def test_the_columns_are_guessed_from_their_headings():
    job = services.job_create(data=csv_bytes([HEADER, ERIKA]), filename="alt.csv")
    assert job.mapping == [
        "external_number",
        "salutation",
        "first_name",
        "last_name",
        "date_of_birth",
        "phone",
        "email",
        "town",
    ]
    # OptiCRM's own export: its customer number is not the external number.
    job = services.job_create(
        data=csv_bytes(
            [["Kundennummer", "Vorname", "Nachname", "Fremdnummer"], ["1", "A", "B", "X"]]
        ),
        filename="opticrm.csv",
    )
    assert job.mapping == ["", "first_name", "last_name", "external_number"]


def test_a_test_run_saves_nothing_and_reports_what_the_import_will_do(owner):
    factories.customer(first_name="Hans", last_name="Alt", external_number="4712")
    job = job_for(
        [
            ERIKA,
            ["4712", "Herr", "Hans", "Alt", "", "", "hans@example.org", ""],
            ["4713", "Herr", "Max", "Fehler", "31.02.1970", "", "", ""],
            ["", "", "Ohne", "Nummer", "", "", "", ""],
            ERIKA,
        ],
        user=owner,
    )
    job = run(job, dry_run=True)
    assert job.state == ImportJob.State.CHECKED
    assert report(job) == [
        (2, "new", ""),
        (3, "updated", "Anrede, E-Mail"),
        (4, "error", "Geburtsdatum: Bitte ein gültiges Datum eingeben."),
        (5, "skipped", "keine Fremdnummer"),
        (6, "skipped", "derselbe Kunde wie in Zeile 2"),
    ]
    assert job.counts == {"new": 1, "updated": 1, "error": 1, "skipped": 2}
    assert list(Customer.objects.values_list("last_name", flat=True)) == ["Alt"]
    assert Customer.objects.get().email == ""

    job = run(job, dry_run=False)
    assert job.state == ImportJob.State.DONE
    assert [row[:2] for row in report(job)] == [
        (2, "new"),
        (3, "updated"),
        (4, "error"),
        (5, "skipped"),
        (6, "skipped"),
    ]
    erika = Customer.objects.get(last_name="Mustermann")
    assert erika.external_number == "4711"
    assert erika.date_of_birth == datetime.date(1961, 4, 3)
    assert str(erika.phone) == "+49301234567"
    assert erika.salutation == "ms"
    assert erika.updated_by == owner
    assert ImportRow.objects.get(job=job, row_number=2).object_id == erika.pk
    assert Customer.objects.get(last_name="Alt").email == "hans@example.org"
    # The file holds personal data: gone once imported.
    assert bytes(ImportJob.objects.get(pk=job.pk).data) == b""


def test_an_import_runs_only_after_a_test_run_and_only_once():
    job = job_for([ERIKA])
    with pytest.raises(ValidationError, match="Probelauf"):
        services.job_start(job_id=job.pk, dry_run=False)
    run(job, dry_run=True)
    run(job, dry_run=False)
    with pytest.raises(ValidationError, match="schon gelaufen"):
        services.job_start(job_id=job.pk, dry_run=False)
    assert Customer.objects.count() == 1


def test_existing_customers_can_be_left_unchanged():
    known = factories.customer(first_name="Erika", last_name="Mustermann", external_number="4711")
    job = job_for([ERIKA], existing="skip")
    run(job, dry_run=True)
    job = run(job, dry_run=False)
    assert report(job)[0][1] == "skipped"
    assert f"schon vorhanden: Kunde {known.pk} (Erika Mustermann" in report(job)[0][2]
    known.refresh_from_db()
    assert known.email == ""


def test_no_changes_is_a_skip_not_an_update():
    factories.customer(
        first_name="Erika",
        last_name="Mustermann",
        external_number="4711",
        salutation="ms",
        date_of_birth=datetime.date(1961, 4, 3),
        phone="+49301234567",
        email="erika@example.org",
        town="Berlin",
    )
    job = run(job_for([ERIKA]), dry_run=True)
    outcome, message = report(job)[0][1:]
    assert outcome == "skipped"
    assert message.startswith("keine Änderungen: Kunde")


def test_matching_by_name_and_birth_date():
    known = factories.customer(
        first_name="Erika", last_name="MUSTERMANN", date_of_birth=datetime.date(1961, 4, 3)
    )
    twin_a = factories.customer(
        first_name="Max", last_name="Zwilling", date_of_birth=datetime.date(1990, 1, 1)
    )
    factories.customer(
        first_name="Max", last_name="Zwilling", date_of_birth=datetime.date(1990, 1, 1)
    )
    job = job_for(
        [
            ERIKA,
            ["", "", "Max", "Zwilling", "01.01.1990", "", "", ""],
            ["", "", "Ohne", "Geburtstag", "", "", "", ""],
        ],
        key="name_and_birth",
    )
    job = run(job, dry_run=True)
    rows = report(job)
    assert rows[0][1] == "updated"
    assert (
        rows[1][1] == "skipped" and "mehrere Kunden" in rows[1][2] and str(twin_a.pk) in rows[1][2]
    )
    assert rows[2] == (
        4,
        "skipped",
        "Vorname, Nachname und Geburtsdatum werden zum Abgleich gebraucht",
    )
    job = run(job, dry_run=False)
    known.refresh_from_db()
    assert known.external_number == "4711"
    assert "Fremdnummer" in report(job)[0][2]


def test_a_possible_duplicate_is_skipped_with_who_it_may_be():
    known = factories.customer(first_name="Erika", last_name="Muster", email="erika@example.org")
    job = run(job_for([ERIKA]), dry_run=True)
    outcome, message = report(job)[0][1:]
    assert outcome == "skipped"
    assert (
        message
        == f"möglicherweise schon vorhanden: Kunde {known.pk} (Erika Muster, geb. 17.05.1980)"
    )


def test_unknown_insurance_and_choice_values_are_row_errors():
    factories.insurance("AOK Bayern")
    header = ["Fremdnummer", "Vorname", "Nachname", "Kasse", "Anrede", "Status"]
    rows = [
        ["1", "A", "Eins", "aok bayern", "Herr", "aktiv"],
        ["2", "B", "Zwei", "Barmer Ersatz", "Graf", "Interessent"],
    ]
    job = services.job_create(data=csv_bytes([header, *rows]), filename="x.csv")
    services.job_map(job_id=job.pk, mapping=job.mapping, key="external_number", existing="update")
    run(job, dry_run=True)
    job = run(job, dry_run=False)
    rows = report(job)
    assert rows[0][1] == "new"
    assert rows[1] == (
        3,
        "error",
        "Krankenkasse: „Barmer Ersatz“ ist keine bekannte Krankenkasse; bitte zuerst anlegen.; "
        "Anrede: „Graf“ ist keiner der erlaubten Werte.",
    )
    eins = Customer.objects.get(last_name="Eins")
    assert (eins.insurance_provider.name, eins.salutation, eins.status) == (
        "AOK Bayern",
        "mr",
        "active",
    )


def test_xlsx_dates_and_numbers():
    data = xlsx_bytes(
        [HEADER, [4711, "Frau", "Erika", "Mustermann", datetime.datetime(1961, 4, 3), 3012345678]]
    )
    job = job_for([], data=data)
    run(job, dry_run=True)
    run(job, dry_run=False)
    erika = Customer.objects.get()
    assert erika.external_number == "4711"
    assert erika.date_of_birth == datetime.date(1961, 4, 3)


def test_more_cells_than_headings_is_a_row_error():
    job = job_for([[*ERIKA, "extra"]])
    job = run(job, dry_run=True)
    assert report(job)[0][1:] == ("error", "die Zeile hat mehr Zellen, als die Datei Spalten hat")


def test_the_assignment_needs_the_key_and_each_field_once():
    job = services.job_create(data=csv_bytes([HEADER, ERIKA]), filename="alt.csv")
    mapping = ["", *job.mapping[1:]]
    with pytest.raises(ValidationError, match="Fremdnummer"):
        services.job_map(job_id=job.pk, mapping=mapping, key="external_number", existing="update")
    mapping = ["external_number", "last_name", *job.mapping[2:]]
    with pytest.raises(ValidationError, match="nur einer Spalte"):
        services.job_map(job_id=job.pk, mapping=mapping, key="external_number", existing="update")
    with pytest.raises(ValidationError, match="Geburtsdatum"):
        services.job_map(
            job_id=job.pk,
            mapping=job.mapping[:4] + [""] * 4,
            key="name_and_birth",
            existing="update",
        )


def test_a_saved_assignment_is_offered_for_the_next_file_with_its_columns():
    from imports import selectors

    job = services.job_create(data=csv_bytes([HEADER, ERIKA]), filename="alt.csv")
    mapping = [*job.mapping[:-1], ""]  # "Ort" left out on purpose
    services.job_map(
        job_id=job.pk, mapping=mapping, key="name_and_birth", existing="skip", save_as="Optiplan"
    )
    saved = ImportMapping.objects.get()
    assert saved.name == "Optiplan" and "Ort" not in saved.columns
    again = services.job_create(
        data=csv_bytes([list(reversed(HEADER)), list(reversed(ERIKA))]), filename="neu.csv"
    )
    assert selectors.fitting_mapping(again) == saved
    assert services.mapping_for(again, saved) == ["", *reversed(mapping[:-1])]


def test_each_batch_commits_whole_and_a_stop_keeps_what_the_report_lists(settings, monkeypatch):
    settings.IMPORT_BATCH_SIZE = 2
    rows = [[str(n), "", f"Vor{n}", f"Nach{n}", "", "", "", ""] for n in range(1, 6)]
    job = job_for(rows)
    run(job, dry_run=True)
    original = services._batch
    calls = []

    def database_gone_in_batch_2(*args):
        calls.append(1)
        results = original(*args)
        if len(calls) == 2:
            raise RuntimeError("connection lost")
        return results

    monkeypatch.setattr(services, "_batch", database_gone_in_batch_2)
    services.job_start(job_id=job.pk, dry_run=False)
    with pytest.raises(RuntimeError):
        run_queued_imports()
    job.refresh_from_db()
    assert job.state == ImportJob.State.FAILED
    assert job.failure == "Abgebrochen: interner Fehler."
    # Rows 2 and 3 were the first batch; the second batch (4, 5) rolled back.
    assert job.rows_done == 2
    assert [row[:2] for row in report(job)] == [(2, "new"), (3, "new")]
    assert sorted(Customer.objects.values_list("last_name", flat=True)) == ["Nach1", "Nach2"]
    # The file must be uploaded again: it is not kept.
    assert bytes(ImportJob.objects.get(pk=job.pk).data) == b""


def test_a_row_that_raises_is_an_error_row_and_the_batch_goes_on(monkeypatch):
    rows = [[str(n), "", f"Vor{n}", f"Nach{n}", "", "", "", ""] for n in range(1, 4)]
    from imports.customers import CustomerImporter

    original = CustomerImporter.process

    def broken_row_3(self, row_number, values):
        if row_number == 3:
            Customer.objects.create(first_name="", last_name="")  # a constraint fails
        return original(self, row_number, values)

    monkeypatch.setattr(CustomerImporter, "process", broken_row_3)
    job = run(job_for(rows), dry_run=True)
    job = run(job, dry_run=False)
    assert report(job) == [
        (2, "new", ""),
        (3, "error", "konnte nicht gespeichert werden"),
        (4, "new", ""),
    ]
    assert Customer.objects.count() == 2


def test_the_test_run_knows_the_people_of_earlier_batches(settings):
    settings.IMPORT_BATCH_SIZE = 2
    rows = [
        ["1", "", "Erika", "Muster", "03.04.1961", "", "", ""],
        ["2", "", "Hans", "Anders", "", "", "", ""],
        # The same person under another number of the old system, next batch.
        ["3", "", "ERIKA", "muster", "03.04.1961", "", "", ""],
    ]
    job = run(job_for(rows), dry_run=True)
    checked = report(job)
    assert checked[2] == (4, "skipped", "möglicherweise dieselbe Person wie in Zeile 2")
    job = run(job, dry_run=False)
    assert report(job) == checked
    assert Customer.objects.count() == 2


def test_a_failed_row_does_not_stand_for_later_rows_with_its_key():
    rows = [
        ["4711", "", "Erika", "Muster", "31.02.1961", "", "", ""],
        ["4711", "", "Erika", "Muster", "03.04.1961", "", "", ""],
    ]
    job = run(job_for(rows), dry_run=True)
    assert [row[1] for row in report(job)] == ["error", "new"]


def test_an_external_number_another_customer_has_is_a_row_error():
    factories.customer(first_name="Anna", last_name="Andere", external_number="4711")
    factories.customer(
        first_name="Erika", last_name="Mustermann", date_of_birth=datetime.date(1961, 4, 3)
    )
    job = run(job_for([ERIKA], key="name_and_birth"), dry_run=True)
    assert report(job)[0][1:] == ("error", "Fremdnummer: Ein anderer Kunde hat diese Fremdnummer.")


def test_a_run_whose_worker_was_killed_resumes_after_the_last_batch(
    settings, monkeypatch, owner_client
):
    settings.IMPORT_BATCH_SIZE = 2
    rows = [[str(n), "", f"Vor{n}", f"Nach{n}", "", "", "", ""] for n in range(1, 6)]
    job = job_for(rows)
    run(job, dry_run=True)
    from imports.customers import CustomerImporter

    original = CustomerImporter.process

    def killed_on_row_4(self, row_number, values):
        if row_number == 4:
            raise KeyboardInterrupt  # as a killed worker: no chance to say so
        return original(self, row_number, values)

    monkeypatch.setattr(CustomerImporter, "process", killed_on_row_4)
    services.job_start(job_id=job.pk, dry_run=False)
    queued_token = ImportJob.objects.get(pk=job.pk).run_token
    with pytest.raises(KeyboardInterrupt):
        run_queued_imports()
    monkeypatch.setattr(CustomerImporter, "process", original)
    job.refresh_from_db()
    assert (job.state, job.rows_done) == (ImportJob.State.IMPORTING, 2)
    url = reverse("imports:job", args=[job.pk])
    assert "data-resume" not in owner_client.get(url).text
    with pytest.raises(ValidationError, match="läuft"):
        services.job_resume(job_id=job.pk)

    ImportJob.objects.filter(pk=job.pk).update(
        progress_at=timezone.now() - datetime.timedelta(minutes=11)
    )
    page = owner_client.get(url).text
    assert "der Hintergrund-Worker wurde vermutlich angehalten" in page
    owner_client.post(reverse("imports:action", args=[job.pk, "resume"]))
    # The killed run, should it wake up after all, belongs to no job now.
    assert services.job_run(job_id=job.pk, token=queued_token).rows_done == 2
    run_queued_imports()
    job.refresh_from_db()
    assert job.state == ImportJob.State.DONE
    assert [row[:2] for row in report(job)] == [(n, "new") for n in range(2, 7)]
    assert Customer.objects.count() == 5


def test_a_run_taken_over_mid_batch_writes_nothing(monkeypatch):
    job = job_for([ERIKA])
    run(job, dry_run=True)
    services.job_start(job_id=job.pk, dry_run=False)
    original = services._batch

    def resumed_meanwhile(*args):
        results = original(*args)
        ImportJob.objects.filter(pk=job.pk).update(run_token="another-run")
        return results

    monkeypatch.setattr(services, "_batch", resumed_meanwhile)
    assert run_queued_imports() == 1
    job.refresh_from_db()
    assert (job.state, job.rows_done) == (ImportJob.State.IMPORTING, 0)
    assert not Customer.objects.exists()
    assert not ImportRow.objects.filter(job=job).exists()
