"""The customer list's filter "ohne Einwilligung", contributed by messaging
through customers.list_filters: customers without any active consent, read
from ``Customer.has_consent`` (kept by a trigger on consents, messaging
migration 0005) and counted in CustomerCount ("consent", "none"; customers
migration 0020)."""

import importlib
import re

import pytest
from django.db import connection
from django.db.models import Exists, OuterRef
from django.test.utils import CaptureQueriesContext

from customers import list_filters
from customers import services as customer_services
from customers.filters import customer_table_page
from customers.models import Customer, CustomerCount
from customers.tests import factories
from messaging import selectors, services
from messaging.models import Channel, Consent, Method, Purpose
from messaging.tests.test_consent_services import give

pytestmark = pytest.mark.django_db
LIST = "/customers/"


def shown(body: str) -> set[str]:
    return set(re.findall(r"Kunde(?:Ohne|Mit|Widerrufen|Inaktiv)", body))


@pytest.fixture
def customers(staff):
    never = factories.customer(last_name="KundeOhne")
    given = factories.customer(last_name="KundeMit")
    give(given, staff)
    withdrawn = factories.customer(last_name="KundeWiderrufen")
    consent = give(withdrawn, staff, purpose="service")
    services.consent_withdraw(consent_id=consent.pk, user=staff, method=Method.PHONE)
    inactive = factories.customer(last_name="KundeInaktiv", status="inactive")
    return {"never": never, "given": given, "withdrawn": withdrawn, "inactive": inactive}


def test_messaging_registers_the_filter():
    assert [f.name for f in list_filters.registered()] == ["without_consent"]


def test_the_list_offers_the_filter(staff_client):
    body = staff_client.get(LIST).content.decode()
    assert 'name="without_consent"' in body and 'id="filter_without_consent"' in body


def test_the_filter_lists_customers_without_an_active_consent(staff_client, customers):
    assert shown(staff_client.get(LIST).content.decode()) == {
        "KundeOhne",
        "KundeMit",
        "KundeWiderrufen",
        "KundeInaktiv",
    }
    body = staff_client.get(LIST, {"without_consent": "on"}).content.decode()
    assert shown(body) == {"KundeOhne", "KundeWiderrufen", "KundeInaktiv"}
    assert re.search(r'<input[^>]*name="without_consent"[^>]*checked', body)
    body = staff_client.get(LIST, {"without_consent": "on", "status": "inactive"}).content.decode()
    assert shown(body) == {"KundeInaktiv"}
    body = staff_client.get(LIST, {"without_consent": "on", "q": "kundemit"}).content.decode()
    assert shown(body) == set()


def test_the_htmx_partial_filters_too(staff_client, customers):
    response = staff_client.get(LIST, {"without_consent": "on"}, HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert "<html" not in body and shown(body) == {"KundeOhne", "KundeWiderrufen", "KundeInaktiv"}


def test_the_filtered_total_is_counted_not_taken_from_the_status_counts(customers):
    customer_filter, page = customer_table_page(
        {"without_consent": "on", "status": "active"}, page=1, page_size=25
    )
    assert customer_filter.is_filtered
    assert customer_filter.precounted_count() is None
    assert page.paginator.count == 2


def test_off_it_changes_nothing(customers):
    customer_filter, page = customer_table_page({"without_consent": ""}, page=1, page_size=25)
    assert not customer_filter.is_filtered
    assert page.paginator.count == 4


# --- The kept column and its count ---------------------------------------------


def kept_columns() -> dict[int, bool]:
    return dict(Customer.objects.values_list("pk", "has_consent"))


def consented() -> dict[int, bool]:
    """What the column must be, from the consents themselves."""
    active = set(Consent.objects.active().values_list("customer_id", flat=True))
    return {pk: pk in active for pk in Customer.objects.values_list("pk", flat=True)}


def kept_count() -> int:
    return selectors.customers_without_consent_count()


def counted() -> int:
    active = Consent.objects.active().filter(customer=OuterRef("pk"))
    return Customer.objects.alive().filter(~Exists(active)).count()


def recounted() -> dict[tuple[str, str], int]:
    """CustomerCount as customers_recount() finds it from scratch; the test's
    transaction keeps the kept one to compare (rolled back afterwards)."""
    with connection.cursor() as cursor:
        cursor.execute("SAVEPOINT recount")
        cursor.execute("SELECT customers_recount()")
        cursor.execute("SELECT kind, value, customers FROM customers_customercount")
        rows = {(kind, value): customers for kind, value, customers in cursor.fetchall()}
        cursor.execute("ROLLBACK TO SAVEPOINT recount")
    return rows


def all_kept() -> dict[tuple[str, str], int]:
    return {(row.kind, row.value): row.customers for row in CustomerCount.objects.all()}


def test_the_column_and_the_count_follow_every_consent_write(staff, customers):
    never, given, withdrawn = customers["never"], customers["given"], customers["withdrawn"]
    other = factories.customer(last_name="KundeNeu")
    state = {}

    def give_sms():
        state["sms"] = give(never, staff, channel=Channel.SMS, purpose=Purpose.SERVICE)

    def give_letter():
        state["letter"] = give(never, staff, channel=Channel.LETTER, purpose=Purpose.MARKETING)

    def withdraw(name):
        return lambda: services.consent_withdraw(
            consent_id=state[name].pk, user=staff, method=Method.WRITTEN
        )

    steps = [
        ("give a first one", give_sms),
        ("give a second one", give_letter),
        ("withdraw one of two", withdraw("sms")),
        ("withdraw the last", withdraw("letter")),
        (
            "unsubscribe",
            lambda: services.consent_unsubscribe(customer_id=given.pk, channel=Channel.EMAIL),
        ),
        ("give again", lambda: give(given, staff)),
        # Paths past the services: the database keeps it all the same.
        (
            "renew in bulk",
            lambda: Consent.objects.filter(customer=withdrawn).update(
                withdrawn_at=None, withdrawal_method="", withdrawn_by=None
            ),
        ),
        (
            "move to another customer",
            lambda: Consent.objects.filter(customer=withdrawn).update(customer=other),
        ),
        ("delete", lambda: Consent.objects.filter(customer=given).delete()),
        ("give to a customer deleted later", lambda: give(never, staff)),
        ("soft delete", lambda: customer_services.customer_soft_delete(customer_id=never.pk)),
        ("restore", lambda: customer_services.customer_restore(customer_id=never.pk)),
        (
            "soft delete again",
            lambda: customer_services.customer_soft_delete(customer_id=never.pk),
        ),
        ("purge", lambda: customer_services.customer_purge(customer_id=never.pk)),
        ("a new customer", lambda: factories.customer(last_name="KundeNeuer")),
    ]
    assert kept_columns() == consented()
    assert kept_count() == counted() == 4  # the new one too
    for name, step in steps:
        step()
        assert kept_columns() == consented(), name
        assert kept_count() == counted(), name
        assert all_kept() == recounted(), name
    assert not Customer.objects.filter(pk=never.pk).exists()
    assert kept_columns() == {
        given.pk: False,
        withdrawn.pk: False,
        customers["inactive"].pk: False,
        other.pk: True,
        Customer.objects.get(last_name="KundeNeuer").pk: False,
    }
    assert kept_count() == 4


def test_a_write_that_changes_nothing_leaves_the_customer_alone(staff, customers):
    given = customers["given"]
    consent = Consent.objects.get(customer=given)
    with connection.cursor() as cursor:
        cursor.execute(
            """CREATE TEMPORARY TABLE customer_writes (id bigint);
            CREATE FUNCTION pg_temp.log_write() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN INSERT INTO customer_writes VALUES (NEW.id); RETURN NULL; END $$;
            CREATE TRIGGER log_write AFTER UPDATE ON customers_customer
            FOR EACH ROW EXECUTE FUNCTION pg_temp.log_write();"""
        )
        give(given, staff, channel=Channel.SMS, purpose=Purpose.SERVICE)  # a second one
        Consent.objects.filter(pk=consent.pk).update(text="Neu formuliert")
        services.consent_withdraw(consent_id=consent.pk, user=staff, method=Method.PHONE)
        cursor.execute("SELECT count(*) FROM customer_writes")
        assert cursor.fetchone() == (0,)  # it still has the SMS one
        cursor.execute("DROP TRIGGER log_write ON customers_customer")
    assert Customer.objects.get(pk=given.pk).has_consent


def test_the_migration_fills_the_column_for_consents_given_before(staff, customers):
    """What messaging migration 0005 runs for existing consents, in one
    statement; the count triggers move the count with it."""
    migration = importlib.import_module("messaging.migrations.0005_keep_has_consent")
    Customer.objects.update(has_consent=False)  # as before the migration
    assert kept_count() == 4
    with connection.cursor() as cursor:
        cursor.execute(migration.FILL)
    assert kept_columns() == consented()
    assert kept_count() == counted() == 3
    assert all_kept() == recounted()


# --- The list reads them --------------------------------------------------------


def total_shown(response) -> str:
    info = response.content.decode().split('class="pagination-info">')[1].split("</span>")[0]
    return " ".join(info.split())


def test_the_filter_alone_reads_its_total_from_the_count(staff_client, staff, customers):
    with CaptureQueriesContext(connection) as few:
        response = staff_client.get(LIST, {"without_consent": "on"})
    assert total_shown(response) == "1–3 von 3"
    sql = [query["sql"] for query in few.captured_queries]
    assert not [q for q in sql if "COUNT(" in q.upper() and '"customers_customer"' in q]
    assert [q for q in sql if "customers_customercount" in q]
    assert not [q for q in sql if "messaging_consent" in q]  # the column, not a probe
    for number in range(10):
        factories.customer(last_name=f"KundeOhne{number}")
    give(factories.customer(last_name="KundeMit2"), staff)
    with CaptureQueriesContext(connection) as more:
        response = staff_client.get(LIST, {"without_consent": "on"})
    assert total_shown(response) == "1–13 von 13"
    assert len(more.captured_queries) == len(few.captured_queries)


def test_the_filter_alone_is_precounted(customers):
    customer_filter, page = customer_table_page({"without_consent": "on"}, page=1, page_size=2)
    assert customer_filter.precounted_count() == 3
    assert page.paginator.count == 3 and len(page.object_list) == 2


@pytest.mark.parametrize(
    "params",
    [
        {"without_consent": "on", "q": "kunde"},
        {"without_consent": "on", "status": "inactive"},
    ],
    ids=str,
)
def test_with_another_filter_it_is_counted(customers, params):
    customer_filter, page = customer_table_page(params, page=1, page_size=25)
    assert customer_filter.precounted_count() is None
    expected = customer_filter.qs.count()
    assert page.paginator.count == expected
