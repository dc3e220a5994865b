"""The quiet notice on a record someone else changed while it is open."""

import datetime
import re

import pghistory
import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from appointments.tests.factories import appointment, at
from customers import services
from customers.services import customer_soft_delete as delete_customer
from customers.tests.factories import customer as make_customer
from products.services import stock_move
from products.tests.factories import product as make_product

pytestmark = pytest.mark.django_db


def record_url(kind: str, pk: int, since: int, **params) -> str:
    query = "&".join(f"{key}={value}" for key, value in {"since": since, **params}.items())
    return f"{reverse('live:record', args=[kind, pk])}?{query}"


def page_version(html: str, kind: str, pk: int) -> int:
    found = re.search(rf'data-live-record="{kind}:{pk}" data-live-version="(\d+)"', html)
    assert found, f"no live marker for {kind}:{pk}"
    return int(found.group(1))


def update_notes(customer, user, notes: str, **context) -> None:
    data = {name: getattr(customer, name) for name in services.EDITABLE_FIELDS}
    with pghistory.context(user=user.pk, **context):
        services.customer_update(customer_id=customer.pk, data={**data, "notes": notes}, user=user)


def test_detail_page_and_edit_form_carry_the_records_version(staff_client):
    customer = make_customer()
    detail = staff_client.get(reverse("customers:detail", args=[customer.pk])).content.decode()
    form = staff_client.get(
        reverse("customers:update", args=[customer.pk]), headers={"HX-Request": "true"}
    ).content.decode()
    version = customer.events.latest("pgh_id").pgh_id
    assert page_version(detail, "customer", customer.pk) == version
    assert page_version(form, "customer", customer.pk) == version
    assert f'data-live-reload-url="{reverse("customers:update", args=[customer.pk])}"' in form


def test_nothing_changed_answers_204(staff_client):
    customer = make_customer()
    version = customer.events.latest("pgh_id").pgh_id
    response = staff_client.get(record_url("customer", customer.pk, version))
    assert response.status_code == 204
    assert response["X-Live-Version"] == str(version)


def test_a_change_by_someone_else_shows_who_and_when(staff_client, owner):
    customer = make_customer()
    version = customer.events.latest("pgh_id").pgh_id
    update_notes(customer, owner, "Neue Fassung bestellt", tab="othertab1")
    change = customer.events.latest("pgh_id")
    response = staff_client.get(
        record_url("customer", customer.pk, version, reload=1), headers={"X-Live-Tab": "mytab1"}
    )
    assert response.status_code == 200
    assert response["X-Live-Version"] == str(change.pgh_id)
    text = re.sub(r"\s+", " ", response.content.decode())
    local = timezone.localtime(change.pgh_created_at).strftime("%H:%M")
    assert f"Von Ines Inhaber um {local} geändert — " in text
    assert "neu laden</button>" in text


def test_the_detail_page_notice_has_no_reload_button(staff_client, owner):
    customer = make_customer()
    version = customer.events.latest("pgh_id").pgh_id
    update_notes(customer, owner, "Kontaktlinsen")
    text = staff_client.get(record_url("customer", customer.pk, version)).content.decode()
    assert "geändert." in text
    assert "data-live-reload" not in text


def test_a_tab_is_not_told_about_its_own_change(staff_client, staff):
    customer = make_customer()
    version = customer.events.latest("pgh_id").pgh_id
    update_notes(customer, staff, "selbst geändert", tab="mytab1")
    response = staff_client.get(
        record_url("customer", customer.pk, version), headers={"X-Live-Tab": "mytab1"}
    )
    assert response.status_code == 204
    assert int(response["X-Live-Version"]) > version
    # The same login in another tab (a shared front-desk PC) is someone else.
    other_tab = staff_client.get(
        record_url("customer", customer.pk, version), headers={"X-Live-Tab": "othertab2"}
    )
    assert other_tab.status_code == 200
    assert "Anna Schmidt" in other_tab.content.decode()


def test_changes_outside_the_app_are_from_the_system(staff_client):
    customer = make_customer()
    version = customer.events.latest("pgh_id").pgh_id
    customer.notes = "per Skript"
    customer.save()
    text = staff_client.get(record_url("customer", customer.pk, version)).content.decode()
    assert "Von System um" in text


def test_the_tab_of_a_save_goes_into_the_history(staff_client):
    customer = make_customer()
    data = {
        "first_name": customer.first_name,
        "last_name": customer.last_name,
        "date_of_birth": "17.05.1980",
        "status": "active",
        "notes": "Tab merkt sich",
        "version": customer.version,
    }
    response = staff_client.post(
        reverse("customers:update", args=[customer.pk]),
        data,
        headers={"HX-Request": "true", "X-Live-Tab": "abc123"},
    )
    assert response.status_code == 200
    latest = customer.events.select_related("pgh_context").latest("pgh_id")
    assert latest.notes == "Tab merkt sich"
    assert latest.pgh_context.metadata["tab"] == "abc123"


def test_a_malformed_tab_is_not_recorded(staff_client):
    customer = make_customer()
    version = customer.events.latest("pgh_id").pgh_id
    data = {
        "first_name": customer.first_name,
        "last_name": customer.last_name,
        "date_of_birth": "17.05.1980",
        "status": "active",
        "notes": "mit kaputtem Tab",
        "version": customer.version,
    }
    staff_client.post(
        reverse("customers:update", args=[customer.pk]),
        data,
        headers={"HX-Request": "true", "X-Live-Tab": "'; DROP"},
    )
    latest = customer.events.select_related("pgh_context").latest("pgh_id")
    assert latest.notes == "mit kaputtem Tab"
    assert "tab" not in latest.pgh_context.metadata
    # So the same garbled header cannot hide the change from anyone.
    response = staff_client.get(
        record_url("customer", customer.pk, version), headers={"X-Live-Tab": "'; DROP"}
    )
    assert response.status_code == 200


def test_products_and_appointments_have_notices_too(staff_client, owner):
    product = make_product()
    version = product.events.latest("pgh_id").pgh_id
    with pghistory.context(user=owner.pk):
        product.name = "Titanfassung"
        product.save()
    response = staff_client.get(record_url("product", product.pk, version))
    assert "Von Ines Inhaber um" in response.content.decode()

    booked = appointment(staff=owner, start=at(10))
    version = booked.events.latest("pgh_id").pgh_id
    with pghistory.context(user=owner.pk):
        booked.notes = "Kommt mit Begleitung"
        booked.save()
    response = staff_client.get(record_url("appointment", booked.pk, version))
    assert "Von Ines Inhaber um" in response.content.decode()


def test_stock_movements_are_no_change_of_the_product(staff_client):
    product = make_product()
    version = product.events.latest("pgh_id").pgh_id
    stock_move(product_id=product.pk, kind="receipt", quantity=3)
    assert staff_client.get(record_url("product", product.pk, version)).status_code == 204


def test_a_change_on_another_day_names_the_day(staff_client, owner):
    customer = make_customer()
    version = customer.events.latest("pgh_id").pgh_id
    update_notes(customer, owner, "gestern")
    customer.events.filter(pgh_id__gt=version).update(
        pgh_created_at=timezone.make_aware(datetime.datetime(2026, 11, 23, 17, 5))
    )
    text = re.sub(
        r"\s+", " ", staff_client.get(record_url("customer", customer.pk, version)).content.decode()
    )
    assert "Von Ines Inhaber am 23.11.2026 um 17:05 geändert." in text


def test_deleted_customers_are_only_for_those_who_may_restore_them(outsider, staff_client):
    outsider.user_permissions.add(Permission.objects.get(codename="view_customer"))
    client = Client()
    client.force_login(outsider)
    customer = make_customer()
    delete_customer(customer_id=customer.pk)
    url = record_url("customer", customer.pk, 0)
    assert client.get(url).status_code == 404
    assert staff_client.get(url).status_code == 200


@pytest.mark.parametrize(
    ("kind", "since", "status"),
    [("customer", "abc", 200), ("invoice", "0", 403), ("user", "0", 403)],
)
def test_odd_requests_get_clear_answers(staff_client, kind, since, status):
    customer = make_customer()
    response = staff_client.get(record_url(kind, customer.pk, since))
    # A garbled version counts as "knows nothing": every change is news.
    assert response.status_code == status


def test_unknown_records_are_404(staff_client):
    assert staff_client.get(record_url("customer", 999999, 0)).status_code == 404


def test_the_record_check_needs_permission_to_see_it(outsider_client):
    customer = make_customer()
    assert outsider_client.get(record_url("customer", customer.pk, 0)).status_code == 403


def test_the_record_check_needs_a_login(client):
    customer = make_customer()
    response = client.get(record_url("customer", customer.pk, 0))
    assert response.status_code == 302
