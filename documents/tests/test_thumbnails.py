"""Thumbnails of the list: a PDF's first page (PDFium), drawn at upload when
the PDF is small and by the worker when it is large; made once and kept by
the browser under its version; a PDF that cannot be drawn is kept all the
same and shown with an icon."""

import io

import pytest
from django.utils import timezone, translation
from django_tasks_db.models import DBTaskResult
from PIL import Image

from customers.tests.factories import customer as make_customer
from documents import content, services
from documents.models import CustomerDocument
from documents.services import Upload
from documents.storage import document_storage
from documents.tasks import make_thumbnail
from documents.tests import files

pytestmark = pytest.mark.django_db


def upload(customer, *uploads, kind=CustomerDocument.Kind.CONSENT):
    return services.document_upload(
        customer_id=customer.pk,
        uploads=list(uploads),
        kind=kind,
        document_date=timezone.localdate(),
    )


def read(name: str) -> bytes:
    with document_storage().open(name, "rb") as handle:
        return handle.read()


def queued() -> list[DBTaskResult]:
    return list(DBTaskResult.objects.filter(task_path__endswith=".make_thumbnail"))


def run_queued() -> None:
    for result in queued():
        make_thumbnail.call(**result.args_kwargs["kwargs"])


def test_the_first_page_of_a_pdf_becomes_a_thumbnail():
    small = content.pdf_thumbnail(files.pdf())
    with Image.open(io.BytesIO(small)) as image:
        assert image.format == "JPEG"
        assert max(image.size) == 320  # a portrait A4 page, 320 high
        assert image.size[0] < image.size[1]


def test_a_small_pdf_gets_its_thumbnail_at_upload(stored, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        [document] = upload(make_customer(), Upload("scan.pdf", files.pdf()))
    assert document.thumbnail and not document.thumbnail_pending
    assert read(document.thumbnail.name).startswith(b"\xff\xd8")  # a JPEG
    assert queued() == []


def test_a_large_pdf_gets_its_thumbnail_from_the_worker(
    settings, stored, owner_client, django_capture_on_commit_callbacks
):
    settings.DOCUMENTS_THUMBNAIL_INLINE_MB = 0  # every PDF is "large"
    customer = make_customer()
    with django_capture_on_commit_callbacks(execute=True):
        [document] = upload(customer, Upload("gross.pdf", files.pdf()))
    assert not document.thumbnail and document.thumbnail_pending
    assert stored() == [document.file.name]
    assert len(queued()) == 1
    # Until the worker has drawn it, the list shows a placeholder.
    page = owner_client.get(f"/documents/customers/{customer.pk}/").content.decode()
    assert "document-thumb-pending" in page and "/thumbnail/" not in page

    # The placeholder asks for itself again; the answer is the placeholder
    # until the worker has drawn the page.
    preview = f"/documents/{document.pk}/preview/"
    assert f'hx-get="{preview}"' in page
    asked = owner_client.get(preview, headers={"HX-Request": "true"}).content.decode()
    assert "document-thumb-pending" in asked and 'hx-trigger="every 4s"' in asked

    run_queued()
    document.refresh_from_db()
    assert document.thumbnail and not document.thumbnail_pending
    asked = owner_client.get(preview, headers={"HX-Request": "true"}).content.decode()
    assert f"thumbnail/?v={document.thumbnail_version}" in asked and "hx-trigger" not in asked
    assert owner_client.get(preview).status_code == 302  # without htmx: the document
    assert sorted(stored()) == sorted([document.file.name, document.thumbnail.name])
    page = owner_client.get(f"/documents/customers/{customer.pk}/").content.decode()
    assert f"/documents/{document.pk}/thumbnail/?v={document.thumbnail_version}" in page
    assert "document-thumb-pending" not in page

    # Made once: a second run (a retried task) changes nothing.
    name = document.thumbnail.name
    assert services.thumbnail_make(document_id=document.pk) is False
    document.refresh_from_db()
    assert document.thumbnail.name == name and len(stored()) == 2


def test_a_task_for_a_document_gone_since_does_nothing(stored):
    assert services.thumbnail_make(document_id=999_999) is False


def test_a_pdf_pdfium_cannot_draw_is_kept_with_an_icon(
    settings, stored, owner_client, monkeypatch, django_capture_on_commit_callbacks
):
    def fails(data):
        raise RuntimeError("PDFium: data format error")

    monkeypatch.setattr(content, "_draw_first_page", fails)
    customer = make_customer()
    [small] = upload(customer, Upload("klein.pdf", files.pdf()))
    assert not small.thumbnail and not small.thumbnail_pending
    settings.DOCUMENTS_THUMBNAIL_INLINE_MB = 0
    with django_capture_on_commit_callbacks(execute=True):
        [large] = upload(customer, Upload("gross.pdf", files.pdf()))
    run_queued()
    large.refresh_from_db()
    assert not large.thumbnail and not large.thumbnail_pending
    assert CustomerDocument.objects.filter(customer=customer).count() == 2
    page = owner_client.get(f"/documents/customers/{customer.pk}/").content.decode()
    assert page.count(">PDF</text>") == 2 and "document-thumb-pending" not in page


def test_a_pdf_with_only_an_owner_password_is_kept_and_drawn(stored):
    """Restrictions on printing or copying (as doctors' software sets) need
    no password to open: kept, with its thumbnail. One that needs a password
    to open is refused (test_services)."""
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter()
    writer.append(PdfReader(io.BytesIO(files.pdf())))
    writer.encrypt(user_password="", owner_password="geheim", permissions_flag=0)
    out = io.BytesIO()
    writer.write(out)
    [document] = upload(make_customer(), Upload("gesperrt.pdf", out.getvalue()))
    assert document.content_type == "application/pdf" and document.thumbnail


def test_a_pdf_that_needs_a_password_is_refused(stored):
    from django.core.exceptions import ValidationError
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter()
    writer.append(PdfReader(io.BytesIO(files.pdf())))
    writer.encrypt(user_password="geheim", owner_password="geheim")
    out = io.BytesIO()
    writer.write(out)
    with translation.override("en"):
        with pytest.raises(ValidationError) as error:
            upload(make_customer(), Upload("geheim.pdf", out.getvalue()))
        assert "password-protected" in str(error.value)
    assert stored() == []


def test_the_thumbnail_is_cached_under_its_version(owner_client, stored):
    [document] = upload(make_customer(), Upload("foto.jpg", files.jpeg()))
    url = f"/documents/{document.pk}/thumbnail/"
    kept = owner_client.get(f"{url}?v={document.thumbnail_version}")
    assert kept.status_code == 200
    assert kept["Cache-Control"] == "private, max-age=31536000, immutable"
    assert kept["X-Content-Type-Options"] == "nosniff"
    # Another or no version (an old page): not kept.
    assert owner_client.get(url)["Cache-Control"] == "private, no-store"
    assert owner_client.get(f"{url}?v=old")["Cache-Control"] == "private, no-store"


def test_the_cached_thumbnail_still_needs_the_right(outsider_client, stored):
    [document] = upload(make_customer(), Upload("foto.jpg", files.jpeg()))
    url = f"/documents/{document.pk}/thumbnail/?v={document.thumbnail_version}"
    assert outsider_client.get(url).status_code == 403
    assert outsider_client.get(f"/documents/{document.pk}/preview/").status_code == 403


def test_a_prescriptions_thumbnail_is_never_kept(owner_client, stored):
    [document] = upload(
        make_customer(), Upload("v.pdf", files.pdf()), kind=CustomerDocument.Kind.PRESCRIPTION
    )
    url = f"/documents/{document.pk}/thumbnail/?v={document.thumbnail_version}"
    response = owner_client.get(url)
    assert response.status_code == 200 and "no-store" in response["Cache-Control"]
