import pytest

from customers import services
from customers.models import Customer
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
            "notes": "",
            "country": "DE",
            "loaded_version": "1",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    customer.refresh_from_db()
    assert (customer.first_name, customer.status, customer.version) == ("Karl", "inactive", 2)
    assert customer.updated_by == owner


def test_deleted_customer_is_read_only_in_admin(owner_client):
    gone = factories.customer(last_name="Köhler")
    services.customer_soft_delete(customer_id=gone.pk)
    page = owner_client.get(f"/admin/customers/customer/{gone.pk}/change/")
    assert page.status_code == 200 and 'name="first_name"' not in page.content.decode()
    response = owner_client.post(
        f"/admin/customers/customer/{gone.pk}/change/", {"first_name": "X", "last_name": "Y"}
    )
    assert response.status_code == 403
    gone.refresh_from_db()
    assert gone.first_name == "Erika"


def test_admin_purges_only_soft_deleted_customers(owner_client):
    kept = factories.customer(last_name="Jäger")
    assert (
        owner_client.post(
            f"/admin/customers/customer/{kept.pk}/delete/", {"post": "yes"}
        ).status_code
        == 403
    )
    assert Customer.objects.filter(pk=kept.pk).exists()
    services.customer_soft_delete(customer_id=kept.pk)
    response = owner_client.post(f"/admin/customers/customer/{kept.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not Customer.objects.filter(pk=kept.pk).exists()


def test_admin_soft_delete_action_needs_delete_permission(client, staff, django_user_model):
    from django.contrib.auth.models import Permission

    clerk = django_user_model.objects.create_user("clerk", password="x", is_staff=True)
    clerk.user_permissions.set(
        Permission.objects.filter(codename__in=["view_customer", "change_customer"])
    )
    client.force_login(clerk)
    customer = factories.customer()
    client.post(
        "/admin/customers/customer/",
        {"action": "soft_delete", "_selected_action": [customer.pk]},
    )
    customer.refresh_from_db()
    assert not customer.is_deleted
