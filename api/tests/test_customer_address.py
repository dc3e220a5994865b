"""/api/v1/customers and the postal address (issue 23): new optional fields
in and out, the original contract unchanged for clients that know nothing
of them."""

import pytest

from api.tests import test_customers
from api.tests.test_customers import URL, customer_body
from customers.models import Customer
from customers.tests import factories

pytestmark = pytest.mark.django_db

# The API client with a key that may read health data, as the contract tests use it.
key = test_customers.key
api = test_customers.api

ADDRESS = {
    "salutation": "ms",
    "title": "Dr.",
    "street": "Musterstraße 12",
    "postcode": "12345",
    "town": "Musterstadt",
}
CONTRACT = {
    "id", "first_name", "last_name", "email", "phone", "date_of_birth", "insurance_provider",
    "last_exam_date", "next_appointment", "prescription", "status", "created_at", "updated_at",
}  # fmt: skip
ADDRESS_OUT = {"salutation", "title", "street", "postcode", "town", "country"}


def test_create_with_an_address_answers_it_and_stores_it(api):
    response = api.post(URL, customer_body(**ADDRESS))
    assert response.status_code == 201, response.content
    data = response.json()
    assert set(data) == CONTRACT | ADDRESS_OUT
    assert data["country"] == "DE"
    assert {name: data[name] for name in ADDRESS} == ADDRESS
    stored = Customer.objects.get(pk=data["id"])
    assert (stored.street, stored.postcode, stored.country) == ("Musterstraße 12", "12345", "DE")
    assert api.get(f"{URL}/{data['id']}").json() == data


def test_an_old_payload_creates_and_reads_with_the_contract_fields_unchanged(api):
    created = api.post(URL, customer_body())
    assert created.status_code == 201, created.content
    # The original fields as before; the address fields answered as empty.
    empty = {"salutation": "", "title": "", "street": "", "postcode": "", "town": ""}
    for data in (
        created.json(),
        api.get(f"{URL}/{created.json()['id']}").json(),
        api.get(URL).json()["items"][0],
    ):
        assert set(data) == CONTRACT | ADDRESS_OUT
        assert {name: data[name] for name in empty} == empty
        assert data["country"] == "DE"


def test_a_country_other_than_germany_is_answered(api):
    response = api.post(
        URL, customer_body(postcode="5020", town="Salzburg", country="AT", street="Getreidegasse 9")
    )
    assert response.status_code == 201, response.content
    data = response.json()
    assert (data["country"], data["postcode"]) == ("AT", "5020")
    assert (data["salutation"], data["title"]) == ("", "")


def test_an_update_changes_only_the_address_fields_given(api):
    customer = factories.customer(first_name="Anna", email="anna@example.de", **ADDRESS)
    response = api.put(f"{URL}/{customer.pk}", {"town": "Neustadt", "postcode": "54321"})
    assert response.status_code == 200, response.content
    customer.refresh_from_db()
    assert (customer.first_name, customer.email, customer.street) == (
        "Anna", "anna@example.de", "Musterstraße 12",
    )  # fmt: skip
    assert (customer.town, customer.postcode, customer.salutation) == ("Neustadt", "54321", "ms")
    assert response.json()["town"] == "Neustadt"


def test_an_old_update_payload_keeps_the_address(api):
    customer = factories.customer(**ADDRESS, country="AT")
    customer_ = factories.customer(**{**ADDRESS, "postcode": "10115"})
    for who in (customer, customer_):
        # Both then are "Erika Berg" born the same day: a possible duplicate.
        body = {"last_name": "Berg", "prescription": "neu", "confirm_duplicates": True}
        response = api.put(f"{URL}/{who.pk}", body)
        assert response.status_code == 200, response.content
        before = {name: getattr(who, name) for name in (*ADDRESS, "country")}
        who.refresh_from_db()
        assert {name: getattr(who, name) for name in (*ADDRESS, "country")} == before
        assert who.last_name == "Berg"


def test_an_address_can_be_emptied(api):
    customer = factories.customer(**ADDRESS)
    response = api.put(
        f"{URL}/{customer.pk}",
        {"salutation": "", "title": "", "street": "", "postcode": "", "town": ""},
    )
    assert response.status_code == 200, response.content
    assert response.json()["street"] == "" and response.json()["town"] == ""
    customer.refresh_from_db()
    assert not customer.has_address and customer.salutation == ""


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"postcode": "1234"}, "postcode"),
        ({"postcode": "123456", "town": "Ort"}, "postcode"),
        ({"salutation": "frau"}, "salutation"),
        ({"country": "XX"}, "country"),
        ({"country": "de"}, "country"),
        ({"street": "x" * 101}, "street"),
        ({"title": "T\x00"}, "title"),
        ({"postcode": None}, "postcode"),
    ],
)
def test_bad_address_values_answer_422_at_their_field(api, values, field):
    response = api.post(URL, customer_body(**values))
    assert response.status_code == 422, response.content
    assert field in {error["field"] for error in response.json()["detail"]}
    assert not Customer.objects.exists()


def test_a_wrong_german_postcode_is_explained(api):
    response = api.post(URL, customer_body(postcode="1234"))
    messages = [e["message"] for e in response.json()["detail"] if e["field"] == "postcode"]
    assert messages and "5" in messages[0]


def test_the_search_finds_town_and_postcode(api):
    factories.customer(last_name="Adler", postcode="80331", town="München")
    factories.customer(last_name="Brandt")
    for query in ("münchen", "Muenchen", "80331"):
        items = api.get(URL, {"search": query}).json()["items"]
        assert [item["last_name"] for item in items] == ["Adler"], query


def test_the_new_fields_are_documented_in_german_and_english(client):
    schemas = client.get("/api/v1/openapi.json").json()["components"]["schemas"]
    for schema in ("CustomerOut", "CustomerIn", "CustomerUpdate"):
        properties = schemas[schema]["properties"]
        for name in (*ADDRESS, "country"):
            assert " / " in properties[name]["description"], (schema, name)
    # Always answered; optional in requests.
    assert set(schemas["CustomerOut"].get("required", [])) >= ADDRESS_OUT
    assert not ADDRESS_OUT & set(schemas["CustomerIn"].get("required", []))
    assert set(schemas["CustomerOut"]["properties"]["country"]["enum"]) >= {"DE", "AT", "CH"}
