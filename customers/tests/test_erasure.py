"""The right to erasure: purging a customer leaves nothing of the person."""

import datetime

import pytest
from django.contrib.admin.models import CHANGE, LogEntry
from django.db import connection
from django.urls import reverse

from appointments import services as appointment_services
from appointments.models import Appointment
from appointments.tests import factories as appointment_factories
from customers import erasure, selectors, services
from customers.models import Customer, Erasure
from customers.tests import factories
from imports.models import ImportJob, ImportRow, Kind
from messaging import selectors as messaging_selectors
from messaging import services as messaging_services
from messaging.models import Channel, Consent, ConsentEvent, Method, Purpose
from prescriptions.models import Refraction
from prescriptions.tests.factories import fitting, refraction

pytestmark = pytest.mark.django_db

NAME = "Quellenbrunn"
EMAIL = "xaver.quellenbrunn@example.de"


def tables_mentioning(*needles: str) -> dict[str, int]:
    """Every table whose rows, read as text, contain one of the needles."""
    found = {}
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            quoted = connection.ops.quote_name(table)
            where = " OR ".join([f"{quoted}::text ILIKE %s"] * len(needles))
            cursor.execute(
                f"SELECT count(*) FROM {quoted} WHERE {where}",  # noqa: S608
                [f"%{needle}%" for needle in needles],
            )
            (count,) = cursor.fetchone()
            if count:
                found[table] = count
    return found


def give_consent(customer, user) -> Consent:
    return messaging_services.consent_give(
        customer_id=customer.pk,
        channel=Channel.EMAIL,
        purpose=Purpose.MARKETING,
        method=Method.IN_STORE,
        text=messaging_selectors.default_text(Channel.EMAIL, Purpose.MARKETING),
        user=user,
    )


@pytest.fixture
def person(owner):
    appointment_factories.calendar_for(owner)
    customer = factories.customer(
        first_name="Xaver", last_name=NAME, email=EMAIL, phone="+49 89 1234567"
    )
    services.customer_update(
        customer_id=customer.pk, data={"notes": f"{NAME} mag runde Fassungen"}, user=owner
    )
    today = datetime.date.today()
    booked = [
        appointment_services.appointment_book(
            data={
                "customer": customer,
                "staff": owner,
                "type": appointment_factories.appointment_type(),
                "start": appointment_factories.at(10, day=today + datetime.timedelta(days=days)),
                "notes": f"Herr {NAME} kommt mit Sohn",
            },
            user=owner,
            allow_outside_hours=True,
        )
        for days in (-400, 400)
    ]
    refraction(customer, owner, remarks=f"{NAME}: Achse nachgemessen")
    fitting(customer, owner)
    LogEntry.objects.log_actions(
        user_id=owner.pk, queryset=[customer, booked[0]], action_flag=CHANGE, change_message="[]"
    )
    return customer


def test_purging_a_customer_with_appointments_leaves_nothing_of_the_person(owner_client, person):
    assert set(tables_mentioning(NAME, EMAIL)) >= {
        "customers_customer",
        "customers_customerevent",
        "appointments_appointment",
        "appointments_appointmentevent",
        "prescriptions_refraction",
        "django_admin_log",
    }
    owner_client.post(reverse("customers:delete", args=[person.pk]))
    response = owner_client.post(
        reverse("customers:purge", args=[person.pk]), {"confirm": "on"}, follow=True
    )

    assert response.status_code == 200
    assert f"Die Daten von Kunde {person.pk} wurden gelöscht." in response.content.decode()
    assert not Customer.objects.filter(pk=person.pk).exists()
    assert not Appointment.objects.filter(customer_id=person.pk).exists()
    assert tables_mentioning(NAME, EMAIL, "1234567") == {}
    # The admin log keeps that something was done, not to whom.
    assert LogEntry.objects.filter(object_id=str(person.pk), action_flag=CHANGE).exists()


def test_purging_in_the_admin_also_takes_the_appointments(owner_client, person):
    services.customer_soft_delete(customer_id=person.pk)
    url = reverse("admin:customers_customer_delete", args=[person.pk])
    response = owner_client.post(url, {"post": "yes"}, follow=True)
    assert response.status_code == 200
    assert not Customer.objects.filter(pk=person.pk).exists()
    assert tables_mentioning(NAME, EMAIL) == {}


def test_erase_from_the_customer_page_explains_then_erases(owner_client, person):
    """DSGVO Art. 17 from the customer page: what goes and what the law
    keeps, a confirmation, then everything of the person is gone."""
    url = reverse("customers:erase", args=[person.pk])
    detail = owner_client.get(reverse("customers:detail", args=[person.pk])).content.decode()
    assert f'href="{url}"' in detail

    page = owner_client.get(url, HTTP_HX_REQUEST="true").content.decode()
    assert "Termine: 2" in page
    assert "Refraktionen: 1" in page
    assert "Kontaktlinsenanpassungen: 1" in page
    assert "§ 147 AO" in page  # what the law would keep, though nothing is

    refused = owner_client.post(url, HTTP_HX_REQUEST="true").content.decode()
    assert "Bitte bestätigen Sie die Löschung zuerst." in refused
    assert Customer.objects.filter(pk=person.pk).exists()

    response = owner_client.post(url, {"confirm": "on"}, follow=True)
    assert response.redirect_chain[-1][0] == reverse("customers:list")
    assert f"Die Daten von Kunde {person.pk} wurden gelöscht." in response.content.decode()
    assert not Customer.objects.filter(pk=person.pk).exists()
    assert tables_mentioning(NAME, EMAIL, "1234567") == {}
    entry = Erasure.objects.get()
    assert (entry.customer_number, entry.anonymised) == (person.pk, False)


def test_erase_from_the_customer_page_in_the_modal_leaves_the_page(owner_client, person):
    url = reverse("customers:erase", args=[person.pk])
    detail = reverse("customers:detail", args=[person.pk])
    response = owner_client.post(
        url,
        {"confirm": "on"},
        HTTP_HX_REQUEST="true",
        HTTP_HX_CURRENT_URL=f"http://testserver{detail}",
    )
    assert response["HX-Redirect"] == reverse("customers:list")
    assert not Customer.objects.filter(pk=person.pk).exists()


def test_only_the_purge_right_erases(staff_client, optician_client, person):
    url = reverse("customers:erase", args=[person.pk])
    for client in (staff_client, optician_client):
        assert client.get(url).status_code == 403
        assert client.post(url, {"confirm": "on"}).status_code == 403
        page = client.get(reverse("customers:detail", args=[person.pk])).content.decode()
        assert url not in page
    assert Customer.objects.filter(pk=person.pk).exists()


def test_records_the_law_keeps_stay_with_an_anonymised_customer(owner, person, monkeypatch):
    """When invoices (here: consents standing in for them) must be kept,
    the customer row stays, without anything personal, deleted for good."""
    consent = give_consent(person, owner)
    kept = erasure.Holding(
        model=Consent, field="customer_id", history=ConsentEvent, kept_by_law="§ 147 AO: 10 Jahre"
    )
    monkeypatch.setitem(erasure._HOLDINGS, Consent._meta.label, kept)

    plan = selectors.erasure_plan(customer_id=person.pk)
    assert plan.kept == [("Einwilligungen", 1, "§ 147 AO: 10 Jahre")]

    entry = services.customer_erase(customer_id=person.pk, user=owner)

    assert entry.anonymised
    remains = Customer.objects.get(pk=person.pk)
    assert (remains.first_name, remains.last_name) == ("Kunde", "Gelöscht")
    assert remains.anonymised_at and remains.deleted_at
    for name, value in services.ANONYMISED.items():
        assert (
            getattr(remains, name if name != "insurance_provider" else "insurance_provider_id")
            == value
        )
    assert Consent.objects.filter(pk=consent.pk).exists()
    assert not Appointment.objects.filter(customer_id=person.pk).exists()
    assert not Refraction.objects.filter(customer_id=person.pk).exists()
    assert set(tables_mentioning(NAME, EMAIL, "1234567")) <= {"messaging_consentevent"}
    # Neither restorable nor erasable again, nor in any list.
    assert not Customer.objects.deleted().filter(pk=person.pk).exists()
    assert not Customer.objects.alive().filter(pk=person.pk).exists()
    with pytest.raises(Customer.DoesNotExist):
        services.customer_erase(customer_id=person.pk, user=owner)


def test_the_erasure_blanks_import_report_lines_naming_the_customer(owner, person):
    job = ImportJob.objects.create(
        filename="alt.csv", data=b"", kind=Kind.CUSTOMERS, row_count=3, state=ImportJob.State.DONE
    )
    other = factories.customer(first_name="Olga", last_name="Andere")
    ImportRow.objects.bulk_create(
        [
            ImportRow(
                job=job,
                row_number=2,
                outcome="skipped",
                message=f"schon vorhanden: Kunde {person.pk} (Xaver {NAME})",
                object_id=person.pk,
            ),
            ImportRow(
                job=job,
                row_number=3,
                outcome="skipped",
                message=f"möglicherweise schon vorhanden: Kunde {person.pk} (Xaver {NAME})",
            ),
            ImportRow(
                job=job,
                row_number=4,
                outcome="skipped",
                message=f"schon vorhanden: Kunde {other.pk} (Olga Andere)",
                object_id=other.pk,
            ),
        ]
    )
    services.customer_erase(customer_id=person.pk, user=owner)
    rows = dict(ImportRow.objects.values_list("row_number", "message"))
    assert rows == {2: "", 3: "", 4: f"schon vorhanden: Kunde {other.pk} (Olga Andere)"}
    assert ImportRow.objects.get(row_number=2).object_id is None
    assert ImportRow.objects.count() == 3  # the report's counts still add up


def test_admin_log_entries_of_records_deleted_before_lose_the_name(owner, person):
    appointment = Appointment.objects.filter(customer=person).first()
    LogEntry.objects.log_actions(
        user_id=owner.pk, queryset=[appointment], action_flag=CHANGE, change_message="[]"
    )
    Appointment.objects.filter(pk=appointment.pk).delete()  # as the admin would
    services.customer_erase(customer_id=person.pk, user=owner)
    assert tables_mentioning(NAME, EMAIL) == {}


def test_a_second_erasure_of_the_same_customer_is_a_404(owner_client, person):
    url = reverse("customers:erase", args=[person.pk])
    assert owner_client.post(url, {"confirm": "on"}).status_code == 302
    assert owner_client.post(url, {"confirm": "on"}).status_code == 404
    assert Erasure.objects.count() == 1


def test_the_admin_never_deletes_the_anonymised_remains(owner, owner_client, person, monkeypatch):
    kept = erasure.Holding(model=Consent, field="customer_id", kept_by_law="§ 147 AO")
    monkeypatch.setitem(erasure._HOLDINGS, Consent._meta.label, kept)
    give_consent(person, owner)
    services.customer_erase(customer_id=person.pk, user=owner)
    url = reverse("admin:customers_customer_delete", args=[person.pk])
    assert owner_client.post(url, {"post": "yes"}).status_code in (302, 403)
    assert Customer.objects.filter(pk=person.pk, anonymised_at__isnull=False).exists()


def test_imports_waiting_with_a_file_are_discarded_and_listed_before(owner, owner_client, person):
    waiting = ImportJob.objects.create(
        filename="alt.csv",
        data=f"Nachname\n{NAME}\n".encode(),
        samples=[[NAME]],
        kind=Kind.CUSTOMERS,
        row_count=1,
        state=ImportJob.State.CHECKED,
    )
    page = owner_client.get(reverse("customers:erase", args=[person.pk])).content.decode()
    assert "nicht abgeschlossene Importe mit ihrer Datei: 1" in page
    services.customer_erase(customer_id=person.pk, user=owner)
    assert not ImportJob.objects.filter(pk=waiting.pk).exists()
    assert tables_mentioning(NAME, EMAIL) == {}
