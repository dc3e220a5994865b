"""A deleted document can be restored for DOCUMENTS_DELETED_KEEP_DAYS; then
the scheduler removes its row, its history and its files for good."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from customers.tests.factories import customer as make_customer
from documents import services
from documents.models import CustomerDocument, CustomerDocumentEvent
from documents.services import Upload
from documents.tests import files
from opticrm.lib import schedule

pytestmark = pytest.mark.django_db

DAY = datetime.timedelta(days=1)


def keep(customer, name="foto.jpg", kind=CustomerDocument.Kind.FRAME_PHOTO):
    [document] = services.document_upload(
        customer_id=customer.pk,
        uploads=[Upload(name, files.jpeg())],
        kind=kind,
        document_date=timezone.localdate(),
    )
    return document


def deleted_days_ago(document, days: float) -> None:
    services.document_soft_delete(document_id=document.pk)
    CustomerDocument.objects.filter(pk=document.pk).update(
        deleted_at=timezone.now() - datetime.timedelta(days=days)
    )


def test_purge_removes_row_history_and_files_after_the_period_not_before(
    settings, stored, django_capture_on_commit_callbacks
):
    settings.DOCUMENTS_DELETED_KEEP_DAYS = 30
    customer = make_customer()
    old, recent, alive = keep(customer, "alt.jpg"), keep(customer, "neu.jpg"), keep(customer)
    deleted_days_ago(old, 31)
    deleted_days_ago(recent, 29)
    with django_capture_on_commit_callbacks(execute=True):
        assert services.documents_purge() == 1
    assert set(CustomerDocument.objects.values_list("pk", flat=True)) == {recent.pk, alive.pk}
    assert not CustomerDocumentEvent.objects.filter(pgh_obj_id=old.pk).exists()
    assert old.file.name not in stored() and old.thumbnail.name not in stored()
    assert recent.file.name in stored() and alive.file.name in stored()
    # Nothing more to do: the next tick purges nothing.
    assert services.documents_purge() == 0


def test_the_files_stay_until_the_purge_commits(
    settings, stored, django_capture_on_commit_callbacks
):
    customer = make_customer()
    old = keep(customer)
    deleted_days_ago(old, settings.DOCUMENTS_DELETED_KEEP_DAYS + 1)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.documents_purge()
    assert old.file.name in stored()
    for callback in callbacks:
        callback()
    assert stored() == []


def test_the_scheduler_runs_the_purge(settings, stored, django_capture_on_commit_callbacks):
    old = keep(make_customer())
    deleted_days_ago(old, settings.DOCUMENTS_DELETED_KEEP_DAYS + 1)
    assert "documents purge" in {job.name for job in schedule.jobs()}
    with django_capture_on_commit_callbacks(execute=True):
        done = schedule.run_due(only="documents purge")
    assert done == ["documents purge: 1 deleted document(s) removed for good"]
    assert not CustomerDocument.objects.exists()


def test_restore_within_the_period(settings, stored):
    document = keep(make_customer())
    deleted_days_ago(document, settings.DOCUMENTS_DELETED_KEEP_DAYS - 1)
    services.document_restore(document_id=document.pk)
    document.refresh_from_db()
    assert document.deleted_at is None


def test_no_restore_after_the_period(settings, stored):
    document = keep(make_customer())
    deleted_days_ago(document, settings.DOCUMENTS_DELETED_KEEP_DAYS + 1)
    with pytest.raises(ValidationError):
        services.document_restore(document_id=document.pk)


def test_restore_on_the_page(staff_client, stored):
    customer = make_customer()
    document = keep(customer)
    services.document_soft_delete(document_id=document.pk)
    url = f"/documents/{document.pk}/restore/"
    response = staff_client.post(url, headers={"HX-Request": "true"})
    assert response.status_code == 200
    page = response.content.decode()
    assert f'data-document="{document.pk}"' in page  # back in the list
    assert f'data-deleted-document="{document.pk}"' not in page
    document.refresh_from_db()
    assert document.deleted_at is None
    # Without htmx: back to the list; a second time: nothing to restore.
    services.document_soft_delete(document_id=document.pk)
    assert staff_client.post(url).status_code == 302
    assert staff_client.post(url).status_code == 404
    assert staff_client.get(url).status_code == 405


def test_restore_needs_the_delete_right_and_hides_health_data(
    outsider_client, staff_client, stored
):
    customer = make_customer()
    photo = keep(customer)
    prescription = keep(customer, "v.jpg", CustomerDocument.Kind.PRESCRIPTION)
    for document in (photo, prescription):
        services.document_soft_delete(document_id=document.pk)
    assert outsider_client.post(f"/documents/{photo.pk}/restore/").status_code == 403
    assert staff_client.post(f"/documents/{prescription.pk}/restore/").status_code == 404
    page = staff_client.get(f"/documents/customers/{customer.pk}/").content.decode()
    assert f'data-deleted-document="{photo.pk}"' in page
    assert f'data-deleted-document="{prescription.pk}"' not in page


def test_the_owner_restores_in_the_admin(owner_client, settings, stored):
    customer = make_customer()
    recent, expired = keep(customer, "neu.jpg"), keep(customer, "alt.jpg")
    deleted_days_ago(recent, 1)
    deleted_days_ago(expired, settings.DOCUMENTS_DELETED_KEEP_DAYS + 1)
    response = owner_client.post(
        "/admin/documents/customerdocument/",
        {"action": "restore", "_selected_action": [recent.pk, expired.pk]},
        follow=True,
    )
    assert response.status_code == 200
    recent.refresh_from_db()
    expired.refresh_from_db()
    assert recent.deleted_at is None and expired.deleted_at is not None
    assert len(list(response.context["messages"])) == 2  # one restored, one too old
