"""The admin of messages through Django's test client: the templates with
their placeholders and live preview (a real customer, SMS parts, errors
instead of a preview), saving refused for an unknown placeholder, adding
only a missing kind and channel, the settings as a single row and the
message log as read-only."""

import datetime
import html

import pytest
from django.utils import timezone

from appointments.tests import factories as appointment_factories
from customers.tests import factories
from messaging import selectors
from messaging.models import Kind, Message, MessageSettings, MessageTemplate, State
from messaging.unsubscribe import unsubscribe_url

pytestmark = pytest.mark.django_db

TEMPLATES = "/admin/messaging/messagetemplate/"
PREVIEW = "/admin/messaging/messagetemplate/preview/"
HTMX = {"HTTP_HX_REQUEST": "true"}
# What the SMS placeholders fill in: 14 places before the typed text.
SHOP, PHONE = "Optik", "0891234"
PREFIX = "{filiale} {telefon} "
PREFIX_LENGTH = len(f"{SHOP} {PHONE} ")


@pytest.fixture(autouse=True)
def shop(settings):
    settings.SHOP_NAME = SHOP
    settings.SHOP_PHONE = PHONE


@pytest.fixture
def customer():
    return factories.customer(first_name="Greta", last_name="Öztürk")


@pytest.fixture
def admin_staff(staff):
    """The staff group with access to the admin (as seed_demo makes them)."""
    staff.is_staff = True
    staff.save()
    return staff


def template(kind: str = Kind.REMINDER, channel: str = "sms") -> MessageTemplate:
    return MessageTemplate.objects.get(kind=kind, channel=channel)


def change_url(obj) -> str:
    return f"{TEMPLATES}{obj.pk}/change/"


def preview(client, obj, customer=None, **fields):
    data = {
        "preview_template": obj.pk if obj is not None else "",
        "preview_customer": customer.pk if customer is not None else "",
        "subject": obj.subject if obj is not None else "",
        "body": obj.body if obj is not None else "",
    } | fields
    return client.post(PREVIEW, data, **HTMX)


def sms_parts(response) -> tuple[str, str, str]:
    body = response.content.decode()
    assert response.status_code == 200, body
    start = body.index('id="template-preview-sms"')
    tag = body[start : body.index(">", start)]

    def attribute(name):
        return tag.split(f'data-{name}="')[1].split('"')[0]

    return attribute("encoding"), attribute("characters"), attribute("parts")


def test_the_list_shows_the_seeded_templates(owner_client):
    response = owner_client.get(TEMPLATES)
    assert response.status_code == 200
    assert response.context["cl"].result_count == 18 == MessageTemplate.objects.count()
    assert owner_client.get(f"{TEMPLATES}?channel=sms").context["cl"].result_count == 7
    assert owner_client.get(f"{TEMPLATES}?q=abmelden").context["cl"].result_count == 3


def test_the_change_page_previews_with_a_real_customer(owner_client, owner, customer):
    booked = appointment_factories.appointment(staff=owner, customer=customer)
    factories.customer(first_name="Later", last_name="Changed")  # newest, no appointment
    reminder = template(channel="email")
    page = owner_client.get(change_url(reminder)).content.decode()
    assert 'id="template-placeholders"' in page and "{termin_uhrzeit}" in page
    assert 'hx-post="/admin/messaging/messagetemplate/preview/"' in page
    assert "django_htmx/htmx-2.min.js" in page
    preview_part = page[page.index('id="template-preview-output"') :]
    # A message about an appointment: the customer who has one, with it.
    assert f'<option value="{customer.pk}" selected>' in page
    assert "Öztürk" in preview_part
    assert timezone.localtime(booked.start).strftime("%d.%m.%Y") in preview_part
    assert "Sehtest" in preview_part
    # Kind and channel are the template's identity: shown, not offered.
    assert 'name="kind"' not in page and 'name="channel"' not in page


def test_recall_placeholders_leave_out_the_appointment(owner_client, customer):
    page = owner_client.get(change_url(template(Kind.RECALL_EYE_TEST, "email"))).content.decode()
    assert "{abmelden}" in page and "{termin_datum}" not in page
    # The unsubscribe link is the customer's real one.
    assert html.escape(unsubscribe_url(customer.pk, "email")) in page


def test_the_preview_renders_the_typed_text(owner_client, customer):
    factories.customer(first_name="Other")  # newer, but not the one chosen
    stored = template().body
    response = preview(
        owner_client, template(), customer, body=f"Hallo {{vorname}}! {PREFIX}bis bald"
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert f"Hallo Greta! {SHOP} {PHONE} bis bald" in body
    assert "<html" not in body and "template-preview-errors" not in body
    assert template().body == stored  # nothing saved


def test_a_customer_without_appointment_gets_a_sample_one(owner_client, customer):
    body = preview(owner_client, template(), customer).content.decode()
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    assert tomorrow.strftime("%d.%m.%Y") in body and "10:00" in body


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("a" * (160 - PREFIX_LENGTH), ("GSM-7", "160", "1")),
        ("a" * (161 - PREFIX_LENGTH), ("GSM-7", "161", "2")),
        ("€" + "a" * (159 - PREFIX_LENGTH), ("GSM-7", "161", "2")),  # € takes two
        ("ś" + "a" * (69 - PREFIX_LENGTH), ("UCS-2", "70", "1")),
        ("ś" + "a" * (70 - PREFIX_LENGTH), ("UCS-2", "71", "2")),
        ("👓" + "a" * (68 - PREFIX_LENGTH), ("UCS-2", "70", "1")),  # an emoji takes two
        ("👓" + "a" * (69 - PREFIX_LENGTH), ("UCS-2", "71", "2")),
        ("ś" + "a" * (133 - PREFIX_LENGTH), ("UCS-2", "134", "2")),
        ("ś" + "a" * (134 - PREFIX_LENGTH), ("UCS-2", "135", "3")),
    ],
)
def test_the_preview_counts_sms_parts(owner_client, customer, typed, expected):
    response = preview(owner_client, template(), customer, body=PREFIX + typed)
    assert sms_parts(response) == expected
    body = response.content.decode()
    assert f"{expected[1]} Zeichen" in body or f"{expected[1]} characters" in body
    # Why a UCS-2 text costs more, said only then.
    assert ("70" in body.split('id="template-preview-sms"')[1]) == (expected[0] == "UCS-2")


def test_an_email_preview_has_no_sms_count(owner_client, customer):
    body = preview(owner_client, template(channel="email"), customer).content.decode()
    assert "template-preview-subject" in body and "template-preview-sms" not in body


def test_errors_instead_of_a_preview(owner_client, customer):
    obj = template()
    response = preview(owner_client, obj, customer, body=f"Hallo {{vornmae}} {PREFIX}")
    body = response.content.decode()
    assert response.status_code == 200
    errors = body[body.index('id="template-preview-errors"') :]
    assert "{vornmae}" in errors
    assert "template-preview-output" not in body and "Greta" not in body
    # An SMS without the shop's name and phone.
    body = preview(owner_client, obj, customer, body="Hallo {vorname}").content.decode()
    errors = body[body.index('id="template-preview-errors"') :]
    assert "{filiale}" in errors and "{telefon}" in errors
    assert MessageTemplate.objects.get(pk=obj.pk).body == obj.body


def test_saving_an_unknown_placeholder_is_refused_at_the_field(owner_client):
    obj = template(channel="email")
    response = owner_client.post(
        change_url(obj), {"subject": obj.subject, "body": "{anrede}, Ihr {vornmae}", "_save": "1"}
    )
    assert response.status_code == 200
    form = response.context["adminform"].form
    assert "{vornmae}" in " ".join(form.errors["body"])
    assert "{vornmae}" in response.content.decode()
    assert MessageTemplate.objects.get(pk=obj.pk).body == obj.body
    # The preview shows the same error for what was typed.
    assert 'id="template-preview-errors"' in response.content.decode()


def test_saving_a_valid_text(owner_client, owner):
    obj = template()
    body = f"Guten Tag {{vorname}},\r\nbis {{termin_datum}}. {PREFIX}"
    response = owner_client.post(change_url(obj), {"subject": "", "body": body, "_save": "1"})
    assert response.status_code == 302, response.content.decode()[:3000]
    obj.refresh_from_db()
    # One kind of line break, as the seeded texts and the SMS count have it.
    assert obj.body == body.replace("\r\n", "\n").strip()
    history = owner_client.get(f"{change_url(obj)[: -len('change/')]}history/")
    assert history.status_code == 200


def test_adding_only_a_missing_kind_and_channel(owner_client):
    data = {"kind": Kind.READY, "channel": "sms", "subject": "", "body": f"Abholbereit {PREFIX}"}
    assert owner_client.get(f"{TEMPLATES}add/").status_code == 200
    response = owner_client.post(f"{TEMPLATES}add/", data)
    assert response.status_code == 200
    message = str(MessageTemplate._meta.constraints[0].violation_error_message)
    assert html.escape(message) in response.content.decode()
    assert MessageTemplate.objects.filter(kind=Kind.READY, channel="sms").count() == 1

    template(Kind.READY, "sms").delete()
    response = owner_client.post(f"{TEMPLATES}add/", data)
    assert response.status_code == 302
    assert template(Kind.READY, "sms").body == f"Abholbereit {PREFIX}".strip()


def test_the_add_page_previews_what_is_chosen(owner_client, customer):
    response = preview(
        owner_client,
        None,
        customer,
        kind=Kind.READY,
        channel="sms",
        body=f"{{anrede}}, abholbereit. {PREFIX}",
    )
    assert "Öztürk, abholbereit." in response.content.decode()
    # Appointment placeholders are refused outside appointment messages.
    response = preview(
        owner_client,
        None,
        customer,
        kind=Kind.READY,
        channel="sms",
        body=f"{{termin_datum}} {PREFIX}",
    )
    assert "template-preview-errors" in response.content.decode()


def test_deleting_falls_back_to_the_starting_wording(owner_client):
    obj = template()
    response = owner_client.post(f"{TEMPLATES}{obj.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not MessageTemplate.objects.filter(pk=obj.pk).exists()
    fallback = selectors.template_for(Kind.REMINDER, "sms")
    assert fallback.pk is None and "{termin_uhrzeit}" in fallback.body


def test_staff_may_not_see_or_preview_templates(staff_client, admin_staff, customer):
    obj = template()
    assert staff_client.get(TEMPLATES).status_code == 403
    assert staff_client.get(change_url(obj)).status_code == 403
    response = preview(staff_client, obj, customer, body="{vorname}")
    assert response.status_code == 403 and "Greta" not in response.content.decode()


def test_the_preview_needs_a_post_and_a_login(owner_client, client, outsider_client):
    assert owner_client.get(PREVIEW).status_code == 405
    assert client.post(PREVIEW, {"body": "x"}).status_code == 302
    assert outsider_client.post(PREVIEW, {"body": "x"}).status_code == 302  # not admin staff


def test_the_preview_needs_the_csrf_token(owner, customer):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(owner)
    assert preview(client, template(), customer).status_code == 403
    page = client.get(change_url(template()))
    token = page.context["csrf_token"]
    response = preview(client, template(), customer, csrfmiddlewaretoken=token)
    assert response.status_code == 200


def test_hostile_names_are_shown_as_text(owner_client):
    hostile = factories.customer(first_name="<script>x</script>", last_name="<b>Böse</b>")
    response = preview(owner_client, template(), hostile, body=f"{{vorname}} {PREFIX}")
    body = response.content.decode()
    assert "<script>x" not in body and "&lt;script&gt;x" in body
    assert "<b>Böse" not in owner_client.get(change_url(template())).content.decode()


# --- Settings ------------------------------------------------------------------


def test_the_settings_list_goes_to_the_single_row(owner_client):
    response = owner_client.get("/admin/messaging/messagesettings/")
    assert response.status_code == 302
    assert response["Location"] == "/admin/messaging/messagesettings/1/change/"
    page = owner_client.get(response["Location"])
    assert page.status_code == 200
    assert len(page.context["adminform"].form.fields) == 9
    assert owner_client.get("/admin/messaging/messagesettings/add/").status_code == 403
    assert owner_client.get("/admin/messaging/messagesettings/1/delete/").status_code == 403


def test_a_missing_settings_row_is_made(owner_client):
    MessageSettings.objects.all().delete()
    response = owner_client.get("/admin/messaging/messagesettings/")
    assert response["Location"] == "/admin/messaging/messagesettings/1/change/"
    assert MessageSettings.objects.get().reminder_hours == 24


def test_changing_the_settings(owner_client, staff_client, admin_staff):
    data = {
        "reminder_hours": "48",
        "reminder_channel": "email",
        "short_notice": "nothing",
        "confirm_move": "on",
        "quiet_from": "21:00",
        "quiet_until": "07:30",
        "recall_pause_weeks": "12",
    }
    url = "/admin/messaging/messagesettings/1/change/"
    assert owner_client.post(url, data | {"quiet_until": "21:00"}).status_code == 200
    assert selectors.message_settings().quiet_until == datetime.time(8, 0)
    assert owner_client.post(url, data).status_code == 302
    saved = selectors.message_settings()
    assert (saved.reminder_hours, saved.quiet_until, saved.confirm_cancel) == (
        48,
        datetime.time(7, 30),
        False,
    )
    assert staff_client.get("/admin/messaging/messagesettings/").status_code == 403


# --- Message log ----------------------------------------------------------------


def test_the_message_log_is_view_only(owner_client, staff_client, admin_staff, customer):
    message = Message.objects.create(
        customer=customer,
        kind=Kind.READY,
        channel="sms",
        purpose="service",
        recipient="+4915123456789",
        text="Ihre Brille ist abholbereit.",
        state=State.SENT,
        send_at=timezone.now(),
        sent_at=timezone.now(),
        attempts=1,
    )
    for client in (owner_client, staff_client):
        listing = client.get("/admin/messaging/message/")
        assert listing.status_code == 200 and "Öztürk" in listing.content.decode()
        assert client.get("/admin/messaging/message/?q=Öztürk").context["cl"].result_count == 1
        assert client.get("/admin/messaging/message/?state=sent").status_code == 200
        page = client.get(f"/admin/messaging/message/{message.pk}/change/")
        assert page.status_code == 200 and 'name="text"' not in page.content.decode()
        assert client.get("/admin/messaging/message/add/").status_code == 403
        assert client.get(f"/admin/messaging/message/{message.pk}/delete/").status_code == 403
    owner_client.post(f"/admin/messaging/message/{message.pk}/change/", {"text": "anders"})
    message.refresh_from_db()
    assert message.text == "Ihre Brille ist abholbereit."


def test_the_message_log_reads_customers_with_the_list(
    owner_client, customer, django_assert_max_num_queries
):
    for number in range(5):
        Message.objects.create(
            customer=factories.customer(),
            kind=Kind.READY,
            channel="sms",
            purpose="service",
            recipient=f"+49151234567{number}",
            send_at=timezone.now(),
        )
    owner_client.get("/admin/messaging/message/")
    with django_assert_max_num_queries(12):
        assert owner_client.get("/admin/messaging/message/").status_code == 200
