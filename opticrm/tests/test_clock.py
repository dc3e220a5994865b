"""The suite's own clock (docs/testing.md): with OPTICRM_TEST_TODAY set,
Python and PostgreSQL both live on that day, so a run that is meant to
prove the tests do not expire cannot pass with the real clock."""

import datetime
import re
from pathlib import Path

import pytest
import time_machine
from django.db import connection
from django.utils import timezone

from appointments.models import Appointment
from appointments.tests import factories
from appointments.tests.factories import appointment_type, calendar_for
from customers.models import Customer
from customers.tests import factories as customer_factories
from opticrm.tests import clock

ROOT = Path(__file__).resolve().parents[2]
# The whole run, with time to spare: the clock ticks from the moved moment on.
RUN = datetime.timedelta(hours=6)
AGREE = datetime.timedelta(minutes=1)


def test_python_lives_on_the_moved_day_or_on_the_real_one():
    """With OPTICRM_TEST_TODAY set, Python lives on that day (from its noon
    on, ticking); without it, on the real day: either way it is asserted."""
    start = clock.moved_to()
    if start is None:
        assert not time_machine.escape_hatch.is_travelling()
        return
    assert time_machine.escape_hatch.is_travelling()
    real = datetime.datetime.fromtimestamp(time_machine.escape_hatch.time.time(), tz=datetime.UTC)
    assert abs(real - timezone.now()) > datetime.timedelta(days=1)  # really moved
    first_day, last_day = timezone.localdate(start), timezone.localdate(start + RUN)
    assert start <= timezone.now() < start + RUN
    assert first_day <= timezone.localdate() <= last_day
    assert first_day <= datetime.date.today() <= last_day


def test_the_tests_dates_are_derived_from_the_sessions_today():
    """The factories' Monday is computed when the test modules are imported:
    after the clock has moved, so it is weeks, not months, ahead of today."""
    ahead = (factories.MONDAY - timezone.localdate()).days
    assert 21 <= ahead <= 90 and factories.MONDAY.weekday() == 0


@pytest.mark.django_db
@pytest.mark.parametrize("function", ["now", "statement_timestamp", "transaction_timestamp"])
def test_the_database_clock_agrees_with_python(function):
    """Moved or not, both clocks say the same (the transaction began a
    little before the query, hence the minute)."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {function}()")
        (database_now,) = cursor.fetchone()
    assert abs(database_now - timezone.now()) < AGREE


@pytest.mark.django_db
def test_functions_with_their_own_search_path_read_the_same_clock(owner):
    """The next-appointment trigger pins its search path: an appointment an
    hour ago by the session's clock is not the customer's next one."""
    calendar_for(owner)
    customer = customer_factories.customer()
    start = timezone.now() - datetime.timedelta(hours=1)
    Appointment.objects.create(
        customer=customer,
        staff=owner,
        type=appointment_type(),
        start=start,
        end=start + datetime.timedelta(minutes=30),
    )
    assert Customer.objects.get(pk=customer.pk).next_appointment_at is None
    soon = timezone.now() + datetime.timedelta(hours=1)
    Appointment.objects.create(
        customer=customer,
        staff=owner,
        type=appointment_type(),
        start=soon,
        end=soon + datetime.timedelta(minutes=30),
    )
    assert Customer.objects.get(pk=customer.pk).next_appointment_at == soon


def test_no_sql_reads_a_clock_that_cannot_be_moved():
    """CURRENT_DATE and friends are keywords, not functions: they read the
    real clock even in a moved run. SQL uses now() or gets the time from
    Python."""
    keyword = re.compile(
        r"(?<![.\w])(current_date|current_time|current_timestamp|localtime|localtimestamp)"
        r"\b(?!\s*\()",
        re.IGNORECASE,
    )
    code = [
        path
        for folder in ROOT.iterdir()
        if folder.is_dir() and not folder.name.startswith(".")
        for path in folder.rglob("*.py")
        if "tests" not in path.parts
    ]
    found = [
        f"{path.relative_to(ROOT)}:{number}"
        for path in code
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if keyword.search(line)
    ]
    assert found == []
