"""The erasure log (issue 27, DSGVO Art. 17): deleting a customer for good
leaves who did it, when and the customer number, and nothing personal."""

import pytest

from customers import services
from customers.models import Customer, Erasure
from customers.tests import factories

pytestmark = pytest.mark.django_db


def test_the_purge_page_logs_the_erasure(admin_client, admin_user):
    customer = factories.customer(first_name="Grete", last_name="Öztürk")
    services.customer_soft_delete(customer_id=customer.pk)
    response = admin_client.post(f"/customers/{customer.pk}/purge/", {"confirm": "on"})
    assert response.status_code in (200, 204, 302)
    assert not Customer.objects.filter(pk=customer.pk).exists()
    entry = Erasure.objects.get()
    assert (entry.customer_number, entry.erased_by) == (customer.pk, admin_user)
    # Nothing personal in the entry.
    assert "Öztürk" not in str([getattr(entry, f.attname) for f in Erasure._meta.concrete_fields])


def test_the_owner_reads_the_log_in_the_admin(admin_client):
    customer = factories.customer()
    services.customer_soft_delete(customer_id=customer.pk)
    services.customer_purge(customer_id=customer.pk)
    page = admin_client.get("/admin/customers/erasure/").content.decode()
    assert str(customer.pk) in page
    assert admin_client.get("/admin/customers/erasure/add/").status_code == 403
