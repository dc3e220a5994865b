"""The customer report's figures against the raw rows: a generated shop
(customers of every status, age, insurer and creation day, some deleted,
recalls that led to a booking in time, too late, not at all, or are still
waiting), each figure counted here from the customers and messages
themselves and compared with the report; the snapshot's refresh and its
schedule."""

import datetime
import random
from collections import Counter

import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from appointments.models import Appointment, AppointmentStatus
from customers import services as customer_services
from customers.models import Customer, InsuranceProvider
from customers.tests import factories as customer_factories
from customers.validators import years_before
from messaging.models import RECALL_KINDS, Channel, Message, Purpose, State
from opticrm.lib import schedule
from reports import periods, selectors, services
from reports.models import CUSTOMER_SNAPSHOT, CustomerFigure, Snapshot
from reports.tests.factories import booked

pytestmark = pytest.mark.django_db

BERLIN = timezone.get_default_timezone()


def age_on(born: datetime.date, day: datetime.date) -> int:
    """Age in whole years, as a person counts it."""
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def expected_group(born: datetime.date | None, day: datetime.date) -> str:
    if born is None:
        return "unknown"
    # Born after ``day``: the youngest group (the report knows no unborn).
    age = max(age_on(born, day), 0)
    return str(max(low for low in selectors.AGE_GROUPS if age >= low))


def noon(day: datetime.date) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(12), tzinfo=BERLIN)


@pytest.fixture
def shop(owner):
    """Ninety customers over two years; the report's period is this year
    up to today (today being a fixed day, see ``until``)."""
    rng = random.Random(30)
    today = timezone.localdate()
    until = today
    insurers = [
        InsuranceProvider.objects.get_or_create(name=name, defaults={"kind": kind})[0]
        for name, kind in (
            ("AOK Testland", InsuranceProvider.Kind.STATUTORY),
            ("BKK Probe", InsuranceProvider.Kind.STATUTORY),
            ("Test PKV", InsuranceProvider.Kind.PRIVATE),
            ("Selbstzahler Test", InsuranceProvider.Kind.SELF_PAYING),
        )
    ] + [None]
    # The age groups' edges on the report's last day: 18 today, 18
    # tomorrow, 45 today, 29 February.
    births = [
        years_before(until, 18),
        years_before(until, 18) + datetime.timedelta(days=1),
        years_before(until, 45),
        datetime.date(2008, 2, 29),
        datetime.date(1952, 2, 29),
        None,
    ]
    customers = []
    for number in range(90):
        born = births[number] if number < len(births) else None
        if born is None and number >= len(births):
            born = (
                None
                if number % 11 == 0
                else until - datetime.timedelta(days=rng.randint(0, 95 * 365))
            )
        customer = customer_factories.customer(
            last_name=f"Kunde{number}",
            date_of_birth=born,
            insurance_provider=rng.choice(insurers),
            status=rng.choice(list(Customer.Status)),
        )
        created = until - datetime.timedelta(days=rng.randint(0, 2 * 365))
        # One created at half past midnight: Berlin's day, not UTC's.
        moment = (
            datetime.datetime.combine(created, datetime.time(0, 30), tzinfo=BERLIN)
            if number == 7
            else noon(created)
        )
        Customer.objects.filter(pk=customer.pk).update(created_at=moment)
        customers.append(customer)
    for customer in customers[::9]:
        customer_services.customer_soft_delete(customer_id=customer.pk)
    return {"customers": customers, "until": until, "rng": rng}


def recall(customer, sent_at, kind=RECALL_KINDS[0]) -> Message:
    return Message.objects.create(
        customer=customer,
        kind=kind,
        channel=Channel.EMAIL,
        purpose=Purpose.MARKETING,
        recipient="kunde@example.de",
        state=State.SENT,
        send_at=sent_at,
        sent_at=sent_at,
    )


def booking(customer, staff, created_at, status=AppointmentStatus.PLANNED):
    appointment = booked(staff=staff, day=created_at.date() + datetime.timedelta(days=3), hour=10)
    Appointment.objects.filter(pk=appointment.pk).update(
        customer=customer, created_at=created_at, status=status
    )
    return appointment


def year_to_date(until: datetime.date) -> periods.Period:
    return periods.Period(until.replace(month=1, day=1), until)


def test_every_figure_against_the_raw_rows(shop, owner):
    until = shop["until"]
    services.customer_figures_refresh()
    period = periods.Period(until - datetime.timedelta(days=400), until)
    report = selectors.customers_report(period, periods.MONTH)

    every = list(Customer.objects.all())
    alive = [customer for customer in every if customer.deleted_at is None]
    assert len(alive) < len(every)  # some deleted: not counted now, counted as new then

    # New customers: per month of the period, by Berlin's day, deleted ones too.
    def created_day(customer):
        return timezone.localtime(customer.created_at).date()

    for bucket in report.buckets:
        inside = [
            customer
            for customer in every
            if period.since <= created_day(customer) <= period.until
            and periods.start_of(created_day(customer), periods.MONTH) == bucket.start
        ]
        assert bucket.count == len(inside), bucket.label
    assert report.new == sum(
        period.since <= created_day(customer) <= period.until for customer in every
    )
    previous = period.year_before()
    assert report.previous_new == sum(
        previous.since <= created_day(customer) <= previous.until for customer in every
    )

    # Status, age group, insurer: the customers not deleted.
    assert report.customers == len(alive)
    statuses = Counter(customer.status for customer in alive)
    assert {row.key: row.count for row in report.statuses} == {
        status.value: statuses.get(status.value, 0) for status in Customer.Status
    }
    ages = Counter(expected_group(customer.date_of_birth, until) for customer in alive)
    assert {row.key: row.count for row in report.ages} == {
        row.key: ages.get(row.key, 0) for row in report.ages
    }
    assert sum(row.count for row in report.ages) == len(alive)
    kinds = Counter(
        customer.insurance_provider.kind if customer.insurance_provider else "none"
        for customer in alive
    )
    assert {row.key: row.count for row in report.insurer_kinds} == {
        row.key: kinds.get(row.key, 0) for row in report.insurer_kinds
    }
    insurers = Counter(
        str(customer.insurance_provider_id) if customer.insurance_provider_id else "none"
        for customer in alive
    )
    assert {row.key: row.count for row in report.insurers} == dict(insurers)
    shares = {row.key: row.share for row in report.statuses}
    for status, count in statuses.items():
        expected = (count * 1000 / len(alive) + 0.5) // 1 / 10
        assert float(shares[status]) == pytest.approx(expected)


def test_the_edges_of_the_age_groups(shop):
    """18 on the report's last day counts as 18, a day later not yet; one
    born on 29 February is a year older on 1 March (28th in other years)."""
    until = shop["until"]
    services.customer_figures_refresh()
    report = selectors.customers_report(year_to_date(until), periods.MONTH)
    by_key = {row.key: row.count for row in report.ages}
    alive = Customer.objects.filter(deleted_at__isnull=True)
    eighteen = alive.filter(date_of_birth=years_before(until, 18)).count()
    assert eighteen in (0, 1)
    expected = Counter(expected_group(c.date_of_birth, until) for c in alive)
    assert by_key["18"] == expected["18"] and by_key["0"] == expected["0"]
    # On 28 February 2026 one born on 29 February 2008 is still 17.
    assert age_on(datetime.date(2008, 2, 29), datetime.date(2026, 2, 28)) == 17
    report = selectors.customers_report(
        periods.Period(datetime.date(2026, 2, 1), datetime.date(2026, 2, 28)), periods.DAY
    )
    leap = Customer.objects.filter(date_of_birth=datetime.date(2008, 2, 29), deleted_at=None)
    if leap.exists():
        on_the_28th = Counter(
            expected_group(c.date_of_birth, datetime.date(2026, 2, 28)) for c in alive
        )
        assert {row.key: row.count for row in report.ages}["0"] == on_the_28th["0"]


def test_the_snapshot_is_what_the_report_reads_until_it_is_counted_again(shop):
    services.customer_figures_refresh()
    until = shop["until"]
    before = selectors.customers_report(year_to_date(until), periods.MONTH)
    customer_factories.customer(last_name="Neu", status=Customer.Status.PROSPECT)
    stale = selectors.customers_report(year_to_date(until), periods.MONTH)
    assert stale.customers == before.customers and stale.as_of == before.as_of
    services.customer_figures_refresh()
    fresh = selectors.customers_report(year_to_date(until), periods.MONTH)
    assert fresh.customers == before.customers + 1
    assert fresh.new == before.new + 1
    assert fresh.as_of > before.as_of


def test_without_a_snapshot_the_report_says_so(owner):
    Snapshot.objects.all().delete()
    CustomerFigure.objects.all().delete()
    report = selectors.customers_report(year_to_date(timezone.localdate()), periods.MONTH)
    assert report.as_of is None and report.customers == 0 and report.new == 0


def test_recall_success_against_the_raw_rows(shop, owner):
    """Booked within 8 weeks (not cancelled): success; later, cancelled or
    never: none; sent less than 8 weeks ago without a booking: waiting."""
    now = timezone.now()
    customers = [c for c in shop["customers"] if c.deleted_at is None][:12]
    long_ago = now - datetime.timedelta(days=120)
    lately = now - datetime.timedelta(days=10)
    cases = [
        (customers[0], long_ago, datetime.timedelta(days=20), AppointmentStatus.PLANNED),
        (customers[1], long_ago, datetime.timedelta(days=55), AppointmentStatus.DONE),
        (customers[2], long_ago, datetime.timedelta(days=57), AppointmentStatus.PLANNED),
        (customers[3], long_ago, datetime.timedelta(days=5), AppointmentStatus.CANCELLED),
        (customers[4], long_ago, None, None),
        (customers[5], lately, datetime.timedelta(days=2), AppointmentStatus.PLANNED),
        (customers[6], lately, None, None),
        # Booked before the recall: not its success.
        (customers[7], long_ago, -datetime.timedelta(days=3), AppointmentStatus.PLANNED),
    ]
    for customer, sent_at, after, status in cases:
        recall(customer, sent_at)
        if after is not None:
            booking(customer, owner, sent_at + after, status)
    recall(customers[8], long_ago, kind=RECALL_KINDS[1])
    booking(customers[8], owner, long_ago + datetime.timedelta(days=1))
    # Outside the period: not counted.
    recall(customers[9], now - datetime.timedelta(days=800))
    # Not a recall: not counted.
    reminder = recall(customers[10], long_ago)
    Message.objects.filter(pk=reminder.pk).update(kind="reminder", purpose=Purpose.SERVICE)

    period = periods.Period(
        timezone.localdate() - datetime.timedelta(days=365), timezone.localdate()
    )
    report = selectors.customers_report(period, periods.MONTH)
    rows = {row.key: row for row in report.recalls}

    # The same, counted here from the rows.
    expected = {kind.value: Counter() for kind in RECALL_KINDS}
    window = datetime.timedelta(weeks=8)
    for message in Message.objects.filter(kind__in=RECALL_KINDS):
        day = timezone.localtime(message.sent_at).date()
        if not period.since <= day <= period.until:
            continue
        success = any(
            message.sent_at <= appointment.created_at < message.sent_at + window
            and appointment.status != AppointmentStatus.CANCELLED
            for appointment in Appointment.objects.filter(customer=message.customer_id)
        )
        counter = expected[message.kind]
        counter["sent"] += 1
        counter["booked"] += success
        counter["waiting"] += (not success) and message.sent_at > now - window
    for kind, counter in expected.items():
        row = rows[kind]
        assert (row.sent, row.booked, row.waiting) == (
            counter["sent"],
            counter["booked"],
            counter["waiting"],
        ), kind
    eye = rows[RECALL_KINDS[0].value]
    assert (eye.sent, eye.booked, eye.waiting) == (8, 3, 1)
    # 3 successes of the 7 decided (one is still waiting).
    assert str(eye.success_rate) == "42.9"
    assert report.recall_total.sent == 9 and report.recall_total.booked == 4


# --- The snapshot's refresh ---------------------------------------------------------------


def test_a_refresh_waits_for_none_and_a_second_one_at_once_skips(shop):
    """Two at once: the second finds the lock taken and leaves it (it would
    count the same)."""
    import threading

    from django.db import connection, connections

    taken, release = threading.Event(), threading.Event()
    outcome = {}

    def hold_the_lock():
        try:
            with connections["default"].cursor() as cursor:
                cursor.execute("BEGIN")
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [services._LOCK])
                taken.set()
                release.wait(10)
                cursor.execute("COMMIT")
        finally:
            connections["default"].close()

    thread = threading.Thread(target=hold_the_lock)
    thread.start()
    try:
        assert taken.wait(10)
        outcome["second"] = services.customer_figures_refresh()
    finally:
        release.set()
        thread.join()
    assert outcome["second"] is None
    assert connection.is_usable()


def test_the_scheduler_queues_one_refresh_when_due(shop, settings):
    settings.CUSTOMER_FIGURES_MINUTES = 15
    Snapshot.objects.all().delete()
    job = {job.name: job for job in schedule.jobs()}["customer figures"]
    assert job.run() == "customer figures queued"
    assert job.run() == ""  # one waiting in the queue is enough
    queued = DBTaskResult.objects.filter(task_path="reports.tasks.refresh_customer_figures")
    assert queued.count() == 1
    # The worker's run: counted, and not due again for 15 minutes.
    from reports.tasks import refresh_customer_figures

    assert refresh_customer_figures.call()
    queued.delete()
    assert Snapshot.objects.filter(name=CUSTOMER_SNAPSHOT).exists()
    assert job.run() == ""
    assert not services.customer_figures_due()
    later = timezone.now() + datetime.timedelta(minutes=16)
    assert services.customer_figures_due(now=later)
