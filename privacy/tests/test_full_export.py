"""The export of all data ("Alle Daten exportieren", issue 27): the
owner's ZIP of every table as CSV and JSON with a German README and the
change history, made in the background, downloaded by who asked for it
until the link expires; no secret in it. And the round trip: the ZIP's
customers, refractions, products and appointments through the importer
into an emptied database come back as they were."""

import csv
import datetime
import hashlib
import io
import json
import zipfile
from decimal import Decimal
from pathlib import Path

import pghistory
import pytest
from django.contrib.auth.models import Group, Permission
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.storage import default_storage
from django.db import IntegrityError, connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from api.services import api_key_create
from appointments.models import Appointment
from appointments.tests import factories as appointment_factories
from customers import services as customer_services
from customers.models import Customer, CustomerEvent
from customers.tests import factories
from imports import services as import_services
from imports.models import ImportJob
from imports.tests.helpers import run_queued_imports
from messaging import services as messaging_services
from messaging.models import Channel, Consent, Message, Purpose
from opticrm.lib.phone import format_phone
from prescriptions.models import ContactLensFitting, Refraction
from prescriptions.tests.factories import refraction
from privacy import full_export, services
from privacy.models import DataExport
from privacy.services import data_export_run
from products.models import Category, Product
from products.tests.factories import product

pytestmark = pytest.mark.django_db

PAGE = reverse("privacy:data_export")


def download_url(export: DataExport) -> str:
    return reverse("privacy:data_export_download", args=[export.pk])


# --- Helpers (the browser test uses them too) ----------------------------------


def run_queued_exports() -> int:
    """Run the queued export tasks as the worker would, oldest first; how
    many ran. (The failure test expects the task to raise.)"""
    ran = 0
    for result in DBTaskResult.objects.filter(task_path__endswith="make_data_export").order_by(
        "enqueued_at"
    ):
        result.delete()
        data_export_run(**result.args_kwargs["kwargs"])
        ran += 1
    return ran


def archive(export: DataExport) -> zipfile.ZipFile:
    export.refresh_from_db()
    with default_storage.open(export.storage_name, "rb") as content:
        return zipfile.ZipFile(io.BytesIO(content.read()))


def csv_rows(zip_file: zipfile.ZipFile, table: str) -> list[dict[str, str]]:
    text = zip_file.read(f"csv/{table}.csv").decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.DictReader(io.StringIO(text[1:]), delimiter=";"))


def json_rows(zip_file: zipfile.ZipFile, table: str) -> list[dict]:
    return json.loads(zip_file.read(f"json/{table}.json").decode("utf-8"))


def exported(user) -> DataExport:
    export = services.data_export_request(user=user)
    assert run_queued_exports() == 1
    export.refresh_from_db()
    assert export.state == DataExport.State.READY, export.failure
    return export


@pytest.fixture(autouse=True)
def media(settings, tmp_path) -> Path:
    """The default storage in a folder of the test's own."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def stored_files(media: Path) -> list[Path]:
    return [path for path in media.rglob("*") if path.is_file()] if media.exists() else []


# --- The page and who may use it ------------------------------------------------


def test_only_the_owner_may_export_all_data(
    client, staff_client, optician_client, owner_client, staff, django_user_model
):
    assert client.get(PAGE).status_code == 302
    assert staff_client.get(PAGE).status_code == 403
    assert optician_client.get(PAGE).status_code == 403
    assert staff_client.post(PAGE).status_code == 403
    assert not DataExport.objects.exists()
    with pytest.raises(PermissionDenied):
        services.data_export_request(user=staff)
    assert owner_client.get(PAGE).status_code == 200
    # No group has the permission: it is the owner's.
    assert not Group.objects.filter(permissions__codename="add_dataexport").exists()


def test_the_import_page_links_to_it_for_the_owner_only(owner_client, staff_client, staff):
    assert f'href="{PAGE}"' in owner_client.get("/imports/").text
    staff.user_permissions.add(Permission.objects.get(codename="add_importjob"))
    for codename in ("add_customer", "change_customer"):
        staff.user_permissions.add(Permission.objects.get(codename=codename))
    page = staff_client.get("/imports/")
    assert page.status_code == 200
    assert f'href="{PAGE}"' not in page.text


def test_the_page_explains_the_file_and_starts_an_export(owner_client, owner):
    page = owner_client.get(PAGE)
    assert "LIESMICH.txt" in page.text
    assert "data-start-export" in page.text
    assert "data-export-warning" in page.text
    response = owner_client.post(PAGE)
    assert response.status_code == 302
    assert response["Location"] == PAGE
    export = DataExport.objects.get()
    assert (export.state, export.created_by) == (DataExport.State.QUEUED, owner)
    task = DBTaskResult.objects.get(task_path__endswith="make_data_export")
    assert task.args_kwargs["kwargs"] == {"export_id": export.pk}
    page = owner_client.get(PAGE)
    assert "data-start-export" not in page.text
    assert 'data-export-active="queued"' in page.text
    # While it is being made, the list asks for itself again.
    assert 'hx-trigger="every 2s"' in page.text


def test_a_second_export_is_refused_while_one_is_being_made(owner_client, owner, django_user_model):
    services.data_export_request(user=owner)
    response = owner_client.post(PAGE, follow=True)
    assert [str(m) for m in response.context["messages"]] == [
        str(services._already_running().messages[0])
    ]
    assert DataExport.objects.count() == 1
    other = django_user_model.objects.create_superuser(username="filialleitung", password="x")
    DataExport.objects.update(state=DataExport.State.RUNNING)
    with pytest.raises(ValidationError) as refused:
        services.data_export_request(user=other)
    assert refused.value.code == "running"
    # Another owner sees whose export is running instead of the button.
    client = owner_client.__class__()
    client.force_login(other)
    page = client.get(PAGE).text
    assert "data-start-export" not in page
    assert "Ines Inhaber" in page
    # The model's validation (and the database) refuse a second one too.
    with pytest.raises(ValidationError) as refused:
        DataExport(created_by=other).full_clean()
    assert refused.value.messages == services._already_running().messages
    with pytest.raises(IntegrityError), transaction.atomic():
        DataExport.objects.create(created_by=other)


def test_the_poll_answers_with_the_list_and_stops_once_ready(owner_client, owner):
    services.data_export_request(user=owner)
    partial = owner_client.get(PAGE, headers={"HX-Request": "true"})
    assert partial.status_code == 200
    assert partial.text.lstrip().startswith('<div id="data-exports"')
    assert 'hx-trigger="every 2s"' in partial.text
    assert "<html" not in partial.text
    run_queued_exports()
    partial = owner_client.get(PAGE, headers={"HX-Request": "true"})
    assert "hx-trigger" not in partial.text
    assert "data-download" in partial.text
    assert "data-start-export" in partial.text


def test_the_page_reads_little(owner_client, owner, django_assert_num_queries):
    for _ in range(3):
        exported(owner)
    owner_client.get(PAGE)
    # Session, user, live counters, the exports and the running one.
    with django_assert_num_queries(5):
        page = owner_client.get(PAGE)
    assert page.text.count("data-download") == 3


# --- The ZIP ------------------------------------------------------------------


@pytest.fixture
def shop(owner, optician, staff):
    """A little of everything: customers with history and consents,
    refractions, a fitting, appointments, products."""
    with pghistory.context(user=owner.pk, url="/customers/new/"):
        erika = factories.customer(
            first_name="Erika",
            last_name="Müller-Lüdenscheidt",
            email="erika@example.de",
            phone="0151 23456789",
            date_of_birth=datetime.date(1961, 4, 3),
            street="Hauptstraße 1",
            postcode="80331",
            town="München",
            notes="=SUMME(A1:A3)",
            external_number="K-4711",
        )
    from customers import services as customer_services

    customer_services.customer_update(
        customer_id=erika.pk, data={"town": "Augsburg", "postcode": "86150"}, user=staff
    )
    messaging_services.consent_give(
        customer_id=erika.pk,
        channel=Channel.EMAIL,
        purpose=Purpose.MARKETING,
        method="in_store",
        text="Ja, bitte erinnern.",
        user=staff,
    )
    refraction(erika, optician, right_sphere=Decimal("-1.75"), right_axis=5)
    appointment_factories.calendar_for(staff)
    appointment_factories.appointment(staff=staff, customer=erika, notes="Gleitsicht")
    product(name="Fassung „Nord“", purchase_price=Decimal("49.90"))
    return erika


def test_the_zip_holds_every_table_as_csv_and_json_and_a_readme(owner, shop):
    export = exported(owner)
    zip_file = archive(export)
    names = set(zip_file.namelist())
    tables = full_export.tables()
    for table in tables:
        assert f"csv/{table.name}.csv" in names
        assert f"json/{table.name}.json" in names
    assert names == {
        "LIESMICH.txt",
        *(f"csv/{t.name}.csv" for t in tables),
        *(f"json/{t.name}.json" for t in tables),
    }
    assert export.counts["customers_customer"] == 1
    assert export.counts["customers_customerevent"] == CustomerEvent.objects.count() >= 2
    assert export.counts["prescriptions_refraction"] == 1
    for table in tables:
        assert len(json_rows(zip_file, table.name)) == export.counts[table.name]
        assert len(csv_rows(zip_file, table.name)) == export.counts[table.name]
    # What the file is and how large, for the page and the log.
    assert export.size == default_storage.size(export.storage_name)
    with default_storage.open(export.storage_name, "rb") as content:
        assert hashlib.sha256(content.read()).hexdigest() == export.sha256
    assert export.filename.startswith("opticrm-")
    assert export.filename.endswith(".zip")
    assert export.expires_at == export.finished_at + datetime.timedelta(hours=24)
    assert all(info.compress_type == zipfile.ZIP_DEFLATED for info in zip_file.infolist())


def test_the_readme_describes_every_table_and_column_in_german(owner, shop):
    readme = archive(exported(owner)).read("LIESMICH.txt").decode("utf-8")
    for table in full_export.tables():
        section = readme.split(f"\n{table.name}: ", 1)[1].split("\n\n", 1)[0]
        for column in table.columns:
            assert f"\n  {column.name} | " in section, (table.name, column.name)
        for name, _why in table.left_out:
            assert f"\n  {name}: " in section
    # Meanings from the fields' German names, with the choices' labels.
    assert "  first_name | Vorname | " in readme
    assert "  date_of_birth | Geburtsdatum | " in readme
    assert "„ms“ = Frau, „mr“ = Herr" in readme
    assert "  right_sphere | " in readme
    assert "customers_customerevent: " in readme
    assert "Europe/Berlin" in readme
    for excluded in full_export.EXCLUDED:
        assert excluded.replace(".", "_") in readme


def test_every_model_of_the_project_is_exported_or_left_out_on_purpose():
    """A new app's tables are exported by themselves; one left out must be
    named in EXCLUDED, with the reason the README gives."""
    exported_labels = {table.model._meta.label_lower for table in full_export.tables()}
    for model in full_export.project_models():
        label = model._meta.label_lower
        assert (label in exported_labels) != (label in full_export.EXCLUDED), label
    project = {model._meta.label_lower for model in full_export.project_models()}
    assert set(full_export.EXCLUDED) <= project  # no stale entries
    assert {"customers.customer", "customers.customerevent", "privacy.dataexport"} <= (
        exported_labels
    )
    assert set(full_export.ALSO_EXPORTED) <= exported_labels


def test_no_password_hash_or_other_secret_is_in_the_zip(owner, shop, staff, media):
    calendar = appointment_factories.calendar_for(staff)
    key, raw_key = api_key_create(name="Online-Terminbuchung", user=owner)
    job = import_services.job_create(
        data=b"Kundennr;Vorname;Nachname\r\n9;Geheim;Datei\r\n",
        filename="alt.csv",
        user=owner,
    )
    ImportJob.objects.filter(pk=job.pk).update(run_token="f" * 32)
    # An unsubscribe link's signed part in the history's page address.
    token = "aGVsbG8:1tXyZa:Sig_nature-0123456789abcdef"
    with pghistory.context(user=owner.pk, url=f"/messaging/abmelden/{token}/"):
        Consent.objects.filter(customer=shop).update(text="geändert")
    owner.refresh_from_db()
    staff.refresh_from_db()
    secrets = [
        owner.password,
        staff.password,
        owner.password.split("$")[-1],
        key.key_hash,
        raw_key,
        calendar.feed_token,
        "f" * 32,
        token,
    ]
    zip_file = archive(exported(owner))
    everything = b"".join(zip_file.read(name) for name in zip_file.namelist())
    for secret in secrets:
        assert secret.encode() not in everything, secret
    assert b"Geheim;Datei" not in everything
    users = csv_rows(zip_file, "auth_user")
    assert "password" not in users[0]
    assert {row["username"] for row in users} >= {"inhaber", "empfang", "optik"}
    groups = {row["id"]: row["name"] for row in csv_rows(zip_file, "auth_group")}
    memberships = csv_rows(zip_file, "auth_user_groups")
    assert {groups[row["group_id"]] for row in memberships if row["user_id"] == str(staff.pk)} == {
        "Mitarbeiter"
    }
    assert "feed_token" not in csv_rows(zip_file, "appointments_staffcalendar")[0]
    assert "key_hash" not in json_rows(zip_file, "api_apikey")[0]
    assert "data" not in json_rows(zip_file, "imports_importjob")[0]
    contexts = [row["metadata"] for row in json_rows(zip_file, "pghistory_context")]
    assert {"user": owner.pk, "url": "/messaging/abmelden/…/"} in contexts


def test_the_csv_is_german_and_safe_for_excel(owner, shop):
    zip_file = archive(exported(owner))
    raw = zip_file.read("csv/customers_customer.csv").decode("utf-8")
    assert raw.startswith("\ufeffid;created_at;updated_at;first_name;last_name;")
    assert "\r\n" in raw
    (customer,) = csv_rows(zip_file, "customers_customer")
    assert customer["date_of_birth"] == "03.04.1961"
    assert customer["phone"] == format_phone(shop.phone) == "01512 3456789"
    assert customer["town"] == "Augsburg"
    assert customer["external_number"] == "K-4711"
    assert customer["salutation"] == ""
    assert customer["phone_takes_sms"] == "ja"
    assert customer["deleted_at"] == ""
    # A formula stays text.
    assert customer["notes"] == "'=SUMME(A1:A3)"
    created = timezone.localtime(shop.created_at)
    assert customer["created_at"] == created.strftime("%d.%m.%Y %H:%M:%S")
    assert "sort_name" not in customer
    assert "search_text" not in customer
    (measured,) = csv_rows(zip_file, "prescriptions_refraction")
    assert measured["right_sphere"] == "-1,75"
    assert measured["right_pd"] == "31,50"
    assert measured["right_axis"] == "5"
    assert measured["customer_id"] == str(shop.pk)
    (frame,) = csv_rows(zip_file, "products_product")
    assert frame["purchase_price"] == "49,90"
    assert frame["name"] == "Fassung „Nord“"
    hours = csv_rows(zip_file, "appointments_openinghours")[0]
    assert len(hours["opens"]) == 5  # 09:00


def test_the_json_is_typed(owner, shop):
    zip_file = archive(exported(owner))
    (customer,) = json_rows(zip_file, "customers_customer")
    assert customer["id"] == shop.pk
    assert customer["date_of_birth"] == "1961-04-03"
    assert customer["phone"] == "+4915123456789"
    assert customer["insurance_provider_id"] is None
    assert customer["phone_takes_sms"] is True
    assert customer["notes"] == "=SUMME(A1:A3)"
    moment = datetime.datetime.fromisoformat(customer["created_at"])
    assert moment == shop.created_at
    assert moment.utcoffset() is not None
    (measured,) = json_rows(zip_file, "prescriptions_refraction")
    assert measured["right_sphere"] == "-1.75"
    assert measured["right_axis"] == 5
    assert measured["left_cylinder"] is None
    (job_free,) = json_rows(zip_file, "privacy_dataexport")
    assert job_free["state"] == "running"  # the snapshot shows itself being made
    assert isinstance(job_free["counts"], dict)
    raw = zip_file.read("json/customers_customer.json").decode("utf-8")
    assert raw.startswith("[\n{") and raw.endswith("}\n]\n")


def test_the_change_history_is_included_with_who_made_it(owner, staff, shop):
    zip_file = archive(exported(owner))
    events = [
        row
        for row in json_rows(zip_file, "customers_customerevent")
        if row["pgh_obj_id"] == shop.pk
    ]
    assert [event["pgh_label"] for event in events] == list(
        CustomerEvent.objects.filter(pgh_obj=shop)
        .order_by("pgh_id")
        .values_list("pgh_label", flat=True)
    )
    assert [event["pgh_label"] for event in events][:2] == ["insert", "update"]
    assert [event["town"] for event in events][:2] == ["München", "Augsburg"]
    contexts = {row["id"]: row for row in json_rows(zip_file, "pghistory_context")}
    assert contexts[events[0]["pgh_context_id"]]["metadata"]["user"] == owner.pk
    assert json_rows(zip_file, "prescriptions_refractionevent")
    assert json_rows(zip_file, "appointments_appointmentevent")
    assert json_rows(zip_file, "messaging_consentevent")
    readme = zip_file.read("LIESMICH.txt").decode("utf-8")
    assert "  pgh_context_id | " in readme


@pytest.mark.django_db(transaction=True)
def test_the_snapshot_is_one_read_only_repeatable_read_transaction():
    """Outside a transaction (as in the worker) the reads start with SET
    TRANSACTION: one consistent state of every table, and no writes."""
    with (
        CaptureQueriesContext(connection) as queries,
        full_export.snapshot(),
        connection.cursor() as cursor,
    ):
        cursor.execute("SHOW transaction_isolation")
        isolation = cursor.fetchone()[0]
        cursor.execute("SHOW transaction_read_only")
        read_only = cursor.fetchone()[0]
    statements = [query["sql"] for query in queries if query["sql"] != "BEGIN"]
    assert statements[0] == "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY"
    assert (isolation, read_only) == ("repeatable read", "on")


def test_tables_are_read_in_chunks_by_primary_key(owner, django_assert_num_queries):
    for number in range(5):
        factories.customer(first_name=f"Kunde{number}")
    (table,) = [t for t in full_export.tables() if t.name == "customers_customer"]
    selects = [column.select for column in table.columns]
    with django_assert_num_queries(3):  # 2 + 2 + 1 rows
        rows = list(full_export.rows(table, selects, size=2))
    ids = [row[0] for row in rows]
    assert ids == sorted(ids) and len(ids) == 5
    # A table whose primary key has several columns, by all of them.
    from opticrm.models import RateCounter

    RateCounter.objects.create(scope="login", ident="a", window=1, hits=1)
    RateCounter.objects.create(scope="login", ident="a", window=2, hits=1)
    RateCounter.objects.create(scope="api", ident="b", window=1, hits=3)
    counters = full_export._table(RateCounter)
    selects = [column.select for column in counters.columns]
    assert [row[:3] for row in full_export.rows(counters, selects, size=2)] == [
        ("api", "b", 1),
        ("login", "a", 1),
        ("login", "a", 2),
    ]


# --- Download and expiry ----------------------------------------------------------


def test_the_owner_downloads_the_zip(owner_client, owner):
    export = exported(owner)
    response = owner_client.get(download_url(export))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert response["Content-Disposition"] == f'attachment; filename="{export.filename}"'
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in response["Cache-Control"]
    content = b"".join(response.streaming_content)
    assert hashlib.sha256(content).hexdigest() == export.sha256
    assert zipfile.ZipFile(io.BytesIO(content)).read("LIESMICH.txt")


def test_another_user_cannot_download_it(owner, staff_client, django_user_model):
    export = exported(owner)
    assert Client().get(download_url(export)).status_code == 302  # to the log-in
    other = django_user_model.objects.create_superuser(username="filialleitung", password="x")
    client = staff_client.__class__()
    client.force_login(other)
    assert client.get(download_url(export)).status_code == 404
    assert staff_client.get(download_url(export)).status_code == 403
    assert "data-download" not in client.get(PAGE).text


def test_an_expired_link_is_refused_and_the_file_deleted(owner_client, owner, media):
    export = exported(owner)
    assert len(stored_files(media)) == 1
    DataExport.objects.filter(pk=export.pk).update(
        expires_at=timezone.now() - datetime.timedelta(minutes=1)
    )
    response = owner_client.get(download_url(export), follow=True)
    assert response.redirect_chain == [(PAGE, 302)]
    assert len(list(response.context["messages"])) == 1
    assert 'data-state="expired"' in response.text
    assert "data-download" not in response.text
    assert services.data_exports_expire() == 1
    export.refresh_from_db()
    assert (export.state, export.storage_name) == (DataExport.State.EXPIRED, "")
    assert stored_files(media) == []
    # Idempotent: nothing more to do the next time.
    assert services.data_exports_expire() == 0
    assert owner_client.get(download_url(export)).status_code == 302


def test_an_erasure_gives_up_an_export_being_made(owner, django_capture_on_commit_callbacks):
    """Its snapshot is of before the erasure: it would hold the person."""
    customer = factories.customer(first_name="Xaver", last_name="Quellenbrunn")
    export = services.data_export_request(user=owner)
    DataExport.objects.filter(pk=export.pk).update(state=DataExport.State.RUNNING)
    with django_capture_on_commit_callbacks(execute=True):
        customer_services.customer_erase(customer_id=customer.pk, user=owner)
    export.refresh_from_db()
    assert export.state == DataExport.State.FAILED
    assert "gelöscht" in export.failure


def test_an_erasure_withdraws_the_exports_made_before(
    owner, media, django_capture_on_commit_callbacks
):
    """The ZIP holds everyone: erasing a customer takes the files along
    (once the erasure is committed), so nobody downloads the person later."""
    customer = factories.customer(first_name="Xaver", last_name="Quellenbrunn")
    export = exported(owner)
    assert len(stored_files(media)) == 1
    with django_capture_on_commit_callbacks(execute=True):
        customer_services.customer_erase(customer_id=customer.pk, user=owner)
    export.refresh_from_db()
    assert (export.state, export.storage_name) == (DataExport.State.EXPIRED, "")
    assert stored_files(media) == []


def test_a_link_before_its_time_is_kept(owner):
    export = exported(owner)
    assert services.data_exports_expire() == 0
    export.refresh_from_db()
    assert export.state == DataExport.State.READY
    assert default_storage.exists(export.storage_name)
    later = export.expires_at + datetime.timedelta(seconds=1)
    assert services.data_exports_expire(now=later) == 1


def test_a_stopped_worker_s_export_is_given_up_after_hours(owner):
    export = services.data_export_request(user=owner)
    services.data_exports_expire()
    assert DataExport.objects.get().state == DataExport.State.QUEUED
    DataExport.objects.update(created_at=timezone.now() - datetime.timedelta(hours=7))
    services.data_exports_expire()
    export.refresh_from_db()
    assert export.state == DataExport.State.FAILED
    assert export.failure
    # Its task, should it run after all, does nothing; a new one can start.
    assert run_queued_exports() == 1
    assert DataExport.objects.get(pk=export.pk).state == DataExport.State.FAILED
    assert services.data_export_request(user=owner).state == DataExport.State.QUEUED


def test_a_failure_leaves_a_failed_export_and_no_file(
    owner_client, owner, media, monkeypatch, tmp_path
):
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    monkeypatch.setattr("tempfile.tempdir", str(temporary))

    def broken(archive, table):
        if table.name == "customers_customer":
            raise OSError("disk full")
        return 0

    monkeypatch.setattr(full_export, "write_csv", broken)
    export = services.data_export_request(user=owner)
    with pytest.raises(OSError, match="disk full"):
        run_queued_exports()
    export.refresh_from_db()
    assert export.state == DataExport.State.FAILED
    assert export.failure
    assert export.storage_name == ""
    assert stored_files(media) == []
    assert list(temporary.iterdir()) == []
    page = owner_client.get(PAGE).text
    assert 'data-state="failed"' in page
    assert "data-export-failure" in page
    assert "data-start-export" in page


def test_a_failure_while_storing_removes_the_stored_file(owner, media, monkeypatch):
    export = services.data_export_request(user=owner)
    original = DataExport.objects.filter

    def failing_ready(*args, **kwargs):
        if kwargs.get("state") == DataExport.State.RUNNING:
            raise RuntimeError("database gone")
        return original(*args, **kwargs)

    monkeypatch.setattr(DataExport.objects, "filter", failing_ready)
    with pytest.raises(RuntimeError):
        run_queued_exports()
    monkeypatch.undo()
    export.refresh_from_db()
    assert export.state == DataExport.State.FAILED
    assert stored_files(media) == []


def test_the_admin_lists_exports_read_only(owner_client, owner):
    exported(owner)
    page = owner_client.get(reverse("admin:privacy_dataexport_changelist"))
    assert page.status_code == 200
    assert owner_client.get(reverse("admin:privacy_dataexport_add")).status_code == 403


# --- The round trip ------------------------------------------------------------------

CUSTOMER_FIELDS = (
    "salutation", "title", "first_name", "last_name", "date_of_birth", "email", "phone",
    "street", "postcode", "town", "country", "notes", "status", "last_exam_date",
)  # fmt: skip
REFRACTION_FIELDS = tuple(
    f.name
    for f in Refraction._meta.concrete_fields
    if f.name.startswith(("right_", "left_"))
    or f.name in ("date", "kind", "prescriber", "vertex_distance", "binocular_notes", "remarks")
)
PRODUCT_FIELDS = (
    "article_number", "ean", "name", "brand", "model", "colour", "category",
    "purchase_price", "sale_price", "vat_rate", "minimum_stock",
)  # fmt: skip


@pytest.fixture
def records(owner, optician):
    """What a shop moves: customers with their numbers of the system before
    and an address, refractions of both eyes, products, future appointments."""
    from customers.models import Country, Salutation

    erika = factories.customer(
        salutation=Salutation.MS,
        title="Dr.",
        first_name="Erika",
        last_name="Müller-Lüdenscheidt",
        date_of_birth=datetime.date(1961, 4, 3),
        email="erika@example.de",
        phone="0151 23456789",
        street="Hauptstraße 1",
        postcode="80331",
        town="München",
        notes="Gleitsicht; mag Termine am Vormittag",
        last_exam_date=datetime.date(2025, 2, 1),
        external_number="K-4711",
    )
    hans = factories.customer(
        salutation=Salutation.MR,
        first_name="Hans",
        last_name="Öztürk",
        date_of_birth=datetime.date(1975, 12, 24),
        street="Rue de la Gare 3",
        postcode="1234 AB",
        town="Amsterdam",
        country=Country.NL,
        status=Customer.Status.PROSPECT,
        external_number="K-4712",
    )
    grete = factories.customer(first_name="Grete", last_name="Klein", date_of_birth=None)
    refraction(
        erika,
        optician,
        date=datetime.date(2025, 2, 1),
        right_sphere=Decimal("-1.75"),
        right_cylinder=Decimal("-0.50"),
        right_axis=5,
        right_addition=Decimal("2.00"),
        right_prism_horizontal=Decimal("1.0"),
        right_prism_horizontal_base="in",
        right_visus_cc=Decimal("1.0"),
        left_sphere=Decimal("-2.00"),
        left_cylinder=Decimal("-0.75"),
        left_axis=175,
        left_addition=Decimal("2.00"),
        left_pd=Decimal("32.5"),
        prescriber="Dr. Auge",
        vertex_distance=Decimal("12"),
        remarks="Blendempfindlich",
    )
    refraction(hans, optician, kind=Refraction.Kind.EXTERNAL, date=datetime.date(2024, 11, 5))
    product(
        article_number="LB-9704",
        ean="4006381333931",
        name="Air Titanium Rim",
        brand="Lindberg",
        model="9704",
        colour="Gold",
        purchase_price=Decimal("180.00"),
        sale_price=Decimal("449.00"),
    )
    product(
        category=Category.CARE,
        article_number="PF-01",
        name="All-in-one 360 ml",
        brand="Pflegefix",
        purchase_price=Decimal("4.95"),
        sale_price=Decimal("12.90"),
        vat_rate=7,
        minimum_stock=10,
    )
    appointment_factories.calendar_for(owner)
    day = appointment_factories.working_day(
        start=timezone.localdate() + datetime.timedelta(days=14)
    )
    appointment_factories.appointment(
        staff=owner,
        customer=erika,
        start=appointment_factories.at(10, 30, day),
        notes="Brille abholen und anpassen",
    )
    appointment_factories.appointment(
        staff=owner,
        customer=hans,
        type_name="Kontaktlinsenanpassung",
        start=appointment_factories.at(15, 0, day),
    )
    return [erika, hans, grete]


def _snapshot(customers: list[Customer]) -> dict:
    """The meaningful fields of everything the round trip carries."""
    return {
        "customers": {
            c.pk: {name: getattr(c, name) for name in CUSTOMER_FIELDS} for c in customers
        },
        "refractions": {
            (r.customer_id, r.date, r.kind): {name: getattr(r, name) for name in REFRACTION_FIELDS}
            for r in Refraction.objects.all()
        },
        "products": {
            p.article_number: {name: getattr(p, name) for name in PRODUCT_FIELDS}
            for p in Product.objects.all()
        },
        "appointments": {
            (a.customer_id, a.start): (a.end, a.type_id, a.staff_id, a.notes, a.status)
            for a in Appointment.objects.all()
        },
    }


def _empty_the_shop() -> None:
    Message.objects.all().delete()
    Appointment.objects.all().delete()
    ContactLensFitting.objects.all().delete()
    Refraction.objects.all().delete()
    Consent.objects.all().delete()
    Customer.objects.all().delete()
    Product.objects.all().delete()


def _import(kind: str, data: bytes, filename: str, user, key: str) -> ImportJob:
    job = import_services.job_create(data=data, filename=filename, kind=kind, user=user)
    import_services.job_map(job_id=job.pk, mapping=job.mapping, key=key, existing="update")
    for dry_run in (True, False):
        import_services.job_start(job_id=job.pk, dry_run=dry_run)
        run_queued_imports()
    job.refresh_from_db()
    assert job.state == ImportJob.State.DONE, job.failure
    return job


def _appointments_file(zip_file: zipfile.ZipFile) -> bytes:
    """The appointments as the importer takes them: the export's table
    keeps the type and the staff member as references (ids) and the start
    as one moment; the importer wants their names, and date and time apart.
    What a shop does in a spreadsheet (a VLOOKUP and a split)."""
    types = {row["id"]: row["name"] for row in csv_rows(zip_file, "appointments_appointmenttype")}
    users = {row["id"]: row["username"] for row in csv_rows(zip_file, "auth_user")}
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";")
    writer.writerow(["customer_id", "date", "start", "end", "type", "staff", "notes"])
    for row in csv_rows(zip_file, "appointments_appointment"):
        day, start = row["start"].split(" ")
        _day, end = row["end"].split(" ")
        writer.writerow(
            [
                row["customer_id"],
                day,
                start[:5],
                end[:5],
                types[row["type_id"]],
                users[row["staff_id"]],
                row["notes"],
            ]
        )
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def test_round_trip_export_all_then_import_into_an_emptied_shop(owner, records):
    before = _snapshot(records)
    assert [len(part) for part in before.values()] == [3, 2, 2, 2]
    zip_file = archive(exported(owner))
    _empty_the_shop()
    assert not Customer.objects.exists()

    # Each file as it is in the ZIP; the importer recognises its headings.
    customers = _import(
        "customers",
        zip_file.read("csv/customers_customer.csv"),
        "customers_customer.csv",
        owner,
        key="external_number",
    )
    assert customers.counts == {"new": 3}
    # OptiCRM's customer number becomes the new system's "Fremdnummer": the
    # refractions and appointments name their customer by it (customer_id).
    assert customers.mapping[customers.headers.index("id")] == "external_number"
    assert customers.mapping[customers.headers.index("external_number")] == ""
    assert customers.mapping[customers.headers.index("insurance_provider_id")] == ""
    new_id = {int(c.external_number): c.pk for c in Customer.objects.all()}
    refractions = _import(
        "refractions",
        zip_file.read("csv/prescriptions_refraction.csv"),
        "prescriptions_refraction.csv",
        owner,
        key="external_number",
    )
    assert refractions.counts == {"new": 2}
    products = _import(
        "products",
        zip_file.read("csv/products_product.csv"),
        "products_product.csv",
        owner,
        key="article_number",
    )
    assert products.counts == {"new": 2}
    appointments = _import(
        "appointments", _appointments_file(zip_file), "termine.csv", owner, key="external_number"
    )
    assert appointments.counts == {"new": 2}

    after = _snapshot(list(Customer.objects.all()))
    assert after["customers"] == {new_id[pk]: fields for pk, fields in before["customers"].items()}
    assert after["refractions"] == {
        (new_id[customer], day, kind): values
        for (customer, day, kind), values in before["refractions"].items()
    }
    assert after["products"] == before["products"]
    assert after["appointments"] == {
        (new_id[customer], start): values
        for (customer, start), values in before["appointments"].items()
    }


def test_round_trip_keeps_the_customers_own_external_numbers(owner, records):
    """Keyed by the Fremdnummer of the system before OptiCRM instead: the
    column external_number assigned to it, the customer number left out."""
    before = _snapshot(records)["customers"]
    numbers = {c.pk: c.external_number for c in records}
    data = archive(exported(owner)).read("csv/customers_customer.csv")
    _empty_the_shop()
    job = import_services.job_create(data=data, filename="kunden.csv", user=owner)
    mapping = [
        "" if heading == "id" else "external_number" if heading == "external_number" else field
        for heading, field in zip(job.headers, job.mapping, strict=True)
    ]
    import_services.job_map(job_id=job.pk, mapping=mapping, key="name_and_birth", existing="update")
    for dry_run in (True, False):
        import_services.job_start(job_id=job.pk, dry_run=dry_run)
        run_queued_imports()
    job.refresh_from_db()
    # Grete has no date of birth: matching by name and birth skips her.
    assert job.counts == {"new": 2, "skipped": 1}
    after = {
        c.external_number: {n: getattr(c, n) for n in CUSTOMER_FIELDS}
        for c in Customer.objects.all()
    }
    assert after == {numbers[pk]: fields for pk, fields in before.items() if numbers[pk]}
