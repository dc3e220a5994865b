"""The next free slots: the rule (selectors.free_slots) and the modal's
fragment that offers them (issue 23). Dates are derived from today."""

import datetime
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from appointments import schedule, selectors, services
from appointments.models import Appointment, ClosedDay
from appointments.tests.factories import (
    BERLIN,
    appointment,
    appointment_type,
    at,
    working_day,
)

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}
URL = reverse("appointments:free_slots")


def starts(slots) -> list[str]:
    return [f"{slot.start:%H:%M}" for slot in slots]


def find(*, staff, day=None, type_name="Sehtest", **options):
    day = day or working_day()
    return selectors.free_slots(
        appointment_type=appointment_type(type_name),
        staff=staff,
        after=options.pop("after", selectors.start_of_day(day)),
        **options,
    )


# --- The rule ---------------------------------------------------------------------


def test_slots_skip_booked_times_and_may_touch_them(staff):
    day = working_day()
    appointment(staff=staff, start=at(9, day=day))
    appointment(staff=staff, start=at(10, day=day))
    slots = find(staff=[staff], day=day)
    # 09:30 ends when the 10:00 begins; 09:45 would overlap it.
    assert starts(slots) == ["09:30", "10:30", "10:45", "11:00", "11:15"]
    assert all(slot.staff == staff and slot.start.date() == day for slot in slots)
    assert slots[0].end == at(10, day=day)


def test_slots_take_the_types_duration(staff):
    day = working_day()
    appointment(staff=staff, start=at(10, day=day))
    # A 60-minute fitting does not fit between 09:00 and 10:00 only from 09:00.
    slots = find(staff=[staff], day=day, type_name="Brillenberatung")
    duration = appointment_type("Brillenberatung").duration
    for slot in slots:
        assert slot.end - slot.start == duration
        assert slot.end <= at(10, day=day) or slot.start >= at(10, 30, day=day)


def test_slots_stay_within_opening_hours_and_go_on_the_next_day(staff):
    day = working_day()
    next_day = working_day(start=day + datetime.timedelta(days=1))
    slots = find(staff=[staff], day=day, after=at(18, day=day))
    # The shop closes at 18:30: 18:00 is the last eye test of the day.
    assert [(s.start.date(), f"{s.start:%H:%M}") for s in slots[:2]] == [
        (day, "18:00"),
        (next_day, "09:00"),
    ]


def test_closed_days_and_public_holidays_have_no_slots(staff):
    day = working_day()
    ClosedDay.objects.create(first_day=day, last_day=day, reason="Inventur")
    assert all(slot.start.date() != day for slot in find(staff=[staff], day=day))
    # The next public holiday on a weekday, whenever it is.
    holiday = timezone.localdate() + datetime.timedelta(days=1)
    while holiday.weekday() > 4 or not schedule.public_holiday(holiday):
        holiday += datetime.timedelta(days=1)
    slots = find(staff=[staff], day=holiday)
    assert len(slots) == 5 and all(slot.start.date() > holiday for slot in slots)


def test_slots_are_never_in_the_past(staff):
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    slots = find(staff=[staff], day=yesterday)
    now = timezone.now()
    assert len(slots) == 5 and all(slot.start >= now for slot in slots)
    assert [slot.start for slot in slots] == sorted(slot.start for slot in slots)


def test_across_staff_each_time_once_with_the_first_free_member(staff, colleague):
    day = working_day()
    appointment(staff=staff, start=at(9, day=day))
    slots = find(staff=[staff, colleague], day=day)
    assert [(f"{s.start:%H:%M}", s.staff) for s in slots[:3]] == [
        ("09:00", colleague),
        ("09:15", colleague),
        ("09:30", staff),
    ]


def test_cancelled_appointments_free_their_slot(staff):
    day = working_day()
    booked = appointment(staff=staff, start=at(9, day=day))
    services.appointment_set_status(appointment_id=booked.pk, status=Appointment.Status.CANCELLED)
    assert starts(find(staff=[staff], day=day))[0] == "09:00"


def test_the_appointment_being_moved_does_not_block_itself(staff):
    day = working_day()
    booked = appointment(staff=staff, start=at(9, day=day))
    assert starts(find(staff=[staff], day=day))[0] == "09:30"
    assert starts(find(staff=[staff], day=day, exclude_id=booked.pk))[0] == "09:00"


def test_a_closed_six_weeks_have_no_slots(staff):
    day = working_day()
    ClosedDay.objects.create(
        first_day=timezone.localdate(), last_day=day + datetime.timedelta(days=60), reason="Umbau"
    )
    assert find(staff=[staff], day=day) == []


def test_query_count_does_not_grow(staff, colleague):
    day = working_day()
    counts = []
    for hour in (9, 10, 11, 12, 13, 14, 15, 16, 17):
        appointment(staff=staff, start=at(hour, day=day))
        appointment(staff=colleague, start=at(hour, day=day))
        with CaptureQueriesContext(connection) as queries:
            find(staff=[staff, colleague], day=day)
        counts.append(len(queries))
    # The type, opening hours, closed days, the first week's appointments.
    assert set(counts) == {4}
    # A fully booked first week needs the second window: one query more, no more.
    ClosedDay.objects.create(
        first_day=timezone.localdate(), last_day=day + datetime.timedelta(days=6), reason="Urlaub"
    )
    with CaptureQueriesContext(connection) as queries:
        find(staff=[staff, colleague], day=day)
    assert len(queries) == 5


def test_summer_time_change_keeps_wall_clock_slots(staff):
    """Slots on the day after the clocks change are at 09:00 local time."""
    year = timezone.localdate().year + 1
    march_end = datetime.date(year, 3, 31)
    sunday = march_end - datetime.timedelta(days=(march_end.weekday() + 1) % 7)
    monday = working_day(start=sunday + datetime.timedelta(days=1))
    slots = find(staff=[staff], day=monday)
    assert slots[0].start == datetime.datetime.combine(monday, datetime.time(9), tzinfo=BERLIN)


# --- The fragment in the modal -------------------------------------------------------


def test_login_required(client):
    response = client.get(URL)
    assert response.status_code == 302 and response.url.startswith("/login/?next=")


def test_permission_required(outsider_client):
    assert outsider_client.get(URL).status_code == 403


def test_fragment_offers_five_slots_that_fill_the_form(staff_client, staff):
    day = working_day()
    appointment(staff=staff, start=at(9, day=day))
    response = staff_client.get(
        URL,
        {"type": appointment_type().pk, "staff": staff.pk, "date": day.strftime("%d.%m.%Y")},
        **HTMX,
    )
    body = response.content.decode()
    assert response.status_code == 200 and "<html" not in body
    assert body.count("data-free-slot") == 5
    assert f'data-date="{day:%d.%m.%Y}" data-time="09:30" data-staff="{staff.pk}"' in body
    assert "Anna Schmidt" in body


def test_fragment_without_htmx_is_the_same_fragment(staff_client, staff):
    body = staff_client.get(URL, {"type": appointment_type().pk}).content.decode()
    assert "<html" not in body and body.count("data-free-slot") == 5


def test_fragment_for_all_staff(staff_client, staff, colleague):
    day = working_day()
    appointment(staff=staff, start=at(9, day=day))
    body = staff_client.get(
        URL, {"type": appointment_type().pk, "staff": "", "date": day.isoformat()}
    ).content.decode()
    first = re.search(r'data-time="([\d:]+)" data-staff="(\d+)"', body)
    assert first.groups() == ("09:00", str(colleague.pk))


def test_fragment_asks_for_the_type_first(staff_client, staff):
    body = staff_client.get(URL, {"type": "", "staff": staff.pk}).content.decode()
    assert "data-free-slot" not in body and "muted" in body


@pytest.mark.parametrize(
    "params",
    [
        {"type": "x", "staff": "y", "date": "gestern"},
        {"type": "999999", "staff": "999999", "date": "31.02.2027"},
        {"type": "1", "staff": "1", "date": "01.01.9999", "appointment": "9" * 30},
        {"type": "1 OR 1=1", "staff": "-1", "date": "<script>", "appointment": "-5"},
    ],
)
def test_bad_input_never_fails(staff_client, staff, params):
    response = staff_client.get(URL, params, **HTMX)
    assert response.status_code == 200


def test_mistyped_staff_means_anyone_and_mistyped_day_means_from_now(staff_client, staff):
    body = staff_client.get(
        URL, {"type": appointment_type().pk, "staff": "abc", "date": "99.99.2027"}
    ).content.decode()
    assert body.count("data-free-slot") == 5


def test_fragment_when_nothing_is_free(staff_client, staff):
    ClosedDay.objects.create(
        first_day=timezone.localdate(),
        last_day=timezone.localdate() + datetime.timedelta(days=60),
        reason="Umbau",
    )
    body = staff_client.get(URL, {"type": appointment_type().pk}).content.decode()
    assert "data-free-slot" not in body and "6" in body


def test_fragment_queries_are_constant(
    staff_client, staff, colleague, django_assert_max_num_queries
):
    day = working_day()
    for hour in range(9, 18):
        appointment(staff=staff, start=at(hour, day=day))
        appointment(staff=colleague, start=at(hour, 30, day=day))
    params = {"type": appointment_type().pk, "date": day.isoformat()}
    # Session, user, live counters, permissions, type, staff, opening hours,
    # closed days, appointments.
    with django_assert_max_num_queries(9):
        staff_client.get(URL, params)


def test_modal_loads_the_slots_for_type_staff_and_date(staff_client, staff):
    body = staff_client.get(reverse("appointments:create"), **HTMX).content.decode()
    assert f'hx-get="{URL}"' in body
    assert (
        'hx-trigger="load, change from:#id_type, change from:#id_staff, change from:#id_date"'
        in body
    )
    assert 'hx-include="#id_type, #id_staff, #id_date"' in body


def test_edit_modal_loads_the_slots_without_the_appointment_itself(staff_client, staff):
    booked = appointment(staff=staff, start=at(9, day=working_day()))
    url = reverse("appointments:update", args=[booked.pk])
    body = staff_client.get(url, **HTMX).content.decode()
    assert f'hx-get="{URL}?appointment={booked.pk}"' in body


# --- "New appointment" opens on the day on screen ----------------------------------


def test_create_form_prefills_the_day(staff_client, staff):
    day = working_day()
    form = staff_client.get(
        reverse("appointments:create"), {"date": day.isoformat()}, **HTMX
    ).context["form"]
    assert form["date"].value() == day and form["start_time"].value() is None
    # Nonsense is today.
    form = staff_client.get(reverse("appointments:create"), {"date": "2027-02-30"}, **HTMX).context[
        "form"
    ]
    assert form["date"].value() == timezone.localdate()


def test_day_view_new_appointment_opens_on_that_day(staff_client, staff):
    day = working_day()
    body = staff_client.get(reverse("appointments:day"), {"date": day.isoformat()}).content.decode()
    assert f'href="/appointments/new/?date={day.isoformat()}"' in body


def test_week_view_new_appointment_opens_today_in_this_week_else_the_day_shown(staff_client, staff):
    today = timezone.localdate()
    body = staff_client.get(reverse("appointments:week")).content.decode()
    assert f'href="/appointments/new/?date={today.isoformat()}"' in body
    later = today + datetime.timedelta(days=14)
    body = staff_client.get(
        reverse("appointments:week"), {"date": later.isoformat(), "staff": staff.pk}
    ).content.decode()
    assert f'href="/appointments/new/?date={later.isoformat()}&amp;staff={staff.pk}"' in body


# --- make bench ----------------------------------------------------------------------


def test_bench_measures_the_free_slots(staff_client, staff):
    from customers.models import InsuranceProvider
    from customers.tests import factories as customer_factories
    from opticrm.bench.scenarios import scenarios

    insured = customer_factories.customer(insurance_provider=InsuranceProvider.objects.first())
    marker = {
        "detail_customer_id": insured.pk,
        "busiest_day": working_day().isoformat(),
    }
    [scenario] = [s for s in scenarios(marker) if s["name"] == "free slots, 8 staff"]
    assert scenario["method"] == "GET" and scenario["auth"] == "session"
    response = staff_client.get(scenario["paths"][0])
    assert response.status_code == 200 and response.content.count(b"data-free-slot") == 5
