"""Who is due for a recall (messaging.recall): the rules of DOMAIN.md, the
database columns they read (kept by triggers of prescriptions), the
exclusions, and the batch writes (recall_queue, recall_letters)."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from appointments.tests.factories import appointment, at, working_day
from customers.models import Customer
from customers.tests import factories
from customers.validators import years_before
from messaging import services
from messaging.models import Channel, Kind, Message, Purpose, State
from messaging.recall import (
    AgeGroup,
    Reach,
    RecallQuery,
    Rule,
    capped_keys,
    due_customers,
    due_date,
    months_before,
    months_offered,
)
from prescriptions.tests.factories import fitting, refraction

pytestmark = pytest.mark.django_db


def today() -> datetime.date:
    return timezone.localdate()


def ago(*, years=0, months=0, days=0) -> datetime.date:
    return months_before(years_before(today(), years), months) - datetime.timedelta(days=days)


def due(**query) -> list[str]:
    query.setdefault("today", today())
    return list(
        due_customers(RecallQuery(**query), pause_weeks=8).values_list("last_name", flat=True)
    )


def give(customer, channel):
    services.consent_give(
        customer_id=customer.pk,
        channel=channel,
        purpose=Purpose.MARKETING,
        method="written",
        text="Einverstanden mit Erinnerungen",
        user=None,
    )


def test_eye_test_every_two_years_yearly_for_children_seniors_and_wearers(optician):
    born_adult = years_before(today(), 40)
    factories.customer(
        last_name="Zwei", last_exam_date=ago(years=2, days=1), date_of_birth=born_adult
    )
    factories.customer(
        last_name="Eins", last_exam_date=ago(years=1, days=1), date_of_birth=born_adult
    )
    factories.customer(
        last_name="Kind",
        last_exam_date=ago(years=1, days=1),
        date_of_birth=years_before(today(), 10),
    )
    factories.customer(
        last_name="Senior",
        last_exam_date=ago(years=1, days=1),
        date_of_birth=years_before(today(), 70),
    )
    wearer = factories.customer(last_name="Brille", date_of_birth=born_adult)
    refraction(wearer, optician, date=ago(years=1, days=1))
    plano = factories.customer(last_name="Ohne", date_of_birth=born_adult)
    refraction(
        plano,
        optician,
        date=ago(years=1, days=1),
        right_sphere=Decimal("0"),
        right_cylinder=None,
        right_axis=None,
        left_sphere=Decimal("0"),
    )
    factories.customer(last_name="Neu", last_exam_date=ago(months=3), date_of_birth=born_adult)
    factories.customer(last_name="Nie", last_exam_date=None)

    # Due by the end of this month: "Eins" (adult, no correction) and the
    # plano refraction wait for their second year.
    assert sorted(due()) == ["Brille", "Kind", "Senior", "Zwei"]
    wearer.refresh_from_db()
    assert wearer.wears_correction and wearer.eye_test_base == ago(years=1, days=1)
    assert due_date(wearer, Rule.EYE_TEST, today()) == years_before(ago(years=1, days=1), -1)
    assert not Customer.objects.get(last_name="Ohne").wears_correction


def test_contact_lens_check_six_months_after_the_last_fitting(optician):
    lenses = factories.customer(last_name="Linse")
    fitting(lenses, optician, date=ago(months=6, days=1))
    recent = factories.customer(last_name="Frisch")
    fitting(recent, optician, date=ago(months=2))

    assert due(rule=Rule.FITTING) == ["Linse"]
    lenses.refresh_from_db()
    assert lenses.wears_correction  # contact lenses are a correction
    assert due_date(lenses, Rule.FITTING, today()) == months_before(ago(months=6, days=1), -6)


def test_the_due_month_filter_selects_that_month_only():
    next_month = months_offered(today())[1]
    # Adult without correction: due two years after the exam.
    factories.customer(
        last_name="Naechster",
        last_exam_date=years_before(next_month, 2) + datetime.timedelta(days=3),
    )
    factories.customer(last_name="Jetzt", last_exam_date=ago(years=2, days=1))

    assert due(month=next_month) == ["Naechster"]
    assert "Naechster" not in due()


def test_excluded_inactive_deleted_with_an_appointment_and_lately_contacted(staff):
    exam = ago(years=3)
    for name in ("Aktiv", "Inaktiv", "Termin", "Kontaktiert", "Gescheitert"):
        factories.customer(last_name=name, last_exam_date=exam)
    Customer.objects.filter(last_name="Inaktiv").update(status="inactive")
    appointment(
        staff=staff,
        customer=Customer.objects.get(last_name="Termin"),
        start=at(10, day=working_day()),
    )
    for name, state in (("Kontaktiert", State.SENT), ("Gescheitert", State.FAILED)):
        Message.objects.create(
            customer=Customer.objects.get(last_name=name),
            kind=Kind.RECALL_EYE_TEST,
            channel=Channel.LETTER,
            purpose=Purpose.MARKETING,
            send_at=timezone.now(),
            state=state,
        )

    assert sorted(due()) == ["Aktiv", "Gescheitert"]


def test_reach_and_age_group_filters():
    exam = ago(years=3)
    mail = factories.customer(last_name="Mail", email="mail@example.de", last_exam_date=exam)
    give(mail, Channel.EMAIL)
    sms = factories.customer(last_name="Handy", phone="0151 23456789", last_exam_date=exam)
    give(sms, Channel.SMS)
    landline = factories.customer(last_name="Festnetz", phone="089 1234567", last_exam_date=exam)
    give(landline, Channel.SMS)
    letter = factories.customer(
        last_name="Brief",
        street="Hauptstr. 1",
        postcode="80331",
        town="München",
        last_exam_date=exam,
    )
    give(letter, Channel.LETTER)
    no_consent = factories.customer(last_name="Ohne", email="ohne@example.de", last_exam_date=exam)
    factories.customer(
        last_name="Alt", last_exam_date=exam, date_of_birth=years_before(today(), 80)
    )

    assert due(reach=Reach.EMAIL) == ["Mail"]
    assert due(reach=Reach.SMS) == ["Handy"]
    assert due(reach=Reach.LETTER) == ["Brief"]
    assert sorted(due(reach=Reach.NONE)) == ["Alt", "Festnetz", "Ohne"]
    assert due(age_group=AgeGroup.SENIORS) == ["Alt"]
    assert "Alt" not in due(age_group=AgeGroup.ADULTS)
    assert no_consent.pk  # listed, never contacted: see recall_queue below


def test_recall_queue_plans_and_queues_electronic_messages_once(daytime):
    exam = ago(years=3)
    mail = factories.customer(last_name="Mail", email="mail@example.de", last_exam_date=exam)
    give(mail, Channel.EMAIL)
    both = factories.customer(
        last_name="Beides", email="b@example.de", phone="0151 23456789", last_exam_date=exam
    )
    give(both, Channel.EMAIL)
    give(both, Channel.SMS)
    factories.customer(last_name="Ohne", email="ohne@example.de", last_exam_date=exam)
    query = RecallQuery(today=today()).as_dict()

    assert services.recall_queue(query_data=query, user_id=None) == 2
    # A second click (or a retried task) plans nothing more.
    assert services.recall_queue(query_data=query, user_id=None) == 0

    messages = {m.customer.last_name: m for m in Message.objects.select_related("customer")}
    assert set(messages) == {"Mail", "Beides"}
    assert messages["Beides"].channel == Channel.SMS  # the shop's default: SMS first
    assert all(
        m.state == State.QUEUED and m.purpose == Purpose.MARKETING for m in messages.values()
    )
    assert all(m.kind == Kind.RECALL_EYE_TEST for m in messages.values())
    assert DBTaskResult.objects.filter(task_path__endswith="deliver_messages").count() == 1
    # They are contacted now: off the list for the pause.
    assert due() == ["Ohne"]


def test_recall_letters_print_one_page_per_letter_only_customer_and_log_them():
    from io import BytesIO

    from pypdf import PdfReader

    exam = ago(years=3)
    for n, name in enumerate(("Albrecht", "Böhm")):
        customer = factories.customer(
            last_name=name,
            salutation="mr",
            street=f"Weg {n + 1}",
            postcode="80331",
            town="München",
            last_exam_date=exam,
        )
        give(customer, Channel.LETTER)
    mail_too = factories.customer(
        last_name="Mail",
        email="m@example.de",
        street="Weg 9",
        postcode="80331",
        town="München",
        last_exam_date=exam,
    )
    give(mail_too, Channel.LETTER)
    give(mail_too, Channel.EMAIL)

    pdf = services.recall_letters(query=RecallQuery(today=today()), user=None)

    pages = PdfReader(BytesIO(pdf)).pages
    assert len(pages) == 2
    assert "Sehr geehrter Herr Albrecht" in pages[0].extract_text()
    assert "Böhm" in pages[1].extract_text()
    logged = Message.objects.filter(channel=Channel.LETTER)
    assert logged.count() == 2 and {m.state for m in logged} == {State.SENT}
    assert due() == ["Mail"]
    with pytest.raises(ValidationError, match="Brief"):
        services.recall_letters(query=RecallQuery(today=today(), reach=Reach.LETTER), user=None)


def test_a_due_date_clamped_to_a_month_end_falls_in_that_month(optician):
    """31 August + 6 months is 28 (or 29) February: listed in February,
    not in January or March."""
    year = today().year - 1
    lenses = factories.customer(last_name="Monatsende")
    fitting(lenses, optician, date=datetime.date(year - 1, 8, 31))
    lenses.refresh_from_db()
    assert due_date(lenses, Rule.FITTING, today()).month == 2

    def listed(month: int) -> bool:
        return "Monatsende" in due(rule=Rule.FITTING, month=datetime.date(year, month, 1))

    assert (listed(1), listed(2), listed(3)) == (False, True, False)


def test_the_capped_keys_are_what_the_list_lists(optician):
    """capped_keys reads the eye test's two rules apart: merged, they are
    the list, in its order."""
    born_adult = years_before(today(), 40)
    for n in range(3):
        factories.customer(
            last_name=f"Zwei{n}", last_exam_date=ago(years=2, days=n + 1), date_of_birth=born_adult
        )
    factories.customer(
        last_name="Kind",
        last_exam_date=ago(years=1, days=1),
        date_of_birth=years_before(today(), 9),
    )
    lenses = factories.customer(last_name="Linse")
    fitting(lenses, optician, date=ago(months=7))
    for query in (
        RecallQuery(today=today()),
        RecallQuery(today=today(), rule=Rule.FITTING),
        RecallQuery(today=today(), age_group=AgeGroup.CHILDREN),
        RecallQuery(today=today(), month=months_offered(today())[1]),
    ):
        listed = list(due_customers(query, pause_weeks=8).values_list("pk", flat=True))
        keys, exact = capped_keys(query, pause_weeks=8, at_most=100)
        assert ([pk for _date, pk in keys], exact) == (listed, True), query
    oldest = due_customers(RecallQuery(today=today()), pause_weeks=8).first()
    keys, exact = capped_keys(RecallQuery(today=today()), pause_weeks=8, at_most=1)
    assert ([pk for _date, pk in keys], exact) == ([oldest.pk], False)


def test_the_lists_estimate_is_kept_per_query_not_per_request():
    """Two requests build the same recall query: one key for the count
    estimate (an Exists() prints its object address, new every time)."""
    from opticrm.lib.pagination import _table_key

    first = due_customers(RecallQuery(today=today()), pause_weeks=8)
    again = due_customers(RecallQuery(today=today()), pause_weeks=8)
    assert _table_key(first) == _table_key(again)
    assert _table_key(Customer.objects.filter(status="active")) == (
        "customers.Customer",
        str(Customer.objects.filter(status="active").query.where),
    )
