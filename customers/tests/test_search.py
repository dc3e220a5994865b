"""Search that does not depend on how a German name is typed."""

import pytest

from customers import selectors, services
from customers.models import Customer, CustomerSearchWord
from customers.tests import factories
from opticrm.lib import pagination, text


@pytest.mark.parametrize(
    ("typed", "expected"),
    [("Müller", "muller"), ("GROSSE", "grosse"), ("Große", "grosse"), ("Renée", "renee")],
)
def test_fold(typed, expected):
    assert text.fold(typed) == expected


def test_variants_cover_both_umlaut_spellings():
    assert {"muller", "mueller"} <= text.search_variants("Müller")


@pytest.mark.parametrize(
    ("typed", "keys"),
    [
        ("Müller", ["muller"]),
        ("Mueller", ["muller"]),
        ("MULLER", ["muller"]),
        ("Große", ["grosse"]),
        ("Hans-Jürgen von der Heide-Öz", ["hans", "jurgen", "von", "der", "heide", "oz"]),
        ("anna.schmidt_2@t-online.de", ["anna", "schmidt", "2", "t", "online", "de"]),
        ("?!", []),
    ],
)
def test_search_words(typed, keys):
    assert text.search_words(typed) == keys


def found(query: str) -> set[str]:
    customers = selectors.customer_search(selectors.customer_list(), query)
    return {c.last_name for c in customers}


@pytest.fixture
def people(db):
    factories.customer(first_name="Hans", last_name="Müller", email="hans@example.de")
    factories.customer(first_name="Ute", last_name="Große", phone="0151 23456789")
    factories.customer(first_name="Jan", last_name="van der Berg")
    factories.customer(first_name="Renée", last_name="Weiß")


@pytest.mark.parametrize(
    "query", ["muller", "mueller", "Müller", "MÜLLER", "müll", "muell", "hans müller", "Mü Ha"]
)
def test_umlaut_spellings_find_mueller(people, query):
    assert found(query) == {"Müller"}


def test_a_name_written_without_umlaut_is_found_with_one(db):
    factories.customer(first_name="Eva", last_name="Mueller")
    factories.customer(first_name="Jörg", last_name="Schroeder")
    assert found("Müller") == {"Mueller"}
    assert found("Schröder jorg") == {"Schroeder"}


def test_each_word_must_begin_a_word(people):
    factories.customer(first_name="Ida", last_name="Goldschmidt")
    factories.customer(first_name="Tom", last_name="Schmidtke")
    assert found("schmidt") == {"Schmidtke"}
    assert found("ller") == set()
    assert found("gold") == {"Goldschmidt"}
    assert found("?!") == set()


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
    services.customer_soft_delete(customer_id=Customer.objects.get(last_name="Müller").pk)
    assert found("muller") == set()


def words_of(customer: Customer) -> set[str]:
    return set(CustomerSearchWord.objects.filter(customer=customer).values_list("word", flat=True))


def test_the_search_words_follow_every_change_of_a_customer(people):
    """A trigger keeps them: a rename, a deletion, a restore and a purge."""
    customer = Customer.objects.get(last_name="Müller")
    assert words_of(customer) == {"hans", "muller", "example", "de"}
    services.customer_update(customer_id=customer.pk, data={"last_name": "Meier-Lüdenscheidt"})
    assert words_of(customer) == {"hans", "meier", "ludenscheidt", "example", "de"}
    assert found("lüdensch") == {"Meier-Lüdenscheidt"}
    services.customer_soft_delete(customer_id=customer.pk)
    assert words_of(customer) == set()
    services.customer_restore(customer_id=customer.pk)
    assert found("meier hans") == {"Meier-Lüdenscheidt"}
    services.customer_soft_delete(customer_id=customer.pk)
    services.customer_purge(customer_id=customer.pk)
    assert not Customer.objects.filter(pk=customer.pk).exists()
    assert not CustomerSearchWord.objects.filter(customer_id=customer.pk).exists()


@pytest.mark.parametrize(
    ("first", "last", "email"),
    [
        ("Łukasz", "Żółć-Dvořák", "l.z@example.pl"),
        ("Søren", "O’Brien", ""),
        ("Anne–Marie", "Große·Weiß", "anne_marie+optik@t-online.de"),
        ("Jürgen", "van der Heide (geb. Möller)", "JUERGEN@Example.DE"),
    ],
)
def test_the_database_makes_the_words_as_python_does(db, first, last, email):
    """The trigger's split (SQL) and text.search_words (Python) must agree,
    or what a user types would not find what was stored."""
    customer = factories.customer(
        first_name=first, last_name=last, email=email, phone="0151 23456789"
    )
    assert words_of(customer) == set(text.search_words(customer.search_text))
    assert {"015123456789", "4915123456789"} <= words_of(customer)
    assert found(f"{first} {last}") == {last}


def test_search_in_name_order_reads_one_row_per_customer(db):
    for first, last in [("Anna", "Annaberg"), ("Bert", "Anner"), ("Anne", "Zeh"), ("Olaf", "Berg")]:
        factories.customer(first_name=first, last_name=last)
    hits = selectors.search_ids_in_name_order("ann")
    names = [Customer.objects.get(pk=pk).last_name for pk in hits[0:10]]
    assert names == ["Annaberg", "Anner", "Zeh"]  # Anna Annaberg once
    assert hits.count() == 3
    assert [Customer.objects.get(pk=pk).last_name for pk in hits[1:2]] == ["Anner"]
    backwards = selectors.search_ids_in_name_order("ann", descending=True)
    assert backwards[0:3] == list(reversed(hits[0:3]))
    # "annab" begins one word only: counted and paged without DISTINCT.
    assert selectors.search_ids_in_name_order("annab").count() == 1
    assert selectors.search_ids_in_name_order("anna annab")[0:5] == hits[0:1]
    assert selectors.search_ids_in_name_order("0151 234") is None  # a phone number
    assert selectors.search_ids_in_name_order("?!") is None


def test_a_search_of_several_words_counts_and_pages_its_matches_in_one_query(
    db, monkeypatch, django_assert_num_queries
):
    """A search for "anna m" joins every match of one word with the other's
    either way, so the count and the first pages come from one query; pages
    beyond those are read as before, and every window agrees with
    customer_search."""
    monkeypatch.setattr(selectors.SearchHits, "FIRST_IDS", 3)
    for first, last in [
        ("Anna", "Meier"),
        ("Anna", "Annaberg-Maus"),  # two "ann…" words: one hit all the same
        ("Annika", "Moll"),
        ("Anna", "Zeh"),  # no "m…" word
        ("Hanna", "Maier"),  # "hanna" does not begin with "ann"
        ("Anne", "Müller"),
        ("Anna", "Marx"),
    ]:
        factories.customer(first_name=first, last_name=last)
    expected = list(
        selectors.customer_search(selectors.customer_list(), "ann m")
        .order_by("sort_name", "id")
        .values_list("pk", flat=True)
    )
    assert len(expected) == 5
    for descending, in_order in ((False, expected), (True, expected[::-1])):
        hits = selectors.search_ids_in_name_order("ann m", descending=descending)
        with django_assert_num_queries(1):
            assert hits.count() == 5
            assert hits[0:2] == in_order[0:2]
            assert hits[1:3] == in_order[1:3]
        assert hits[2:5] == in_order[2:5]  # beyond the ids read with the count
    # One "anna" word per customer: counted without DISTINCT, the same way.
    hits = selectors.search_ids_in_name_order("anna m")
    assert hits.count() == 3
    assert [Customer.objects.get(pk=pk).last_name for pk in hits[0:3]] == [
        "Annaberg-Maus",
        "Marx",
        "Meier",
    ]
    nothing = selectors.search_ids_in_name_order("anna q")
    with django_assert_num_queries(1):
        assert nothing.count() == 0
        assert nothing[0:25] == []


def test_a_search_of_several_words_pages_through_the_list(staff_client):
    for number in range(30):
        factories.customer(first_name="Anna", last_name=f"Mohn{number:02d}")
    factories.customer(first_name="Anna", last_name="Zeh")
    first = staff_client.get("/customers/", {"q": "anna m"})
    last = staff_client.get("/customers/", {"q": "anna m", "page": 2})
    assert "1–25 von 30" in first.content.decode()
    assert "Mohn00" in first.content.decode() and "Mohn25" not in first.content.decode()
    assert "26–30 von 30" in last.content.decode()
    assert "Mohn29" in last.content.decode() and "Zeh" not in last.content.decode()


def test_the_text_search_finds_any_part_and_deleted_customers(people):
    customer = Customer.objects.get(last_name="Müller")
    services.customer_soft_delete(customer_id=customer.pk)
    deleted = selectors.customer_list(deleted=True)
    assert list(selectors.customer_text_search(deleted, "ller")) == [customer]
    assert list(selectors.customer_text_search(deleted, "Mueller")) == [customer]


@pytest.mark.django_db
def test_a_selective_search_is_matched_first_and_sorted_in_name_order(monkeypatch):
    for last in ("Schmidt", "Goldschmidt", "Adler", "Schmidtke"):
        factories.customer(last_name=last)
    found = selectors.customer_sort(
        selectors.customer_search(selectors.customer_list(), "schmidt"), "name"
    )
    matched_first = pagination.match_before_sorting(found)
    assert '"id" > 0 ASC' in str(matched_first.query)  # a sort key no index has
    assert [c.last_name for c in matched_first] == ["Schmidt", "Schmidtke"]
    monkeypatch.setattr(pagination, "MATCH_FIRST_UP_TO", -1)
    assert pagination.match_before_sorting(found) is found


@pytest.mark.django_db
def test_a_table_smaller_than_a_search_could_match_is_not_planned_per_search(monkeypatch):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    factories.customer(last_name="Schmidt")
    found = selectors.customer_sort(
        selectors.customer_search(selectors.customer_list(), "schmidt"), "name"
    )

    def planned() -> list[str]:
        pagination.forget_estimates()
        with CaptureQueriesContext(connection) as captured:
            pagination.match_before_sorting(found)
        return [q["sql"] for q in captured.captured_queries if q["sql"].startswith("EXPLAIN")]

    # Fewer customers than MATCH_FIRST_UP_TO: only the table's size is asked.
    monkeypatch.setattr(pagination, "MATCH_FIRST_UP_TO", 10**9)
    (size,) = planned()
    assert "WHERE" not in size
    monkeypatch.setattr(pagination, "MATCH_FIRST_UP_TO", -1)
    assert len(planned()) == 2  # the table's size, then the search's matches
