import io

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError
from django.utils import timezone, translation
from PIL import Image

from customers.tests.factories import customer as make_customer
from documents import services
from documents.models import CustomerDocument
from documents.services import Upload
from documents.storage import document_storage
from documents.tests import files
from prescriptions.tests.factories import refraction as make_refraction

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english():
    """The rules' messages in their source language (the German catalogue
    is checked by opticrm's translation tests; the views' tests read German)."""
    with translation.override("en"):
        yield


def upload(customer, *uploads, kind=CustomerDocument.Kind.CONSENT, **extra):
    return services.document_upload(
        customer_id=customer.pk,
        uploads=list(uploads),
        kind=kind,
        document_date=timezone.localdate(),
        **extra,
    )


def read(name: str) -> bytes:
    with document_storage().open(name, "rb") as handle:
        return handle.read()


@pytest.mark.parametrize(
    ("name", "make", "content_type", "thumbnail"),
    [
        ("scan.jpg", files.jpeg, "image/jpeg", True),
        ("scan.png", files.png, "image/png", True),
        ("photo.webp", files.webp, "image/webp", True),
        ("IMG_0001.HEIC", files.heic, "image/jpeg", True),
        # A small PDF's first page, drawn at upload (a large one's by the worker).
        ("verordnung.pdf", files.pdf, "application/pdf", True),
    ],
)
def test_each_accepted_type_is_kept_under_a_random_key(
    owner, stored, name, make, content_type, thumbnail
):
    customer = make_customer()
    [document] = upload(customer, Upload(name, make()), user=owner)
    document.refresh_from_db()
    assert document.content_type == content_type
    assert document.original_name == name
    assert document.uploaded_by == owner
    assert name not in document.file.name and "scan" not in document.file.name
    assert document.size == len(read(document.file.name))
    assert bool(document.thumbnail) is thumbnail
    expected = {document.file.name} | ({document.thumbnail.name} if thumbnail else set())
    assert set(stored()) == expected
    if thumbnail:
        with Image.open(io.BytesIO(read(document.thumbnail.name))) as small:
            assert small.format == "JPEG" and max(small.size) <= 320
    if content_type == "image/jpeg":
        with Image.open(io.BytesIO(read(document.file.name))) as kept:
            assert kept.format == "JPEG"


def test_a_pdf_is_kept_byte_for_byte(owner):
    data = files.pdf()
    [document] = upload(make_customer(), Upload("v.pdf", data), user=owner)
    assert read(document.file.name) == data


def test_exif_and_gps_are_removed(owner):
    original = files.jpeg(gps=True)
    with Image.open(io.BytesIO(original)) as image:
        assert image.getexif().get(files.GPS_IFD)  # the test's photo has GPS
    [document] = upload(make_customer(), Upload("gps.jpg", original), user=owner)
    stored = read(document.file.name)
    with Image.open(io.BytesIO(stored)) as image:
        assert not image.getexif()
        assert "exif" not in image.info
    assert b"TestCam" not in stored


def test_the_orientation_is_applied(owner):
    # 6: the camera was turned; the stored photo stands upright, no tag left.
    [document] = upload(
        make_customer(), Upload("turned.jpg", files.jpeg(size=(60, 40), orientation=6)), user=owner
    )
    with Image.open(io.BytesIO(read(document.file.name))) as image:
        assert image.size == (40, 60)
        assert files.ORIENTATION not in image.getexif()


def test_several_files_at_once(owner, stored):
    customer = make_customer()
    documents = upload(
        customer, Upload("a.jpg", files.jpeg()), Upload("b.pdf", files.pdf()), user=owner
    )
    assert len(documents) == 2
    assert CustomerDocument.objects.filter(customer=customer).count() == 2
    assert len(stored()) == 4  # two files and their thumbnails


REJECTIONS = [
    ("bild.svg", files.SVG, "is not a supported file"),
    ("seite.html", files.HTML, "is not a supported file"),
    ("foto.jpg", files.HTML, "is not a supported file"),  # mislabelled
    ("animation.gif", files.gif(), "is not a supported file"),
    ("leer.pdf", b"", "is empty"),
    ("kaputt.pdf", files.BROKEN_PDF, "is not a readable PDF"),
    ("halb.jpg", files.jpeg(size=(400, 300))[:600], "is damaged or incomplete"),
    ("programm.pdf", b"MZ\x90\x00" + b"\x00" * 100, "is not a supported file"),
]


@pytest.mark.parametrize(("name", "data", "message"), REJECTIONS)
def test_rejections_say_why_and_leave_nothing(owner, stored, name, data, message):
    customer = make_customer()
    with pytest.raises(ValidationError) as raised:
        upload(customer, Upload(name, data), user=owner)
    assert message in " ".join(raised.value.messages)
    assert name in " ".join(raised.value.messages)
    assert not CustomerDocument.objects.exists()
    assert stored() == []


def test_a_decompression_bomb_is_refused(owner, stored, monkeypatch):
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1000)
    for size in ((40, 30), (100, 100)):  # a warning's worth and an error's
        with pytest.raises(ValidationError, match="too many pixels"):
            upload(make_customer(), Upload("bomb.png", files.png(size=size)), user=owner)
    assert stored() == []


def test_a_file_over_the_limit_is_refused(owner, stored, settings):
    settings.DOCUMENTS_MAX_FILE_MB = 1
    big = files.pdf() + b"\n%" + b"x" * (1024 * 1024)
    with pytest.raises(ValidationError, match="larger than 1 MB"):
        upload(make_customer(), Upload("big.pdf", big), user=owner)
    assert stored() == []


def test_the_customers_total_is_kept(owner, stored, settings):
    settings.DOCUMENTS_MAX_FILE_MB = 1
    settings.DOCUMENTS_MAX_CUSTOMER_MB = 1
    customer = make_customer()
    half = files.pdf() + b"\n%" + b"x" * (600 * 1024)
    upload(customer, Upload("one.pdf", half), user=owner)
    before = stored()
    with pytest.raises(ValidationError, match="at most 1 MB together"):
        upload(customer, Upload("two.pdf", half), user=owner)
    assert stored() == before
    assert CustomerDocument.objects.count() == 1
    # Another customer has a total of their own.
    upload(make_customer(), Upload("two.pdf", half), user=owner)


def test_one_bad_file_of_several_keeps_none(owner, stored):
    with pytest.raises(ValidationError):
        upload(
            make_customer(),
            Upload("ok.jpg", files.jpeg()),
            Upload("bad.svg", files.SVG),
            user=owner,
        )
    assert stored() == [] and not CustomerDocument.objects.exists()


def test_a_failing_insert_deletes_the_files_written(owner, stored, monkeypatch):
    """The files are written before the rows; the second row fails: both
    files (and the thumbnail) are gone again."""
    original_save = CustomerDocument.save
    calls = []

    def failing_save(self, *args, **kwargs):
        calls.append(self)
        if len(calls) == 2:
            raise IntegrityError("the database refused")
        return original_save(self, *args, **kwargs)

    monkeypatch.setattr(CustomerDocument, "save", failing_save)
    with pytest.raises(IntegrityError):
        upload(
            make_customer(), Upload("a.jpg", files.jpeg()), Upload("b.pdf", files.pdf()), user=owner
        )
    assert stored() == []
    assert not CustomerDocument.objects.exists()


def test_a_deleted_customer_gets_no_documents(owner, stored):
    from customers.services import customer_soft_delete

    customer = make_customer()
    customer_soft_delete(customer_id=customer.pk)
    with pytest.raises(ValidationError, match="no longer exists"):
        upload(customer, Upload("a.jpg", files.jpeg()), user=owner)
    assert stored() == []


def test_only_a_prescription_links_a_refraction(owner, stored):
    customer = make_customer()
    refraction = make_refraction(customer, owner)
    with pytest.raises(ValidationError, match="Only a prescription"):
        upload(customer, Upload("a.pdf", files.pdf()), refraction_id=refraction.pk, user=owner)
    other = make_refraction(make_customer(), owner)
    with pytest.raises(ValidationError, match="not the customer's"):
        upload(
            customer,
            Upload("a.pdf", files.pdf()),
            kind=CustomerDocument.Kind.PRESCRIPTION,
            refraction_id=other.pk,
            user=owner,
        )
    assert stored() == []
    [document] = upload(
        customer,
        Upload("a.pdf", files.pdf()),
        kind=CustomerDocument.Kind.PRESCRIPTION,
        refraction_id=refraction.pk,
        user=owner,
    )
    assert document.refraction == refraction


def test_the_database_refuses_a_refraction_on_another_kind(owner):
    customer = make_customer()
    refraction = make_refraction(customer, owner)
    [document] = upload(
        customer,
        Upload("a.pdf", files.pdf()),
        kind=CustomerDocument.Kind.PRESCRIPTION,
        refraction_id=refraction.pk,
        user=owner,
    )
    with pytest.raises(IntegrityError):
        CustomerDocument.objects.filter(pk=document.pk).update(kind=CustomerDocument.Kind.OTHER)


def test_the_uploaded_name_is_cleaned(owner):
    [document] = upload(
        make_customer(), Upload("C:\\Users\\x\\..\\scan\x07.pdf", files.pdf()), user=owner
    )
    assert document.original_name == "scan.pdf"


def test_soft_delete_keeps_the_file(owner, stored):
    [document] = upload(make_customer(), Upload("a.pdf", files.pdf()), user=owner)
    services.document_soft_delete(document_id=document.pk, user=owner)
    document.refresh_from_db()
    assert document.deleted_at is not None
    assert stored() == sorted([document.file.name, document.thumbnail.name])
    with pytest.raises(CustomerDocument.DoesNotExist):
        services.document_soft_delete(document_id=document.pk, user=owner)


def test_the_front_desk_cannot_file_a_prescription(staff, stored):
    with pytest.raises(ValidationError, match="may see prescriptions"):
        upload(
            make_customer(),
            Upload("v.pdf", files.pdf()),
            kind=CustomerDocument.Kind.PRESCRIPTION,
            user=staff,
        )
    assert stored() == []
