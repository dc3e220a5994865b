"""Refractions, a supplier's price list and future appointments: each
through its app's services and the form's own value rules."""

import datetime
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from appointments.models import Appointment
from appointments.tests import factories as appointment_factories
from customers.tests import factories
from imports import services
from imports.kinds import kinds_for
from imports.models import ImportJob, ImportRow
from imports.tests.helpers import csv_bytes, run_queued_imports
from messaging.models import Message
from prescriptions.models import Refraction
from prescriptions.tests.factories import refraction
from products.models import Product, Supplier
from products.tests.factories import product

pytestmark = pytest.mark.django_db


def imported(
    kind,
    rows,
    *,
    key="external_number",
    existing="update",
    user=None,
    data=None,
    filename="alt.csv",
):
    job = services.job_create(data=data or csv_bytes(rows), filename=filename, kind=kind, user=user)
    services.job_map(job_id=job.pk, mapping=job.mapping, key=key, existing=existing)
    for dry_run in (True, False):
        services.job_start(job_id=job.pk, dry_run=dry_run)
        run_queued_imports()
    job.refresh_from_db()
    assert job.state == ImportJob.State.DONE
    return job, list(
        ImportRow.objects.filter(job=job)
        .order_by("row_number")
        .values_list("row_number", "outcome", "message")
    )


REFRACTION_HEADER = [
    "KdNr", "Datum", "Art", "R Sph", "R Zyl", "R Achse", "R Add", "L Sph", "L Zyl", "L Achse",
    "L Add", "PD R", "PD L", "Prüfer",
]  # fmt: skip


def test_refractions_in_both_cylinder_notations_with_decimal_comma_or_point(optician):
    erika = factories.customer(first_name="Erika", last_name="M", external_number="4711")
    hans = factories.customer(first_name="Hans", last_name="M", external_number="4712")
    rows = [
        REFRACTION_HEADER,
        # Plus cylinder: stored transposed to minus cylinder.
        ["4711", "12.03.2025", "subjektiv", "-1,00", "+0,50", "90", "", "-1.25", "-0.75",
         "180°", "", "31,5", "32", "Herr Alt"],
        ["4712", "01.02.2024", "Brille", "+2,00", "", "", "2,00", "+2,25", "", "", "2,00",
         "", "", ""],
        ["4713", "01.02.2024", "", "+1,00", "", "", "", "", "", "", "", "", "", ""],
        ["4711", "12.03.2025", "", "-1,00", "", "", "", "", "", "", "", "", "", ""],
        ["4712", "02.02.2024", "", "+1,00", "-0,50", "", "", "", "", "", "", "", "", ""],
        ["4712", "03.02.2024", "", "viel", "", "", "", "", "", "", "", "", "", ""],
    ]  # fmt: skip
    job, report = imported("refractions", rows, user=optician)
    assert job.mapping[:3] == ["customer_external_number", "date", "kind"]
    assert [row[:2] for row in report] == [
        (2, "new"),
        (3, "new"),
        (4, "skipped"),
        (5, "skipped"),
        (6, "error"),
        (7, "error"),
    ]
    assert report[2][2] == "kein Kunde hat die Fremdnummer 4713"
    assert report[3][2] == "derselbe Datensatz wie in Zeile 2"
    assert report[4][2] == "R A: Bitte die Achse des Zylinders angeben."
    assert report[5][2] == "R Sph: Bitte eine Zahl wie −1,25 eingeben."
    first = Refraction.objects.get(customer=erika)
    assert (first.right_sphere, first.right_cylinder, first.right_axis) == (
        Decimal("-0.50"),
        Decimal("-0.50"),
        180,
    )
    assert (first.left_sphere, first.left_cylinder, first.left_axis) == (
        Decimal("-1.25"),
        Decimal("-0.75"),
        180,
    )
    assert first.right_pd == Decimal("31.5")
    assert first.examiner == optician
    assert first.remarks == "Prüfer im alten System: Herr Alt"
    glasses = Refraction.objects.get(customer=hans)
    assert glasses.kind == Refraction.Kind.CURRENT_GLASSES
    erika.refresh_from_db()
    assert erika.last_exam_date == datetime.date(2025, 3, 12)  # a subjective one is an eye test


def test_a_refraction_already_there_is_skipped(optician):
    erika = factories.customer(first_name="Erika", last_name="M", external_number="4711")
    refraction(erika, optician, date=datetime.date(2025, 3, 12))
    rows = [REFRACTION_HEADER[:4], ["4711", "12.03.2025", "subjektiv", "-1,00"]]
    _job, report = imported("refractions", rows, user=optician)
    assert report == [
        (2, "skipped", f"Kunde {erika.pk} hat diese Art Refraktion vom 12.03.2025 schon")
    ]


def test_refractions_by_name_and_birth_date(optician):
    erika = factories.customer(
        first_name="Erika", last_name="Müller", date_of_birth=datetime.date(1961, 4, 3)
    )
    rows = [
        ["Kunde", "Geburtsdatum", "Datum", "Sph R"],
        ["Müller, Erika", "3.4.61", "1.2.2024", "+1"],
    ]
    job, report = imported("refractions", rows, key="name_and_birth", user=optician)
    assert report == [(2, "new", "")]
    assert Refraction.objects.get().customer == erika


def test_products_of_a_price_list_by_ean_new_and_updated():
    supplier = Supplier.objects.create(name="Rodenstock")
    known = product(ean="4006381333931", sale_price=Decimal("100.00"), name="Alt")
    rows = [
        ["EAN", "Artikelnummer", "Bezeichnung", "Warengruppe", "Lieferant", "EK", "VK", "MwSt"],
        ["4006381333931", known.article_number, "Alt", "Fassung", "Rodenstock", "80,00",
         "1.249,00", "19 %"],
        ["4012345678901", "R-1", "Neu", "Fassung", "rodenstock", "10", "29,90", "7"],
        ["4012345678900", "R-2", "Falsche Prüfziffer", "Fassung", "", "", "1", ""],
        ["", "R-3", "Ohne EAN", "Fassung", "", "", "1", ""],
        ["4006381333931", "R-4", "Doppelt", "Fassung", "", "", "1", ""],
        ["4000000000006", "R-5", "Unbekannter Lieferant", "Fassung", "Zeiss", "", "1", ""],
    ]  # fmt: skip
    _job, report = imported("products", rows, key="ean")
    assert [row[:2] for row in report] == [
        (2, "updated"),
        (3, "new"),
        (4, "error"),
        (5, "skipped"),
        (6, "skipped"),
        (7, "error"),
    ]
    assert report[0][2] == "Lieferant, Verkaufspreis (brutto)"
    assert "Zeiss" in report[5][2]
    known.refresh_from_db()
    assert (known.sale_price, known.supplier) == (Decimal("1249.00"), supplier)
    new = Product.objects.get(article_number="R-1")
    assert (new.vat_rate, new.sale_price, new.supplier) == (7, Decimal("29.90"), supplier)
    assert not Product.objects.filter(article_number="R-2").exists()


def test_future_appointments_are_booked_without_confirmations(staff, settings):
    appointment_factories.calendar_for(staff)
    erika = factories.customer(first_name="Erika", last_name="M", external_number="4711",
                               email="erika@example.org")  # fmt: skip
    day = appointment_factories.working_day(
        start=timezone.localdate() + datetime.timedelta(days=30)
    )
    past = (timezone.localdate() - datetime.timedelta(days=3)).strftime("%d.%m.%Y")
    german = day.strftime("%d.%m.%Y")
    staff_name = staff.get_full_name()
    rows = [
        ["KdNr", "Datum", "Uhrzeit", "Terminart", "Mitarbeiter", "Dauer"],
        ["4711", german, "10:00", "Sehtest", staff_name, ""],
        ["4711", german, "10.15", "Sehtest", staff_name, "30"],  # overlaps the first
        ["4711", past, "10:00", "Sehtest", staff_name, ""],
        ["4711", german, "12:00", "Massage", staff_name, ""],
        ["4711", german, "14:00", "Sehtest", "Niemand", ""],
    ]
    _job, report = imported("appointments", rows, user=staff)
    assert [row[:2] for row in report] == [
        (2, "new"),
        (3, "error"),
        (4, "skipped"),
        (5, "error"),
        (6, "error"),
    ]
    assert report[1][2].startswith("Beginn: Doppelbuchung")
    assert report[2][2] == "liegt in der Vergangenheit"
    assert report[3][2] == "Terminart: „Massage“ ist keine bekannte Terminart."
    assert report[4][2] == "Mitarbeiter: „Niemand“ nimmt hier keine Termine an."
    booked = Appointment.objects.get()
    assert booked.customer == erika and booked.staff == staff
    assert timezone.localtime(booked.start).time() == datetime.time(10)
    # A reminder may be planned; no confirmation goes out for an old booking.
    assert not Message.objects.filter(kind="confirmation").exists()


def test_each_kind_needs_its_own_rights(client, staff, optician, owner):
    assert [kind for kind, _label in kinds_for(owner)] == [
        "customers",
        "refractions",
        "products",
        "lens_prices",
        "appointments",
    ]
    import_right = Permission.objects.get(codename="add_importjob")
    staff.user_permissions.add(import_right)
    optician.user_permissions.add(import_right)
    assert "refractions" not in [kind for kind, _label in kinds_for(staff)]
    assert "refractions" in [kind for kind, _label in kinds_for(optician)]
    client.force_login(staff)
    response = client.post(
        reverse("imports:list"),
        {"kind": "refractions", "file": SimpleUploadedFile("r.csv", csv_bytes([["KdNr"], ["1"]]))},
    )
    assert response.status_code == 400
    assert not ImportJob.objects.exists()
    job = services.job_create(
        data=csv_bytes([["KdNr"], ["1"]]), filename="r.csv", kind="refractions"
    )
    assert client.get(reverse("imports:job", args=[job.pk])).status_code == 403
    assert "r.csv" not in client.get(reverse("imports:list")).text
