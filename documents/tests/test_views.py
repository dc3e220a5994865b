import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation
from django.utils.html import escape
from django.utils.translation import gettext, ngettext

from customers.services import customer_soft_delete
from customers.tests.factories import customer as make_customer
from documents import services
from documents.models import CustomerDocument
from documents.services import Upload
from documents.tests import files
from prescriptions.tests.factories import refraction as make_refraction

pytestmark = pytest.mark.django_db

Kind = CustomerDocument.Kind


def shown(text: str) -> str:
    """``text`` as the German page shows it (once translations are merged)."""
    with translation.override("de"):
        return escape(gettext(text))


def keep(customer, kind=Kind.CONSENT, *, name="scan.pdf", data=None, **extra):
    [document] = services.document_upload(
        customer_id=customer.pk,
        uploads=[Upload(name, data if data is not None else files.pdf())],
        kind=kind,
        document_date=timezone.localdate(),
        **extra,
    )
    return document


@pytest.fixture
def customer():
    return make_customer()


@pytest.fixture
def documents(customer, owner):
    """One of each kind, and a photo; the prescription linked to a refraction."""
    refraction = make_refraction(customer, owner)
    return {
        "consent": keep(customer, Kind.CONSENT, name="einwilligung.pdf"),
        "photo": keep(customer, Kind.FRAME_PHOTO, name="foto.jpg", data=files.jpeg()),
        "other": keep(customer, Kind.OTHER, name="sonstiges.png", data=files.png()),
        "prescription": keep(
            customer, Kind.PRESCRIPTION, name="verordnung.pdf", refraction_id=refraction.pk
        ),
    }


def list_url(customer) -> str:
    return f"/documents/customers/{customer.pk}/"


# --- Who sees what -------------------------------------------------------------


def test_anonymous_is_sent_to_the_login(client, customer, documents):
    for url in (list_url(customer), f"/documents/{documents['photo'].pk}/view/"):
        response = client.get(url)
        assert response.status_code == 302 and "/login/" in response["Location"]


def test_without_permission_nothing(outsider_client, customer, documents):
    assert outsider_client.get(list_url(customer)).status_code == 403
    for document in documents.values():
        for action in ("view", "download", "thumbnail"):
            assert outsider_client.get(f"/documents/{document.pk}/{action}/").status_code == 403


def test_the_front_desk_sees_photos_and_consent_forms_only(staff_client, customer, documents):
    page = staff_client.get(list_url(customer)).content.decode()
    for name in ("einwilligung.pdf", "foto.jpg", "sonstiges.png"):
        assert name in page
    assert "verordnung.pdf" not in page
    assert staff_client.get(f"/documents/{documents['photo'].pk}/view/").status_code == 200
    prescription = documents["prescription"].pk
    for action in ("view", "download", "delete"):
        assert staff_client.get(f"/documents/{prescription}/{action}/").status_code == 404
    # Nor may they file one.
    assert f'value="{Kind.PRESCRIPTION}"' not in page


def test_a_document_linked_to_a_refraction_is_health_data(staff_client, optician, customer):
    """Whatever its kind says: the database keeps the link to prescriptions,
    and the read hides every linked row from the front desk."""
    refraction = make_refraction(customer, optician)
    document = keep(customer, Kind.PRESCRIPTION, refraction_id=refraction.pk)
    assert staff_client.get(f"/documents/{document.pk}/download/").status_code == 404


def test_the_optician_sees_the_prescription(optician_client, customer, documents):
    page = optician_client.get(list_url(customer)).content.decode()
    assert "verordnung.pdf" in page
    assert f'value="{Kind.PRESCRIPTION}"' in page
    response = optician_client.get(f"/documents/{documents['prescription'].pk}/download/")
    assert response.status_code == 200


def test_another_customers_or_a_deleted_document_is_not_found(owner_client, owner, customer):
    document = keep(customer)
    services.document_soft_delete(document_id=document.pk)
    assert owner_client.get(f"/documents/{document.pk}/view/").status_code == 404
    assert owner_client.get("/documents/999999/view/").status_code == 404
    other = keep(make_customer())
    customer_soft_delete(customer_id=other.customer_id)
    assert owner_client.get(f"/documents/{other.pk}/download/").status_code == 404
    assert owner_client.get(list_url(other.customer)).status_code == 404


# --- The file ---------------------------------------------------------------------


def test_download_headers(owner_client, documents):
    response = owner_client.get(f"/documents/{documents['consent'].pk}/download/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="einwilligung.pdf"'
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "private" in response["Cache-Control"] and "no-store" in response["Cache-Control"]
    assert response["Content-Security-Policy"] == "frame-ancestors 'self'"


def test_inline_view_headers(owner_client, documents):
    pdf = owner_client.get(f"/documents/{documents['consent'].pk}/view/")
    assert pdf["Content-Disposition"] == 'inline; filename="einwilligung.pdf"'
    # The browser's PDF viewer does not start in a sandbox: the type alone
    # (with nosniff) keeps it from being a page of the app.
    assert pdf["Content-Security-Policy"] == "frame-ancestors 'self'"
    assert pdf["Content-Type"] == "application/pdf" and pdf["X-Content-Type-Options"] == "nosniff"
    image = owner_client.get(f"/documents/{documents['photo'].pk}/view/")
    assert image["Content-Security-Policy"].startswith("sandbox")
    assert "script-src" not in image["Content-Security-Policy"]
    assert image["Content-Type"] == "image/jpeg"
    assert image["Content-Disposition"].startswith("inline")
    assert image["X-Content-Type-Options"] == "nosniff"


def test_a_heic_downloads_as_jpeg(owner_client, customer):
    document = keep(customer, Kind.FRAME_PHOTO, name="IMG_1.HEIC", data=files.heic())
    response = owner_client.get(f"/documents/{document.pk}/download/")
    assert response["Content-Disposition"] == 'attachment; filename="IMG_1.jpg"'


def test_a_name_with_umlauts_and_quotes_downloads_safely(owner_client, customer):
    document = keep(customer, name='Einwilligung "Müller".pdf')
    response = owner_client.get(f"/documents/{document.pk}/download/")
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment; filename*=utf-8''")
    assert '"Müller"' not in disposition


def test_a_pdf_has_a_thumbnail_of_its_first_page(owner_client, documents):
    response = owner_client.get(f"/documents/{documents['consent'].pk}/thumbnail/")
    assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"


def test_there_is_no_public_media_url(client, owner_client, documents):
    name = documents["photo"].file.name
    for path in (f"/media/{name}", f"/media/documents/{name}", f"/no-public-url/{name}"):
        assert owner_client.get(path).status_code == 404


# --- The list and the upload ------------------------------------------------------


def test_the_list_reads_in_constant_queries(
    owner_client, owner, customer, django_assert_num_queries
):
    keep(customer)
    owner_client.get(list_url(customer))  # the session and permissions warmed up
    with CaptureQueriesContext(connection) as few:
        owner_client.get(list_url(customer), headers={"HX-Request": "true"})
    for number in range(50):
        keep(customer, name=f"scan{number}.jpg", data=files.jpeg(size=(8, 8)))
    with django_assert_num_queries(len(few.captured_queries)):
        response = owner_client.get(list_url(customer), headers={"HX-Request": "true"})
    assert response.content.decode().count("data-document=") == 51


def test_the_customer_page_does_not_grow_with_documents(
    owner_client, customer, django_assert_num_queries
):
    url = f"/customers/{customer.pk}/"
    owner_client.get(url)
    keep(customer)
    with CaptureQueriesContext(connection) as before:
        owner_client.get(url)
    for number in range(50):
        keep(customer, name=f"scan{number}.pdf")
    with django_assert_num_queries(len(before.captured_queries)):
        page = owner_client.get(url).content.decode()
    assert f'hx-get="/documents/customers/{customer.pk}/"' in page
    assert 'id="customer-documents"' in page


def test_the_section_is_not_on_the_page_without_permission(django_user_model, customer):
    from django.contrib.auth.models import Permission
    from django.test import Client

    user = django_user_model.objects.create_user(username="nur-kunden")
    user.user_permissions.add(Permission.objects.get(codename="view_customer"))
    client = Client()
    client.force_login(user)
    page = client.get(f"/customers/{customer.pk}/").content.decode()
    assert 'id="customer-documents"' not in page


def test_the_htmx_partial_is_the_section_alone(owner_client, customer, documents):
    response = owner_client.get(list_url(customer), headers={"HX-Request": "true"})
    body = response.content.decode()
    assert body.lstrip().startswith('<section class="card documents-card" id="customer-documents"')
    assert "<html" not in body
    full = owner_client.get(list_url(customer)).content.decode()
    assert "<html" in full and 'id="customer-documents"' in full


def form_data(*uploads, kind="frame_photo", date="03.11.2026", **extra):
    data = {
        "document-files": list(uploads),
        "document-kind": kind,
        "document-document_date": date,
        "document-note": "Fassung A",
    }
    data.update({f"document-{key}": value for key, value in extra.items()})
    return data


def photo(name="foto.jpg"):
    return SimpleUploadedFile(name, files.jpeg(), content_type="image/jpeg")


def test_a_valid_upload_redirects(staff_client, customer, stored):
    response = staff_client.post(list_url(customer), form_data(photo(), photo("b.jpg")))
    assert response.status_code == 302 and response["Location"] == list_url(customer)
    documents = CustomerDocument.objects.filter(customer=customer)
    assert documents.count() == 2
    assert {d.note for d in documents} == {"Fassung A"}
    page = staff_client.get(list_url(customer)).content.decode()
    with translation.override("de"):
        saved = ngettext("%(count)d document saved.", "%(count)d documents saved.", 2)
    assert escape(saved % {"count": 2}) in page


def test_an_htmx_upload_answers_with_the_section_and_an_event(staff_client, customer):
    response = staff_client.post(
        list_url(customer), form_data(photo()), headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    assert response["HX-Trigger"] == "documentSaved"
    body = response.content.decode()
    assert 'id="customer-documents"' in body and 'hx-swap-oob="true"' in body
    assert "foto.jpg" in body


def test_an_invalid_upload_shows_the_reason(staff_client, customer, stored):
    svg = SimpleUploadedFile("logo.jpg", files.SVG, content_type="image/jpeg")
    response = staff_client.post(list_url(customer), form_data(svg), headers={"HX-Request": "true"})
    assert response.status_code == 200
    body = response.content.decode()
    assert "logo.jpg" in body
    assert (
        shown(
            "“%(name)s” is not a supported file. Please upload a photo (JPEG, PNG, WebP, HEIC) "
            "or a PDF."
        )
        % {"name": "logo.jpg"}
        in body
    )
    assert stored() == []
    response = staff_client.post(list_url(customer), form_data(photo(), date="31.02.2026"))
    assert response.status_code == 400
    assert not CustomerDocument.objects.exists()
    response = staff_client.post(list_url(customer), form_data())
    assert response.status_code == 400


def test_the_front_desk_cannot_file_a_prescription(staff_client, customer, stored):
    response = staff_client.post(list_url(customer), form_data(photo(), kind="prescription"))
    assert response.status_code == 400
    assert stored() == []


def test_the_optician_links_a_prescription_to_its_refraction(optician_client, optician, customer):
    refraction = make_refraction(customer, optician)
    page = optician_client.get(list_url(customer)).content.decode()
    assert 'name="document-refraction"' in page
    response = optician_client.post(
        list_url(customer),
        form_data(
            SimpleUploadedFile("v.pdf", files.pdf()), kind="prescription", refraction=refraction.pk
        ),
    )
    assert response.status_code == 302
    assert CustomerDocument.objects.get().refraction == refraction
    response = optician_client.post(
        list_url(customer),
        form_data(SimpleUploadedFile("v.pdf", files.pdf()), kind="other", refraction=refraction.pk),
    )
    assert response.status_code == 400


def test_an_outsider_cannot_upload(outsider_client, customer):
    assert outsider_client.post(list_url(customer), form_data(photo())).status_code == 403


def test_delete_asks_then_deletes_softly(staff_client, customer, documents, stored):
    url = f"/documents/{documents['photo'].pk}/delete/"
    modal = staff_client.get(url, headers={"HX-Request": "true"})
    assert modal.status_code == 200 and "<html" not in modal.content.decode()
    assert "foto.jpg" in modal.content.decode()
    assert "<html" in staff_client.get(url).content.decode()
    response = staff_client.post(url, headers={"HX-Request": "true"})
    assert "closeModal" in response["HX-Trigger"] and "documentSaved" in response["HX-Trigger"]
    documents["photo"].refresh_from_db()
    assert documents["photo"].deleted_at is not None
    assert documents["photo"].file.name in stored()
    listed = staff_client.get(list_url(customer)).content.decode()
    assert f'data-document="{documents["photo"].pk}"' not in listed
    # Only among the deleted ones, which can be restored for a while.
    assert f'data-deleted-document="{documents["photo"].pk}"' in listed
    assert staff_client.post(url).status_code == 404


def test_delete_needs_its_permission(outsider_client, customer, documents):
    assert outsider_client.post(f"/documents/{documents['photo'].pk}/delete/").status_code == 403


# --- Admin -----------------------------------------------------------------------


def test_the_admin_lists_documents_and_links_the_checked_view(owner_client, documents):
    response = owner_client.get("/admin/documents/customerdocument/")
    assert response.status_code == 200
    page = owner_client.get(
        f"/admin/documents/customerdocument/{documents['photo'].pk}/change/"
    ).content.decode()
    assert f"/documents/{documents['photo'].pk}/view/" in page
    assert documents["photo"].file.name not in page
