"""Each customer's newest current refraction date, which the recall filter
reads (issue 8): kept by a trigger on every refraction write."""

import datetime

import pytest

from customers import services as customer_services
from customers.models import Customer, CustomerEvent
from customers.tests import factories as customer_factories
from prescriptions import services
from prescriptions.models import Refraction
from prescriptions.tests.factories import refraction, refraction_data

pytestmark = pytest.mark.django_db


def stored(customer) -> datetime.date | None:
    return Customer.objects.values_list("last_refraction_date", flat=True).get(pk=customer.pk)


def test_recording_correcting_and_removing_keep_the_newest_date(owner):
    customer = customer_factories.customer()
    assert stored(customer) is None
    older = refraction(customer, owner, date=datetime.date(2023, 5, 2))
    assert stored(customer) == datetime.date(2023, 5, 2)
    newer = refraction(customer, owner, date=datetime.date(2025, 1, 10))
    assert stored(customer) == datetime.date(2025, 1, 10)
    # A correction replaces the newest one with another date; the old stays superseded.
    corrected = services.refraction_correct(
        refraction_id=newer.pk,
        data=refraction_data(owner, date=datetime.date(2024, 6, 1)),
        user=owner,
    )
    assert stored(customer) == datetime.date(2024, 6, 1)
    Refraction.objects.filter(pk__in=[corrected.pk, newer.pk]).delete()
    assert stored(customer) == datetime.date(2023, 5, 2)
    Refraction.objects.filter(pk=older.pk).delete()
    assert stored(customer) is None


def test_editing_the_customer_does_not_write_back_the_date_it_read(owner):
    customer = customer_factories.customer()
    editing = Customer.objects.get(pk=customer.pk)
    refraction(customer, owner, date=datetime.date(2024, 2, 2))
    editing.notes = "Kontaktlinsen gewünscht"
    editing.save()
    customer_services.customer_update(customer_id=customer.pk, data={"status": "inactive"})
    assert stored(customer) == datetime.date(2024, 2, 2)


def test_the_trigger_leaves_no_customer_history_entry(owner):
    customer = customer_factories.customer()
    before = CustomerEvent.objects.filter(pgh_obj=customer).count()
    # An autorefractor reading: not an eye test, so the last exam stays as it is.
    refraction(customer, owner, kind=Refraction.Kind.OBJECTIVE)
    assert CustomerEvent.objects.filter(pgh_obj=customer).count() == before


@pytest.mark.parametrize(
    "corrected_to",
    [datetime.date(2024, 6, 1), datetime.date(2025, 3, 1), datetime.date(2025, 1, 10)],
)
def test_a_correction_moves_the_customers_date_at_most_once(owner, corrected_to):
    """Each move rewrites the customer's counts (CustomerCount) in a statement
    of its own; two moves in one correction could lock counts in the
    opposite order of another correction at the same moment."""
    from django.db import connection

    customer = customer_factories.customer()
    refraction(customer, owner, date=datetime.date(2023, 5, 2))
    newer = refraction(customer, owner, date=datetime.date(2025, 1, 10))
    with connection.cursor() as cursor:
        # Test-only (rolled back with the test): a log of every move.
        cursor.execute("CREATE TEMP TABLE moves (day date)")
        cursor.execute(
            """
            CREATE FUNCTION pg_temp.log_move() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN INSERT INTO moves VALUES (NEW.last_refraction_date); RETURN NULL; END $$;
            CREATE TRIGGER log_move AFTER UPDATE OF last_refraction_date ON customers_customer
            FOR EACH ROW EXECUTE FUNCTION pg_temp.log_move();
            """
        )
    services.refraction_correct(
        refraction_id=newer.pk, data=refraction_data(owner, date=corrected_to), user=owner
    )
    with connection.cursor() as cursor:
        cursor.execute("SELECT day FROM moves")
        moves = [day for (day,) in cursor.fetchall()]
    assert moves == ([] if corrected_to == datetime.date(2025, 1, 10) else [corrected_to])
    assert stored(customer) == corrected_to
