"""The invoice list: newest first, filtered by state and invoice date,
searched by number or customer name, paged with the project's paginator,
and as many queries for one row as for many."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from customers.tests import factories as customer_factories
from invoices import services
from invoices.models import Method, State
from invoices.tests.factories import ADDRESS, BOOK, draft, issued

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}
TODAY = timezone.localdate()


@pytest.fixture
def erika():
    return customer_factories.customer(**ADDRESS, first_name="Erika", last_name="Muster")


@pytest.fixture
def otto():
    return customer_factories.customer(**ADDRESS, first_name="Otto", last_name="Brillmann")


def listed(client, **params) -> list[int]:
    response = client.get(reverse("invoices:list"), params)
    assert response.status_code == 200
    return [row.pk for row in response.context["rows"]]


def pay(invoice, amount):
    services.payment_add(
        invoice_id=invoice.pk, method=Method.EC, amount=Decimal(amount), paid_on=TODAY
    )


def test_the_list_shows_invoices_newest_first_and_the_nav_leads_there(staff_client, erika):
    first, second = issued(erika), draft(erika)
    response = staff_client.get(reverse("invoices:list"))
    html = response.content.decode()
    assert f'href="{reverse("invoices:list")}"' in html  # the main navigation
    assert listed(staff_client) == [second.pk, first.pk]
    assert first.number in html and "289,00\xa0€" in html
    partial = staff_client.get(reverse("invoices:list"), **HTMX)
    assert "<html" not in partial.content.decode()
    assert 'id="invoice-table"' in partial.content.decode()


def test_the_list_filters_by_state(staff_client, erika):
    open_invoice = issued(erika)
    partly = issued(erika)
    pay(partly, "10.00")
    paid = issued(erika)
    pay(paid, "289.00")
    cancelled = issued(erika)
    cancellation = services.invoice_cancel(invoice_id=cancelled.pk, reason="Falsch")
    a_draft = draft(erika)
    assert listed(staff_client, state=State.OPEN) == [open_invoice.pk]
    assert listed(staff_client, state=State.PARTLY_PAID) == [partly.pk]
    assert listed(staff_client, state=State.PAID) == [paid.pk]
    assert listed(staff_client, state=State.CANCELLED) == [cancellation.pk, cancelled.pk]
    assert listed(staff_client, state=State.DRAFT) == [a_draft.pk]
    # The filter and the page's badge follow the same rule.
    page = staff_client.get(reverse("invoices:list"))
    assert {row.pk: row.state for row in page.context["rows"]} == {
        open_invoice.pk: State.OPEN,
        partly.pk: State.PARTLY_PAID,
        paid.pk: State.PAID,
        cancelled.pk: State.CANCELLED,
        cancellation.pk: State.CANCELLED,
        a_draft.pk: State.DRAFT,
    }
    # An unknown state is ignored, not an error page.
    assert len(listed(staff_client, state="bogus")) == 6


def test_the_list_filters_by_invoice_date(staff_client, erika):
    # Today in Berlin, asked now (a module's constant was yesterday after midnight).
    TODAY = timezone.localdate()  # noqa: N806
    old = issued(erika)
    new = issued(erika)
    day = TODAY.strftime("%d.%m.%Y")
    assert set(listed(staff_client, since=day, until=day)) == {old.pk, new.pk}
    tomorrow = (TODAY + datetime.timedelta(days=1)).strftime("%d.%m.%Y")
    assert listed(staff_client, since=tomorrow) == []
    yesterday = (TODAY - datetime.timedelta(days=1)).strftime("%d.%m.%Y")
    assert listed(staff_client, until=yesterday) == []
    assert len(listed(staff_client, since="gestern")) == 2  # what does not parse is ignored


def test_the_list_searches_number_and_customer_name(staff_client, erika, otto):
    hers, his = issued(erika), issued(otto)
    counter_sale = issued(None, lines=(BOOK,))
    his_draft = draft(otto)
    assert listed(staff_client, q=hers.number) == [hers.pk]
    assert listed(staff_client, q=counter_sale.number[-3:]) == [counter_sale.pk]
    # A draft has no number or name yet: found by its state, not the search.
    assert listed(staff_client, q="brillm") == [his.pk]
    assert his_draft.pk in listed(staff_client, state=State.DRAFT)
    assert listed(staff_client, q="erika muster") == [hers.pk]
    assert listed(staff_client, q="niemand") == []


def test_a_number_is_found_by_its_start_or_its_end(staff_client, erika, settings):
    settings.INVOICE_NUMBER_PREFIX = "re"
    hers = issued(erika)
    assert hers.number.startswith("re")
    year, sequence = hers.number[2:].split("-")
    # Whole, its start (any case), its end: by their B-tree indexes.
    for term in (hers.number, hers.number.upper(), f"RE{year}", sequence, sequence[-3:]):
        assert listed(staff_client, q=term) == [hers.pk], term
    # Not a part from the middle, and LIKE's wildcards are only characters.
    middle = hers.number[3:-2]
    assert any(c.isdigit() for c in middle)
    assert listed(staff_client, q=middle) == []
    for wildcard in (f"re{year}%", "%" + sequence, "_" + hers.number[1:]):
        assert listed(staff_client, q=wildcard) == [], wildcard
    # With a name: both must match.
    assert listed(staff_client, q=f"Muster {sequence}") == [hers.pk]
    assert listed(staff_client, q=f"Brillmann {sequence}") == []


def test_the_list_pages_and_reads_the_same_queries_for_more_rows(staff_client, erika, otto):
    def queries(**params) -> int:
        with CaptureQueriesContext(connection) as captured:
            response = staff_client.get(reverse("invoices:list"), params)
        assert response.status_code == 200
        return len(captured)

    issued(erika)
    draft(otto)
    # The table's size estimates (unfiltered, and for a search whether its
    # matches may be many: match_before_sorting) are read once, then reused.
    queries(), queries(state=State.OPEN, q="Muster")
    before, filtered_before = queries(), queries(state=State.OPEN, q="Muster")
    for _number in range(3):
        invoice = issued(erika)
        pay(invoice, "1.00")
        services.invoice_cancel(invoice_id=invoice.pk, reason="Test")
        draft(otto, lines=(BOOK, BOOK))
    assert queries() == before
    assert queries(state=State.OPEN, q="Muster") == filtered_before

    paged = staff_client.get(reverse("invoices:list"), {"page_size": 25})
    assert paged.context["page"].paginator.count == 11
    assert len(paged.context["rows"]) == 11


def test_a_search_counts_up_to_its_limit_and_then_says_more_than(
    staff_client, erika, otto, monkeypatch
):
    from invoices import selectors

    monkeypatch.setattr(selectors, "SEARCH_COUNT_UP_TO", 2)
    # As for a chain's common name: the newest invoices are walked until a
    # page is found, and the matches counted up to the limit.
    monkeypatch.setattr(selectors, "SEARCH_SORTED_UP_TO", -1)
    hers = [issued(erika) for _ in range(3)]
    issued(otto)
    staff_client.get(reverse("invoices:list"), {"q": "Muster"})  # the size estimates
    with CaptureQueriesContext(connection) as captured:
        response = staff_client.get(reverse("invoices:list"), {"q": "Muster"})
    many = response.content.decode()
    assert "von mehr als 2" in many
    assert [row.pk for row in response.context["rows"]] == [hers[2].pk, hers[1].pk]
    # The page and the count from the same ids, the matches read once (the
    # page's rows are read by their ids afterwards).
    searching = [
        q["sql"]
        for q in captured
        if "LIKE UPPER(" in q["sql"]
        and '"id" IN (' not in q["sql"]
        and not q["sql"].startswith("EXPLAIN")  # the planner's estimate: walk or match first
    ]
    assert len(searching) == 1 and "COUNT(" not in searching[0], searching
    # A page beyond those counted: the last one counted.
    beyond = staff_client.get(reverse("invoices:list"), {"q": "Muster", "page": 7})
    assert beyond.status_code == 200
    assert [row.pk for row in beyond.context["rows"]] == [hers[2].pk, hers[1].pk]
    few = staff_client.get(reverse("invoices:list"), {"q": "Brillmann"}).content.decode()
    assert "mehr als" not in few and "1–1 von 1" in few


def test_a_rare_search_reads_its_matches_once_and_counts_them_with_the_page(
    staff_client, erika, otto
):
    """Few matches (a number, a rare name) are read from the trigram index,
    sorted and counted in one query: no count of its own that reads the
    index a second time, and no walk of the newest invoices (3 s at a
    chain's five million, the planner expecting 700 matches of a number)."""
    hers = [issued(erika) for _ in range(3)]
    issued(otto)
    staff_client.get(reverse("invoices:list"), {"q": "Muster"})  # the size estimate
    with CaptureQueriesContext(connection) as captured:
        response = staff_client.get(reverse("invoices:list"), {"q": "Muster"})
    # (The page's rows are read by their ids afterwards.)
    searching = [
        q["sql"] for q in captured if "LIKE UPPER(" in q["sql"] and '"id" IN (' not in q["sql"]
    ]
    assert len(searching) == 1, searching
    assert "COUNT(*) OVER ()" in searching[0]
    assert response.context["page"].paginator.count == 3
    assert [row.pk for row in response.context["rows"]] == [i.pk for i in reversed(hers)]
    html = response.content.decode()
    assert "1–3 von 3" in html and "mehr als" not in html
