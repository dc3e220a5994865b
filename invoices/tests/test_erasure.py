"""The law keeps invoices (§ 147 AO): erasing their customer anonymises the
customer, and the invoices keep the name and address they were issued to."""

import pytest

from customers import selectors as customer_selectors
from customers import services as customer_services
from customers.models import Customer
from customers.tests import factories as customer_factories
from invoices.models import Invoice
from invoices.tests.factories import issued

pytestmark = pytest.mark.django_db


def test_erasing_a_customer_with_an_invoice_keeps_the_invoice():
    customer = customer_factories.customer(first_name="Erika", last_name="Gelöscht-Bald")
    invoice = issued(customer)
    plan = customer_selectors.erasure_plan(customer_id=customer.pk)
    assert [count for _what, count, _reason in plan.kept] == [1]

    customer_services.customer_erase(customer_id=customer.pk)

    erased = Customer.objects.get(pk=customer.pk)
    assert erased.anonymised_at is not None
    invoice = Invoice.objects.get(pk=invoice.pk)
    assert invoice.customer_name == "Erika Gelöscht-Bald"
