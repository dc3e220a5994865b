"""opticrm.lib.prepared: a read compiled once per process answers each call
with its own values, rows as the ordinary read gives them, and refuses
what its stand-ins would get wrong."""

import datetime

import pytest
from django.db.models.sql.compiler import SQLCompiler
from django.utils import timezone

from appointments.models import Appointment
from appointments.tests import factories as appointment_factories
from customers.models import Customer
from customers.tests import factories
from opticrm.lib.prepared import Prepared

pytestmark = pytest.mark.django_db


@pytest.fixture
def compiles(monkeypatch):
    """How often Django turned a query into SQL."""
    counted = {"as_sql": 0}
    original = SQLCompiler.as_sql

    def as_sql(self, *args, **kwargs):
        counted["as_sql"] += 1
        return original(self, *args, **kwargs)

    monkeypatch.setattr(SQLCompiler, "as_sql", as_sql)
    return counted


def test_each_call_reads_its_own_rows_from_sql_compiled_once(compiles):
    erika = factories.customer(first_name="Erika", last_name="Muster")
    otto = factories.customer(first_name="Otto", last_name="Brillmann")
    read = Prepared(
        lambda pk: Customer.objects.filter(pk=pk).select_related("insurance_provider").order_by()
    )
    assert [c.last_name for c in read(erika.pk)] == ["Muster"]
    compiled = compiles["as_sql"]
    assert [c.last_name for c in read(otto.pk)] == ["Brillmann"]
    assert list(read(10**6)) == []
    assert compiles["as_sql"] == compiled  # nothing compiled again
    # The same instances the ordinary read makes, related row included.
    (prepared,) = read(erika.pk)
    ordinary = Customer.objects.select_related("insurance_provider").get(pk=erika.pk)
    assert {k: v for k, v in vars(prepared).items() if k != "_state"} == {
        k: v for k, v in vars(ordinary).items() if k != "_state"
    }


def test_values_unions_and_moments_take_the_calls_values_everywhere(django_user_model):
    staff = django_user_model.objects.create_user("optiker", password="x")
    erika, otto = factories.customer(last_name="Muster"), factories.customer(last_name="Anders")
    now = timezone.now()
    hers = [
        appointment_factories.appointment(
            staff=staff, customer=erika, start=now + datetime.timedelta(days=d)
        )
        for d in (-3, 2)
    ]
    appointment_factories.appointment(
        staff=staff, customer=otto, start=now + datetime.timedelta(days=1)
    )

    def both_sides(customer_id, moment):
        rows = Appointment.objects.filter(customer_id=customer_id).values_list("pk", "start")
        return rows.filter(start__gte=moment).union(rows.filter(start__lt=moment), all=True)

    read = Prepared(both_sides)
    assert sorted(pk for pk, _start in read(erika.pk, now)) == sorted(a.pk for a in hers)
    # The customer's id and the moment fill both parts of the union.
    later = now + datetime.timedelta(days=10)
    assert sorted(pk for pk, start in read(erika.pk, later) if start < later) == sorted(
        a.pk for a in hers
    )
    assert len(list(read(otto.pk, now))) == 1


def test_a_refinement_of_the_answer_is_refused_not_answered_with_the_stand_ins():
    erika = factories.customer(last_name="Muster")
    read = Prepared(lambda pk: Customer.objects.filter(pk=pk).order_by())
    answer = read(erika.pk)
    for refine in (
        lambda: answer.count(),
        lambda: answer.first(),
        lambda: list(answer.filter(last_name="Muster")),
        lambda: answer.exists(),
    ):
        with pytest.raises(TypeError, match="only iterated"):
            refine()
    assert [c.pk for c in answer] == [erika.pk]


def test_a_read_whose_value_does_not_reach_the_sql_stays_an_ordinary_one(compiles):
    erika = factories.customer(last_name="Muster")
    # An empty __in: Django sends no query; the value never becomes a parameter.
    read = Prepared(lambda pk: Customer.objects.filter(pk__in=[]) | Customer.objects.filter(pk=pk))
    assert [c.pk for c in read(erika.pk)] == [erika.pk]
    plain = Prepared(lambda pk: Customer.objects.filter(pk__gt=0).order_by("pk"))
    before = compiles["as_sql"]
    assert [c.pk for c in plain(erika.pk)] == [erika.pk]
    assert [c.pk for c in plain(erika.pk)] == [erika.pk]
    assert compiles["as_sql"] > before + 1  # compiled each time, as any read
