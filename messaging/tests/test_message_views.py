"""The message views through Django's test client: the list "Fehlgeschlagene
Nachrichten" (page, htmx partial, paging, constant queries), sending a
failed message again, cancelling a planned one from the customer page and
"Abholbereit melden" on a pick-up appointment; permissions for each."""

import datetime
import json

import pytest
from django.contrib.auth.models import Permission
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django.utils.translation import gettext
from django_tasks_db.models import DBTaskResult

from appointments.tests.factories import TUESDAY, appointment, at
from customers.tests import factories
from messaging.models import Channel, Kind, Message, Purpose, State
from messaging.tests.test_consent_services import give

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}
FAILED = "/messaging/failed/"


def retry_url(message) -> str:
    return f"/messaging/messages/{message.pk}/retry/"


def cancel_url(message) -> str:
    return f"/messaging/messages/{message.pk}/cancel/"


def ready_url(appointment_) -> str:
    return f"/messaging/appointments/{appointment_.pk}/ready/"


def failed_message(customer, *, reason="Mailbox full", **fields) -> Message:
    """A message the worker gave up on, made directly in the table."""
    data = {
        "customer": customer,
        "kind": Kind.READY,
        "channel": Channel.EMAIL,
        "purpose": Purpose.SERVICE,
        "recipient": customer.email or "kunde@example.de",
        "state": State.FAILED,
        "send_at": timezone.now(),
        "attempts": 3,
        "reason": reason,
    }
    return Message.objects.create(**(data | fields))


def shown(response) -> list[str]:
    """The texts of the messages the response's request left for the user."""
    return [str(message) for message in get_messages(response.wsgi_request)]


@pytest.fixture
def customer():
    return factories.customer(first_name="Greta", last_name="Öztürk", email="greta@example.de")


@pytest.fixture
def reader(django_user_model):
    """May see the message log and the failed list, not send."""
    user = django_user_model.objects.create_user(username="leser", password="x")
    user.user_permissions.add(
        Permission.objects.get(codename="view_message"),
        Permission.objects.get(codename="view_customer"),
    )
    return user


@pytest.fixture
def reader_client(client, reader):
    client.force_login(reader)
    return client


# --- Access ----------------------------------------------------------------------


@pytest.fixture
def urls(customer, staff):
    message = failed_message(customer)
    pickup = appointment(staff=staff, customer=customer, type_name="Brillenabholung")
    return [
        ("get", FAILED),
        ("post", retry_url(message)),
        ("post", cancel_url(message)),
        ("post", ready_url(pickup)),
    ]


def test_anonymous_users_are_sent_to_the_login(client, urls):
    for method, url in urls:
        response = getattr(client, method)(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith("/login/"), url


def test_users_without_permission_get_403(outsider_client, urls):
    for method, url in urls:
        assert getattr(outsider_client, method)(url).status_code == 403, url
    assert Message.objects.get().state == State.FAILED


def test_readers_see_the_list_but_cannot_send(reader_client, customer):
    message = failed_message(customer)
    page = reader_client.get(FAILED).content.decode()
    assert f'id="message-{message.pk}"' in page
    assert retry_url(message) not in page
    assert reader_client.post(retry_url(message)).status_code == 403
    message.refresh_from_db()
    assert message.state == State.FAILED


def test_the_nav_link_needs_view_message(staff_client, outsider_client):
    assert f'href="{FAILED}"' in staff_client.get("/customers/").content.decode()
    # The outsider sees no list at all; the nav is in the 403 page's layout.
    assert f'href="{FAILED}"' not in outsider_client.get(FAILED).content.decode()


def test_views_take_only_their_methods(staff_client, customer):
    message = failed_message(customer)
    assert staff_client.post(FAILED).status_code == 405
    assert staff_client.get(retry_url(message)).status_code == 405
    assert staff_client.post("/messaging/messages/999999/retry/").status_code == 404


# --- The failed list ---------------------------------------------------------------


def test_the_list_shows_failed_messages_newest_first(staff_client, customer, staff):
    other = factories.customer(first_name="Hans", last_name="Bäcker", email="hans@example.de")
    older = failed_message(customer, reason="Mailbox full")
    newer = failed_message(other, reason="Unknown <b>address</b>", channel=Channel.SMS)
    sent = failed_message(customer, state=State.SENT)
    Message.objects.filter(pk=older.pk).update(
        updated_at=timezone.now() - datetime.timedelta(hours=2)
    )

    response = staff_client.get(FAILED)
    assert response.status_code == 200
    page = response.content.decode()
    assert "<html" in page and 'id="failed-table"' in page
    assert page.index(f'id="message-{newer.pk}"') < page.index(f'id="message-{older.pk}"')
    assert f'id="message-{sent.pk}"' not in page
    assert f'href="/customers/{customer.pk}/"' in page
    assert "greta@example.de" in page and "Mailbox full" in page
    assert "Unknown &lt;b&gt;address&lt;/b&gt;" in page  # escaped
    assert retry_url(newer) in page and retry_url(older) in page
    assert [message.pk for message in response.context["page"]] == [newer.pk, older.pk]


def test_the_list_says_when_nothing_failed(staff_client):
    response = staff_client.get(FAILED)
    assert response.status_code == 200
    assert "empty-row" in response.content.decode()
    assert len(response.context["page"].object_list) == 0


def test_htmx_gets_only_the_table(staff_client, customer):
    message = failed_message(customer)
    response = staff_client.get(FAILED, **HTMX)
    body = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in body
    assert body.lstrip().startswith('<div id="failed-table"')
    assert f'id="message-{message.pk}"' in body


def test_the_list_is_paged(staff_client, customer):
    for _ in range(30):
        failed_message(customer)
    first = staff_client.get(FAILED).context["page"]
    assert (len(first.object_list), first.paginator.count, first.paginator.num_pages) == (25, 30, 2)
    second = staff_client.get(FAILED, {"page": 2}).context["page"]
    assert len(second.object_list) == 5
    assert 'rel="prev"' in staff_client.get(FAILED, {"page": 2}).content.decode()
    assert len(staff_client.get(FAILED, {"page_size": 50}).context["page"].object_list) == 30


def test_the_list_reads_a_constant_number_of_queries(
    staff_client, customer, django_assert_num_queries
):
    def count() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert staff_client.get(FAILED).status_code == 200
        return len(captured)

    failed_message(customer)
    one = count()
    for number in range(29):
        failed_message(factories.customer(email=f"kunde{number}@example.de"))
    with django_assert_num_queries(one):
        response = staff_client.get(FAILED, {"page_size": 50})
    assert len(response.context["page"].object_list) == 30
    # The partial: the same, less the live-update counters of the full page.
    with django_assert_num_queries(one - 1):
        staff_client.get(FAILED, {"page": 2}, **HTMX)
    # Session, user, permissions, live counters; count, ids, the page's rows.
    assert one == 7


# --- Sending again -----------------------------------------------------------------------


def test_htmx_retry_queues_the_message_and_refreshes_the_lists(
    staff_client, customer, staff, daytime
):
    give(customer, staff, purpose=Purpose.SERVICE)
    message = failed_message(customer)
    response = staff_client.post(retry_url(message), {"next": FAILED}, **HTMX)
    assert response.status_code == 200
    assert json.loads(response["HX-Trigger"]) == {"messagesChanged": True, "customerSaved": True}
    body = response.content.decode()
    assert 'hx-swap-oob="true"' in body
    expected = gettext("The message to %(name)s (%(channel)s) has been queued.") % {
        "name": "Greta Öztürk",
        "channel": Channel.EMAIL.label,
    }
    assert expected in body
    message.refresh_from_db()
    assert (message.state, message.attempts, message.reason) == (State.QUEUED, 0, "")
    assert DBTaskResult.objects.filter(task_path__endswith="deliver_messages").exists()
    # The list no longer shows it.
    assert f'id="message-{message.pk}"' not in staff_client.get(FAILED).content.decode()


def test_retry_in_the_quiet_hours_says_when_it_goes(staff_client, customer, night):
    message = failed_message(customer)
    response = staff_client.post(retry_url(message))
    message.refresh_from_db()
    assert message.state == State.PLANNED
    local = timezone.localtime(message.send_at)
    assert local.time() == night.quiet_until
    assert any(local.strftime("%H:%M") in text for text in shown(response))


def test_a_plain_retry_redirects_back(staff_client, customer, daytime):
    message = failed_message(customer)
    response = staff_client.post(retry_url(message), {"next": f"{FAILED}?page=1"})
    assert (response.status_code, response["Location"]) == (302, f"{FAILED}?page=1")
    # Somewhere else than this site: the list.
    again = failed_message(customer)
    response = staff_client.post(retry_url(again), {"next": "https://example.com/"})
    assert response["Location"] == FAILED


def test_retrying_a_message_that_did_not_fail_is_refused_in_german(staff_client, customer):
    message = failed_message(customer, state=State.SENT)
    response = staff_client.post(retry_url(message), {"next": FAILED}, follow=True)
    assert response.status_code == 200
    assert gettext("Only a failed message can be sent again.") in response.content.decode()
    message.refresh_from_db()
    assert message.state == State.SENT
    # With htmx: the error out of band, no 500.
    response = staff_client.post(retry_url(message), **HTMX)
    assert response.status_code == 200
    assert gettext("Only a failed message can be sent again.") in response.content.decode()


# --- The customer page's section ---------------------------------------------------------


def test_the_section_offers_cancel_and_retry(staff_client, reader_client, customer, staff):
    give(customer, staff, purpose=Purpose.SERVICE)
    booked = appointment(staff=staff, customer=customer, start=at(10, day=TUESDAY))
    reminder = Message.objects.get(appointment=booked, kind=Kind.REMINDER)
    assert reminder.state == State.PLANNED
    failed = failed_message(customer)
    page = staff_client.get(f"/customers/{customer.pk}/").content.decode()
    assert 'id="customer-messages"' in page
    assert cancel_url(reminder) in page and retry_url(failed) in page
    assert cancel_url(failed) not in page and retry_url(reminder) not in page
    assert "badge-message-planned" in page and "badge-message-failed" in page
    # Without send_message: the log, no buttons.
    page = reader_client.get(f"/customers/{customer.pk}/").content.decode()
    assert 'id="customer-messages"' in page
    assert cancel_url(reminder) not in page and retry_url(failed) not in page


def test_cancelling_a_planned_message(staff_client, customer, staff):
    give(customer, staff, purpose=Purpose.SERVICE)
    booked = appointment(staff=staff, customer=customer, start=at(10, day=TUESDAY))
    reminder = Message.objects.get(appointment=booked, kind=Kind.REMINDER)
    response = staff_client.post(cancel_url(reminder), **HTMX)
    assert response.status_code == 200
    assert json.loads(response["HX-Trigger"]) == {"messagesChanged": True, "customerSaved": True}
    reminder.refresh_from_db()
    assert reminder.state == State.CANCELLED
    assert "Anna Schmidt" in reminder.reason
    # A second click: refused in German, nothing changes, no 500.
    response = staff_client.post(cancel_url(reminder), {"next": f"/customers/{customer.pk}/"})
    assert response["Location"] == f"/customers/{customer.pk}/"
    assert shown(response) == [gettext("Only a planned message can be cancelled.")]


def test_a_plain_cancel_returns_to_the_customer(staff_client, customer, staff):
    give(customer, staff, purpose=Purpose.SERVICE)
    booked = appointment(staff=staff, customer=customer, start=at(10, day=TUESDAY))
    reminder = Message.objects.get(appointment=booked, kind=Kind.REMINDER)
    response = staff_client.post(cancel_url(reminder))
    assert response["Location"] == f"/customers/{customer.pk}/"


# --- "Abholbereit melden" -----------------------------------------------------------------


@pytest.fixture
def pickup(staff, customer):
    return appointment(
        staff=staff, customer=customer, type_name="Brillenabholung", start=at(11, day=TUESDAY)
    )


def ready_of(appointment_):
    return Message.objects.filter(appointment=appointment_, kind=Kind.READY)


def test_the_button_shows_on_pickup_appointments_only(staff_client, staff, customer, pickup):
    eye_test = appointment(staff=staff, customer=customer, start=at(14, day=TUESDAY))
    modal = staff_client.get(f"/appointments/{pickup.pk}/edit/", **HTMX).content.decode()
    assert ready_url(pickup) in modal and 'form="appointment-ready"' in modal
    modal = staff_client.get(f"/appointments/{eye_test.pk}/edit/", **HTMX).content.decode()
    assert "/ready/" not in modal
    listing = staff_client.get("/appointments/", {"date_from": ""}).content.decode()
    assert ready_url(pickup) in listing and ready_url(eye_test) not in listing


def test_the_button_hides_once_the_appointment_is_done(staff_client, pickup):
    type(pickup).objects.filter(pk=pickup.pk).update(status="done")
    modal = staff_client.get(f"/appointments/{pickup.pk}/edit/", **HTMX).content.decode()
    assert ready_url(pickup) not in modal


def test_ready_queues_one_message(staff_client, staff, customer, pickup, daytime):
    give(customer, staff, purpose=Purpose.SERVICE)
    response = staff_client.post(ready_url(pickup), **HTMX)
    assert response.status_code == 200
    assert json.loads(response["HX-Trigger"]) == {
        "closeModal": True,
        "messagesChanged": True,
        "customerSaved": True,
    }
    message = ready_of(pickup).get()
    assert (message.state, message.channel, message.recipient) == (
        State.QUEUED,
        Channel.EMAIL,
        "greta@example.de",
    )
    # The test settings keep django-tasks' database backend: the task waits
    # for a worker, the message stays queued.
    task = DBTaskResult.objects.get(task_path__endswith="deliver_messages")
    assert message.pk in task.args_kwargs["kwargs"]["message_ids"]
    expected = gettext("The message to %(name)s (%(channel)s) has been queued.") % {
        "name": "Greta Öztürk",
        "channel": Channel.EMAIL.label,
    }
    assert expected in response.content.decode()

    # A second click sends nothing: it says when the customer was notified.
    response = staff_client.post(ready_url(pickup), **HTMX)
    assert ready_of(pickup).count() == 1
    assert DBTaskResult.objects.filter(task_path__endswith="deliver_messages").count() == 1
    again = gettext("%(name)s was already notified on %(date)s (%(state)s).") % {
        "name": "Greta Öztürk",
        "date": timezone.localtime(message.created_at).strftime("%d.%m.%Y %H:%M"),
        "state": State.QUEUED.label,
    }
    assert again in response.content.decode()


def test_ready_in_the_quiet_hours_says_when(staff_client, staff, customer, pickup, night):
    give(customer, staff, purpose=Purpose.SERVICE)
    response = staff_client.post(ready_url(pickup), {"next": "/appointments/"})
    assert response["Location"] == "/appointments/"
    message = ready_of(pickup).get()
    assert message.state == State.PLANNED
    local = timezone.localtime(message.send_at)
    [text] = shown(response)
    assert local.strftime("%H:%M") in text and local.strftime("%d.%m.%Y") in text


def test_ready_without_consent_shows_the_reason(staff_client, customer, pickup):
    response = staff_client.post(ready_url(pickup), **HTMX)
    assert response.status_code == 200
    body = response.content.decode()
    assert "alert-error" in body
    assert "Greta Öztürk" in body
    assert not ready_of(pickup).exists()
    # Without htmx: back to the list, the reason shown there.
    response = staff_client.post(ready_url(pickup), follow=True)
    assert response.status_code == 200
    assert "alert-error" in response.content.decode()
    assert not ready_of(pickup).exists()


def test_ready_for_a_missing_appointment_is_404(staff_client):
    assert staff_client.post("/messaging/appointments/999999/ready/").status_code == 404
