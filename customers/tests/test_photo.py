"""The customer photo (issue 31): what the service keeps (content, not name;
re-encoded, turned upright, no EXIF; the square), that nothing is left in
the storage when it fails or is replaced or erased, and the views (login,
rights, headers, htmx, query counts)."""

import io

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation
from PIL import Image

from customers import services
from customers.models import Customer, photo_thumb_key
from customers.tests import factories
from opticrm.lib.images import Crop
from opticrm.lib.storage import document_storage
from opticrm.tests.storage import local_private_storage, s3_private_storage

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}
HTMX_HEADER = {"HX-Request": "true"}
GPS_IFD = 0x8825
ORIENTATION = 0x0112


@pytest.fixture(autouse=True)
def stored(settings, tmp_path):
    """The private storage in a folder of the test's own; returns what it holds."""
    return local_private_storage(settings, tmp_path)


def jpeg(size=(120, 80), *, gps=False, orientation=None) -> bytes:
    """Wider than high, red on the left half, green on the right; with
    GPS EXIF and an orientation tag if asked."""
    image = Image.new("RGB", size, (0, 200, 0))
    image.paste((255, 0, 0), (0, 0, size[0] // 2, size[1]))
    exif = Image.Exif()
    exif[0x010F] = "TestCam"
    if gps:
        exif[GPS_IFD] = {1: "N", 2: (52.0, 31.0, 12.0), 3: "E", 4: (13.0, 24.0, 36.0)}
    if orientation is not None:
        exif[ORIENTATION] = orientation
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif.tobytes(), quality=95)
    return out.getvalue()


def encoded(fmt: str, size=(60, 40), mode="RGB") -> bytes:
    out = io.BytesIO()
    Image.new(mode, size, "blue").save(out, fmt)
    return out.getvalue()


def heic(size=(60, 40)) -> bytes:
    from pillow_heif import from_pillow

    out = io.BytesIO()
    from_pillow(Image.new("RGB", size, "purple")).save(out, quality=90)
    return out.getvalue()


SVG = b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script>1</script></svg>'
HTML = b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>"


def opened(name: str) -> Image.Image:
    with document_storage().open(name, "rb") as handle:
        image = Image.open(io.BytesIO(handle.read()))
        image.load()
    return image


def set_photo(customer, data, crop=None, **kwargs) -> Customer:
    return services.customer_photo_set(customer_id=customer.pk, data=data, crop=crop, **kwargs)


# --- the service -------------------------------------------------------------


@pytest.mark.parametrize(
    "data",
    [
        jpeg(),
        encoded("PNG", mode="RGBA"),
        encoded("WEBP"),
        heic(),
    ],
    ids=["jpeg", "png", "webp", "heic"],
)
def test_every_photo_format_is_kept_as_square_jpegs(data, stored):
    customer = factories.customer()
    set_photo(customer, data)
    customer.refresh_from_db()
    assert customer.photo.startswith("photos/") and customer.photo.endswith(".jpg")
    photo, thumb = opened(customer.photo), opened(photo_thumb_key(customer.photo))
    assert (photo.format, photo.size) == ("JPEG", (512, 512))
    assert (thumb.format, thumb.size) == ("JPEG", (96, 96))
    assert stored() == sorted([customer.photo, photo_thumb_key(customer.photo)])


def test_camera_data_is_gone_and_orientation_applied():
    customer = factories.customer()
    # Orientation 6: the camera was turned; upright, the red half is on top.
    set_photo(customer, jpeg(size=(120, 80), gps=True, orientation=6))
    customer.refresh_from_db()
    photo = opened(customer.photo)
    assert not photo.getexif()
    assert "exif" not in photo.info
    top, bottom = photo.getpixel((256, 40)), photo.getpixel((256, 470))
    assert top[0] > 200 and top[1] < 60  # red
    assert bottom[1] > 150 and bottom[0] < 60  # green


def test_the_chosen_square_is_cut_out():
    customer = factories.customer()
    # The left 80 × 80 of a 120 × 80 photo whose left half (60 px) is red.
    set_photo(customer, jpeg(size=(120, 80)), crop=Crop(x=0, y=0, size=40))
    customer.refresh_from_db()
    photo = opened(customer.photo)
    assert photo.getpixel((500, 500))[0] > 200  # all red: the left 40 px


def test_without_crop_the_middle_square():
    customer = factories.customer()
    set_photo(customer, jpeg(size=(120, 80)))
    customer.refresh_from_db()
    photo = opened(customer.photo)
    # The middle 80 × 80: red on the left, green on the right.
    assert photo.getpixel((10, 256))[0] > 200
    assert photo.getpixel((500, 256))[1] > 150


@pytest.mark.parametrize(
    "crop",
    [Crop(-1, 0, 40), Crop(0, 0, 81), Crop(90, 0, 40), Crop(0, 50, 40), Crop(0, 0, 5)],
    ids=["negative", "too-large", "past-right", "past-bottom", "too-small"],
)
def test_a_crop_outside_the_photo_is_refused(crop, stored):
    customer = factories.customer()
    with translation.override("en"):
        with pytest.raises(ValidationError) as refused:
            set_photo(customer, jpeg(size=(120, 80)), crop=crop)
        # The message is lazy: read in the same language.
        assert "section does not lie within the photo" in str(refused.value)
    customer.refresh_from_db()
    assert customer.photo == ""
    assert stored() == []


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (SVG, "unsupported"),
        (HTML, "unsupported"),
        (encoded("GIF", mode="P"), "unsupported"),
        (jpeg()[:200], "damaged"),
        (b"", "no_photo"),
    ],
    ids=["svg", "html-named-jpg", "gif", "truncated", "empty"],
)
def test_what_is_no_photo_is_refused_and_nothing_stored(data, code, stored):
    customer = factories.customer()
    with pytest.raises(ValidationError) as refused:
        set_photo(customer, data)
    assert refused.value.code == code
    customer.refresh_from_db()
    assert customer.photo == ""
    assert stored() == []


def test_too_large_and_too_many_pixels_are_refused(settings, stored, monkeypatch):
    customer = factories.customer()
    settings.CUSTOMER_PHOTO_MAX_MB = 1
    with pytest.raises(ValidationError) as refused:
        set_photo(customer, b"\xff" * (1024 * 1024 + 1))
    assert refused.value.code == "too_large"
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1000)
    with pytest.raises(ValidationError) as refused:
        set_photo(customer, jpeg(size=(200, 200)))
    assert refused.value.code == "too_many_pixels"
    assert stored() == []


def test_a_failed_save_leaves_no_file(stored, monkeypatch):
    customer = factories.customer()

    def broken(self, *args, **kwargs):
        raise RuntimeError("database gone")

    monkeypatch.setattr(Customer, "save", broken)
    with pytest.raises(RuntimeError):
        set_photo(customer, jpeg())
    assert stored() == []


def test_a_deleted_customer_gets_no_photo(stored):
    customer = factories.customer()
    services.customer_soft_delete(customer_id=customer.pk)
    with pytest.raises(ValidationError) as refused:
        set_photo(customer, jpeg())
    assert refused.value.code == "no_customer"
    assert stored() == []


def test_replacing_deletes_the_old_files_after_commit(stored, django_capture_on_commit_callbacks):
    customer = factories.customer()
    with django_capture_on_commit_callbacks(execute=True):
        first = set_photo(customer, jpeg()).photo
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        second = set_photo(customer, encoded("PNG")).photo
    # Until the commit the old photo stays (a rollback would still need it).
    assert first in stored() and second in stored()
    for callback in callbacks:
        callback()
    assert stored() == sorted([second, photo_thumb_key(second)])


def test_removing_deletes_the_files_after_commit(stored, django_capture_on_commit_callbacks):
    customer = factories.customer()
    with django_capture_on_commit_callbacks(execute=True):
        set_photo(customer, jpeg())
    with django_capture_on_commit_callbacks(execute=True):
        services.customer_photo_remove(customer_id=customer.pk)
    customer.refresh_from_db()
    assert customer.photo == ""
    assert stored() == []


def test_a_photo_change_is_not_in_the_history():
    from customers.models import CustomerEvent

    customer = factories.customer()
    before = CustomerEvent.objects.filter(pgh_obj_id=customer.pk).count()
    set_photo(customer, jpeg())
    assert CustomerEvent.objects.filter(pgh_obj_id=customer.pk).count() == before


def test_erasure_deletes_the_photo(stored, django_capture_on_commit_callbacks):
    customer = factories.customer()
    with django_capture_on_commit_callbacks(execute=True):
        set_photo(customer, jpeg())
    assert stored()
    with django_capture_on_commit_callbacks(execute=True):
        services.customer_erase(customer_id=customer.pk)
    assert not Customer.objects.filter(pk=customer.pk).exists()
    assert stored() == []


def test_an_anonymised_customer_keeps_no_photo(stored, django_capture_on_commit_callbacks):
    customer = factories.customer()
    with django_capture_on_commit_callbacks(execute=True):
        set_photo(customer, jpeg())
    assert "photo" in services.ANONYMISED
    assert services.ANONYMISED["photo"] == ""


# --- the views ---------------------------------------------------------------


def photo_file(data: bytes = b"", name: str = "foto.jpg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data or jpeg(), content_type="image/jpeg")


def with_photo() -> Customer:
    customer = factories.customer(first_name="Erika", last_name="Mustermann")
    set_photo(customer, jpeg())
    customer.refresh_from_db()
    return customer


def test_the_photo_needs_a_login(client):
    customer = with_photo()
    response = client.get(reverse("customers:photo", args=[customer.pk]))
    assert response.status_code == 302
    assert "/login/" in response["Location"]


def test_the_photo_needs_the_view_right(outsider_client):
    customer = with_photo()
    response = outsider_client.get(reverse("customers:photo", args=[customer.pk]))
    assert response.status_code == 403


def test_the_front_desk_sees_the_photo_with_safe_headers(staff_client):
    customer = with_photo()
    response = staff_client.get(customer.photo_url)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"].startswith("inline;")
    assert "private" in response["Cache-Control"]
    assert "sandbox" in response["Content-Security-Policy"]
    assert Image.open(io.BytesIO(b"".join(response.streaming_content))).size == (512, 512)
    thumb = staff_client.get(customer.photo_thumb_url)
    assert Image.open(io.BytesIO(b"".join(thumb.streaming_content))).size == (96, 96)


def test_no_photo_and_a_deleted_customer_are_404(staff_client):
    plain = factories.customer()
    assert staff_client.get(reverse("customers:photo", args=[plain.pk])).status_code == 404
    customer = with_photo()
    services.customer_soft_delete(customer_id=customer.pk)
    assert staff_client.get(customer.photo_url).status_code == 404


def test_the_page_shows_the_photo_or_initials(staff_client):
    plain = factories.customer(first_name="Hans", last_name="Zeiss")
    page = staff_client.get(reverse("customers:detail", args=[plain.pk])).content.decode()
    assert "customer-photo-none" in page and ">HZ<" in page
    assert "data-photo-remove" not in page
    customer = with_photo()
    page = staff_client.get(reverse("customers:detail", args=[customer.pk])).content.decode()
    assert customer.photo_url.replace("&", "&amp;") in page
    assert "data-photo-upload" in page and "data-photo-remove" in page


def test_without_the_change_right_no_buttons_and_403(staff, client):
    from django.contrib.auth.models import Permission

    staff.user_permissions.remove(Permission.objects.get(codename="change_customer"))
    staff.groups.clear()
    staff.user_permissions.add(Permission.objects.get(codename="view_customer"))
    client.force_login(staff)
    customer = with_photo()
    page = client.get(reverse("customers:detail", args=[customer.pk])).content.decode()
    assert "data-photo-upload" not in page
    edit = reverse("customers:photo_edit", args=[customer.pk])
    assert client.get(edit).status_code == 403
    assert client.post(edit, {"photo": photo_file()}).status_code == 403
    remove = reverse("customers:photo_remove", args=[customer.pk])
    assert client.post(remove).status_code == 403


def test_the_upload_modal_and_its_partial(staff_client):
    customer = factories.customer()
    url = reverse("customers:photo_edit", args=[customer.pk])
    page = staff_client.get(url)
    assert page.status_code == 200
    assert b"<html" in page.content and b"data-photo-form" in page.content
    partial = staff_client.get(url + "?camera=1", **HTMX)
    assert b"<html" not in partial.content
    assert b"data-camera-autostart" in partial.content


def test_upload_through_htmx_closes_the_modal(staff_client, stored):
    customer = factories.customer()
    url = reverse("customers:photo_edit", args=[customer.pk])
    response = staff_client.post(
        url,
        {"photo": photo_file(), "crop_x": "10", "crop_y": "0", "crop_size": "80"},
        **HTMX,
    )
    assert response.status_code == 200
    assert "closeModal" in response["HX-Trigger"] and "customerSaved" in response["HX-Trigger"]
    customer.refresh_from_db()
    assert customer.photo and customer.updated_by.username
    assert len(stored()) == 2


def test_plain_upload_redirects(staff_client):
    customer = factories.customer()
    url = reverse("customers:photo_edit", args=[customer.pk])
    response = staff_client.post(url, {"photo": photo_file()})
    assert response.status_code == 302
    assert response["Location"] == reverse("customers:detail", args=[customer.pk])


@pytest.mark.parametrize(
    ("data", "fields"),
    [
        (HTML, {}),
        (SVG, {}),
        (jpeg(), {"crop_x": "0", "crop_y": "0", "crop_size": "9999"}),
        (jpeg(), {"crop_x": "abc", "crop_y": "0", "crop_size": "40"}),
    ],
    ids=["html", "svg", "crop-too-large", "crop-not-a-number"],
)
def test_bad_uploads_show_the_form_with_a_message(staff_client, stored, data, fields):
    customer = factories.customer()
    url = reverse("customers:photo_edit", args=[customer.pk])
    response = staff_client.post(url, {"photo": photo_file(data), **fields}, **HTMX)
    assert response.status_code == 200
    assert "HX-Trigger" not in response
    assert b"field-error" in response.content
    assert staff_client.post(url, {"photo": photo_file(data), **fields}).status_code == 400
    customer.refresh_from_db()
    assert customer.photo == ""
    assert stored() == []


def test_no_file_asks_for_one(staff_client):
    customer = factories.customer()
    url = reverse("customers:photo_edit", args=[customer.pk])
    response = staff_client.post(url, {}, **HTMX)
    assert b"field-error" in response.content


def test_remove_through_the_modal(staff_client, stored, django_capture_on_commit_callbacks):
    customer = with_photo()
    url = reverse("customers:photo_remove", args=[customer.pk])
    assert b"data-close-modal" in staff_client.get(url, **HTMX).content
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(url, **HTMX)
    assert "closeModal" in response["HX-Trigger"]
    customer.refresh_from_db()
    assert customer.photo == ""
    assert stored() == []


def test_the_photo_view_is_one_query(staff_client, django_assert_num_queries):
    customer = with_photo()
    staff_client.get(customer.photo_url)  # the session and the user cached
    # The session, the user, the live counters (every page), the rights, the photo's key.
    with django_assert_num_queries(5):
        staff_client.get(customer.photo_url)


# --- the list's photo column -------------------------------------------------


def test_the_photo_column_is_off_by_default_and_costs_no_query(staff_client):
    from customers.tests.test_query_counts import measure

    for index in range(2):
        factories.customer(first_name="Xaver", last_name=f"Kunde{index:02d}")
    Customer.objects.update(photo="photos/ab/abcdef0123456789.jpg")
    without, body = measure(staff_client, "/customers/")
    assert "photo-thumb" not in body and 'name="photos"' in body
    small, body = measure(staff_client, "/customers/?photos=1")
    assert body.count('loading="lazy"') == 2
    assert 'width="32" height="32"' in body and 'alt="' in body
    assert "?v=abcdef012345&amp;size=thumb" in body
    for index in range(2, 20):
        factories.customer(first_name="Xaver", last_name=f"Kunde{index:02d}")
    Customer.objects.filter(last_name__in=["Kunde02", "Kunde03"]).update(photo="photos/cd/cdef.jpg")
    large, body = measure(staff_client, "/customers/?photos=1", **HTMX_HEADER)
    # 20 rows: 4 photos, 16 with initials.
    assert body.count("photo-thumb-none") == 16 and body.count('loading="lazy"') == 4
    htmx_without, _body = measure(staff_client, "/customers/", **HTMX_HEADER)
    assert small == without
    assert large == htmx_without


def test_the_photo_column_escapes_names(staff_client):
    from customers.tests.test_query_counts import measure

    factories.customer(first_name='<img src=x onerror="1">', last_name="Böse")
    _count, body = measure(staff_client, "/customers/?photos=1")
    assert "<img src=x" not in body


# --- the calendar and the appointment modal ----------------------------------


def test_calendar_and_appointment_modal_show_the_photo_at_the_same_query_count(staff_client, staff):
    from appointments.tests.factories import appointment, at, calendar_for, working_day
    from customers.tests.test_query_counts import measure

    calendar_for(staff)
    day = working_day()
    customer = factories.customer(first_name="Paula", last_name="Abbild")
    booked = appointment(staff=staff, customer=customer, start=at(10, day=day))
    calendar = f"/appointments/day/?date={day:%Y-%m-%d}"
    modal = reverse("appointments:update", args=[booked.pk])
    before = {url: measure(staff_client, url, **HTMX_HEADER) for url in (calendar, modal)}
    assert "appointment-thumb" not in before[calendar][1]
    assert "data-customer-photo" not in before[modal][1]
    set_photo(customer, jpeg())
    customer.refresh_from_db()
    after = {url: measure(staff_client, url, **HTMX_HEADER) for url in (calendar, modal)}
    thumb = customer.photo_thumb_url.replace("&", "&amp;")
    assert f'class="appointment-thumb" src="{thumb}"' in after[calendar][1]
    assert 'loading="lazy"' in after[calendar][1]
    assert f'src="{thumb}"' in after[modal][1] and "data-customer-photo" in after[modal][1]
    assert after[calendar][0] == before[calendar][0]
    assert after[modal][0] == before[modal][0]
    # A deleted customer's photo is not shown in the calendar.
    services.customer_soft_delete(customer_id=customer.pk)
    assert "appointment-thumb" not in measure(staff_client, calendar, **HTMX_HEADER)[1]


# --- the same on an S3 bucket ------------------------------------------------


@pytest.fixture(scope="module")
def s3_endpoint():
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def in_bucket(settings, s3_endpoint):
    """STORAGES["documents"] as an S3 bucket (moto on loopback), as the
    settings make it with DOCUMENTS_S3_BUCKET; returns what it holds."""
    return s3_private_storage(settings, s3_endpoint)


def test_on_s3_the_photo_is_served_replaced_and_erased(
    in_bucket, staff_client, django_capture_on_commit_callbacks
):
    customer = factories.customer()
    with django_capture_on_commit_callbacks(execute=True):
        first = set_photo(customer, jpeg()).photo
    assert in_bucket() == sorted([first, photo_thumb_key(first)])
    customer.refresh_from_db()
    response = staff_client.get(customer.photo_thumb_url)
    assert response.status_code == 200
    assert Image.open(io.BytesIO(b"".join(response.streaming_content))).size == (96, 96)
    with pytest.raises(ValidationError):
        set_photo(customer, SVG)
    with django_capture_on_commit_callbacks(execute=True):
        second = set_photo(customer, encoded("WEBP")).photo
    assert in_bucket() == sorted([second, photo_thumb_key(second)])
    with django_capture_on_commit_callbacks(execute=True):
        services.customer_erase(customer_id=customer.pk)
    assert in_bucket() == []
