"""The refraction export (issue 27): the customer list's customers'
refractions as a file in the columns the refraction import reads, for
those who see health data and may export; each export is logged; and the
file comes back in through the import unchanged."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from customers.models import Customer
from customers.tests import factories
from imports.tests.test_other_kinds import imported
from prescriptions import services as prescription_services
from prescriptions.models import HealthDataAccess, Refraction
from prescriptions.tests.factories import refraction

pytestmark = pytest.mark.django_db

VALUES = [
    "right_sphere", "right_cylinder", "right_axis", "right_addition", "right_prism_horizontal",
    "right_prism_horizontal_base", "right_prism_vertical", "right_prism_vertical_base",
    "right_visus_sc", "right_visus_cc", "right_pd", "left_sphere", "left_cylinder", "left_axis",
    "left_addition", "left_pd", "kind", "date", "prescriber", "vertex_distance",
    "binocular_notes",
]  # fmt: skip


@pytest.fixture
def measured(owner):
    erika = factories.customer(
        first_name="Erika", last_name="Muster", external_number="A-17", status="active"
    )
    hans = factories.customer(first_name="Hans", last_name="Alt", status="inactive")
    full = refraction(
        erika,
        owner,
        right_addition=Decimal("2.25"),
        right_prism_horizontal=Decimal("1.5"),
        right_prism_horizontal_base="in",
        right_prism_vertical=Decimal("0.5"),
        right_prism_vertical_base="down",
        right_visus_sc=Decimal("0.4"),
        right_visus_cc=Decimal("1.0"),
        left_cylinder=Decimal("-1.75"),
        left_axis=5,
        left_addition=Decimal("2.25"),
        vertex_distance=Decimal("13.5"),
        binocular_notes="Phorie gering",
    )
    external = refraction(
        erika,
        owner,
        kind=Refraction.Kind.EXTERNAL,
        date=datetime.date(2025, 1, 9),
        prescriber="Dr. Auge",
    )
    corrected = refraction(hans, owner, date=datetime.date(2024, 5, 2))
    prescription_services.refraction_correct(
        refraction_id=corrected.pk,
        data={
            **{name: getattr(corrected, name) for name in VALUES},
            "examiner": owner,
            "right_sphere": Decimal("-3"),
        },
        user=owner,
    )
    return {"erika": erika, "hans": hans, "full": full, "external": external}


def lines(response) -> list[list[str]]:
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return [line.split(";") for line in text.splitlines()]


def test_the_export_has_the_import_columns_and_every_current_value(owner_client, measured):
    response = owner_client.get(reverse("prescriptions:refraction_export", args=["csv"]))
    assert response.status_code == 200
    rows = lines(response)
    header = rows[0]
    headings = [
        "Fremdnummer", "Kunde (Nachname, Vorname)", "Geburtsdatum", "Datum", "Art", "R Sph",
        "R Zyl", "R A", "R Prisma H", "R Basis horizontal", "R Basis vertikal", "L Add",
        "Hornhautscheitelabstand (HSA)", "Bemerkungen",
    ]  # fmt: skip
    for heading in headings:
        assert heading in header, heading
    assert len(rows) == 4  # the corrected record once, as it is now
    name = header.index("Kunde (Nachname, Vorname)")
    (full,) = [
        row
        for row in rows[1:]
        if row[name] == "Muster, Erika" and row[header.index("Datum")] == "12.03.2026"
    ]
    assert full[header.index("Kunde (Nachname, Vorname)")] == "Muster, Erika"
    assert full[header.index("R Basis horizontal")] == "innen"
    assert full[header.index("R Basis vertikal")] == "unten"
    assert full[header.index("R Sph")] == "1,25"
    assert full[header.index("L A")] == "5"
    hans = [
        row for row in rows[1:] if row[header.index("Kunde (Nachname, Vorname)")] == "Alt, Hans"
    ]
    assert [row[header.index("R Sph")] for row in hans] == ["-3,00"]
    access = HealthDataAccess.objects.get(where=HealthDataAccess.Where.EXPORT)
    assert access.customer_number is None


def test_the_export_follows_the_list_filters(owner_client, measured):
    url = reverse("prescriptions:refraction_export", args=["csv"])
    rows = lines(owner_client.get(url, {"status": "inactive"}))
    assert [row[2] for row in rows[1:]] == ["Alt, Hans"]
    bad = owner_client.get(url, {"status": "nonsense"})
    assert bad.status_code == 302
    assert HealthDataAccess.objects.filter(where="export").count() == 1


def test_only_who_sees_refractions_and_may_export(
    staff_client, optician_client, owner_client, measured
):
    url = reverse("prescriptions:refraction_export", args=["csv"])
    assert staff_client.get(url).status_code == 403
    assert optician_client.get(url).status_code == 403  # no export right
    list_page = owner_client.get(reverse("customers:list")).content.decode()
    assert url in list_page
    assert url not in staff_client.get(reverse("customers:list")).content.decode()
    assert url not in optician_client.get(reverse("customers:list")).content.decode()
    assert not HealthDataAccess.objects.filter(where="export").exists()


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_the_export_comes_back_in_through_the_import(owner, owner_client, measured, file_format):
    url = reverse("prescriptions:refraction_export", args=[file_format])
    response = owner_client.get(url)
    data = b"".join(response.streaming_content) if response.streaming else response.getvalue()
    before = {
        (r.customer_id, r.date, r.kind): {name: getattr(r, name) for name in VALUES}
        for r in Refraction.objects.filter(superseded_at__isnull=True)
    }
    Refraction.objects.all().delete()
    Customer.objects.update(last_exam_date=None)

    job, report = imported(
        "refractions",
        None,
        key="name_and_birth",
        user=owner,
        data=data,
        filename=f"export.{file_format}",
    )
    assert [outcome for _row, outcome, _message in report] == ["new"] * 3
    after = {
        (r.customer_id, r.date, r.kind): {name: getattr(r, name) for name in VALUES}
        for r in Refraction.objects.all()
    }
    assert after == before
