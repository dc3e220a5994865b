"""The calendar's date field (German format) and the week of all staff
members as compact blocks (issue 23)."""

import datetime
import re

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone

from appointments.calendar_views import staff_initials
from appointments.tests.factories import appointment, at, calendar_for, open_today, working_day
from customers.tests import factories as customer_factories

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}
DAY = reverse("appointments:day")
WEEK = reverse("appointments:week")


# --- The date field -------------------------------------------------------------------


def test_date_field_is_a_german_text_field(staff_client, staff):
    day = working_day()
    body = staff_client.get(DAY, {"date": day.isoformat()}).content.decode()
    assert 'type="date"' not in body
    assert (
        f'<input type="text" id="calendar-date" name="date" value="{day:%d.%m.%Y}" '
        'placeholder="TT.MM.JJJJ" inputmode="numeric"' in body
    )


@pytest.mark.parametrize("view", [DAY, WEEK])
def test_typed_german_dates_are_understood(staff_client, staff, view):
    day = working_day()
    for typed in (day.strftime("%d.%m.%Y"), f"{day.day}.{day.month}.{day:%y}", day.isoformat()):
        response = staff_client.get(view, {"date": typed})
        assert response.context["day"] == day, typed
        assert "calendar-date-error" not in response.content.decode()


@pytest.mark.parametrize("typed", ["gestern", "31.02.2027", "99.99.9999", "1.1.1850", "12/24/2026"])
@pytest.mark.parametrize("view", [DAY, WEEK])
def test_typed_garbage_shows_today_and_says_why(staff_client, staff, view, typed):
    response = staff_client.get(view, {"date": typed})
    assert response.status_code == 200
    assert response.context["day"] == timezone.localdate()
    body = response.content.decode()
    assert 'id="calendar-date-error"' in body and 'aria-invalid="true"' in body


def test_empty_date_is_today_without_a_message(staff_client, staff):
    response = staff_client.get(WEEK, {"date": ""})
    assert response.context["day"] == timezone.localdate()
    assert "calendar-date-error" not in response.content.decode()


def test_htmx_refresh_with_a_german_date_renders_the_grid(staff_client, staff):
    day = working_day()
    response = staff_client.get(DAY, {"date": day.strftime("%d.%m.%Y")}, **HTMX)
    body = response.content.decode()
    assert body.lstrip().startswith('<div id="calendar"') and "<html" not in body


# --- The week of all staff -------------------------------------------------------------


@pytest.fixture
def busy_week(staff, colleague, django_user_model):
    """Three people booked at the same time on one day."""
    felix = django_user_model.objects.create_user(
        username="felix", first_name="Felix", last_name="Brandtner-Wiesenhofer"
    )
    calendar_for(felix)
    day = working_day()
    kaethe = customer_factories.customer(first_name="Käthe", last_name="Straßburger")
    appointment(staff=felix, customer=kaethe, start=at(10, day=day))
    appointment(staff=staff, start=at(10, day=day))
    appointment(staff=colleague, start=at(10, day=day))
    return day, felix, kaethe


def test_week_of_all_staff_shows_initials_start_and_surname(staff_client, busy_week):
    day, felix, kaethe = busy_week
    body = staff_client.get(WEEK, {"date": day.isoformat()}).content.decode()
    blocks = re.findall(r'<a class="appointment [^"]*is-week-all.*?</a>', body, re.S)
    assert len(blocks) == 3
    felix_block = next(b for b in blocks if "Straßburger" in b)
    assert '<span class="appointment-initials">FB</span>' in felix_block
    assert '<span class="appointment-time">10:00</span>' in felix_block
    assert '<strong class="appointment-customer">Straßburger</strong>' in felix_block
    # The whole story on hover: time range, full name, type, staff member, status.
    assert (
        'title="10:00–10:30 Käthe Straßburger · Sehtest · Felix Brandtner-Wiesenhofer'
        in felix_block
    )
    # The legend names everyone's initials.
    assert '<abbr title="Felix Brandtner-Wiesenhofer">FB</abbr>' in body
    assert '<abbr title="Anna Schmidt">AS</abbr>' in body


def test_week_of_one_staff_member_keeps_the_full_blocks(staff_client, staff, busy_week):
    day, *_ = busy_week
    body = staff_client.get(WEEK, {"date": day.isoformat(), "staff": staff.pk}).content.decode()
    assert "is-week-all" not in body and "calendar-legend" not in body
    assert '<span class="appointment-time">10:00–10:30</span>' in body


def test_todays_column_is_marked_for_scrolling(staff_client, staff):
    today = open_today()  # (a Sunday has a column only with opening hours)
    body = staff_client.get(WEEK).content.decode()
    assert f'data-day="{today.isoformat()}" data-staff' not in body
    assert re.search(rf'data-day="{today.isoformat()}"[^>]*data-today', body)
    other = staff_client.get(WEEK, {"date": (today + datetime.timedelta(days=14)).isoformat()})
    assert "data-today" not in other.content.decode()


def test_initials_tell_people_apart():
    user = get_user_model()
    people = [
        user(pk=1, first_name="Anna", last_name="Schmidt"),
        user(pk=2, first_name="Andreas", last_name="Schulz"),
        user(pk=3, first_name="Felix", last_name="Brandt"),
        user(pk=4, username="aushilfe"),
        user(pk=5, first_name="", last_name="Özdemir"),
    ]
    initials = staff_initials(people)
    assert initials[3] == "FB" and initials[4] == "au" and initials[5] == "Ö"
    assert initials[1] != initials[2]
    assert len(set(initials.values())) == 5
