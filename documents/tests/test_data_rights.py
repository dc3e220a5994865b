"""A customer's documents in their data rights: the access report (DSGVO
Art. 15) lists each one, deleted ones still kept included, with kind, date,
note, name and size (the files themselves are downloaded on the customer
page: the report is a PDF or JSON file, not an archive); the export of all
data has the documents' table, without the files."""

import io
import json

import pytest
from django.utils import timezone
from pypdf import PdfReader

from customers.tests import factories
from documents import services
from documents.models import CustomerDocument
from documents.services import Upload
from documents.tests import files
from privacy.tests.test_full_export import archive, csv_rows, exported, json_rows
from products.tests.factories import product as make_product

pytestmark = pytest.mark.django_db


def url(customer, file_format: str) -> str:
    return f"/privacy/customers/{customer.pk}/access-report.{file_format}"


@pytest.fixture
def person(stored):
    customer = factories.customer(first_name="Grete", last_name="Öztürk")
    frame = make_product(name="Air Titanium", brand="Lindberg")
    [photo] = services.document_upload(
        customer_id=customer.pk,
        uploads=[Upload("anprobe.jpg", files.jpeg())],
        kind=CustomerDocument.Kind.FRAME_PHOTO,
        document_date=timezone.localdate(),
        note="Rote Fassung gefällt",
        product_id=frame.pk,
    )
    [scan] = services.document_upload(
        customer_id=customer.pk,
        uploads=[Upload("verordnung.pdf", files.pdf())],
        kind=CustomerDocument.Kind.PRESCRIPTION,
        document_date=timezone.localdate(),
    )
    services.document_soft_delete(document_id=scan.pk)
    return customer


def test_the_access_report_lists_the_documents(optician_client, person):
    data = json.loads(optician_client.post(url(person, "json")).content)
    records = data["parts"]["documents"]["records"]
    assert len(records) == 2  # the deleted one too, while it is kept
    by_name = {r["fields"]["original_name"]["value"]: r["fields"] for r in records}
    photo = by_name["anprobe.jpg"]
    assert photo["kind"]["value"] == "frame_photo"
    assert photo["note"]["value"] == "Rote Fassung gefällt"
    assert photo["document_date"]["value"] == timezone.localdate().isoformat()
    assert photo["size"]["value"] > 0
    assert "Lindberg" in photo["product"]["value"] or "Air Titanium" in photo["product"]["value"]
    assert by_name["verordnung.pdf"]["deleted_at"]["value"]
    # Where the file lies is no information about the person.
    assert not {"file", "thumbnail", "thumbnail_pending"} & set(photo)


def test_the_pdf_report_names_the_documents(optician_client, person):
    response = optician_client.post(url(person, "pdf"))
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    assert "anprobe.jpg" in text and "Rote Fassung gefällt" in text


def test_the_export_of_all_data_has_the_documents_table(owner, person, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    zip_file = archive(exported(owner))
    rows = json_rows(zip_file, "documents_customerdocument")
    assert sorted(row["original_name"] for row in rows) == ["anprobe.jpg", "verordnung.pdf"]
    assert {row["customer_id"] for row in rows} == {person.pk}
    assert len(csv_rows(zip_file, "documents_customerdocument")) == 2
    # The table, not the files (they stay in the documents storage).
    assert not [name for name in zip_file.namelist() if name.endswith((".jpg", ".pdf"))]
