"""Erasing a customer for good (DSGVO Art. 17) deletes their documents'
files from the storage, deleted ones too; a rolled back erasure keeps them."""

import pytest
from django.utils import timezone

from customers import selectors as customer_selectors
from customers import services as customer_services
from customers.tests.factories import customer as make_customer
from documents import services
from documents.models import CustomerDocument
from documents.services import Upload
from documents.tests import files

pytestmark = pytest.mark.django_db


def keep(customer, owner, *uploads):
    return services.document_upload(
        customer_id=customer.pk,
        uploads=list(uploads),
        kind=CustomerDocument.Kind.FRAME_PHOTO,
        document_date=timezone.localdate(),
        user=owner,
    )


def test_the_erasure_deletes_the_files(owner, stored, django_capture_on_commit_callbacks):
    customer, other = make_customer(), make_customer()
    [first, _second] = keep(
        customer, owner, Upload("a.jpg", files.jpeg()), Upload("b.pdf", files.pdf())
    )
    services.document_soft_delete(document_id=first.pk)
    [others] = keep(other, owner, Upload("c.pdf", files.pdf()))
    with django_capture_on_commit_callbacks(execute=True):
        customer_services.customer_erase(customer_id=customer.pk, user=owner)
    assert stored() == sorted([others.file.name, others.thumbnail.name])
    assert list(CustomerDocument.objects.all()) == [others]


def test_the_files_stay_until_the_erasure_commits(
    owner, stored, django_capture_on_commit_callbacks
):
    customer = make_customer()
    keep(customer, owner, Upload("a.pdf", files.pdf()))
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        customer_services.customer_erase(customer_id=customer.pk, user=owner)
    assert len(stored()) == 2  # not yet (file and thumbnail): the erasure may still roll back
    for callback in callbacks:
        callback()
    assert stored() == []


def test_the_erasure_plan_names_the_documents(owner):
    customer = make_customer()
    keep(customer, owner, Upload("a.pdf", files.pdf()), Upload("b.pdf", files.pdf()))
    plan = customer_selectors.erasure_plan(customer_id=customer.pk)
    assert (str(CustomerDocument._meta.verbose_name_plural), 2) in plan.deleted


def test_documents_keep_a_customer_from_a_plain_delete(owner, stored):
    customer = make_customer()
    keep(customer, owner, Upload("a.pdf", files.pdf()))
    from django.db.models import ProtectedError

    with pytest.raises(ProtectedError):
        customer.delete()
