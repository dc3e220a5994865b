"""Search that does not depend on how a German name is typed."""

import pytest

from customers import selectors
from customers.tests import factories
from opticrm.lib import text


@pytest.mark.parametrize(
    ("typed", "expected"),
    [("Müller", "muller"), ("GROSSE", "grosse"), ("Große", "grosse"), ("Renée", "renee")],
)
def test_fold(typed, expected):
    assert text.fold(typed) == expected


def test_variants_cover_both_umlaut_spellings():
    assert {"muller", "mueller"} <= text.search_variants("Müller")


def found(query: str) -> set[str]:
    customers = selectors.customer_search(selectors.customer_list(), query)
    return {c.last_name for c in customers}


@pytest.fixture
def people(db):
    factories.customer(first_name="Hans", last_name="Müller", email="hans@example.de")
    factories.customer(first_name="Ute", last_name="Große", phone="0151 23456789")
    factories.customer(first_name="Jan", last_name="van der Berg")
    factories.customer(first_name="Renée", last_name="Weiß")


@pytest.mark.parametrize("query", ["muller", "mueller", "Müller", "MÜLLER", "müll", "hans müller"])
def test_umlaut_spellings_find_mueller(people, query):
    assert found(query) == {"Müller"}


@pytest.mark.parametrize("query", ["grosse", "Große", "grose"])
def test_sharp_s(people, query):
    expected = {"Große"} if query != "grose" else set()
    assert found(query) == expected


def test_particles_and_accents(people):
    assert found("berg") == {"van der Berg"}
    assert found("van der") == {"van der Berg"}
    assert found("renee weiss") == {"Weiß"}


def test_email_and_phone(people):
    assert found("hans@example") == {"Müller"}
    assert found("0151 234") == {"Große"}
    assert found("+49 151 23456789") == {"Große"}
    assert found("015123456789") == {"Große"}


def test_search_ignores_deleted_customers(people):
    from customers import services
    from customers.models import Customer

    services.customer_soft_delete(customer_id=Customer.objects.get(last_name="Müller").pk)
    assert found("muller") == set()


@pytest.mark.django_db
def test_a_selective_search_is_matched_first_and_sorted_in_name_order(monkeypatch):
    for last in ("Schmidt", "Goldschmidt", "Adler", "Schmidtke"):
        factories.customer(last_name=last)
    found = selectors.customer_sort(
        selectors.customer_search(selectors.customer_list(), "schmidt"), "name"
    )
    matched_first = selectors.match_before_sorting(found)
    assert '"id" > 0 ASC' in str(matched_first.query)  # a sort key no index has
    assert [c.last_name for c in matched_first] == ["Goldschmidt", "Schmidt", "Schmidtke"]
    monkeypatch.setattr(selectors, "MATCH_FIRST_UP_TO", -1)
    assert selectors.match_before_sorting(found) is found
