"""An appointment in the past (a typo in the year, or a visit recorded
afterwards) is saved only once the user confirms it (issue 23)."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from appointments import services
from appointments.models import Appointment
from appointments.tests.factories import appointment, appointment_type, at, working_day
from customers.tests import factories as customer_factories

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}
CREATE = reverse("appointments:create")


def past_day() -> datetime.date:
    return working_day(start=timezone.localdate() - datetime.timedelta(days=7), step=-1)


def form_data(staff, day: datetime.date, **overrides) -> dict:
    data = {
        "customer": customer_factories.customer().pk,
        "staff": staff.pk,
        "type": appointment_type().pk,
        "date": day.strftime("%d.%m.%Y"),
        "start_time": "10:00",
        "end_time": "",
        "status": "planned",
        "notes": "",
        "version": "",
    }
    data.update(overrides)
    return data


def error_codes(response, field: str = "start_time") -> set[str]:
    return {error.code for error in response.context["form"].errors.as_data().get(field, [])}


# --- The rule ------------------------------------------------------------------------


def test_service_refuses_the_past_unless_allowed(staff):
    data = {
        "customer": customer_factories.customer(),
        "staff": staff,
        "type": appointment_type(),
        "start": at(10, day=past_day()),
    }
    with pytest.raises(ValidationError) as refused:
        services.appointment_book(data=data, allow_past=False)
    assert refused.value.error_dict["start"][0].code == "in_past"
    assert not Appointment.objects.exists()
    # Imports, the admin and the API record what they are given.
    services.appointment_book(data=data)
    assert Appointment.objects.count() == 1


def test_an_appointment_under_way_is_not_in_the_past(staff):
    now = timezone.localtime().replace(second=0, microsecond=0)
    data = {
        "customer": customer_factories.customer(),
        "staff": staff,
        "type": appointment_type(),
        "start": now - datetime.timedelta(minutes=10),
    }
    # Under way (ends in 20 minutes): booked without asking, at any hour.
    services.appointment_book(data=data, allow_past=False, allow_outside_hours=True)
    assert Appointment.objects.count() == 1


def test_moving_into_the_past_needs_the_confirmation(staff):
    booked = appointment(staff=staff, start=at(10, day=working_day()))
    with pytest.raises(ValidationError) as refused:
        services.appointment_update(
            appointment_id=booked.pk, data={"start": at(10, day=past_day()), "end": None},
            allow_past=False,
        )  # fmt: skip
    assert refused.value.error_dict["start"][0].code == "in_past"


def test_a_past_appointment_stays_editable_without_asking(staff):
    booked = appointment(staff=staff, start=at(10, day=past_day()))
    saved = services.appointment_update(
        appointment_id=booked.pk,
        data={"notes": "kam 5 Minuten später", "status": "done"},
        allow_past=False,
    )
    assert saved.notes == "kam 5 Minuten später"


# --- The form ------------------------------------------------------------------------


def test_past_booking_warns_and_offers_the_confirmation(staff_client, staff):
    data = form_data(staff, past_day())
    response = staff_client.post(CREATE, data, **HTMX)
    body = response.content.decode()
    assert response.status_code == 200 and "closeModal" not in response.get("HX-Trigger", "")
    assert error_codes(response) == {"in_past"}
    assert 'name="confirm_past"' in body and "field-check-suggested" in body
    assert past_day().strftime("%d.%m.%Y") in " ".join(
        response.context["form"].errors["start_time"]
    )
    assert not Appointment.objects.exists()

    data["confirm_past"] = "on"
    response = staff_client.post(CREATE, data, **HTMX)
    assert "closeModal" in response["HX-Trigger"]
    assert Appointment.objects.get().start == at(10, day=past_day())


def test_future_booking_offers_no_confirmation(staff_client, staff):
    body = staff_client.get(CREATE, **HTMX).content.decode()
    assert 'name="confirm_past"' not in body
    response = staff_client.post(CREATE, form_data(staff, working_day()), **HTMX)
    assert "closeModal" in response["HX-Trigger"]


def test_year_typo_on_create_is_caught(staff_client, staff):
    """The day right, the year one too low."""
    day = working_day()
    typo = working_day(start=day.replace(year=day.year - 1))
    response = staff_client.post(CREATE, form_data(staff, typo), **HTMX)
    assert error_codes(response) == {"in_past"}


def test_editing_a_past_appointment_without_moving_it_does_not_ask(staff_client, staff):
    booked = appointment(staff=staff, start=at(10, day=past_day()))
    data = form_data(staff, past_day(), customer=booked.customer.pk, version=booked.version)
    data.update(notes="Brille abgeholt", status="done", end_time="10:30")
    response = staff_client.post(reverse("appointments:update", args=[booked.pk]), data, **HTMX)
    assert "closeModal" in response["HX-Trigger"]
    booked.refresh_from_db()
    assert (booked.notes, booked.status) == ("Brille abgeholt", "done")


def test_moving_an_appointment_into_the_past_asks(staff_client, staff):
    booked = appointment(staff=staff, start=at(10, day=working_day()))
    url = reverse("appointments:update", args=[booked.pk])
    data = form_data(staff, past_day(), customer=booked.customer.pk, version=booked.version)
    response = staff_client.post(url, data, **HTMX)
    assert error_codes(response) == {"in_past"}
    assert 'name="confirm_past"' in response.content.decode()
    booked.refresh_from_db()
    assert booked.start == at(10, day=working_day())
    data["confirm_past"] = "on"
    assert "closeModal" in staff_client.post(url, data, **HTMX)["HX-Trigger"]
    booked.refresh_from_db()
    assert booked.start == at(10, day=past_day())


def test_past_and_outside_hours_are_asked_one_after_the_other(staff_client, staff):
    data = form_data(staff, past_day(), start_time="20:00")
    assert error_codes(staff_client.post(CREATE, data, **HTMX)) == {"outside_hours"}
    data["allow_outside_hours"] = "on"
    assert error_codes(staff_client.post(CREATE, data, **HTMX)) == {"in_past"}
    data["confirm_past"] = "on"
    assert "closeModal" in staff_client.post(CREATE, data, **HTMX)["HX-Trigger"]


def test_a_given_confirmation_stays_ticked(staff_client, staff):
    """Confirmed, but the slot is taken: the box stays ticked with the new error."""
    day = past_day()
    appointment(staff=staff, start=at(10, day=day))
    data = form_data(staff, day, confirm_past="on")
    response = staff_client.post(CREATE, data, **HTMX)
    assert error_codes(response) == {"double_booking"}
    assert 'name="confirm_past" id="id_confirm_past" checked' in response.content.decode()


def test_a_double_booking_is_named_before_the_past_is_asked(staff_client, staff):
    day = past_day()
    appointment(staff=staff, start=at(10, day=day))
    response = staff_client.post(CREATE, form_data(staff, day), **HTMX)
    assert error_codes(response) == {"double_booking"}


def test_without_htmx_the_past_warning_is_the_page(staff_client, staff):
    response = staff_client.post(CREATE, form_data(staff, past_day()))
    assert response.status_code == 200 and "<html" in response.content.decode()
    assert error_codes(response) == {"in_past"}
