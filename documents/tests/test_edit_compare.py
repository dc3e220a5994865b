"""Correcting a document (kind, date, note, the refraction entered from a
prescription, the frame worn on a photo) in a modal, and the customer's
try-on photos side by side."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from customers.tests.factories import customer as make_customer
from documents import services
from documents.models import CustomerDocument
from documents.services import Upload
from documents.tests import files
from prescriptions.tests.factories import refraction as make_refraction
from products.models import Category
from products.tests.factories import product as make_product

pytestmark = pytest.mark.django_db

Kind = CustomerDocument.Kind


def keep(customer, kind=Kind.FRAME_PHOTO, *, name="foto.jpg", data=None, **extra):
    [document] = services.document_upload(
        customer_id=customer.pk,
        uploads=[Upload(name, data if data is not None else files.jpeg())],
        kind=kind,
        document_date=timezone.localdate(),
        **extra,
    )
    return document


@pytest.fixture
def customer():
    return make_customer()


@pytest.fixture
def frame():
    return make_product(
        name="Air Titanium", brand="Lindberg", sale_price=Decimal("389.00"), ean="4012345678901"
    )


def edit_data(**fields):
    data = {
        "edit-kind": Kind.FRAME_PHOTO,
        "edit-document_date": timezone.localdate().strftime("%d.%m.%Y"),
        "edit-note": "",
        "edit-product": "",
    }
    data.update({f"edit-{key}": value for key, value in fields.items()})
    return data


# --- The service ---------------------------------------------------------------


def test_update_names_the_frame_and_links_the_refraction(customer, owner, frame, stored):
    photo = keep(customer)
    services.document_update(
        document_id=photo.pk,
        kind=Kind.FRAME_PHOTO,
        document_date=timezone.localdate() - datetime.timedelta(days=2),
        note=" rot ",
        product_id=frame.pk,
        user=owner,
    )
    photo.refresh_from_db()
    assert photo.product == frame and photo.note == "rot"
    scan = keep(customer, Kind.OTHER, name="scan.pdf", data=files.pdf())
    refraction = make_refraction(customer, owner)
    services.document_update(
        document_id=scan.pk,
        kind=Kind.PRESCRIPTION,
        document_date=timezone.localdate(),
        refraction_id=refraction.pk,
        user=owner,
    )
    scan.refresh_from_db()
    assert scan.kind == Kind.PRESCRIPTION and scan.refraction == refraction


def test_update_refuses_what_does_not_fit(customer, owner, staff, frame, stored):
    photo = keep(customer)
    lens = make_product(category=Category.CONTACT_LENS, name="Monatslinse")

    refraction = make_refraction(customer, owner)
    cases = [
        # A frame only on a photo with a frame.
        ({"kind": Kind.OTHER, "product_id": frame.pk}, owner, "product"),
        # A refraction only on a prescription.
        ({"kind": Kind.OTHER, "refraction_id": refraction.pk}, owner, "refraction"),
        # The front desk files no prescription.
        ({"kind": Kind.PRESCRIPTION}, staff, "kind"),
        # A frame, not another product.
        ({"kind": Kind.FRAME_PHOTO, "product_id": lens.pk}, owner, "product"),
    ]
    for fields, user, field in cases:
        with translation.override("en"), pytest.raises(ValidationError) as error:
            services.document_update(
                document_id=photo.pk, document_date=timezone.localdate(), user=user, **fields
            )
        assert field in error.value.message_dict
    photo.refresh_from_db()
    assert photo.kind == Kind.FRAME_PHOTO and photo.product is None


def test_upload_names_the_frame(optician_client, customer, frame, stored):
    response = optician_client.post(
        f"/documents/customers/{customer.pk}/",
        {
            "document-files": [SimpleUploadedFile("rot.jpg", files.jpeg())],
            "document-camera": [SimpleUploadedFile("kamera.jpg", files.jpeg())],
            "document-kind": Kind.FRAME_PHOTO,
            "document-document_date": timezone.localdate().strftime("%d.%m.%Y"),
            "document-product": frame.pk,
        },
    )
    assert response.status_code == 302
    documents = CustomerDocument.objects.filter(customer=customer)
    # The file picker's and the camera's photos, both.
    assert sorted(d.original_name for d in documents) == ["kamera.jpg", "rot.jpg"]
    assert {d.product_id for d in documents} == {frame.pk}


# --- The edit modal ------------------------------------------------------------


def test_the_edit_modal_saves(staff_client, customer, frame, stored):
    photo = keep(customer)
    url = f"/documents/{photo.pk}/edit/"
    modal = staff_client.get(url, headers={"HX-Request": "true"})
    assert modal.status_code == 200 and "<html" not in modal.content.decode()
    # A chain's thousands of frames are found by a search, not listed.
    assert "Air Titanium" not in modal.content.decode()
    assert 'name="frame_q"' in modal.content.decode()
    assert "<html" in staff_client.get(url).content.decode()
    response = staff_client.post(
        url, edit_data(product=frame.pk, note="Kundin mag sie"), headers={"HX-Request": "true"}
    )
    assert "closeModal" in response["HX-Trigger"] and "documentSaved" in response["HX-Trigger"]
    photo.refresh_from_db()
    assert photo.product == frame and photo.note == "Kundin mag sie"
    listed = staff_client.get(f"/documents/customers/{customer.pk}/").content.decode()
    assert "Lindberg Air Titanium" in listed and "389,00" in listed


def test_the_frame_picker_finds_frames_by_name_and_ean(staff_client, outsider_client, frame):
    from products.models import Category

    make_product(category=Category.CONTACT_LENS, name="Air Optix")
    make_product(name="Air Alt", brand="Lindberg", active=False)
    url = "/documents/frames/"
    found = staff_client.get(
        url, {"field": "edit-product", "frame_q": "Air"}, HTTP_HX_REQUEST="true"
    )
    html = found.content.decode()
    assert found.status_code == 200
    assert f'<input type="radio" name="edit-product" value="{frame.pk}">' in html
    assert "Lindberg Air Titanium · 389,00 €" in html
    assert "Air Optix" not in html and "Air Alt" not in html  # frames only, active only
    assert 'id="id_edit-product-options"' in html
    by_ean = staff_client.get(url, {"field": "document-product", "frame_q": frame.ean})
    assert f'value="{frame.pk}"' in by_ean.content.decode()
    nothing = staff_client.get(url, {"field": "document-product", "frame_q": "Zzz"})
    assert "Keine Fassung gefunden." in nothing.content.decode()
    assert staff_client.get(url, {"field": 'x" onclick="', "frame_q": "Air"}).status_code == 404
    assert outsider_client.get(url, {"field": "edit-product", "frame_q": "Air"}).status_code == 403


def test_the_edit_modal_shows_the_frame_named(staff_client, customer, frame, stored):
    photo = keep(customer)
    CustomerDocument.objects.filter(pk=photo.pk).update(product=frame)
    html = staff_client.get(f"/documents/{photo.pk}/edit/", HTTP_HX_REQUEST="true").content.decode()
    assert f'<input type="radio" name="edit-product" value="{frame.pk}" checked>' in html
    assert "Lindberg Air Titanium · 389,00 €" in html


def test_an_invalid_edit_stays_in_the_modal(staff_client, customer, frame, stored):
    photo = keep(customer)
    url = f"/documents/{photo.pk}/edit/"
    response = staff_client.post(
        url, edit_data(kind=Kind.OTHER, product=frame.pk), headers={"HX-Request": "true"}
    )
    assert response.status_code == 200 and "HX-Trigger" not in response
    assert 'class="field-error"' in response.content.decode()
    assert staff_client.post(url, edit_data(document_date="31.02.2026")).status_code == 400
    photo.refresh_from_db()
    assert photo.kind == Kind.FRAME_PHOTO and photo.product is None


def test_edit_needs_its_right_and_hides_health_data(
    outsider_client, staff_client, customer, owner, stored
):
    photo = keep(customer)
    prescription = keep(customer, Kind.PRESCRIPTION, name="v.pdf", data=files.pdf())
    assert outsider_client.get(f"/documents/{photo.pk}/edit/").status_code == 403
    assert staff_client.get(f"/documents/{prescription.pk}/edit/").status_code == 404
    # Nor can the front desk make a photo a prescription.
    response = staff_client.post(f"/documents/{photo.pk}/edit/", edit_data(kind=Kind.PRESCRIPTION))
    assert response.status_code == 400
    photo.refresh_from_db()
    assert photo.kind == Kind.FRAME_PHOTO


def test_the_optician_links_the_refraction_in_the_modal(
    optician_client, customer, optician, stored
):
    scan = keep(customer, Kind.PRESCRIPTION, name="v.pdf", data=files.pdf())
    refraction = make_refraction(customer, optician)
    url = f"/documents/{scan.pk}/edit/"
    assert f'value="{refraction.pk}"' in optician_client.get(url).content.decode()
    response = optician_client.post(
        url, edit_data(kind=Kind.PRESCRIPTION, refraction=refraction.pk)
    )
    assert response.status_code == 302
    scan.refresh_from_db()
    assert scan.refraction == refraction


# --- Comparing try-on photos ---------------------------------------------------


def test_compare_shows_the_try_on_photos_with_frame_and_price(
    staff_client, customer, frame, stored
):
    other = make_product(name="Mini", brand="Silhouette", sale_price=Decimal("199.00"))
    first = keep(customer, product_id=frame.pk)
    second = keep(customer, product_id=other.pk)
    gone = keep(customer)
    services.document_soft_delete(document_id=gone.pk)
    keep(customer, Kind.CONSENT, name="e.pdf", data=files.pdf())  # no photo
    keep(make_customer())  # another customer's
    url = f"/documents/customers/{customer.pk}/compare/"
    page = staff_client.get(url).content.decode()
    assert page.count("data-try-on=") == 2
    assert "Lindberg Air Titanium" in page and "389,00" in page and "199,00" in page
    assert f"/documents/{first.pk}/view/" in page and f"/documents/{second.pk}/view/" in page
    hostile = ["x", "²", "9" * 40, "-1"]
    chosen = staff_client.get(url, {"d": [second.pk, gone.pk, *hostile]}).content.decode()
    assert chosen.count("data-try-on=") == 1 and f'data-try-on="{second.pk}"' in chosen
    # The list offers the comparison with a box per photo.
    listed = staff_client.get(f"/documents/customers/{customer.pk}/").content.decode()
    assert listed.count('form="documents-compare"') == 2 and url in listed


def test_compare_needs_the_right_and_a_customer(outsider_client, staff_client, customer):
    url = f"/documents/customers/{customer.pk}/compare/"
    assert outsider_client.get(url).status_code == 403
    assert staff_client.get("/documents/customers/999999/compare/").status_code == 404
    assert "data-try-on" not in staff_client.get(url).content.decode()


def test_compare_in_constant_queries(
    staff_client, customer, frame, stored, django_assert_num_queries
):
    keep(customer, product_id=frame.pk)
    url = f"/documents/customers/{customer.pk}/compare/"
    staff_client.get(url)
    with CaptureQueriesContext(connection) as few:
        staff_client.get(url)
    for _ in range(10):
        keep(customer, product_id=make_product().pk, data=files.jpeg(size=(8, 8)))
    with django_assert_num_queries(len(few.captured_queries)):
        assert staff_client.get(url).content.decode().count("data-try-on=") == 11


def test_the_list_in_constant_queries_with_every_kind_of_row(
    owner_client, owner, customer, frame, stored, settings, django_assert_num_queries
):
    """Frames named, a pending thumbnail, deleted documents to restore: the
    documents partial costs the same with 1 document or 50."""
    keep(customer, product_id=frame.pk)
    url = f"/documents/customers/{customer.pk}/"
    owner_client.get(url)
    with CaptureQueriesContext(connection) as few:
        owner_client.get(url, headers={"HX-Request": "true"})
    settings.DOCUMENTS_THUMBNAIL_INLINE_MB = 0
    refraction = make_refraction(customer, owner)
    for number in range(49):
        kind, extra = Kind.FRAME_PHOTO, {"product_id": make_product().pk}
        if number % 3 == 1:
            kind, extra = Kind.PRESCRIPTION, {"refraction_id": refraction.pk}
        data = files.pdf() if number % 3 == 2 else files.jpeg(size=(8, 8))
        document = keep(
            customer,
            Kind.OTHER if number % 3 == 2 else kind,
            data=data,
            **extra if number % 3 != 2 else {},
        )
        if number % 7 == 0:
            services.document_soft_delete(document_id=document.pk)
    with django_assert_num_queries(len(few.captured_queries)):
        response = owner_client.get(url, headers={"HX-Request": "true"})
    page = response.content.decode()
    assert page.count("data-document=") == 50 - 7
    assert page.count("data-deleted-document=") == 7
    assert "document-thumb-pending" in page
