"""The conflict form merges three ways (issue 23): what the user loaded,
what a colleague saved meanwhile and what the user typed. Driven as a user
drives it: the edit form is loaded, filled in and posted with every input it
renders, hidden ones included."""

from decimal import Decimal
from html.parser import HTMLParser

import pghistory
import pytest
from django.urls import reverse

from customers import services as customer_services
from customers.tests import factories as customer_factories
from products import services as product_services
from products.tests.factories import product

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


class _FormInputs(HTMLParser):
    """The values a browser would post for the first <form> with method=post."""

    def __init__(self):
        super().__init__()
        self.values: dict[str, list[str]] = {}
        self._in_form = False
        self._select: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and attrs.get("method") == "post":
            self._in_form = True
        if not self._in_form or "name" not in attrs and tag != "option":
            return
        if tag == "input":
            kind = attrs.get("type", "text")
            if kind in ("checkbox", "radio") and "checked" not in attrs:
                return
            if kind in ("submit", "button"):
                return
            self.values.setdefault(attrs["name"], []).append(attrs.get("value") or "")
        elif tag == "select":
            self._select = attrs["name"]
            self.values.setdefault(self._select, [""])
        elif tag == "option" and self._select and "selected" in attrs:
            self.values[self._select] = [attrs.get("value", "")]
        elif tag == "textarea":
            self._textarea = attrs["name"]
            self.values[self._textarea] = [""]

    def handle_data(self, data):
        if self._textarea:
            self.values[self._textarea][0] += data

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None
        elif tag == "form":
            self._in_form = False


def form_of(response) -> dict[str, list[str]]:
    parser = _FormInputs()
    parser.feed(response.content.decode())
    # The textarea's first newline belongs to the markup, not the value.
    return {
        name: [value.removeprefix("\n") for value in values]
        for name, values in parser.values.items()
    }


def post(client, url, values: dict[str, list[str]], **changes):
    data = {name: list(v) for name, v in values.items()}
    for name, value in changes.items():
        data[name] = [value]
    return client.post(url, data, **HTMX)


def test_a_colleagues_newer_phone_number_survives_the_conflict_form(staff_client, staff):
    customer = customer_factories.customer(
        first_name="Ute", last_name="Große", phone="+49 30 1234567", email="ute@example.de"
    )
    url = reverse("customers:update", args=[customer.pk])
    loaded = form_of(staff_client.get(url, **HTMX))
    assert "initial-phone" in loaded  # the form remembers what it was loaded with

    # Meanwhile a colleague saves a new phone number.
    customer_services.customer_update(customer_id=customer.pk, data={"phone": "+49 40 7654321"})

    # The user only changed the e-mail address.
    conflict = post(staff_client, url, loaded, email="ute.grosse@example.de")
    body = conflict.content.decode()
    assert "zwischenzeitlich von jemand anderem geändert" in body
    merged = form_of(conflict)
    assert merged["phone"] == ["040 7654321"]  # the colleague's value, not the stale one
    assert merged["email"] == ["ute.grosse@example.de"]  # the user's own change stays
    assert conflict.context["form"].conflict_display == {}  # nothing collides

    saved = post(staff_client, url, merged)
    assert "closeModal" in saved["HX-Trigger"]
    customer.refresh_from_db()
    assert (str(customer.phone), customer.email) == ("+49407654321", "ute.grosse@example.de")


def test_the_conflict_form_names_the_users_changes_that_collide(staff_client):
    customer = customer_factories.customer(first_name="Ute", notes="Gleitsicht")
    url = reverse("customers:update", args=[customer.pk])
    loaded = form_of(staff_client.get(url, **HTMX))
    customer_services.customer_update(
        customer_id=customer.pk,
        data={"notes": "Gleitsicht, Sonnenbrille bestellt", "first_name": "Uta"},
    )
    conflict = post(staff_client, url, loaded, notes="Gleitsicht, Nahbrille")
    form = conflict.context["form"]
    # Both changed the notes: the user's text stays, the saved one is shown.
    assert form.conflict_display == {"notes": "Gleitsicht, Sonnenbrille bestellt"}
    merged = form_of(conflict)
    assert merged["notes"] == ["Gleitsicht, Nahbrille"]
    assert merged["first_name"] == ["Uta"]
    body = conflict.content.decode()
    assert "Zwischenzeitlich gespeichert:" in body and "Sonnenbrille bestellt" in body

    # Saving the merged form keeps the colleague's first name.
    post(staff_client, url, merged)
    customer.refresh_from_db()
    assert (customer.first_name, customer.notes) == ("Uta", "Gleitsicht, Nahbrille")


def test_a_product_conflict_keeps_the_new_price_and_the_users_name(owner_client, owner):
    frame = product(name="Air Titanium", sale_price=Decimal("249.00"), minimum_stock=2)
    url = reverse("products:update", args=[frame.pk])
    loaded = form_of(owner_client.get(url, **HTMX))
    with pghistory.context(user=owner.pk):
        product_services.product_update(
            product_id=frame.pk, data={"sale_price": Decimal("1279.50"), "active": False}
        )
    conflict = post(owner_client, url, loaded, name="Air Titanium Rim")
    assert conflict.context["form"].conflict_display == {}
    merged = form_of(conflict)
    assert merged["name"] == ["Air Titanium Rim"]
    assert "active" not in merged  # the colleague switched it off
    post(owner_client, url, merged)
    frame.refresh_from_db()
    assert (frame.name, frame.sale_price, frame.active) == (
        "Air Titanium Rim",
        Decimal("1279.50"),
        False,
    )


def test_an_appointment_conflict_keeps_the_colleagues_note_and_the_users_new_time(
    owner_client, owner
):
    from appointments import services as appointment_services
    from appointments.tests.factories import appointment, at, calendar_for, working_day

    calendar_for(owner)
    day = working_day()
    booked = appointment(staff=owner, start=at(10, day=day), notes="")
    url = reverse("appointments:update", args=[booked.pk])
    loaded = form_of(owner_client.get(url, **HTMX))
    assert "initial-customer" in loaded and "initial-start_time" in loaded
    appointment_services.appointment_update(
        appointment_id=booked.pk,
        data={"notes": "Kundin bringt alte Brille mit"},
        expected_version=booked.version,
    )
    # The user moves it an hour later; the end follows the type's duration.
    conflict = post(owner_client, url, loaded, start_time="11:00", end_time="")
    assert conflict.context["form"].conflict_display == {}
    merged = form_of(conflict)
    assert merged["notes"] == ["Kundin bringt alte Brille mit"]
    assert merged["start_time"] == ["11:00"]
    assert merged["customer"] == [str(booked.customer_id)]
    saved = post(owner_client, url, merged)
    assert "closeModal" in saved["HX-Trigger"]
    booked.refresh_from_db()
    assert (booked.start, booked.notes) == (at(11, day=day), "Kundin bringt alte Brille mit")
