"""The appointment list, modal, status buttons, picker and .ics through Django's test client."""

import datetime
import json
import re

import pytest
from django.contrib.auth.models import Group, Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from appointments import services
from appointments.models import Appointment, AppointmentType
from appointments.tests.factories import (
    MONDAY,
    SUNDAY,
    TUESDAY,
    appointment,
    appointment_type,
    at,
    calendar_for,
    christmas,
    german,
    open_monday,
)
from customers import services as customer_services
from customers.models import Customer
from customers.tests import factories as customer_factories
from opticrm.lib.pagination import forget_estimates

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}
LIST = reverse("appointments:list")
CREATE = reverse("appointments:create")
# The Monday of the factories, as the forms show and take it.
DAY = german(MONDAY)
# Mondays of next winter and summer, for the UTC times in .ics files.
WINTER_MONDAY = open_monday(after=datetime.date(timezone.localdate().year + 1, 1, 12))
SUMMER_MONDAY = open_monday(after=datetime.date(timezone.localdate().year + 1, 7, 6))


def update_url(booked: Appointment) -> str:
    return reverse("appointments:update", args=[booked.pk])


def status_url(booked: Appointment) -> str:
    return reverse("appointments:status", args=[booked.pk])


def ics_url(booked: Appointment) -> str:
    return reverse("appointments:ics", args=[booked.pk])


def valid_form(customer, staff, /, **overrides) -> dict:
    data = {
        "customer": customer.pk,
        "staff": staff.pk,
        "type": appointment_type().pk,
        "date": DAY,
        "start_time": "10:00",
        "end_time": "",
        "status": "planned",
        "notes": "Gleitsicht bisher",
        "version": "",
    }
    data.update(overrides)
    return data


def rows(response) -> list[str]:
    """Customers' last names in the order the table shows them."""
    return [a.customer.last_name for a in response.context["page"].object_list]


def field_error(response, field: str) -> str:
    """The error text shown under a field of the appointment form."""
    form = response.context["form"]
    return " ".join(form.errors.get(field, []))


# --- Access ----------------------------------------------------------------------


def all_urls(booked: Appointment) -> list[tuple[str, str]]:
    return [
        ("get", LIST),
        ("get", CREATE),
        ("post", CREATE),
        ("get", update_url(booked)),
        ("post", update_url(booked)),
        ("post", status_url(booked)),
        ("get", ics_url(booked)),
        ("get", reverse("appointments:customer_search")),
        ("get", reverse("appointments:customer_picker")),
    ]


def test_login_required(client, staff):
    booked = appointment(staff=staff)
    for method, url in all_urls(booked):
        response = getattr(client, method)(url)
        assert response.status_code == 302, url
        assert response.url.startswith("/login/?next="), url


def test_permission_denied_without_permission(outsider_client, staff):
    booked = appointment(staff=staff)
    for method, url in all_urls(booked):
        assert getattr(outsider_client, method)(url).status_code == 403, url
    booked.refresh_from_db()
    assert booked.version == 1


def test_view_only_user_may_list_but_not_change(client, django_user_model, staff):
    booked = appointment(staff=staff)
    viewer = django_user_model.objects.create_user(username="lesend")
    group = Group.objects.create(name="Nur lesen")
    group.permissions.set(Permission.objects.filter(codename="view_appointment"))
    viewer.groups.add(group)
    client.force_login(viewer)
    body = client.get(LIST).content.decode()
    assert rows(client.get(LIST)) == [booked.customer.last_name]
    assert update_url(booked) not in body and status_url(booked) not in body
    assert ics_url(booked) in body
    assert client.get(update_url(booked)).status_code == 403
    assert client.post(status_url(booked), {"status": "done"}).status_code == 403
    assert client.get(ics_url(booked)).status_code == 200


def test_unknown_appointment_is_404(staff_client):
    for url in ("/appointments/999999/edit/", "/appointments/999999/ics/"):
        assert staff_client.get(url).status_code == 404
    assert staff_client.post("/appointments/999999/status/", {"status": "done"}).status_code == 404


def test_only_get_and_post(staff_client, staff):
    booked = appointment(staff=staff)
    assert staff_client.delete(LIST).status_code == 405
    assert staff_client.post(LIST).status_code == 405
    assert staff_client.get(status_url(booked)).status_code == 405
    assert staff_client.post(ics_url(booked)).status_code == 405


def test_navigation_link_only_with_permission(client, staff_client, django_user_model):
    body = staff_client.get(LIST).content.decode()
    assert '<a href="/appointments/day/" aria-current="page">Termine</a>' in body
    customers_page = staff_client.get("/customers/").content.decode()
    assert '<a href="/appointments/day/" >Termine</a>' in customers_page

    reception = django_user_model.objects.create_user(username="nur-kunden")
    reception.user_permissions.set(Permission.objects.filter(codename="view_customer"))
    client.force_login(reception)
    assert f'href="{LIST}"' not in client.get("/customers/").content.decode()


# --- List ------------------------------------------------------------------------


@pytest.fixture
def week(staff, colleague):
    """Four appointments on the factories' Monday and Tuesday, one of them past."""
    make = customer_factories.customer
    return {
        "adler": appointment(
            staff=staff,
            start=at(11),
            customer=make(first_name="Anna", last_name="Adler"),
            type_name="Brillenabholung",
        ),
        "mueller": appointment(
            staff=colleague,
            start=at(9, 30),
            customer=make(first_name="Hans", last_name="Müller", phone="0151 23456789"),
        ),
        "zeller": appointment(
            staff=staff,
            start=at(14, day=TUESDAY),
            customer=make(first_name="Zoe", last_name="Zeller"),
            type_name="Kontaktlinsenanpassung",
            status=Appointment.Status.CONFIRMED,
        ),
        "past": appointment(
            staff=staff,
            start=at(10, day=datetime.date(2026, 11, 23)),
            customer=make(first_name="Paul", last_name="Vorbei"),
        ),
    }


def test_list_full_page(staff_client, week):
    response = staff_client.get(LIST)
    body = response.content.decode()
    assert response.status_code == 200
    assert "<html" in body and 'id="appointment-filters"' in body
    assert 'id="appointment-table"' in body
    assert 'hx-trigger="appointmentSaved from:body"' in body
    # From today on by default: the past appointment is not listed.
    assert rows(response) == ["Müller", "Adler", "Zeller"]
    mueller = week["mueller"]
    row = body[body.index(f'id="appointment-{mueller.pk}"') :]
    row = row[: row.index("</tr>")]
    assert DAY in row and "09:30–10:00" in row
    assert f'href="/customers/{mueller.customer.pk}/"' in row
    assert "Ines Inhaber" in row and "Sehtest" in row
    assert 'style="background-color: #2f6fb3"' in row  # the type's colour
    assert 'class="badge badge-planned">Geplant<' in row
    assert f'href="{update_url(mueller)}"' in row and f'href="{ics_url(mueller)}"' in row
    assert f'action="{status_url(mueller)}"' in row


def test_list_htmx_renders_only_the_table(staff_client, week):
    response = staff_client.get(LIST, {"status": "confirmed"}, **HTMX)
    body = response.content.decode()
    assert body.lstrip().startswith('<div id="appointment-table"')
    assert "<html" not in body
    assert 'form="appointment-filters"' in body
    assert rows(response) == ["Zeller"]


def test_history_restore_request_gets_the_whole_page(staff_client, week):
    response = staff_client.get(LIST, HTTP_HX_HISTORY_RESTORE_REQUEST="true", **HTMX)
    assert "<html" in response.content.decode()


def test_start_date_defaults_to_today_and_may_be_cleared(staff_client, week):
    body = staff_client.get(LIST).content.decode()
    today = timezone.localdate().strftime("%d.%m.%Y")
    assert f'name="date_from" value="{today}"' in body
    assert "Vorbei" in rows(staff_client.get(LIST, {"date_from": ""}))


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"date_from": DAY, "date_to": DAY}, ["Müller", "Adler"]),
        ({"date_from": german(TUESDAY)}, ["Zeller"]),
        ({"date_from": "", "date_to": "23.11.2026"}, ["Vorbei"]),
        ({"date_from": TUESDAY.isoformat()}, ["Zeller"]),
        ({"type": "Brillenabholung"}, ["Adler"]),
        ({"status": "confirmed"}, ["Zeller"]),
        ({"status": "cancelled"}, []),
        ({"status": "bogus"}, ["Müller", "Adler", "Zeller"]),
        ({"staff": "bogus"}, ["Müller", "Adler", "Zeller"]),
    ],
)
def test_list_filters(staff_client, week, params, expected):
    if "type" in params:
        params = {**params, "type": appointment_type(params["type"]).pk}
    assert rows(staff_client.get(LIST, params)) == expected


def test_list_filter_by_staff(staff_client, staff, colleague, week):
    assert rows(staff_client.get(LIST, {"staff": colleague.pk})) == ["Müller"]
    assert rows(staff_client.get(LIST, {"staff": staff.pk})) == ["Adler", "Zeller"]


def test_staff_filter_offers_staff_with_an_active_calendar(staff_client, colleague, week):
    calendar = calendar_for(colleague)
    calendar.active = False
    calendar.save()
    choices = [
        label for _, label in staff_client.get(LIST).context["filter"].form["staff"].field.choices
    ]
    assert choices[1:] == ["Anna Schmidt"]


def test_invalid_date_filter_is_explained_and_ignored(staff_client, week):
    response = staff_client.get(LIST, {"date_from": "31.02.2027"}, **HTMX)
    assert "Bitte ein gültiges Datum eingeben." in response.content.decode()
    assert rows(response) == ["Vorbei", "Müller", "Adler", "Zeller"]


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("start", ["Müller", "Adler", "Zeller"]),
        ("-start", ["Zeller", "Adler", "Müller"]),
        ("customer", ["Adler", "Müller", "Zeller"]),
        ("-customer", ["Zeller", "Müller", "Adler"]),
        ("staff", ["Adler", "Zeller", "Müller"]),  # Anna before Ines
        ("type", ["Adler", "Zeller", "Müller"]),  # Brillenabholung, Kontaktlinsen…, Sehtest
        ("status", ["Müller", "Adler", "Zeller"]),  # planned before confirmed
        ("-status", ["Zeller", "Adler", "Müller"]),
        ("nonsense", ["Müller", "Adler", "Zeller"]),
    ],
)
def test_list_sort(staff_client, week, sort, expected):
    assert rows(staff_client.get(LIST, {"sort": sort})) == expected


def test_sort_links_keep_filters(staff_client, week):
    response = staff_client.get(LIST, {"status": "planned", "sort": "customer"})
    body = response.content.decode()
    assert 'href="?status=planned&amp;sort=-customer"' in body
    assert 'aria-sort="ascending"' in body
    assert '<input type="hidden" name="sort" value="customer" form="appointment-filters">' in body


def test_pagination_and_page_size(staff_client, staff):
    customer = customer_factories.customer(last_name="Stamm")
    for number in range(30):
        day = MONDAY + datetime.timedelta(days=7 * (number // 15))
        start = at(9, day=day) + datetime.timedelta(minutes=30 * (number % 15))
        appointment(staff=staff, customer=customer, start=start)
    first = staff_client.get(LIST)
    assert len(rows(first)) == 25
    assert 'rel="next"' in first.content.decode()
    second = staff_client.get(LIST, {"page": 2})
    assert len(rows(second)) == 5
    assert len(rows(staff_client.get(LIST, {"page_size": 50}))) == 30
    assert len(rows(staff_client.get(LIST, {"page_size": 7}))) == 25  # not offered
    assert len(rows(staff_client.get(LIST, {"page": 99}))) == 5  # last page


def _list_queries(client, headers=None, **params) -> int:
    # The unfiltered list's estimate is kept a while: each request asks anew.
    forget_estimates()
    with CaptureQueriesContext(connection) as queries:
        response = client.get(
            LIST, {"page_size": 100, "date_from": "", **params}, **(headers or {})
        )
        assert response.status_code == 200
    return len(queries)


def _book_many(staff, count: int, start: int = 0) -> None:
    """Appointments straight into the table, a quarter of an hour apart."""
    sehtest = appointment_type()
    Appointment.objects.bulk_create(
        Appointment(
            customer=customer_factories.customer(),
            staff=staff,
            type=sehtest,
            start=at(0) + datetime.timedelta(minutes=15 * number),
            end=at(0) + datetime.timedelta(minutes=15 * (number + 1)),
        )
        for number in range(start, start + count)
    )


def test_list_query_count_does_not_grow(staff_client, staff):
    variants = [
        ({}, {}),
        ({}, {"sort": "-customer", "status": "planned"}),
        ({}, {"sort": "status", "staff": staff.pk, "type": appointment_type().pk}),
        (HTMX, {"sort": "type"}),
    ]
    _book_many(staff, 5)
    with_five = [_list_queries(staff_client, headers, **params) for headers, params in variants]
    _book_many(staff, 55, start=5)
    assert Appointment.objects.count() == 60
    with_sixty = [_list_queries(staff_client, headers, **params) for headers, params in variants]
    assert with_sixty == with_five
    assert max(with_five) <= 11  # 10 + the live-update counters a whole page starts from
    response = staff_client.get(LIST, {"page_size": 100, "date_from": ""}, **HTMX)
    assert len(rows(response)) == 60


# --- Create ------------------------------------------------------------------------


def test_create_form_in_modal(staff_client):
    response = staff_client.get(CREATE, **HTMX)
    body = response.content.decode()
    assert "<html" not in body and 'id="modal-title"' in body
    assert 'id="customer-search"' in body and 'name="customer" id="id_customer" value=""' in body
    assert 'name="allow_outside_hours"' in body


def test_create_form_as_page_without_htmx(staff_client):
    body = staff_client.get(CREATE).content.decode()
    assert "<html" in body and 'id="appointment-form"' in body


def test_create_form_books_for_the_user_on_today(staff_client, staff):
    form = staff_client.get(CREATE, **HTMX).context["form"]
    assert form["staff"].value() == staff.pk
    assert form["date"].value() == timezone.localdate()


def test_create_form_prefilled_from_the_calendar(staff_client, colleague):
    customer = customer_factories.customer(
        first_name="Jürgen", last_name="Müller-Lüdenscheidt", phone="0151 23456789"
    )
    stamp = at(10, 15).isoformat()  # e.g. 2027-03-01T10:15:00+01:00
    for start in (stamp, stamp.replace("+", " "), stamp[:16]):
        response = staff_client.get(
            CREATE, {"start": start, "staff": colleague.pk, "customer": customer.pk}, **HTMX
        )
        body = response.content.decode()
        assert f'name="date" value="{DAY}"' in body, start
        assert 'name="start_time" value="10:15"' in body, start
        assert f'<option value="{colleague.pk}" selected>Ines Inhaber</option>' in body
        assert f'name="customer" id="id_customer" value="{customer.pk}"' in body
        assert "Jürgen Müller-Lüdenscheidt" in body and "01512 3456789" in body
        assert 'id="customer-search"' not in body


def test_create_form_ignores_nonsense_prefill(staff_client, staff):
    response = staff_client.get(
        CREATE, {"start": "gestern", "staff": "x", "customer": "999999"}, **HTMX
    )
    assert response.status_code == 200
    assert 'name="customer" id="id_customer" value=""' in response.content.decode()


def test_create_via_htmx_closes_modal_and_refreshes_lists(staff_client, staff):
    customer = customer_factories.customer()
    response = staff_client.post(CREATE, valid_form(customer, staff), **HTMX)
    assert response.status_code == 200
    assert json.loads(response["HX-Trigger"]) == {"closeModal": True, "appointmentSaved": True}
    body = response.content.decode()
    assert 'hx-swap-oob="true"' in body and "alert-success" in body
    booked = Appointment.objects.get()
    assert (booked.customer, booked.staff, booked.type.name) == (customer, staff, "Sehtest")
    assert (booked.start, booked.end) == (at(10), at(10, 30))  # end from the type
    assert (booked.notes, booked.created_by, booked.status) == (
        "Gleitsicht bisher",
        staff,
        "planned",
    )


def test_create_with_end_time_and_status(staff_client, staff):
    customer = customer_factories.customer()
    data = valid_form(customer, staff, start_time="10.15", end_time="1100", status="confirmed")
    staff_client.post(CREATE, data, **HTMX)
    booked = Appointment.objects.get()
    assert (booked.start, booked.end, booked.status) == (at(10, 15), at(11), "confirmed")


def test_create_without_htmx_redirects_to_list(staff_client, staff):
    response = staff_client.post(CREATE, valid_form(customer_factories.customer(), staff))
    assert response.status_code == 302 and response.url == LIST
    assert Appointment.objects.count() == 1


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("date", "31.02.2027", "Bitte ein gültiges Datum eingeben."),
        ("date", "", "Dieses Feld ist zwingend erforderlich."),
        ("start_time", "25:00", "Bitte eine gültige Uhrzeit eingeben."),
        ("end_time", "9:61", "Bitte eine gültige Uhrzeit eingeben."),
        ("staff", "", "Dieses Feld ist zwingend erforderlich."),
        ("type", "999999", "Bitte eine gültige Auswahl treffen."),
    ],
)
def test_invalid_create_rerenders_form_in_modal(staff_client, staff, field, value, message):
    customer = customer_factories.customer(first_name="Käthe", last_name="Straßburger")
    response = staff_client.post(CREATE, valid_form(customer, staff, **{field: value}), **HTMX)
    body = response.content.decode()
    assert response.status_code == 200
    assert "HX-Trigger" not in response
    assert message in field_error(response, field)
    assert f'id="id_{field}_error"' in body
    assert "Käthe Straßburger" in body  # the chosen customer is kept
    assert "Gleitsicht bisher" in body
    assert not Appointment.objects.exists()


def test_missing_customer_is_shown_at_the_picker(staff_client, staff):
    data = valid_form(customer_factories.customer(), staff, customer="")
    response = staff_client.post(CREATE, data, **HTMX)
    body = response.content.decode()
    assert field_error(response, "customer")
    picker = body[body.index('id="customer-picker"') :]
    assert 'id="id_customer_error"' in picker[: picker.index('id="id_staff"')]
    assert 'id="customer-search"' in body
    assert not Appointment.objects.exists()


def test_double_booking_is_refused_next_to_the_start(staff_client, staff):
    first = appointment(
        staff=staff,
        start=at(10),
        customer=customer_factories.customer(first_name="Erika", last_name="Mustermann"),
    )
    data = valid_form(customer_factories.customer(), staff, start_time="10:15")
    response = staff_client.post(CREATE, data, **HTMX)
    body = response.content.decode()
    assert "HX-Trigger" not in response
    error = field_error(response, "start_time")
    assert "Doppelbuchung" in error and "Erika Mustermann" in error
    assert "10:00" in error and "10:30" in error
    assert 'id="id_start_time_error"' in body and "Doppelbuchung" in body
    assert list(Appointment.objects.all()) == [first]


def test_touching_appointment_is_fine(staff_client, staff):
    appointment(staff=staff, start=at(10))
    data = valid_form(customer_factories.customer(), staff, start_time="10:30")
    assert "closeModal" in staff_client.post(CREATE, data, **HTMX)["HX-Trigger"]


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"start_time": "08:30"}, "Außerhalb der Öffnungszeiten (09:00–18:30)."),
        ({"start_time": "18:00", "end_time": "19:00"}, "Außerhalb der Öffnungszeiten"),
        ({"date": german(SUNDAY)}, f"Am {german(SUNDAY)} ist geschlossen."),
        (
            {"date": german(christmas())},
            f"Am {german(christmas())} ist geschlossen (Erster Weihnachtstag).",
        ),
    ],
)
def test_outside_opening_hours_is_refused_and_override_offered(
    staff_client, staff, overrides, message
):
    data = valid_form(customer_factories.customer(), staff, **overrides)
    response = staff_client.post(CREATE, data, **HTMX)
    assert message in field_error(response, "start_time")
    assert "field-check-suggested" in response.content.decode()
    assert not Appointment.objects.exists()

    data["allow_outside_hours"] = "on"
    assert "closeModal" in staff_client.post(CREATE, data, **HTMX)["HX-Trigger"]
    assert Appointment.objects.count() == 1


def test_end_before_start_is_refused_at_the_end(staff_client, staff):
    data = valid_form(customer_factories.customer(), staff, start_time="11:00", end_time="10:00")
    response = staff_client.post(CREATE, data, **HTMX)
    assert "Das Ende muss nach dem Beginn liegen." in field_error(response, "end_time")
    assert not Appointment.objects.exists()


def test_staff_without_calendar_and_inactive_type_are_not_offered(staff_client, staff, owner):
    type_ = appointment_type("Brillenberatung")
    type_.active = False
    type_.save()
    form = staff_client.get(CREATE, **HTMX).context["form"]
    assert owner not in form.fields["staff"].queryset
    assert type_ not in form.fields["type"].queryset
    customer = customer_factories.customer()
    response = staff_client.post(CREATE, valid_form(customer, owner), **HTMX)
    assert field_error(response, "staff")
    response = staff_client.post(CREATE, valid_form(customer, staff, type=type_.pk), **HTMX)
    assert field_error(response, "type")
    assert not Appointment.objects.exists()


def test_deleted_customer_cannot_be_booked(staff_client, staff):
    customer = customer_factories.customer()
    customer_services.customer_soft_delete(customer_id=customer.pk)
    response = staff_client.post(CREATE, valid_form(customer, staff), **HTMX)
    assert field_error(response, "customer")
    assert not Appointment.objects.exists()


def test_database_failure_keeps_modal_open(staff_client, staff, monkeypatch):
    from django.db import OperationalError

    def broken(**kwargs):
        raise OperationalError("connection lost")

    monkeypatch.setattr(services, "appointment_book", broken)
    data = valid_form(customer_factories.customer(), staff)
    response = staff_client.post(CREATE, data, **HTMX)
    assert "HX-Trigger" not in response
    assert "alert-error" in response.content.decode()
    assert "Gleitsicht bisher" in response.content.decode()


# --- Edit --------------------------------------------------------------------------


def test_edit_form_is_filled_in(staff_client, staff):
    booked = appointment(
        staff=staff,
        start=at(15, 45),
        customer=customer_factories.customer(first_name="Ute", last_name="Große"),
        notes="Sonnenbrille",
    )
    response = staff_client.get(update_url(booked), **HTMX)
    body = response.content.decode()
    assert f'name="date" value="{DAY}"' in body
    assert 'name="start_time" value="15:45"' in body and 'name="end_time" value="16:15"' in body
    assert 'name="version" value="1"' in body
    assert "Ute Große" in body and "Sonnenbrille" in body
    assert f'hx-post="{status_url(booked)}"' in body  # the status buttons
    assert 'data-status="confirmed"' in body and f'href="{ics_url(booked)}"' in body


def test_edit_moves_the_appointment(staff_client, staff):
    booked = appointment(staff=staff, start=at(10))
    data = valid_form(booked.customer, staff, start_time="11:00", end_time="11:30", version="1")
    response = staff_client.post(update_url(booked), data, **HTMX)
    assert json.loads(response["HX-Trigger"]) == {"closeModal": True, "appointmentSaved": True}
    booked.refresh_from_db()
    assert (booked.start, booked.end, booked.version, booked.updated_by) == (
        at(11),
        at(11, 30),
        2,
        staff,
    )


def test_edit_form_shows_the_appointments_history(staff_client, staff):
    booked = appointment(staff=staff, start=at(10))
    data = valid_form(booked.customer, staff, start_time="11:00", end_time="11:30", version="1")
    staff_client.post(update_url(booked), data, **HTMX)
    body = re.sub(r"\s+", " ", staff_client.get(update_url(booked), **HTMX).content.decode())
    assert 'Änderungsprotokoll</h2> <span class="muted">(2 Einträge)' in body
    # Field labels in German, times as people read them, and who it was.
    assert f"Beginn:</span> <del>{DAY} 10:00</del> → <ins>{DAY} 11:00</ins>" in body
    assert "· Anna Schmidt" in body
    # The new-appointment form has no history.
    new_form = staff_client.get(reverse("appointments:create"), **HTMX).content.decode()
    assert "Änderungsprotokoll" not in new_form


def test_edit_in_place_does_not_conflict_with_itself(staff_client, staff):
    booked = appointment(staff=staff, start=at(10))
    data = valid_form(booked.customer, staff, end_time="10:30", notes="neu", version="1")
    assert "closeModal" in staff_client.post(update_url(booked), data, **HTMX)["HX-Trigger"]
    booked.refresh_from_db()
    assert booked.notes == "neu"


def test_edit_onto_another_appointment_is_refused(staff_client, staff):
    appointment(staff=staff, start=at(10))
    booked = appointment(staff=staff, start=at(11))
    data = valid_form(booked.customer, staff, start_time="10:15", version="1")
    response = staff_client.post(update_url(booked), data, **HTMX)
    assert "Doppelbuchung" in field_error(response, "start_time")
    booked.refresh_from_db()
    assert (booked.start, booked.version) == (at(11), 1)


def test_edit_keeps_a_type_that_is_no_longer_offered(staff_client, staff):
    booked = appointment(staff=staff, type_name="Brillenberatung")
    AppointmentType.objects.filter(pk=booked.type_id).update(active=False)
    data = valid_form(
        booked.customer, staff, type=booked.type_id, end_time="10:30", notes="x", version="1"
    )
    assert "closeModal" in staff_client.post(update_url(booked), data, **HTMX)["HX-Trigger"]


def test_concurrent_edit_does_not_overwrite(staff_client, staff):
    booked = appointment(staff=staff, start=at(10), notes="alt")
    # A colleague saves first, from version 1.
    services.appointment_update(
        appointment_id=booked.pk, data={"notes": "von der Kollegin"}, expected_version=1
    )
    data = valid_form(booked.customer, staff, end_time="10:30", notes="meine", version="1")
    response = staff_client.post(update_url(booked), data, **HTMX)
    body = response.content.decode()
    assert "HX-Trigger" not in response
    assert response.context["form"].non_field_errors()
    assert "von der Kollegin" in body  # the value saved meanwhile, next to the field
    assert response.context["form"].conflict_display == {"notes": "von der Kollegin"}
    assert "meine</textarea>" in body  # the user's input is kept
    assert 'name="version" value="2"' in body  # a second save is deliberate
    booked.refresh_from_db()
    assert booked.notes == "von der Kollegin"

    data["version"] = "2"
    assert "closeModal" in staff_client.post(update_url(booked), data, **HTMX)["HX-Trigger"]
    booked.refresh_from_db()
    assert (booked.notes, booked.version) == ("meine", 3)


# --- Status buttons -------------------------------------------------------------------


def test_status_button_via_htmx(staff_client, staff):
    booked = appointment(staff=staff)
    response = staff_client.post(status_url(booked), {"status": "confirmed"}, **HTMX)
    assert json.loads(response["HX-Trigger"]) == {"closeModal": True, "appointmentSaved": True}
    assert "alert-success" in response.content.decode()
    booked.refresh_from_db()
    assert (booked.status, booked.version, booked.updated_by) == ("confirmed", 2, staff)


def test_done_eye_test_sets_the_customers_last_exam(staff_client, staff):
    customer = customer_factories.customer()
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    eye_test = Appointment.objects.create(
        customer=customer,
        staff=staff,
        type=appointment_type("Sehtest"),
        start=at(10, day=yesterday),
        end=at(10, 30, day=yesterday),
    )
    staff_client.post(status_url(eye_test), {"status": "done"}, **HTMX)
    customer.refresh_from_db()
    assert customer.last_exam_date == yesterday
    eye_test.refresh_from_db()
    assert eye_test.status == "done"


def test_status_without_htmx_goes_back(staff_client, staff):
    booked = appointment(staff=staff)
    back = f"{LIST}?status=planned"
    response = staff_client.post(status_url(booked), {"status": "no_show", "next": back})
    assert response.status_code == 302 and response.url == back
    response = staff_client.post(
        status_url(booked), {"status": "cancelled", "next": "https://evil.example/"}
    )
    assert response.url == LIST
    booked.refresh_from_db()
    assert booked.status == "cancelled"


def test_unknown_status_is_a_bad_request(staff_client, staff):
    booked = appointment(staff=staff)
    assert staff_client.post(status_url(booked), {"status": "bogus"}, **HTMX).status_code == 400
    booked.refresh_from_db()
    assert booked.status == "planned"


def test_status_change_into_a_taken_slot_is_refused(staff_client, staff):
    cancelled = appointment(staff=staff, start=at(10))
    services.appointment_set_status(appointment_id=cancelled.pk, status="cancelled")
    appointment(
        staff=staff,
        start=at(10),
        customer=customer_factories.customer(first_name="Erika", last_name="Mustermann"),
    )
    response = staff_client.post(status_url(cancelled), {"status": "confirmed"}, **HTMX)
    body = response.content.decode()
    assert "alert-error" in body and "Doppelbuchung" in body and "Erika Mustermann" in body
    cancelled.refresh_from_db()
    assert cancelled.status == "cancelled"


def test_list_row_offers_the_next_steps(staff_client, staff):
    planned = appointment(staff=staff, start=at(10))
    done = appointment(staff=staff, start=at(11))
    services.appointment_set_status(appointment_id=done.pk, status="done")
    body = staff_client.get(LIST).content.decode()
    planned_row = body[body.index(f'id="appointment-{planned.pk}"') :]
    planned_row = planned_row[: planned_row.index("</tr>")]
    assert 'data-status="confirmed"' in planned_row and 'data-status="done"' in planned_row
    done_row = body[body.index(f'id="appointment-{done.pk}"') :]
    assert 'data-status="' not in done_row[: done_row.index("</tr>")]


# --- iCalendar ------------------------------------------------------------------------


def test_ics_download(staff_client, staff):
    booked = appointment(
        staff=staff,
        start=at(10, day=WINTER_MONDAY),
        customer=customer_factories.customer(first_name="Erika", last_name="Mustermann"),
    )
    response = staff_client.get(ics_url(booked))
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert response["Content-Disposition"] == (
        f'attachment; filename="sehtest-{WINTER_MONDAY.isoformat()}-1000.ics"'
    )
    text = response.content.decode()
    lines = text.split("\r\n")
    assert lines[0] == "BEGIN:VCALENDAR" and lines[-2:] == ["END:VCALENDAR", ""]
    for line in [
        "VERSION:2.0",
        "BEGIN:VEVENT",
        f"UID:appointment-{booked.pk}@testserver",
        f"DTSTART:{WINTER_MONDAY:%Y%m%d}T090000Z",  # 10:00 in Berlin, winter time
        f"DTEND:{WINTER_MONDAY:%Y%m%d}T093000Z",
        "SUMMARY:Sehtest – Erika Mustermann",
        "STATUS:TENTATIVE",
        "SEQUENCE:1",
        "END:VEVENT",
    ]:
        assert line in lines
    assert any(line.startswith("DTSTAMP:") and line.endswith("Z") for line in lines)
    assert "\n" not in text.replace("\r\n", "")


def test_ics_in_summer_time_and_cancelled(staff_client, staff):
    booked = appointment(staff=staff, start=at(10, day=SUMMER_MONDAY))
    services.appointment_set_status(appointment_id=booked.pk, status="cancelled")
    lines = staff_client.get(ics_url(booked)).content.decode().split("\r\n")
    assert f"DTSTART:{SUMMER_MONDAY:%Y%m%d}T080000Z" in lines
    assert "STATUS:CANCELLED" in lines and "SEQUENCE:2" in lines


# --- Customer picker -----------------------------------------------------------------------


SEARCH = reverse("appointments:customer_search")
PICKER = reverse("appointments:customer_picker")


@pytest.fixture
def people(db):
    make = customer_factories.customer
    return {
        "juergen": make(
            first_name="Jürgen",
            last_name="Müller-Lüdenscheidt",
            phone="0151 23456789",
            date_of_birth=datetime.date(1965, 3, 12),
        ),
        "ute": make(first_name="Ute", last_name="Große", date_of_birth=datetime.date(1990, 3, 12)),
        "hans": make(
            first_name="Hans", last_name="Müller", date_of_birth=datetime.date(1950, 1, 1)
        ),
    }


def found(response) -> list[str]:
    """Last names of the customers the picker offers, alphabetically."""
    ids = [int(pk) for pk in re.findall(r'data-customer-option="(\d+)"', response.content.decode())]
    names = dict(Customer.objects.filter(pk__in=ids).values_list("pk", "last_name"))
    return sorted(names[pk] for pk in ids)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("mueller", ["Müller", "Müller-Lüdenscheidt"]),
        ("luedenscheidt", ["Müller-Lüdenscheidt"]),
        ("grosse", ["Große"]),
        ("0151 234", ["Müller-Lüdenscheidt"]),
        ("12.03.1965", ["Müller-Lüdenscheidt"]),
        ("1965-03-12", ["Müller-Lüdenscheidt"]),
        ("12.03.", ["Große", "Müller-Lüdenscheidt"]),
        ("muller 01.01.1950", ["Müller"]),
        ("31.02.1965", []),
        ("niemand", []),
        ("", []),
    ],
)
def test_picker_search(staff_client, people, query, expected):
    response = staff_client.get(SEARCH, {"customer_query": query}, **HTMX)
    assert found(response) == expected


def test_picker_search_shows_name_birth_date_and_phone(staff_client, people):
    response = staff_client.get(SEARCH, {"customer_query": "lüdenscheidt"}, **HTMX)
    body = response.content.decode()
    assert body.lstrip().startswith('<div id="customer-results"')
    assert "<strong>Müller-Lüdenscheidt, Jürgen</strong>" in body
    assert "12.03.1965" in body and "01512 3456789" in body
    assert f"{PICKER}?customer={people['juergen'].pk}" in body


def test_picker_search_says_when_nothing_is_found(staff_client, people):
    body = staff_client.get(SEARCH, {"customer_query": "xyz"}, **HTMX).content.decode()
    assert "Keine Kunden gefunden." in body


def test_picker_search_shows_at_most_ten(staff_client):
    for number in range(12):
        customer_factories.customer(first_name="Max", last_name=f"Meier{number:02d}")
    response = staff_client.get(SEARCH, {"customer_query": "meier"}, **HTMX)
    assert len(found(response)) == 10
    assert "data-more-customers" in response.content.decode()


def test_picker_search_skips_deleted_customers(staff_client, people):
    customer_services.customer_soft_delete(customer_id=people["ute"].pk)
    assert found(staff_client.get(SEARCH, {"customer_query": "grosse"}, **HTMX)) == []


def test_picking_a_customer(staff_client, people):
    juergen = people["juergen"]
    response = staff_client.get(PICKER, {"customer": juergen.pk}, **HTMX)
    body = response.content.decode()
    assert body.lstrip().startswith('<div id="customer-picker"')
    assert f'name="customer" id="id_customer" value="{juergen.pk}"' in body
    assert "Jürgen Müller-Lüdenscheidt" in body and "autofocus" in body
    assert 'id="customer-search"' not in body


def test_picker_without_customer_searches_again(staff_client, people):
    for value in ("", "999999", "x"):
        body = staff_client.get(PICKER, {"customer": value}, **HTMX).content.decode()
        assert 'name="customer" id="id_customer" value=""' in body
        assert 'id="customer-search"' in body and "autofocus" in body


def test_conflict_shows_a_moved_time_next_to_the_time_fields(staff_client, staff):
    booked = appointment(staff=staff, start=at(10))
    services.appointment_update(
        appointment_id=booked.pk, data={"start": at(11), "end": at(11, 45)}, expected_version=1
    )
    data = valid_form(booked.customer, staff, end_time="10:30", notes="", version="1")
    response = staff_client.post(update_url(booked), data, **HTMX)
    form = response.context["form"]
    assert form.conflict_display == {"start_time": "11:00", "end_time": "11:45"}
    body = response.content.decode()
    when = body[body.index('class="field-wide appointment-when') :]
    when = when[: when.index('class="field-check')]
    assert when.count("Zwischenzeitlich gespeichert:") == 2
    assert "<strong>11:00</strong>" in when and "<strong>11:45</strong>" in when
    assert 'name="start_time" value="10:00"' in body  # the user's input is kept


def test_status_buttons_name_their_action(staff_client, staff):
    booked = appointment(staff=staff)
    listed = staff_client.get(LIST, {"date_from": DAY}).content.decode()
    assert ">Bestätigen</button>" in listed and ">Als erledigt markieren</button>" in listed
    modal = staff_client.get(f"/appointments/{booked.pk}/edit/", **HTMX).content.decode()
    for action in ("Bestätigen", "Als erledigt markieren", "Termin absagen"):
        assert f">{action}</button>" in modal, action
    assert ">Als nicht erschienen markieren</button>" in modal
    assert ">Bestätigt</button>" not in listed + modal


def test_the_modal_leads_to_the_customer_and_at_an_eye_test_to_the_refraction(
    client, staff, optician
):
    eye_test = appointment(staff=staff)
    client.force_login(optician)
    body = client.get(f"/appointments/{eye_test.pk}/edit/", **HTMX).content.decode()
    assert f'href="/customers/{eye_test.customer_id}/">Zum Kunden</a>' in body
    assert f"/prescriptions/customers/{eye_test.customer_id}/refractions/new/" in body
    assert "Refraktion erfassen" in body
    client.force_login(staff)  # the front desk does not measure
    body = client.get(f"/appointments/{eye_test.pk}/edit/", **HTMX).content.decode()
    assert "Zum Kunden" in body and "Refraktion erfassen" not in body
    pickup = appointment(staff=staff, start=at(14), type_name="Brillenabholung")
    client.force_login(optician)
    body = client.get(f"/appointments/{pickup.pk}/edit/", **HTMX).content.decode()
    assert "Zum Kunden" in body and "Refraktion erfassen" not in body
