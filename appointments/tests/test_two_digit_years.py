"""A date typed with a two-digit year in the booking form means the year
nearest today, as an optician means it ("3.3.27" in 2026 is 2027, not 1927)."""

import pytest
from django.urls import reverse
from django.utils import timezone

from appointments.models import Appointment
from appointments.tests.factories import appointment_type, calendar_for, working_day
from customers.tests import factories as customer_factories

pytestmark = pytest.mark.django_db


def test_a_two_digit_year_books_the_day_near_today(staff_client, staff):
    calendar_for(staff)
    day = working_day()
    typed = f"{day.day}.{day.month}.{day.year % 100:02d}"  # e.g. "14.12.26"
    customer = customer_factories.customer()
    response = staff_client.post(
        reverse("appointments:create"),
        {
            "customer": customer.pk,
            "staff": staff.pk,
            "type": appointment_type().pk,
            "date": typed,
            "start_time": "10:00",
            "status": "planned",
        },
        headers={"HX-Request": "true"},
    )
    assert "closeModal" in response["HX-Trigger"], response.content.decode()[:2000]
    booked = Appointment.objects.get(customer=customer)
    assert timezone.localtime(booked.start).date() == day
