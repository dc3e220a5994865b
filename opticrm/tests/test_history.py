"""The change history: recorded by triggers, read as people read it."""

import pghistory
import pytest
from django.apps import apps
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from pghistory.models import Events

from customers import services
from customers.models import Customer
from customers.tests import factories
from opticrm.lib.history import record_history
from prescriptions.tests.factories import refraction

pytestmark = pytest.mark.django_db


def edit(client, customer, **changes):
    data = {
        "first_name": customer.first_name, "last_name": customer.last_name, "email": customer.email,
        "phone": "", "date_of_birth": customer.date_of_birth.strftime("%d.%m.%Y"),
        "insurance_provider": "", "last_exam_date": "",
        "notes": customer.notes, "status": customer.status, "version": customer.version,
    }  # fmt: skip
    data.update(changes)
    response = client.post(f"/customers/{customer.pk}/edit/", data)
    assert response.status_code in (200, 302), response.content
    customer.refresh_from_db()


def test_changes_are_recorded_field_by_field_with_the_user(staff_client, staff):
    customer = factories.customer(first_name="Anna", notes="")
    edit(
        staff_client,
        customer,
        first_name="Anne",
        notes="Gleitsicht",
        status="inactive",
        phone="030 1234567",
    )
    history = record_history(customer)
    assert [change.created for change in history] == [False, True]
    latest = history[0]
    assert latest.who == "Anna Schmidt"
    assert sorted(latest.fields) == [
        ("Notizen", "—", "Gleitsicht"),
        ("Status", "Aktiv", "Inaktiv"),
        ("Telefon", "—", "030 1234567"),  # as staff dial it, not as stored (+49…)
        ("Vorname", "Anna", "Anne"),
    ]


def test_history_survives_soft_delete_and_restore(owner):
    customer = factories.customer()
    services.customer_update(customer_id=customer.pk, data={"first_name": "Berta"})
    services.customer_soft_delete(customer_id=customer.pk)
    services.customer_restore(customer_id=customer.pk)
    history = record_history(customer)
    assert [(c.deleted, c.restored) for c in history[:2]] == [(False, True), (True, False)]
    labels = [label for change in history for label, _, _ in change.fields]
    assert "gelöscht am" not in labels  # told as deleted / restored instead
    assert "Vorname" in labels


def test_changes_outside_the_app_are_recorded_too():
    customer = factories.customer(first_name="Carla")
    Customer.objects.filter(pk=customer.pk).update(first_name="Karla")
    change = record_history(customer)[0]
    assert change.fields == [("Vorname", "Carla", "Karla")]
    assert change.who == "System"


def test_purge_erases_the_history_of_the_customers_data(owner):
    from appointments import services as appointment_services
    from appointments.tests.factories import appointment
    from prescriptions.tests.factories import fitting

    customer = factories.customer()
    refraction(customer, owner)
    fitting(customer, owner)
    booked = appointment(staff=owner, customer=customer)
    appointment_services.appointment_set_status(
        appointment_id=booked.pk, status="confirmed", user=owner
    )
    services.customer_update(customer_id=customer.pk, data={"first_name": "Dora"})
    services.customer_soft_delete(customer_id=customer.pk)
    # Every event table of the customer's data, found from the models, not
    # listed by hand: a new tracked model joins the check by itself.
    tracked = {"customers.Customer", "prescriptions.Refraction"}
    tracked |= {"prescriptions.ContactLensFitting", "appointments.Appointment"}
    events = [
        model
        for model in apps.get_models()
        if hasattr(model, "pgh_tracked_model") and model.pgh_tracked_model._meta.label in tracked
    ]
    assert {model.pgh_tracked_model._meta.label for model in events} == tracked
    for model in events:  # the check below cannot pass on empty tables
        assert model.objects.exists(), model._meta.label

    services.customer_purge(customer_id=customer.pk)
    for model in events:
        assert not model.objects.exists(), model._meta.label
    assert not Events.objects.filter(pgh_obj_model__in=tracked).exists()


def test_customer_page_shows_the_history_in_constant_queries(staff_client, staff):
    customer = factories.customer(
        first_name="Eva", insurance_provider=factories.insurance("AOK Bayern")
    )

    def queries() -> tuple[int, str]:
        with CaptureQueriesContext(connection) as captured:
            body = staff_client.get(f"/customers/{customer.pk}/").content.decode()
        return len(captured), body

    # As in requests: every change made under a user's context.
    with pghistory.context(user=staff.pk):
        services.customer_update(customer_id=customer.pk, data={"first_name": "Evi"}, user=staff)
        services.customer_update(
            customer_id=customer.pk, data={"insurance_provider": factories.insurance("hkk")}
        )
    few, body = queries()
    assert "Änderungsprotokoll" in body and "Evi" in body and "Anna Schmidt" in body
    with pghistory.context(user=staff.pk):
        for number in range(10):
            provider = factories.insurance(f"BKK {number}")
            services.customer_update(customer_id=customer.pk, data={"insurance_provider": provider})
    many, body = queries()
    assert many == few
    assert "BKK 8" in body and "BKK 9" in body


def test_the_admin_history_of_a_record_reads_like_the_customer_page(owner_client, owner, staff):
    customer = factories.customer(first_name="Frida", phone="")
    with pghistory.context(user=owner.pk):
        services.customer_update(customer_id=customer.pk, data={"first_name": "Frieda"}, user=owner)
    response = owner_client.get(f"/admin/customers/customer/{customer.pk}/history/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "Vorname: <del>Frida</del> → <ins>Frieda</ins>" in body
    assert "Geändert von" in body and "angelegt" in body
    # No raw event data and no column names of the trigger tables.
    assert "pgh_" not in body and "{&quot;" not in body
    # pghistory's own events admin with raw JSON is gone.
    assert owner_client.get("/admin/pghistory/events/").status_code == 404
    front_desk = Client()
    front_desk.force_login(staff)
    assert front_desk.get(f"/admin/customers/customer/{customer.pk}/history/").status_code == 302


def test_product_page_shows_changes_but_not_stock_which_has_its_ledger(owner_client, owner):
    from decimal import Decimal

    from products import services as product_services
    from products.tests.factories import product

    frame = product(name="Lindberg Air", sale_price=Decimal("249.00"))
    with pghistory.context(user=owner.pk):
        product_services.product_update(product_id=frame.pk, data={"sale_price": Decimal("279.00")})
        product_services.stock_move(product_id=frame.pk, kind="receipt", quantity=5, user=owner)
    history = record_history(frame)
    assert [change.fields for change in history if not change.created] == [
        [("Verkaufspreis (brutto)", "249,00", "279,00")]
    ]
    body = owner_client.get(f"/products/{frame.pk}/").content.decode()
    assert "Änderungsprotokoll" in body and "279,00" in body and "Ines Inhaber" in body


def test_the_oldest_change_shown_is_compared_with_the_one_before_it():
    customer = factories.customer(first_name="Gerda")
    for name in ("Greta", "Grete", "Gesa"):
        services.customer_update(customer_id=customer.pk, data={"first_name": name})
    history = record_history(customer, limit=2)
    assert [change.fields for change in history] == [
        [("Vorname", "Grete", "Gesa")],
        [("Vorname", "Greta", "Grete")],
    ]
    assert [change.created for change in record_history(customer)] == [False] * 3 + [True]


def test_a_context_set_by_hand_with_a_name_for_the_user_still_shows():
    customer = factories.customer(first_name="Hanna")
    for user, name in (("Hausmeister", "Hannah"), (5.5, "Hanne"), (10**30, "Hanni")):
        with pghistory.context(user=user):
            services.customer_update(customer_id=customer.pk, data={"first_name": name})
    history = record_history(customer)
    assert [change.fields for change in history[:3]] == [
        [("Vorname", "Hanne", "Hanni")],
        [("Vorname", "Hannah", "Hanne")],
        [("Vorname", "Hanna", "Hannah")],
    ]
    assert [change.who for change in history[:3]] == ["—"] * 3


def test_a_deletion_and_a_restore_read_as_such_in_the_change_log(owner_client, owner):
    customer = factories.customer(first_name="Eva")
    with pghistory.context(user=owner.pk):
        services.customer_soft_delete(customer_id=customer.pk, user=owner)
        services.customer_restore(customer_id=customer.pk, user=owner)
    body = owner_client.get(f"/customers/{customer.pk}/").content.decode()
    log = body[body.index("Änderungsprotokoll") :]
    assert "· gelöscht" in log and "· wiederhergestellt" in log
    assert "Gelöscht am" not in log
    assert log.index("wiederhergestellt") < log.index("· gelöscht")  # newest first


def test_the_customer_page_names_its_sections(optician_client, optician):
    from prescriptions.tests.factories import fitting, refraction

    customer = factories.customer()
    refraction(customer, optician)
    refraction(customer, optician)
    fitting(customer, optician)
    fitting(customer, optician)
    body = optician_client.get(f"/customers/{customer.pk}/").content.decode()
    for title in ("Refraktionen", "Frühere Refraktionen", "Kontaktlinsen", "Frühere Anpassungen"):
        assert f">{title}</h" in body, title
    assert body.count(">Verlauf<") == 0
