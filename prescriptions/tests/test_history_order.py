"""The customer page's histories are sorted in Python (see
prescriptions.selectors._newest_first): in the models' own order."""

import datetime

import pytest

from customers.tests.factories import customer as make_customer
from prescriptions import selectors
from prescriptions.models import ContactLensFitting, Refraction
from prescriptions.tests.factories import fitting, refraction

pytestmark = pytest.mark.django_db


def test_histories_are_in_the_models_order(owner):
    customer = make_customer()
    days = [datetime.date(2025, 5, 1), datetime.date(2026, 1, 9), datetime.date(2025, 5, 1)]
    for day in [*days, days[0]]:  # the same day twice: then by creation, then by id
        refraction(customer, owner, date=day)
        fitting(customer, owner, date=day)
    refraction(customer, owner, date=days[1], kind=Refraction.Kind.OBJECTIVE)

    shown = [entry.record.pk for entry in selectors.refraction_history(customer)]
    assert shown == list(Refraction.objects.filter(customer=customer).values_list("pk", flat=True))
    shown = [entry.record.pk for entry in selectors.fitting_history(customer)]
    assert shown == list(
        ContactLensFitting.objects.filter(customer=customer).values_list("pk", flat=True)
    )
    assert len(shown) == 4
