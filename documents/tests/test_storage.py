"""Upload, download and erasure through the app, against the file system
and against an S3 bucket (a local S3-compatible server on loopback)."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from customers import services as customer_services
from customers.tests.factories import customer as make_customer
from documents.models import CustomerDocument
from documents.tests import files

pytestmark = pytest.mark.django_db


def post(client, customer, *uploads, kind="consent"):
    return client.post(
        f"/documents/customers/{customer.pk}/",
        {
            "document-files": list(uploads),
            "document-kind": kind,
            "document-document_date": "03.11.2026",
            "document-note": "unterschrieben",
        },
    )


def test_upload_download_and_erase(
    owner_client, owner, any_storage, django_capture_on_commit_callbacks
):
    customer = make_customer()
    photo = SimpleUploadedFile("foto.jpg", files.jpeg(gps=True), content_type="image/jpeg")
    pdf_bytes = files.pdf()
    scan = SimpleUploadedFile("einwilligung.pdf", pdf_bytes, content_type="application/pdf")
    response = post(owner_client, customer, photo, scan)
    assert response.status_code == 302
    documents = {d.original_name: d for d in CustomerDocument.objects.filter(customer=customer)}
    assert set(documents) == {"foto.jpg", "einwilligung.pdf"}
    assert len(any_storage()) == 4  # each with its thumbnail

    pdf = owner_client.get(f"/documents/{documents['einwilligung.pdf'].pk}/download/")
    assert b"".join(pdf.streaming_content) == pdf_bytes
    assert pdf["Content-Disposition"].startswith("attachment")
    image = owner_client.get(f"/documents/{documents['foto.jpg'].pk}/view/")
    with Image.open(io.BytesIO(b"".join(image.streaming_content))) as kept:
        assert kept.format == "JPEG" and not kept.getexif()
    thumb = owner_client.get(f"/documents/{documents['foto.jpg'].pk}/thumbnail/")
    assert thumb.status_code == 200 and thumb["Content-Type"] == "image/jpeg"

    # Deleted in the list: the file stays; erased with the customer: gone.
    owner_client.post(f"/documents/{documents['foto.jpg'].pk}/delete/")
    assert len(any_storage()) == 4  # each with its thumbnail
    customer_services.customer_soft_delete(customer_id=customer.pk)
    with django_capture_on_commit_callbacks(execute=True):
        customer_services.customer_purge(customer_id=customer.pk, user=owner)
    assert any_storage() == []
    assert not CustomerDocument.objects.exists()


def test_a_rejected_upload_leaves_the_bucket_empty(owner_client, any_storage):
    customer = make_customer()
    ok = SimpleUploadedFile("ok.jpg", files.jpeg(), content_type="image/jpeg")
    bad = SimpleUploadedFile("bad.jpg", files.SVG, content_type="image/jpeg")
    response = post(owner_client, customer, ok, bad)
    assert response.status_code == 400
    assert any_storage() == []
    assert not CustomerDocument.objects.exists()
