"""CustomerCount: kept exact by the triggers of customers migration 0013,
and read instead of counting where a list is filtered by one thing it keeps."""

import datetime
from collections import Counter

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from customers import selectors, services
from customers.models import Customer, CustomerCount
from customers.selectors import recall_cutoff
from customers.tests import factories
from opticrm.lib import text
from prescriptions.tests.factories import refraction

LIST = reverse("customers:list")


def kept() -> dict[tuple[str, str], int]:
    # (A count that falls to zero is removed: no zeros to leave out here.)
    return {(row.kind, row.value): row.customers for row in CustomerCount.objects.all()}


def counted() -> dict[tuple[str, str], int]:
    """What the counts must be, worked out in Python from the customers."""
    expected = Counter()
    for customer in Customer.objects.alive():
        expected[(CustomerCount.STATUS, customer.status)] += 1
        if customer.insurance_provider_id is not None:
            expected[(CustomerCount.INSURER, str(customer.insurance_provider_id))] += 1
        for key in set(text.search_words(customer.search_text)):
            expected[(CustomerCount.WORD, key)] += 1
        if customer.last_refraction_date is not None:
            day = customer.last_refraction_date.isoformat()
            expected[(CustomerCount.REFRACTION, day)] += 1
        if not customer.has_consent:
            expected[(CustomerCount.CONSENT, "none")] += 1
    return dict(expected)


@pytest.fixture
def shop(db):
    aok = factories.insurance("AOK Bayern")
    tk = factories.insurance("Techniker Krankenkasse")
    return {
        "aok": aok,
        "tk": tk,
        "hans": factories.customer(
            first_name="Hans", last_name="Müller", email="hans@example.de", insurance_provider=aok
        ),
        "eva": factories.customer(
            first_name="Eva", last_name="Mueller", phone="0151 23456789", insurance_provider=aok
        ),
        "ute": factories.customer(
            first_name="Ute", last_name="Große", status=Customer.Status.PROSPECT
        ),
    }


def test_every_change_of_a_customer_keeps_the_counts_exact(shop, optician):
    assert kept() == counted()
    assert kept()[(CustomerCount.WORD, "muller")] == 2
    hans, eva, ute = shop["hans"], shop["eva"], shop["ute"]
    steps = [
        # The newest refraction's day is kept on the customer by a trigger.
        lambda: refraction(hans, optician, date=datetime.date(2023, 5, 2)),
        lambda: refraction(eva, optician, date=datetime.date(2023, 5, 2)),
        lambda: refraction(hans, optician, date=datetime.date(2025, 1, 7)),
        lambda: services.customer_update(customer_id=hans.pk, data={"last_name": "Meier"}),
        lambda: services.customer_update(customer_id=eva.pk, data={"status": "inactive"}),
        lambda: services.customer_update(
            customer_id=eva.pk, data={"insurance_provider": shop["tk"]}
        ),
        lambda: services.customer_update(customer_id=hans.pk, data={"insurance_provider": None}),
        lambda: services.customer_update(customer_id=ute.pk, data={"notes": "Gleitsicht"}),
        lambda: services.customer_soft_delete(customer_id=eva.pk),
        lambda: services.customer_restore(customer_id=eva.pk),
        lambda: services.customer_soft_delete(customer_id=ute.pk),
        lambda: services.customer_purge(customer_id=ute.pk),
        # Bulk writes: one statement, many customers.
        lambda: Customer.objects.update(status=Customer.Status.INACTIVE),
        lambda: Customer.objects.bulk_create(
            [
                Customer(first_name="Jan", last_name=f"Berg{n}", status="active", search_text="")
                for n in range(3)
            ]
        ),
        lambda: Customer.objects.filter(last_name__startswith="Berg").delete(),
    ]
    for number, step in enumerate(steps):
        step()
        assert kept() == counted(), f"after step {number}"
    assert kept()[(CustomerCount.WORD, "muller")] == 1  # Eva; Hans is a Meier now
    assert kept()[(CustomerCount.STATUS, "inactive")] == 2
    assert kept()[(CustomerCount.REFRACTION, "2023-05-02")] == 1  # Eva
    assert kept()[(CustomerCount.REFRACTION, "2025-01-07")] == 1  # Hans


def test_nothing_of_an_erased_customer_stays_in_the_counts(shop):
    ute = shop["ute"]
    services.customer_update(
        customer_id=ute.pk, data={"email": "ute.grosse1961@posteo.de", "phone": "0171 9876543"}
    )
    own = set(text.search_words(Customer.objects.get(pk=ute.pk).search_text))
    assert {"grosse1961", "posteo", "01719876543"} <= own
    assert {(CustomerCount.WORD, key) for key in own} <= kept().keys()
    services.customer_soft_delete(customer_id=ute.pk)
    services.customer_purge(customer_id=ute.pk)
    others = {
        key
        for search_text in Customer.objects.values_list("search_text", flat=True)
        for key in text.search_words(search_text)
    }
    only_hers = own - others
    assert {"grosse1961", "posteo", "01719876543"} <= only_hers
    assert not {(CustomerCount.WORD, key) for key in only_hers} & kept().keys()
    assert kept() == counted()


def test_recounting_from_scratch_finds_what_the_triggers_kept(shop):
    services.customer_update(customer_id=shop["ute"].pk, data={"status": "active"})
    before = kept()
    with connection.cursor() as cursor:
        cursor.execute("SELECT customers_recount()")
    assert kept() == before == counted()


def total_shown(response) -> str:
    return response.content.decode().split('class="pagination-info">')[1].split("</span>")[0]


@pytest.mark.parametrize(
    ("params", "names"),
    [
        ({"status": "prospect"}, ["Große"]),
        ({"insurance": "aok"}, ["Mueller", "Müller"]),
        ({"q": "Müller"}, ["Mueller", "Müller"]),
        ({"q": "mueller", "sort": "-name"}, ["Müller", "Mueller"]),
        ({"q": "Müller", "sort": "email"}, ["Müller", "Mueller"]),
    ],
)
def test_a_list_filtered_by_one_thing_shows_the_precounted_total(staff_client, shop, params, names):
    params = {k: shop[v].pk if k == "insurance" else v for k, v in params.items()}
    with CaptureQueriesContext(connection) as queries:
        response = staff_client.get(LIST, params)
    assert response.status_code == 200
    assert [customer.last_name for customer in response.context["page"].object_list] == names
    assert f"1–{len(names)} von {len(names)}" in " ".join(total_shown(response).split())
    sql = " ".join(query["sql"] for query in queries.captured_queries)
    assert "COUNT(" not in sql and "customers_customercount" in sql


def test_the_kept_total_is_the_number_of_matches_not_of_rows(staff_client, shop):
    """Only a count CustomerCount keeps alone is read from it: two filters,
    a prefix of several keys or the deleted customers are counted."""
    factories.customer(first_name="Anna", last_name="Annaberg")  # two keys begin "ann"
    factories.customer(first_name="Bert", last_name="Anner")
    for params, total in [
        ({"q": "ann"}, 2),
        ({"q": "hans müller"}, 1),
        ({"status": "active", "insurance": shop["aok"].pk}, 2),
    ]:
        with CaptureQueriesContext(connection) as queries:
            response = staff_client.get(LIST, params)
        assert f"von {total}" in " ".join(total_shown(response).split()), params
        assert "customers_customercount" not in " ".join(
            query["sql"] for query in queries.captured_queries
        ), params
    assert selectors.search_count("ann") is None
    assert selectors.search_count("annab") == 1
    assert selectors.search_count("0151 234") is None  # a phone number: counted


def test_the_refraction_due_list_sums_the_kept_days_before_the_cutoff(
    optician_client, optician, shop, monkeypatch
):
    today = datetime.date(2026, 11, 24)  # one day for the test and the view
    monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: today)
    cutoff = recall_cutoff(today)
    for customer, days in [(shop["hans"], -400), (shop["eva"], -1), (shop["ute"], 200)]:
        refraction(customer, optician, date=cutoff + datetime.timedelta(days=days))
    on_the_day = factories.customer(last_name="Stichtag")
    refraction(on_the_day, optician, date=cutoff)  # exactly two years: not yet due
    with CaptureQueriesContext(connection) as queries:
        response = optician_client.get(LIST, {"recall": "on"})
    assert [c.last_name for c in response.context["page"].object_list] == ["Mueller", "Müller"]
    assert "1–2 von 2" in " ".join(total_shown(response).split())
    sql = " ".join(query["sql"] for query in queries.captured_queries)
    assert "COUNT(" not in sql and "customers_customercount" in sql
    assert selectors.refractions_before_count(cutoff + datetime.timedelta(days=1)) == 3


def test_a_filter_choice_read_from_the_database_is_read_once(staff_client, shop):
    with CaptureQueriesContext(connection) as queries:
        staff_client.get(LIST, {"insurance": shop["aok"].pk})
    insurer_reads = [
        query
        for query in queries.captured_queries
        if 'FROM "customers_insuranceprovider"' in query["sql"]
    ]
    assert len(insurer_reads) == 1


@pytest.mark.django_db(transaction=True)
def test_people_saving_at_once_keep_the_counts_exact():
    """Writers lock counts in key order: concurrent saves of customers who
    share words wait for each other instead of deadlocking, and none is lost."""
    import threading

    names = [("Anna", "Müller"), ("Hans", "Müller"), ("Anna", "Weber"), ("Eva", "Weber")]
    barrier = threading.Barrier(len(names))
    failures = []

    def save(first: str, last: str) -> None:
        try:
            barrier.wait()
            for number in range(5):
                customer = factories.customer(first_name=first, last_name=last, email="a@b.de")
                services.customer_update(customer_id=customer.pk, data={"status": "inactive"})
                if number % 2:
                    services.customer_soft_delete(customer_id=customer.pk)
        except Exception as error:  # noqa: BLE001 (reported below, with its thread)
            failures.append(f"{first} {last}: {error!r}")
        finally:
            connection.close()

    threads = [threading.Thread(target=save, args=name) for name in names]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert kept() == counted()
    assert kept()[(CustomerCount.WORD, "muller")] == 6  # 2 people × 3 not deleted
    assert kept()[(CustomerCount.STATUS, "inactive")] == 12
