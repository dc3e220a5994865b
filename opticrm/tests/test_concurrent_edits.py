"""No update is lost when several people save the same record at once, and
the history holds every change that was made, field by field."""

import threading

import pghistory
import pytest
from django.db import connection

from customers import services
from customers.models import Customer
from customers.tests import factories
from opticrm.lib.history import record_history
from products import services as product_services
from products.tests import factories as product_factories

pytestmark = pytest.mark.django_db(transaction=True)

# field, value typed, label and value the history shows
EDITS = [
    ("first_name", "Eva", "Vorname", "Eva"),
    ("last_name", "Lüdenscheidt", "Nachname", "Lüdenscheidt"),
    ("email", "eva@example.de", "E-Mail", "eva@example.de"),
    ("notes", "Gleitsicht", "Notizen", "Gleitsicht"),
    ("status", "inactive", "Status", "Inaktiv"),
    ("phone", "030 1234567", "Telefon", "030 1234567"),
]


def test_simultaneous_saves_of_one_version_let_one_win_and_the_rest_retry(staff):
    customer = factories.customer(first_name="Erika", last_name="Muster", notes="")
    barrier = threading.Barrier(len(EDITS))
    outcome: dict[str, str] = {}

    def save(field: str, value: str) -> None:
        try:
            barrier.wait()
            with pghistory.context(user=staff.pk):
                services.customer_update(
                    customer_id=customer.pk, data={field: value}, user=staff, expected_version=1
                )
            outcome[field] = "saved"
        except services.CustomerConflict:
            outcome[field] = "conflict"
        finally:
            connection.close()

    threads = [threading.Thread(target=save, args=edit[:2]) for edit in EDITS]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcome.values()) == ["conflict"] * (len(EDITS) - 1) + ["saved"]
    # Each of the others saves again on the current version, as the conflict form lets them.
    for field, value, *_ in EDITS:
        if outcome[field] == "conflict":
            current = Customer.objects.get(pk=customer.pk)
            with pghistory.context(user=staff.pk):
                services.customer_update(
                    customer_id=customer.pk,
                    data={field: value},
                    user=staff,
                    expected_version=current.version,
                )

    customer.refresh_from_db()
    assert customer.version == 1 + len(EDITS)
    assert (customer.first_name, customer.last_name, customer.email, customer.notes) == (
        "Eva",
        "Lüdenscheidt",
        "eva@example.de",
        "Gleitsicht",
    )
    assert customer.status == "inactive" and str(customer.phone) == "+49301234567"

    updates = [change for change in record_history(customer) if not change.created]
    assert len(updates) == len(EDITS)
    assert all(change.who == "Anna Schmidt" for change in updates)
    # Every change shows exactly the one field it made, with the value typed.
    assert sorted(change.fields[0][0] for change in updates) == sorted(e[2] for e in EDITS)
    assert all(len(change.fields) == 1 for change in updates)
    shown = {change.fields[0][0]: change.fields[0][2] for change in updates}
    assert shown == {label: after for _field, _value, label, after in EDITS}


def test_simultaneous_product_saves_on_one_version_let_exactly_one_win(staff):
    """Products are locked by their version: of several saves made from the
    same opened form, one goes through and the others are told."""
    item = product_factories.product(name="Titan")
    version = item.version
    names = [f"Titan {number}" for number in range(5)]
    barrier = threading.Barrier(len(names))
    outcome: dict[str, str] = {}

    def save(name: str) -> None:
        try:
            barrier.wait()
            with pghistory.context(user=staff.pk):
                product_services.product_update(
                    product_id=item.pk, data={"name": name}, expected_version=version
                )
            outcome[name] = "saved"
        except product_services.ProductConflict as conflict:
            # The version told to the loser is the winner's, read under the same lock.
            assert conflict.version == conflict.current.version
            outcome[name] = "conflict"
        finally:
            connection.close()

    threads = [threading.Thread(target=save, args=(name,)) for name in names]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    winners = [name for name, result in outcome.items() if result == "saved"]
    assert len(winners) == 1 and len(outcome) == len(names)
    item.refresh_from_db()
    assert item.name == winners[0]
    renames = [c for c in record_history(item) if not c.created]
    assert [change.fields for change in renames] == [[("Name", "Titan", winners[0])]]
