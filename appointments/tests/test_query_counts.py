"""The appointment modal reads a fixed number of queries: the edit form
however long the appointment's history, the new-appointment form however
many staff members, appointment types and customers there are. Measured
through the test client, full page and htmx partial, with 2 and with 20."""

from urllib.parse import urlencode

import pghistory
import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext

from appointments import services
from appointments.models import AppointmentType
from appointments.tests.factories import appointment, appointment_type, at, calendar_for
from appointments.tests.factories import working_day as next_working_day
from customers.tests import factories as customer_factories
from live.selectors import forget_change_counters
from opticrm.lib.pagination import forget_estimates

pytestmark = pytest.mark.django_db
HTMX = {"HX-Request": "true"}
FEW, MANY = 2, 20


def measure(client, url: str, **headers) -> tuple[int, str]:
    """Queries of one request as the first view of a worker would make them,
    and the response body."""
    forget_estimates()
    forget_change_counters()
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, headers=headers)
    assert response.status_code == 200, response.status_code
    return len(captured), response.content.decode()


def edited(times: int, *, staff, colleague, hour: int):
    """An appointment changed ``times`` times by ``staff``: each change moves
    it between the two staff members and two types, to the other customer,
    and rewrites the notes, so every change names foreign keys."""
    day = next_working_day()
    customers = [customer_factories.customer(last_name=f"Kunde{hour}{n}") for n in range(2)]
    types = [appointment_type("Sehtest"), appointment_type("Brillenabholung")]
    members = [staff, colleague]
    booked = appointment(staff=staff, customer=customers[0], start=at(hour, day=day))
    with pghistory.context(user=staff.pk):
        for number in range(times):
            other = (number + 1) % 2
            services.appointment_update(
                appointment_id=booked.pk,
                data={
                    "staff": members[other],
                    "type": types[other],
                    "customer": customers[other],
                    "notes": f"Änderung {number}",
                },
                user=staff,
            )
    return booked


def test_edit_modal_queries_do_not_grow_with_the_history(staff_client, staff, colleague):
    few = edited(FEW, staff=staff, colleague=colleague, hour=9)
    many = edited(MANY, staff=staff, colleague=colleague, hour=14)
    counts = {}
    for name, headers in (("page", {}), ("partial", HTMX)):
        small, _ = measure(staff_client, f"/appointments/{few.pk}/edit/", **headers)
        large, body = measure(staff_client, f"/appointments/{many.pk}/edit/", **headers)
        # The whole history is shown: booked, then every change, with names.
        assert f"({MANY + 1} Einträge)" in body
        assert "Änderung 19" in body and "Brillenabholung" in body
        assert small == large, f"{name}: {small} queries with {FEW} changes, {large} with {MANY}"
        counts[name] = small
    # Session, user, live counters, permissions, the appointment with its
    # customer, staff and type, the history, the names of its foreign keys
    # (one query each for customer, staff, type), the form's version, the
    # chosen customer, the staff and type choices (measured: 13; partial 12).
    assert counts["page"] <= 13 and counts["partial"] <= counts["page"], counts


def add_staff_types_and_customers(number: int, *, start: int) -> None:
    """``number`` more bookable staff members, appointment types and customers."""
    for index in range(start, start + number):
        member = get_user_model().objects.create_user(
            username=f"kollege{index}", first_name="Kolle", last_name=f"Ge{index}"
        )
        calendar_for(member)
        AppointmentType.objects.create(name=f"Beratung {index}", duration_minutes=20)
        customer_factories.customer(last_name=f"Neukunde{index}")


def test_new_appointment_modal_queries_do_not_grow_with_staff_types_and_customers(
    staff_client, staff
):
    customer = customer_factories.customer(last_name="Vorgewählt")
    start = urlencode({"start": at(10, day=next_working_day()).isoformat(), "staff": staff.pk})
    urls = [
        ("empty", "/appointments/new/"),
        ("from calendar", f"/appointments/new/?{start}"),
        ("from customer", f"/appointments/new/?customer={customer.pk}"),
    ]
    add_staff_types_and_customers(FEW, start=0)
    small = {
        (name, bool(headers)): measure(staff_client, url, **headers)
        for name, url in urls
        for headers in ({}, HTMX)
    }
    add_staff_types_and_customers(MANY - FEW, start=FEW)
    large = {
        (name, bool(headers)): measure(staff_client, url, **headers)
        for name, url in urls
        for headers in ({}, HTMX)
    }
    # Every bookable staff member and type is offered.
    assert large[("empty", True)][1].count("Kolle Ge") == MANY
    assert large[("empty", True)][1].count("Beratung ") == MANY
    assert "Vorgewählt" in large[("from customer", True)][1]
    for key in small:
        assert small[key][0] == large[key][0], (
            f"{key}: {small[key][0]} queries with {FEW}, {large[key][0]} with {MANY}"
        )
    # Session, user, live counters, permissions, whether the user takes
    # appointments, staff and type choices, the preselected customer
    # (measured: 7, 6 and 8 full page; one fewer as htmx partial).
    assert max(count for count, _body in large.values()) <= 8, {
        key: count for key, (count, _body) in large.items()
    }
