"""Issue 23, the customer points: salutation, title and postal address (model,
form, page, search, history), and the recall list's refraction date."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from customers import selectors, services
from customers.models import Customer, CustomerCount, letter_salutation, postal_address_lines
from customers.selectors import recall_cutoff
from customers.tests import factories
from opticrm.lib.history import record_history
from opticrm.lib.pagination import forget_estimates
from prescriptions.tests.factories import refraction

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}
LIST = reverse("customers:list")
ERIKA = {
    "first_name": "Erika",
    "last_name": "Mustermann",
    "salutation": "ms",
    "title": "Dr.",
    "street": "Musterstraße 12",
    "postcode": "12345",
    "town": "Musterstadt",
}


def form_data(**overrides) -> dict:
    """What the customer modal posts."""
    data = {
        "salutation": "",
        "title": "",
        "first_name": "Käthe",
        "last_name": "Straßburger",
        "email": "",
        "phone": "",
        "date_of_birth": "12.03.1965",
        "insurance_provider": "",
        "last_exam_date": "",
        "status": "active",
        "street": "",
        "postcode": "",
        "town": "",
        "country": "DE",
        "notes": "",
    }
    data.update(overrides)
    return data


def rows(response) -> list[str]:
    return [c.last_name for c in response.context["page"].object_list]


# --- The model -------------------------------------------------------------------


def test_existing_customers_have_no_address_and_live_in_germany():
    customer = factories.customer()
    assert (customer.salutation, customer.title, customer.street) == ("", "", "")
    assert (customer.postcode, customer.town, customer.country) == ("", "", "DE")
    assert not customer.has_address
    assert customer.postal_address_lines == [customer.full_name]


def test_the_postal_address_block_and_the_letter_salutation():
    erika = factories.customer(**ERIKA)
    with translation.override("en"):
        assert postal_address_lines(erika) == [
            "Ms Dr. Erika Mustermann",
            "Musterstraße 12",
            "12345 Musterstadt",
        ]
        assert letter_salutation(erika) == "Dear Ms Dr. Mustermann"
        hans = Customer(first_name="Hans", last_name="Meier", salutation="mr")
        assert letter_salutation(hans) == "Dear Mr Meier"
        kim = Customer(first_name="Kim", last_name="Berg", title="Prof. Dr.")
        assert letter_salutation(kim) == "Dear Prof. Dr. Kim Berg"
        abroad = Customer(
            first_name="Sepp", last_name="Huber", postcode="5020", town="Salzburg", country="AT"
        )
        assert abroad.postal_address_lines == ["Sepp Huber", "5020 Salzburg", "AUSTRIA"]


@pytest.mark.parametrize(
    ("country", "typed", "stored"),
    [
        ("DE", "12345", "12345"),
        ("DE", " 01067 ", "01067"),
        ("DE", "123 45", "12345"),
        ("AT", "5020", "5020"),
        ("NL", "1012  AB", "1012 AB"),
        ("DE", "", ""),
    ],
)
def test_postcodes_that_are_kept(country, typed, stored):
    customer = factories.customer(country=country, postcode=typed, town="Ort")
    assert customer.postcode == stored


@pytest.mark.parametrize(
    ("country", "typed"),
    [("DE", "1234"), ("DE", "123456"), ("DE", "1234a"), ("DE", "D-12345"), ("AT", "x" * 11)],
)
def test_postcodes_that_are_refused(country, typed):
    with pytest.raises(ValidationError) as raised:
        factories.customer(country=country, postcode=typed)
    assert list(raised.value.message_dict) == ["postcode"]


@pytest.mark.parametrize(("field", "value"), [("salutation", "frau"), ("country", "XX")])
def test_only_the_offered_choices(field, value):
    with pytest.raises(ValidationError) as raised:
        factories.customer(**{field: value})
    assert list(raised.value.message_dict) == [field]


def test_spaces_in_the_address_are_tidied():
    customer = factories.customer(street="  Am  Markt 3 ", town=" Bad  Tölz ", title=" Dr. ")
    assert (customer.street, customer.town, customer.title) == ("Am Markt 3", "Bad Tölz", "Dr.")


# --- Search by town and postcode ----------------------------------------------------


@pytest.fixture
def towns(db):
    return {
        "erika": factories.customer(**ERIKA),
        "jonas": factories.customer(
            first_name="Jonas", last_name="Adler", postcode="80331", town="München"
        ),
        "ute": factories.customer(
            first_name="Ute", last_name="Brandt", postcode="10115", town="Berlin"
        ),
        "hamburg": factories.customer(first_name="Berlin", last_name="Hamburger"),
    }


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("Musterstadt", ["Mustermann"]),
        ("musterst", ["Mustermann"]),
        ("München", ["Adler"]),
        ("muenchen", ["Adler"]),
        ("Munchen", ["Adler"]),
        ("12345", ["Mustermann"]),
        ("801", []),  # a postcode is found as a whole or by its beginning...
        ("803", ["Adler"]),
        ("10115", ["Brandt"]),
        ("berlin", ["Brandt", "Hamburger"]),  # ...a town like a name
        ("jonas münchen", ["Adler"]),
        ("12345 Musterstadt", ["Mustermann"]),
    ],
)
def test_the_list_search_finds_postcode_and_town(staff_client, towns, query, expected):
    assert rows(staff_client.get(LIST, {"q": query})) == expected


def test_the_street_is_not_searched(staff_client, towns):
    assert rows(staff_client.get(LIST, {"q": "Musterstraße"})) == []


def test_a_town_is_counted_as_a_search_key(towns):
    assert CustomerCount.objects.get(kind=CustomerCount.WORD, value="munchen").customers == 1
    assert selectors.search_count("München") == 1
    services.customer_update(customer_id=towns["jonas"].pk, data={"town": "Dachau"})
    assert not CustomerCount.objects.filter(kind=CustomerCount.WORD, value="munchen").exists()


def test_the_deleted_list_searches_postcode_and_town_too(owner_client, towns):
    services.customer_soft_delete(customer_id=towns["ute"].pk)
    deleted = reverse("customers:deleted")
    assert rows(owner_client.get(deleted, {"q": "Berlin"})) == ["Brandt"]
    assert rows(owner_client.get(deleted, {"q": "10115"})) == ["Brandt"]


def test_a_search_by_town_or_postcode_costs_what_a_name_search_costs(staff_client, towns):
    def queries(params) -> int:
        forget_estimates()  # as a worker's first view: with the planner's estimate
        with CaptureQueriesContext(connection) as captured:
            assert staff_client.get(LIST, params).status_code == 200
        return len(captured.captured_queries)

    by_name, by_town = queries({"q": "Adler"}), queries({"q": "München"})
    by_postcode = queries({"q": "80331"})
    for number in range(20):
        factories.customer(last_name=f"Adler{number}", town="München", postcode="80331")
    assert queries({"q": "München"}) == by_town == by_name
    # The phone search's path: the same queries for one match or twenty-one.
    assert queries({"q": "80331"}) == by_postcode


# --- The customer modal -------------------------------------------------------


def test_the_modal_offers_the_address_fields(staff_client):
    response = staff_client.get(reverse("customers:create"), **HTMX)
    body = response.content.decode()
    assert not body.lstrip().startswith("<!DOCTYPE")
    for name in ("salutation", "title", "street", "postcode", "town", "country"):
        assert f'name="{name}"' in body, name
    assert '<option value="DE" selected>' in body
    assert 'name="street"' in body and 'autocomplete="off"' in body
    assert body.index('name="salutation"') < body.index('name="first_name"')


def test_create_with_an_address_in_the_modal(staff_client):
    response = staff_client.post(
        reverse("customers:create"),
        form_data(**ERIKA, date_of_birth="3.4.61"),
        **HTMX,
    )
    assert "closeModal" in response["HX-Trigger"]
    erika = Customer.objects.get()
    assert (erika.salutation, erika.title, erika.street) == ("ms", "Dr.", "Musterstraße 12")
    assert (erika.postcode, erika.town, erika.country) == ("12345", "Musterstadt", "DE")
    assert erika.date_of_birth == datetime.date(1961, 4, 3)


def test_create_as_a_plain_form_without_htmx(staff_client):
    response = staff_client.post(reverse("customers:create"), form_data(**ERIKA))
    erika = Customer.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("customers:detail", args=[erika.pk])


def test_a_wrong_german_postcode_is_explained_at_its_field(staff_client):
    response = staff_client.post(
        reverse("customers:create"), form_data(postcode="1234", town="Ort"), **HTMX
    )
    body = response.content.decode()
    assert response.status_code == 200 and "HX-Trigger" not in response
    assert 'id="id_postcode_error"' in body
    assert "has-error" in body
    assert not Customer.objects.exists()
    # Abroad, the same postcode is fine.
    staff_client.post(
        reverse("customers:create"),
        form_data(postcode="1234", town="Basel", country="CH"),
        **HTMX,
    )
    assert Customer.objects.get().country == "CH"


def test_a_form_without_the_new_fields_still_saves(staff_client):
    """A modal opened before the address came (or an old script) posts none."""
    data = form_data()
    for name in ("salutation", "title", "street", "postcode", "town", "country"):
        del data[name]
    response = staff_client.post(reverse("customers:create"), data, **HTMX)
    assert "closeModal" in response["HX-Trigger"]
    assert Customer.objects.get().country == "DE"


def test_the_edit_modal_shows_the_saved_address(staff_client):
    erika = factories.customer(**ERIKA)
    body = staff_client.get(reverse("customers:update", args=[erika.pk]), **HTMX).content.decode()
    assert 'value="Musterstraße 12"' in body and 'value="12345"' in body
    assert '<option value="ms" selected>' in body


# --- The customer page ----------------------------------------------------------


def test_the_page_shows_the_postal_address_block(staff_client):
    erika = factories.customer(**ERIKA)
    body = staff_client.get(reverse("customers:detail", args=[erika.pk])).content.decode()
    assert "Dr. Erika Mustermann<br>Musterstraße 12<br>12345 Musterstadt</address>" in body
    partial = staff_client.get(reverse("customers:detail", args=[erika.pk]), **HTMX)
    assert "<address" in partial.content.decode()


def test_a_customer_without_address_shows_a_dash(staff_client):
    customer = factories.customer()
    body = staff_client.get(reverse("customers:detail", args=[customer.pk])).content.decode()
    assert "<address" not in body


def test_hostile_address_values_are_escaped(staff_client):
    customer = factories.customer(street="<script>x</script> 1", town="<b>Ort</b>")
    body = staff_client.get(reverse("customers:detail", args=[customer.pk])).content.decode()
    assert "<script>x</script>" not in body and "&lt;script&gt;" in body
    assert "<b>Ort</b>" not in body


def test_the_page_tells_the_last_exam_from_the_last_refraction(optician_client, optician):
    customer = factories.customer(last_exam_date=timezone.localdate())
    Customer.objects.filter(pk=customer.pk).update(last_refraction_date=datetime.date(2020, 1, 2))
    body = optician_client.get(reverse("customers:detail", args=[customer.pk])).content.decode()
    assert "(entered)" in body or "(eingetragen)" in body
    assert "02.01.2020" in body
    assert "the recall filter uses this date" in body or "Recall" in body


def test_without_health_data_rights_the_refraction_date_stays_hidden(staff_client):
    customer = factories.customer()
    Customer.objects.filter(pk=customer.pk).update(last_refraction_date=datetime.date(2020, 1, 2))
    body = staff_client.get(reverse("customers:detail", args=[customer.pk])).content.decode()
    assert "02.01.2020" not in body


def test_the_change_log_names_the_new_fields(staff_client, staff):
    erika = factories.customer(first_name="Erika", last_name="Mustermann")
    services.customer_update(
        customer_id=erika.pk, data={"postcode": "12345", "town": "Musterstadt", "salutation": "ms"}
    )
    with translation.override("en"):
        fields = {
            label: (before, after) for label, before, after in record_history(erika)[0].fields
        }
    assert fields == {
        "postcode": ("—", "12345"),
        "town": ("—", "Musterstadt"),
        "salutation": ("—", "Ms"),
    }


# --- The recall list --------------------------------------------------------------


@pytest.fixture
def due(optician):
    """Two customers whose newest refraction is older than two years, one of
    them examined yesterday by the entry in the customer data (issue 23)."""
    cutoff = recall_cutoff(timezone.localdate())
    old = cutoff - datetime.timedelta(days=30)
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    seen = factories.customer(last_name="Gestern")
    refraction(seen, optician, date=old)
    services.customer_update(customer_id=seen.pk, data={"last_exam_date": yesterday})
    older = factories.customer(last_name="Lange")
    refraction(older, optician, date=old - datetime.timedelta(days=365))
    recent = factories.customer(last_name="Neu")
    refraction(recent, optician, date=yesterday)
    return {"old": old, "yesterday": yesterday, "cutoff": cutoff}


def test_the_recall_list_shows_the_date_it_filters_by(optician_client, due):
    response = optician_client.get(LIST, {"recall": "on"})
    body = response.content.decode()
    assert rows(response) == ["Gestern", "Lange"]
    assert "Last refraction" in body or "Letzte Refraktion" in body
    row = body[body.index("Gestern") :]
    row = row[: row.index("</tr>")]
    assert f"{due['old']:%d.%m.%Y}" in row  # what the filter uses
    assert f"{due['yesterday']:%d.%m.%Y}" in row  # and the exam entered, as before
    partial = optician_client.get(LIST, {"recall": "on"}, **HTMX).content.decode()
    assert partial.lstrip().startswith('<div id="customer-table"')
    assert f"{due['old']:%d.%m.%Y}" in partial


def test_without_the_recall_filter_there_is_no_refraction_column(optician_client, due):
    body = optician_client.get(LIST).content.decode()
    assert f"{due['old']:%d.%m.%Y}" not in body
    assert "Last refraction" not in body and "Letzte Refraktion" not in body


def test_the_refraction_column_costs_no_query(optician_client, optician, due):
    def queries(params) -> int:
        forget_estimates()
        with CaptureQueriesContext(connection) as captured:
            assert optician_client.get(LIST, params).status_code == 200
        return len(captured.captured_queries)

    with_two = queries({"recall": "on", "page_size": 100})
    for number in range(30):
        customer = factories.customer(last_name=f"Alt{number:02d}")
        refraction(customer, optician, date=due["old"])
    assert queries({"recall": "on", "page_size": 100}) == with_two
    # The same queries as the list without it: the date is a column of the row.
    assert with_two <= queries({"page_size": 100}) + 1


def test_a_conflict_shows_the_saved_choice_by_its_name():
    from opticrm.lib.display import display_value

    erika = factories.customer(**{**ERIKA, "country": "AT", "postcode": "5020"})
    with translation.override("en"):
        assert display_value(erika, "salutation") == "Ms"
        assert display_value(erika, "country") == "Austria"
        assert display_value(factories.customer(), "salutation") == "—"
