import pytest

from customers import services
from customers.tests import factories

pytestmark = pytest.mark.django_db


def test_admin_lists_customers_including_deleted(owner_client):
    kept = factories.customer(last_name="Jäger")
    gone = factories.customer(last_name="Köhler")
    services.customer_soft_delete(customer_id=gone.pk)
    body = owner_client.get("/admin/customers/customer/").content.decode()
    assert kept.last_name in body and gone.last_name in body
    deleted_only = owner_client.get("/admin/customers/customer/?deleted=yes").content.decode()
    assert gone.last_name in deleted_only and kept.last_name not in deleted_only


def test_admin_search_is_accent_insensitive(owner_client):
    factories.customer(last_name="Jäger")
    factories.customer(last_name="Köhler")
    body = owner_client.get("/admin/customers/customer/?q=jaeger").content.decode()
    assert "Jäger" in body and "Köhler" not in body


def test_admin_edit_goes_through_the_service(owner_client, owner):
    customer = factories.customer(last_name="Jäger")
    response = owner_client.post(
        f"/admin/customers/customer/{customer.pk}/change/",
        {
            "first_name": "Karl",
            "last_name": "Jäger",
            "status": "inactive",
            "email": "",
            "phone": "",
            "date_of_birth": "",
            "insurance_provider": "",
            "last_exam_date": "",
            "prescription": "",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    customer.refresh_from_db()
    assert (customer.first_name, customer.status, customer.version) == ("Karl", "inactive", 2)
    assert customer.updated_by == owner
