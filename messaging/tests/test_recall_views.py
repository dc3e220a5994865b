"""The recall list ("Recall") through Django's test client: permissions,
the page and its htmx partial, each filter, constant queries per page, and
the batch actions on the filtered list (send in the background, letters as
PDF, CSV export)."""

import csv
import datetime
import io

import pytest
from django.contrib.auth.models import Permission
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import formats, timezone
from django_tasks_db.models import DBTaskResult

from appointments.tests.factories import appointment, at, working_day
from customers.tests import factories
from customers.validators import years_before
from messaging import services
from messaging.models import Channel, Kind, Message, Purpose, State
from messaging.recall import months_before, months_offered
from opticrm.lib.pagination import forget_estimates
from opticrm.lib.phone import format_phone
from opticrm.lib.roles import staff_group
from prescriptions.tests.factories import fitting

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}
LIST = "/recall/"
SEND = "/recall/send/"
LETTERS = "/recall/letters/"
EXPORT = "/recall/export.csv"


def today() -> datetime.date:
    return timezone.localdate()


def exam_ago(years: int = 3) -> datetime.date:
    return years_before(today(), years) - datetime.timedelta(days=1)


def due_customer(last_name: str, **fields):
    fields.setdefault("last_exam_date", exam_ago())
    return factories.customer(last_name=last_name, **fields)


def give(customer, channel: str) -> None:
    services.consent_give(
        customer_id=customer.pk,
        channel=channel,
        purpose=Purpose.MARKETING,
        method="in_store",
        text="Einverstanden mit Erinnerungen",
        user=None,
    )


def names(response) -> list[str]:
    return [row.customer.last_name for row in response.context["rows"]]


def shown(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


@pytest.fixture
def mixed():
    """Due customers reachable in each way, a senior, one with an appointment."""
    mail = due_customer("Mail", email="mail@example.de")
    give(mail, Channel.EMAIL)
    sms = due_customer("Handy", phone="0151 23456789")
    give(sms, Channel.SMS)
    letter = due_customer("Brief", street="Hauptstr. 1", postcode="80331", town="München")
    give(letter, Channel.LETTER)
    due_customer("Ohne", email="ohne@example.de", phone="089 1234567")
    due_customer("Senior", date_of_birth=years_before(today(), 70))
    return {"mail": mail, "sms": sms, "letter": letter}


@pytest.fixture
def reader(django_user_model):
    """May see the list (messages and health data) but not send."""
    user = django_user_model.objects.create_user(username="leser")
    user.user_permissions.add(
        Permission.objects.get(codename="view_message"),
        Permission.objects.get(codename="view_refraction"),
    )
    return user


# --- Access ------------------------------------------------------------------------


def test_anonymous_users_are_sent_to_log_in(client):
    for url in (LIST, EXPORT, SEND):
        response = client.get(url)
        assert response.status_code == 302 and "/login/" in response["Location"], url
    response = client.post(LETTERS)
    assert response.status_code in (302, 403)


def test_front_desk_without_health_data_right_is_refused(staff_client, mixed):
    for url in (LIST, EXPORT, SEND):
        assert staff_client.get(url).status_code == 403, url
    assert staff_client.post(SEND).status_code == 403
    assert staff_client.post(LETTERS).status_code == 403
    assert not DBTaskResult.objects.exists()


def test_the_contact_lens_rule_needs_the_fitting_right_too(client, reader):
    """Fitting dates are health data of their own (view_contactlensfitting)."""
    client.force_login(reader)
    assert client.get(LIST).status_code == 200
    assert client.get(LIST, {"rule": "fitting"}).status_code == 403
    assert client.get(EXPORT, {"rule": "fitting"}).status_code == 403
    reader.user_permissions.add(Permission.objects.get(codename="view_contactlensfitting"))
    client.force_login(type(reader).objects.get(pk=reader.pk))
    assert client.get(LIST, {"rule": "fitting"}).status_code == 200


def test_without_send_permission_the_list_shows_but_actions_are_refused(client, reader, mixed):
    client.force_login(reader)
    response = client.get(LIST)
    assert response.status_code == 200
    assert b"data-send-recall" not in response.content
    assert b"data-print-letters" not in response.content
    assert client.get(SEND).status_code == 403
    assert client.post(SEND).status_code == 403
    assert client.post(LETTERS).status_code == 403
    assert client.get(EXPORT).status_code == 200
    assert not DBTaskResult.objects.exists()
    assert not Message.objects.exists()


# --- The list ------------------------------------------------------------------------


def test_full_page_and_htmx_partial(optician_client, mixed):
    response = optician_client.get(LIST)
    assert response.status_code == 200
    html = response.content.decode()
    assert "<html" in html and 'id="recall-filters"' in html and 'id="recall-table"' in html
    assert sorted(names(response)) == ["Brief", "Handy", "Mail", "Ohne", "Senior"]
    # German labels, a link to each customer, the due date in German.
    assert "Altersgruppe" in html and "bis Ende" in html and "Erreichbar" in html
    assert f'href="/customers/{mixed["mail"].pk}/"' in html
    due = years_before(exam_ago(), -2)
    assert formats.date_format(due, "SHORT_DATE_FORMAT") in html

    partial = optician_client.get(LIST, {"reach": "email"}, **HTMX)
    assert partial.status_code == 200
    text = partial.content.decode()
    assert "<html" not in text and 'id="recall-filters"' not in text
    assert text.lstrip().startswith('<div id="recall-table"')
    assert names(partial) == ["Mail"]


def test_badges_and_phone_to_call_for_the_unreachable(optician_client, mixed):
    html = optician_client.get(LIST).content.decode()
    row = html.split(f'id="recall-{mixed["mail"].pk}"')[1].split("</tr>")[0]
    assert "badge-channel-email" in row and "E-Mail" in row
    ohne = html.split("<strong>Ohne</strong>")[1].split("</tr>")[0]
    assert "nicht erreichbar" in ohne
    assert 'href="tel:+49891234567"' in ohne


def test_each_filter_narrows_the_list(optician_client, mixed, staff):
    with_appointment = due_customer("Termin", email="termin@example.de")
    give(with_appointment, Channel.EMAIL)
    appointment(staff=staff, customer=with_appointment, start=at(10, day=working_day()))

    def listed(**filters) -> list[str]:
        return sorted(names(optician_client.get(LIST, filters)))

    assert listed() == ["Brief", "Handy", "Mail", "Ohne", "Senior"]
    assert listed(reach="email") == ["Mail"]
    assert listed(reach="sms") == ["Handy"]
    assert listed(reach="letter") == ["Brief"]
    assert listed(reach="none") == ["Ohne", "Senior"]
    assert listed(age_group="seniors") == ["Senior"]
    assert "Senior" not in listed(age_group="adults")
    assert listed(age_group="children") == []
    # Nobody is due in a later month only; the CL rule has nobody fitted.
    assert listed(month=months_offered(today())[3].strftime("%Y-%m")) == []
    assert listed(rule="fitting") == []
    for filters in ({}, {"reach": "email"}, {"rule": "eye_test"}):
        assert "Termin" not in listed(**filters)


def test_contact_lens_rule_lists_the_fitted(optician_client, optician):
    lenses = factories.customer(last_name="Linse")
    fitted = months_before(today(), 7)
    fitting(lenses, optician, date=fitted)
    response = optician_client.get(LIST, {"rule": "fitting"})
    assert names(response) == ["Linse"]
    html = response.content.decode()
    assert "Letzte Anpassung" in html
    assert formats.date_format(fitted, "SHORT_DATE_FORMAT") in html


def test_due_month_filter(optician_client):
    next_month = months_offered(today())[1]
    due_customer("Naechster", last_exam_date=years_before(next_month, 2) + datetime.timedelta(3))
    due_customer("Jetzt")
    assert names(optician_client.get(LIST, {"month": next_month.strftime("%Y-%m")})) == [
        "Naechster"
    ]
    assert names(optician_client.get(LIST)) == ["Jetzt"]


@pytest.mark.parametrize(
    "filters",
    [{"rule": "x"}, {"month": "1999-01"}, {"reach": "fax"}, {"age_group": "old"}, {"page": "x"}],
)
def test_invalid_filters_show_the_form_error_not_a_500(optician_client, mixed, filters):
    response = optician_client.get(LIST, filters)
    assert response.status_code == 200
    if "page" not in filters:
        assert "Bitte eine gültige Auswahl treffen." in response.content.decode()
        assert response.context["rows"] == []
    partial = optician_client.get(LIST, filters, **HTMX)
    assert partial.status_code == 200
    if "page" not in filters:
        assert "Bitte eine gültige Auswahl treffen." in partial.content.decode()


def test_empty_state(optician_client):
    response = optician_client.get(LIST)
    assert "Für diese Auswahl ist niemand fällig." in response.content.decode()


def test_last_recall_column_shows_the_newest_recall(optician_client, mixed):
    Message.objects.create(
        customer=mixed["mail"],
        kind=Kind.RECALL_EYE_TEST,
        channel=Channel.EMAIL,
        purpose=Purpose.MARKETING,
        send_at=timezone.now() - datetime.timedelta(days=400),
        state=State.FAILED,  # a failed one does not take them off the list
    )
    html = optician_client.get(LIST).content.decode()
    row = html.split(f'id="recall-{mixed["mail"].pk}"')[1].split("</tr>")[0]
    assert formats.date_format(today(), "SHORT_DATE_FORMAT") in row


def test_paging_and_page_size(optician_client):
    for n in range(30):
        due_customer(f"Kunde{n:02}")
    first = optician_client.get(LIST, {"page_size": "50"})
    assert len(first.context["rows"]) == 30
    second = optician_client.get(LIST, {"page": "2"})  # 25 by default
    assert len(second.context["rows"]) == 5
    assert len(optician_client.get(LIST).context["rows"]) == 25
    assert optician_client.get(LIST, {"page_size": "7"}).context["page_size"] == 25


def test_a_due_month_pages_both_rules_in_order(optician_client):
    """A due month is read per rule (yearly, every two years) and merged:
    the pages hold every due customer once, oldest exam first."""
    month = months_offered(today())[1]
    senior = years_before(today(), 70)  # yearly
    for n in range(20):
        due_customer(f"Zwei{n:02}", last_exam_date=years_before(month, 2) + datetime.timedelta(n))
    for n in range(10):
        due_customer(
            f"Jahr{n:02}",
            last_exam_date=years_before(month, 1) + datetime.timedelta(n),
            date_of_birth=senior,
        )
    due_customer("Spaeter", last_exam_date=years_before(month, 1) + datetime.timedelta(40))
    params = {"month": month.strftime("%Y-%m")}
    first = optician_client.get(LIST, params)
    second = optician_client.get(LIST, params | {"page": "2"})
    assert names(first) == [f"Zwei{n:02}" for n in range(20)] + [f"Jahr{n:02}" for n in range(5)]
    assert names(second) == [f"Jahr{n:02}" for n in range(5, 10)]
    page = " ".join(second.content.decode().split())
    assert "26–30 von 30" in page


def test_queries_per_page_stay_constant_for_a_due_month(optician_client, django_assert_num_queries):
    month = months_offered(today())[1]
    params = {"month": month.strftime("%Y-%m"), "page_size": "50"}

    def make(count: int, start: int) -> None:
        for n in range(start, start + count):
            customer = due_customer(
                f"M{n:03}", last_exam_date=years_before(month, 2), email=f"m{n}@example.de"
            )
            if n % 2:
                give(customer, Channel.EMAIL)

    make(2, 0)
    optician_client.get(LIST, params)
    with CaptureQueriesContext(connection) as few:
        assert len(optician_client.get(LIST, params).context["rows"]) == 2
    make(30, 2)
    with django_assert_num_queries(len(few.captured_queries)):
        assert len(optician_client.get(LIST, params).context["rows"]) == 32


def test_queries_per_page_stay_constant(optician_client, django_assert_num_queries):
    def make(count: int, start: int) -> None:
        for n in range(start, start + count):
            customer = due_customer(f"Q{n:03}", email=f"q{n}@example.de", phone="089 1234567")
            if n % 2:
                give(customer, Channel.EMAIL)
            if n % 3 == 0:
                Message.objects.create(
                    customer=customer,
                    kind=Kind.RECALL_EYE_TEST,
                    channel=Channel.EMAIL,
                    purpose=Purpose.MARKETING,
                    send_at=timezone.now(),
                    state=State.FAILED,
                )

    make(3, 0)
    optician_client.get(LIST)  # session, permissions warmed as for any page
    forget_estimates()
    with CaptureQueriesContext(connection) as few:
        assert len(optician_client.get(LIST).context["rows"]) == 3
    make(37, 3)
    forget_estimates()
    with django_assert_num_queries(len(few.captured_queries)):
        assert len(optician_client.get(LIST, {"page_size": "50"}).context["rows"]) == 40


def test_beyond_the_counting_limit_the_list_says_more_than(optician_client, mixed, monkeypatch):
    """The list is counted up to 1,000; beyond, it says "mehr als 1.000"
    (here the limit is made small)."""
    from messaging import recall_views

    for name in ("Heute1", "Heute2"):  # due today: in this month's list
        due_customer(name, last_exam_date=years_before(today(), 2))
    month = {"month": months_offered(today())[0].strftime("%Y-%m")}
    assert "mehr als" not in optician_client.get(LIST, month).content.decode()
    monkeypatch.setattr(recall_views, "COUNT_UP_TO", 1)
    page = " ".join(optician_client.get(LIST, month).content.decode().split())
    assert "1–1 von mehr als 1" in page


def test_a_chain_list_shows_an_estimate(optician_client, mixed, monkeypatch):
    from opticrm.lib import pagination

    monkeypatch.setattr(pagination, "planner_rows", lambda queryset: 300_000)
    html = optician_client.get(LIST).content.decode()
    assert "ca. 300.000" in html


# --- Send --------------------------------------------------------------------------


def test_confirmation_counts_the_electronic_recipients(optician_client, mixed):
    modal = optician_client.get(SEND, **HTMX)
    assert modal.status_code == 200
    text = modal.content.decode()
    assert "<html" not in text and 'action="/recall/send/"' in text
    assert "an 2 Kunden senden" in text
    page = optician_client.get(SEND)
    assert "<html" in page.content.decode() and 'id="recall-table"' in page.content.decode()
    nobody = optician_client.get(SEND, {"reach": "letter"}, **HTMX).content.decode()
    assert "data-confirm-send" not in nobody


def test_send_enqueues_one_task_and_the_task_plans_email_and_sms_only(
    optician_client, optician, mixed, daytime
):
    response = optician_client.post(SEND, {"rule": "eye_test", "month": "", "reach": ""})
    assert response.status_code == 302
    assert response["Location"] == "/recall/?rule=eye_test"
    assert any("im Hintergrund versendet" in text for text in shown(response))
    task = DBTaskResult.objects.get()
    assert task.task_path.endswith("queue_recall")
    assert not Message.objects.exists()  # nothing sent in the request

    # The worker's part, run inline with the task's arguments.
    kwargs = task.args_kwargs["kwargs"]
    assert kwargs["user_id"] == optician.pk
    planned = services.recall_queue(query_data=kwargs["query"], user_id=kwargs["user_id"])
    assert planned == 2
    sent = {m.customer.last_name: m.channel for m in Message.objects.select_related("customer")}
    assert sent == {"Mail": Channel.EMAIL, "Handy": Channel.SMS}
    assert sorted(names(optician_client.get(LIST))) == ["Brief", "Ohne", "Senior"]


def test_send_with_htmx_closes_the_modal_and_shows_the_message(optician_client, mixed):
    response = optician_client.post(SEND, {"reach": "email"}, **HTMX)
    assert response.status_code == 200
    assert "closeModal" in response["HX-Trigger"]
    assert "im Hintergrund versendet" in response.content.decode()
    assert DBTaskResult.objects.get().args_kwargs["kwargs"]["query"]["reach"] == "email"


def test_send_with_invalid_filters_enqueues_nothing(optician_client, mixed):
    response = optician_client.post(SEND, {"reach": "fax"})
    assert response.status_code == 302
    assert any("gültige Auswahl" in text for text in shown(response))
    assert not DBTaskResult.objects.exists()


def test_send_needs_csrf(optician):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(optician)
    assert client.post(SEND, {}).status_code == 403
    assert client.post(LETTERS, {}).status_code == 403
    assert not DBTaskResult.objects.exists()


# --- Letters -----------------------------------------------------------------------


def test_letters_pdf_logs_sent_letters_and_the_customers_leave_the_list(optician_client, mixed):
    response = optician_client.post(LETTERS, {"rule": "eye_test"})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    expected = f'attachment; filename="recall-briefe-{today():%Y-%m-%d}.pdf"'
    assert response["Content-Disposition"] == expected
    letter = Message.objects.get()
    assert (letter.customer_id, letter.channel, letter.state) == (
        mixed["letter"].pk,
        Channel.LETTER,
        State.SENT,
    )
    assert "Brief" not in names(optician_client.get(LIST))


def test_letters_without_anyone_to_write_to_say_so(optician_client, mixed):
    response = optician_client.post(LETTERS, {"reach": "email", "age_group": ""})
    assert response.status_code == 302
    assert response["Location"] == "/recall/?reach=email"
    assert any("per Brief" in text or "Brief" in text for text in shown(response))
    assert not Message.objects.exists()


# --- CSV ---------------------------------------------------------------------------


def test_csv_export_has_the_german_header_and_the_rows(optician_client, mixed):
    response = optician_client.get(EXPORT, {"reach": ""})
    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Type"].startswith("text/csv")
    assert f"recall-{today():%Y-%m-%d}.csv" in response["Content-Disposition"]
    raw = b"".join(response.streaming_content)
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == [
        "Kundennummer",
        "Anrede",
        "Vorname",
        "Nachname",
        "Straße",
        "PLZ",
        "Ort",
        "E-Mail",
        "Telefon",
        "Regel",
        "Fällig am",
        "Letzte Untersuchung",
        "Erreichbar per",
    ]
    by_name = {row[3]: row for row in rows[1:]}
    assert set(by_name) == {"Brief", "Handy", "Mail", "Ohne", "Senior"}
    assert by_name["Mail"][12] == "E-Mail"
    assert by_name["Handy"][8] == format_phone("+4915123456789") and by_name["Handy"][12] == "SMS"
    assert by_name["Brief"][4:7] == ["Hauptstr. 1", "80331", "München"]
    assert by_name["Ohne"][12] == "nicht erreichbar"
    assert by_name["Mail"][9] == "Sehtest"
    assert by_name["Mail"][10] == formats.date_format(
        years_before(exam_ago(), -2), "SHORT_DATE_FORMAT"
    )
    only_mail = optician_client.get(EXPORT, {"reach": "email"})
    text = b"".join(only_mail.streaming_content).decode("utf-8-sig")
    assert len(text.strip().splitlines()) == 2


def test_csv_neutralises_formulas(optician_client):
    due_customer("=cmd|' /C calc'!A0", town="+Stadt", email="")
    raw = b"".join(optician_client.get(EXPORT).streaming_content).decode("utf-8-sig")
    row = list(csv.reader(io.StringIO(raw), delimiter=";"))[1]
    assert row[3] == "'=cmd|' /C calc'!A0"
    assert row[6] == "'+Stadt"
    assert not any(cell.startswith(("=", "+", "-", "@")) for cell in row)


def test_csv_of_many_customers_reads_in_chunks(optician_client, monkeypatch):
    from messaging import recall_views

    monkeypatch.setattr(recall_views, "CSV_CHUNK", 2)
    for n in range(5):
        due_customer(f"Chunk{n}")
    raw = b"".join(optician_client.get(EXPORT).streaming_content).decode("utf-8-sig")
    assert len(raw.strip().splitlines()) == 6


def test_staff_group_has_the_permissions_the_page_needs():
    codenames = set(staff_group().permissions.values_list("codename", flat=True))
    assert {"view_message", "send_message"} <= codenames
