"""The recall rule "Nachbestellung fällig" (contact lens reorder): who is
due by the reorder date of their latest contact lens order (kept on the
customer's row by the trigger of orders migration 0004), through the list,
its filters, its batch actions and the CSV, with the permissions of the
contact lens rules and a constant number of queries per page."""

import csv
import datetime
import io

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import formats, timezone
from django_tasks_db.models import DBTaskResult

from appointments.tests.factories import appointment, at, working_day
from customers.models import Customer
from customers.tests import factories
from messaging import services
from messaging.defaults import default_wording
from messaging.models import Channel, Kind, Message, Purpose, State
from messaging.recall import (
    RecallQuery,
    Rule,
    due_customers,
    due_date,
    month_end,
    months_before,
    months_offered,
)
from messaging.recall_forms import MONTH_FORMAT
from opticrm.lib.pagination import forget_estimates
from orders.tests.test_reorder_recall import cancel, placed
from prescriptions.tests.factories import fitting
from products.models import Category
from products.tests.factories import product

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}
LIST = "/recall/"
SEND = "/recall/send/"
LETTERS = "/recall/letters/"
EXPORT = "/recall/export.csv"
REORDER = {"rule": Rule.REORDER}


def today() -> datetime.date:
    return timezone.localdate()


@pytest.fixture
def lenses():
    return product(name="Dailies 30er", category=Category.CONTACT_LENS, sale_price="29.90")


def wearer(last_name: str, lenses, *, due_in: int, **fields) -> Customer:
    """A customer whose contact lenses run out in ``due_in`` days (before
    today when negative): an order of 90 days' supply placed then."""
    customer = factories.customer(last_name=last_name, **fields)
    placed(customer, lenses, supply_days=90, days_ago=90 - due_in)
    customer.refresh_from_db()
    assert customer.cl_reorder_due == today() + datetime.timedelta(days=due_in)
    return customer


def due_on(last_name: str, lenses, day: datetime.date, **fields) -> Customer:
    """A customer whose contact lenses run out on ``day`` (after today)."""
    customer = factories.customer(last_name=last_name, **fields)
    placed(customer, lenses, supply_days=(day - today()).days)
    return customer


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
    assert response.status_code == 200, response.content[:500]
    return [row.customer.last_name for row in response.context["rows"]]


def listed(client, **filters) -> list[str]:
    return names(client.get(LIST, REORDER | filters))


def short(day: datetime.date) -> str:
    return formats.date_format(day, "SHORT_DATE_FORMAT")


def user_with(django_user_model, *codenames: str):
    user = django_user_model.objects.create_user(username="-".join(codenames)[:150])
    user.user_permissions.add(*Permission.objects.filter(codename__in=codenames))
    return user


# --- The rule ------------------------------------------------------------------------


def test_due_by_the_end_of_the_month_overdue_included(optician_client, lenses):
    wearer("Ueberfaellig", lenses, due_in=-40)
    wearer("Heute", lenses, due_in=0)
    wearer("Spaeter", lenses, due_in=90)  # after the end of this month, always
    cancelled = factories.customer(last_name="Storniert")
    cancel(placed(cancelled, lenses, supply_days=90, days_ago=120))
    factories.customer(last_name="Brille", last_exam_date=today() - datetime.timedelta(days=900))

    response = optician_client.get(LIST, REORDER)
    # Longest overdue first; the eye test and the cancelled order do not count.
    assert names(response) == ["Ueberfaellig", "Heute"]
    rows = response.context["rows"]
    assert [row.due for row in rows] == [
        today() - datetime.timedelta(days=40),
        today(),
    ]
    assert "Brille" in names(optician_client.get(LIST))  # the eye test's list
    assert "Heute" not in names(optician_client.get(LIST))


def test_due_date_is_the_reorder_date_itself(lenses):
    customer = wearer("Linse", lenses, due_in=-3)
    assert due_date(customer, Rule.REORDER, today()) == customer.cl_reorder_due
    assert due_date(factories.customer(last_name="Ohne"), Rule.REORDER, today()) is None


def test_a_due_month_lists_that_month_only(optician_client, lenses):
    month = months_offered(today())[3]
    following = months_offered(today())[4]
    due_on("Erster", lenses, month)
    due_on("Letzter", lenses, month_end(month))
    due_on("Danach", lenses, following)
    due_on("Davor", lenses, month - datetime.timedelta(days=1))
    wearer("Ueberfaellig", lenses, due_in=-10)

    assert listed(optician_client, month=month.strftime(MONTH_FORMAT)) == ["Erster", "Letzter"]
    assert listed(optician_client, month=following.strftime(MONTH_FORMAT)) == ["Danach"]
    # The filter and the rule for one customer agree.
    query = RecallQuery(today=today(), rule=Rule.REORDER, month=month)
    for customer in due_customers(query, pause_weeks=8):
        assert month <= due_date(customer, Rule.REORDER, today()) <= month_end(month)


def test_an_upcoming_appointment_takes_the_customer_off_the_list(optician_client, lenses, staff):
    booked = wearer("Termin", lenses, due_in=-5)
    wearer("Ohne", lenses, due_in=-5)
    appointment(staff=staff, customer=booked, start=at(10, day=working_day()))
    assert listed(optician_client) == ["Ohne"]


def test_deleted_and_inactive_customers_are_not_listed(optician_client, lenses):
    wearer("Geloescht", lenses, due_in=-5)
    wearer("Inaktiv", lenses, due_in=-5, status=Customer.Status.INACTIVE)
    wearer("Aktiv", lenses, due_in=-5)
    Customer.objects.filter(last_name="Geloescht").update(deleted_at=timezone.now())
    assert listed(optician_client) == ["Aktiv"]


# --- The page ------------------------------------------------------------------------


def test_the_page_names_the_reorder_and_shows_the_last_fitting(optician_client, optician, lenses):
    customer = wearer("Linse", lenses, due_in=-12)
    fitted = months_before(today(), 8)
    fitting(customer, optician, date=fitted)
    html = optician_client.get(LIST, REORDER).content.decode()
    assert '<option value="reorder" selected>' in html
    assert '<th scope="col">Nachbestellung fällig</th>' in html and "Letzte Anpassung" in html
    row = html.split(f'id="recall-{customer.pk}"')[1].split("</tr>")[0]
    assert short(today() - datetime.timedelta(days=12)) in row
    assert short(fitted) in row

    partial = optician_client.get(LIST, REORDER, **HTMX)
    text = partial.content.decode()
    assert text.lstrip().startswith('<div id="recall-table"')
    assert names(partial) == ["Linse"] and '<th scope="col">Nachbestellung fällig</th>' in text


def test_the_eye_test_keeps_its_headings(optician_client):
    html = optician_client.get(LIST).content.decode()
    assert '<th scope="col">Fällig seit/am</th>' in html and "Letzte Untersuchung" in html
    assert '<th scope="col">Nachbestellung fällig</th>' not in html


# --- Permissions ---------------------------------------------------------------------


def test_the_reorder_rule_needs_the_fitting_right(client, django_user_model, lenses):
    """Who is due to reorder contact lenses wears them: health data of the
    fittings' kind (view_contactlensfitting), as the contact lens check."""
    wearer("Linse", lenses, due_in=-5)
    user = user_with(django_user_model, "view_message", "send_message", "view_refraction")
    client.force_login(user)
    assert client.get(LIST).status_code == 200
    assert client.get(LIST, REORDER).status_code == 403
    assert client.get(LIST, REORDER, **HTMX).status_code == 403
    assert client.get(EXPORT, REORDER).status_code == 403
    assert client.get(SEND, REORDER).status_code == 403
    assert client.post(SEND, REORDER).status_code == 403
    assert client.post(LETTERS, REORDER).status_code == 403
    assert not DBTaskResult.objects.exists() and not Message.objects.exists()

    user.user_permissions.add(Permission.objects.get(codename="view_contactlensfitting"))
    client.force_login(type(user).objects.get(pk=user.pk))
    assert names(client.get(LIST, REORDER)) == ["Linse"]


def test_front_desk_is_refused(staff_client, lenses):
    wearer("Linse", lenses, due_in=-5)
    assert staff_client.get(LIST, REORDER).status_code == 403
    assert staff_client.get(EXPORT, REORDER).status_code == 403


# --- Batch actions and the pause -------------------------------------------------------


def test_sending_plans_the_reorder_recall_and_pauses_it(optician_client, optician, lenses, daytime):
    mail = wearer("Mail", lenses, due_in=-5, email="mail@example.de")
    give(mail, Channel.EMAIL)
    sms = wearer("Handy", lenses, due_in=-5, phone="0151 23456789")
    give(sms, Channel.SMS)
    wearer("Ohne", lenses, due_in=-5, email="ohne@example.de")  # no consent

    response = optician_client.post(SEND, REORDER)
    assert response.status_code == 302 and response["Location"] == "/recall/?rule=reorder"
    kwargs = DBTaskResult.objects.get().args_kwargs["kwargs"]
    assert kwargs["query"]["rule"] == Rule.REORDER
    assert services.recall_queue(query_data=kwargs["query"], user_id=kwargs["user_id"]) == 2

    sent = {m.customer.last_name: m for m in Message.objects.select_related("customer")}
    assert {name: m.channel for name, m in sent.items()} == {
        "Mail": Channel.EMAIL,
        "Handy": Channel.SMS,
    }
    assert {m.kind for m in sent.values()} == {Kind.RECALL_CL_REORDER}
    assert {m.purpose for m in sent.values()} == {Purpose.MARKETING}
    # Paused for those contacted; a recall of another kind does not pause it.
    assert listed(optician_client) == ["Ohne"]
    assert "Mail" not in names(optician_client.get(LIST, {"rule": Rule.FITTING}))


def test_a_failed_or_other_recall_does_not_pause_it(optician_client, lenses):
    failed = wearer("Fehlgeschlagen", lenses, due_in=-5)
    other = wearer("Anderer", lenses, due_in=-5)
    for customer, kind, state in (
        (failed, Kind.RECALL_CL_REORDER, State.FAILED),
        (other, Kind.RECALL_CL_CHECK, State.SENT),
    ):
        Message.objects.create(
            customer=customer,
            kind=kind,
            channel=Channel.EMAIL,
            purpose=Purpose.MARKETING,
            recipient="kunde@example.de",
            send_at=timezone.now(),
            state=state,
        )
    assert sorted(listed(optician_client)) == ["Anderer", "Fehlgeschlagen"]


def test_letters_for_the_reorder(optician_client, lenses):
    letter = wearer("Brief", lenses, due_in=-5, street="Hauptstr. 1", postcode="80331")
    Customer.objects.filter(pk=letter.pk).update(town="München")
    give(letter, Channel.LETTER)
    response = optician_client.post(LETTERS, REORDER)
    assert response.status_code == 200 and response.content.startswith(b"%PDF")
    sent = Message.objects.get()
    assert (sent.customer_id, sent.kind, sent.channel) == (
        letter.pk,
        Kind.RECALL_CL_REORDER,
        Channel.LETTER,
    )
    assert listed(optician_client) == []


def test_the_new_kind_has_its_templates_and_a_recall_email_needs_the_link():
    """Migrated in the shop's language (messaging migration 0008), each as
    the defaults word it; a recall e-mail carries the unsubscribe link."""
    from messaging.models import MessageTemplate
    from messaging.rendering import placeholders_in, template_errors

    templates = {t.channel: t for t in MessageTemplate.objects.filter(kind=Kind.RECALL_CL_REORDER)}
    assert set(templates) == {Channel.EMAIL, Channel.SMS, Channel.LETTER}
    for channel, made in templates.items():
        assert (made.subject, made.body) == default_wording(Kind.RECALL_CL_REORDER, channel)
        made.full_clean()  # the admin's checks hold
    assert "abmelden" in placeholders_in(templates[Channel.EMAIL].body)
    assert {"filiale", "telefon"} <= set(placeholders_in(templates[Channel.SMS].body))
    errors = template_errors(
        kind=Kind.RECALL_CL_REORDER, channel=Channel.EMAIL, subject="Linsen", body="{anrede}"
    )
    assert "{abmelden}" in " ".join(errors["body"])


# --- CSV -------------------------------------------------------------------------------


def test_csv_heading_and_rows(optician_client, optician, lenses):
    customer = wearer("Linse", lenses, due_in=-7, email="linse@example.de")
    fitted = months_before(today(), 5)
    fitting(customer, optician, date=fitted)
    response = optician_client.get(EXPORT, REORDER)
    assert response.status_code == 200
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    header, *rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert header[9:12] == ["Regel", "Nachbestellung fällig", "Letzte Anpassung"]
    assert len(rows) == 1
    assert rows[0][3] == "Linse"
    assert rows[0][9] == str(dict(Rule.CHOICES)[Rule.REORDER])
    assert rows[0][10] == short(today() - datetime.timedelta(days=7))
    assert rows[0][11] == short(fitted)


# --- Queries per page ------------------------------------------------------------------


def _make(lenses, count: int, start: int, **due) -> None:
    for n in range(start, start + count):
        if "month" in due:
            customer = due_on(f"R{n:03}", lenses, due["month"], email=f"r{n}@example.de")
        else:
            customer = wearer(f"R{n:03}", lenses, due_in=-n, email=f"r{n}@example.de")
        if n % 2:
            give(customer, Channel.EMAIL)
        if n % 3 == 0:
            Message.objects.create(
                customer=customer,
                kind=Kind.RECALL_CL_REORDER,
                channel=Channel.EMAIL,
                purpose=Purpose.MARKETING,
                send_at=timezone.now(),
                state=State.FAILED,
            )


def test_queries_per_page_stay_constant(optician_client, lenses, django_assert_num_queries):
    params = REORDER | {"page_size": "50"}
    _make(lenses, 3, 0)
    optician_client.get(LIST, params)  # session, permissions warmed as for any page
    forget_estimates()
    with CaptureQueriesContext(connection) as few:
        assert len(optician_client.get(LIST, params).context["rows"]) == 3
    _make(lenses, 27, 3)
    forget_estimates()
    with django_assert_num_queries(len(few.captured_queries)):
        assert len(optician_client.get(LIST, params).context["rows"]) == 30


def test_queries_per_page_stay_constant_for_a_due_month(
    optician_client, lenses, django_assert_num_queries
):
    month = months_offered(today())[2]
    params = REORDER | {"month": month.strftime(MONTH_FORMAT), "page_size": "50"}
    _make(lenses, 2, 0, month=month)
    optician_client.get(LIST, params)
    with CaptureQueriesContext(connection) as few:
        assert len(optician_client.get(LIST, params).context["rows"]) == 2
    _make(lenses, 28, 2, month=month)
    with django_assert_num_queries(len(few.captured_queries)):
        assert len(optician_client.get(LIST, params).context["rows"]) == 30
