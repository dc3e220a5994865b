"""Every write to customers goes through here: views, admin, commands and
the API call these functions, so each rule has one home."""

from collections.abc import Mapping
from typing import Any

from django.apps import apps
from django.contrib.admin.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import PROTECT, DateTimeField, F, Func
from django.db.models.functions import Now
from django.utils import timezone
from django.utils.translation import gettext as _

from customers.models import Customer

EDITABLE_FIELDS = (
    "first_name",
    "last_name",
    "email",
    "phone",
    "date_of_birth",
    "insurance_provider",
    "last_exam_date",
    "notes",
    "status",
    "salutation",
    "title",
    "street",
    "postcode",
    "town",
    "country",
)


class CustomerConflict(Exception):
    """Someone saved the customer after the editor loaded it."""

    def __init__(self, current: Customer):
        self.current = current
        super().__init__(_("The customer was changed by someone else in the meantime."))


def _assign(customer: Customer, data: Mapping[str, Any]) -> None:
    for field in EDITABLE_FIELDS:
        if field in data:
            setattr(customer, field, data[field])


def refresh_passed_next_appointments(*, deleted: bool = False) -> int:
    """Move customers whose stored next appointment has begun on to the one
    after it; the trigger that keeps the column only sees appointment writes,
    not the clock. Run before sorting by it, for the customers listed (alive
    ones read their sort index: cheap when nothing has passed)."""
    following = Func(F("id"), function="appointments_next_start", output_field=DateTimeField())
    customers = Customer.objects.deleted() if deleted else Customer.objects.alive()
    return customers.filter(next_appointment_at__lt=Now()).update(next_appointment_at=following)


@transaction.atomic
def customer_create(*, data: Mapping[str, Any], user=None) -> Customer:
    customer = Customer()
    _assign(customer, data)
    customer.updated_by = user
    customer.full_clean()
    customer.save()
    return customer


@transaction.atomic
def customer_update(
    *, customer_id: int, data: Mapping[str, Any], user=None, expected_version: int | None = None
) -> Customer:
    """Save changes; with ``expected_version`` refuse to overwrite a newer save."""
    customer = Customer.objects.alive().select_for_update(no_key=True).get(pk=customer_id)
    if expected_version is not None and customer.version != expected_version:
        raise CustomerConflict(current=customer)
    _assign(customer, data)
    customer.version += 1
    customer.updated_by = user
    customer.full_clean()
    customer.save()
    return customer


@transaction.atomic
def customer_record_exam(*, customer_id: int, day, user=None) -> None:
    """An eye test on ``day``: it becomes the last exam unless a later one is known."""
    customer = Customer.objects.alive().select_for_update(no_key=True).get(pk=customer_id)
    if customer.last_exam_date and customer.last_exam_date >= day:
        return
    customer.last_exam_date = day
    customer.version += 1
    customer.updated_by = user
    customer.save(update_fields=["last_exam_date", "version", "updated_by", "updated_at"])


@transaction.atomic
def customer_soft_delete(*, customer_id: int, user=None) -> Customer:
    customer = Customer.objects.alive().select_for_update(no_key=True).get(pk=customer_id)
    customer.deleted_at = timezone.now()
    customer.version += 1
    customer.updated_by = user
    customer.save(update_fields=["deleted_at", "version", "updated_by", "updated_at"])
    return customer


@transaction.atomic
def customer_restore(*, customer_id: int, user=None) -> Customer:
    customer = Customer.objects.deleted().select_for_update(no_key=True).get(pk=customer_id)
    customer.deleted_at = None
    customer.version += 1
    customer.updated_by = user
    customer.save(update_fields=["deleted_at", "version", "updated_by", "updated_at"])
    return customer


# What else holds a customer's data, by the field naming the customer: the
# customer's appointments (kept from deleting the customer by PROTECT, so that
# an everyday delete cannot take the calendar with it) and every change history.
_APPOINTMENTS = "appointments.Appointment"
_HISTORIES = {
    "customers.CustomerEvent": "pgh_obj_id",
    "prescriptions.RefractionEvent": "customer_id",
    "prescriptions.ContactLensFittingEvent": "customer_id",
    "appointments.AppointmentEvent": "customer_id",
}
# Records whose admin log entries name the customer ("Sehtest – Anna Müller").
_LOGGED = {
    "customers.Customer": "pk",
    "appointments.Appointment": "customer_id",
    "prescriptions.Refraction": "customer_id",
    "prescriptions.ContactLensFitting": "customer_id",
}


@transaction.atomic
def customer_purge(*, customer_id: int) -> None:
    """Delete a soft-deleted customer for good (right to erasure): the
    customer's appointments, prescriptions and change history go with the
    record, and the admin log keeps that something was done, not to whom.
    Nothing here is under a legal retention duty yet; invoices will be kept
    anonymised when they come."""
    customer = Customer.objects.deleted().select_for_update().get(pk=customer_id)
    _anonymise_admin_log(customer_id)
    customer_appointments(customer_ids=[customer_id]).delete()
    customer.delete()
    for model, field in _HISTORIES.items():
        apps.get_model(model).objects.filter(**{field: customer_id}).delete()


def customer_appointments(*, customer_ids):
    return apps.get_model(_APPOINTMENTS).objects.filter(customer_id__in=customer_ids)


def customer_protected_elsewhere() -> bool:
    """Whether records other than appointments keep a customer from being
    purged (none yet; invoices will, as the law keeps them)."""
    appointment = apps.get_model(_APPOINTMENTS)
    return any(
        relation.on_delete is PROTECT and relation.related_model is not appointment
        for relation in Customer._meta.related_objects
    )


def _anonymise_admin_log(customer_id: int) -> None:
    for label, field in _LOGGED.items():
        model = apps.get_model(label)
        ids = model.objects.filter(**{field: customer_id}).values_list("pk", flat=True)
        LogEntry.objects.filter(
            content_type=ContentType.objects.get_for_model(model),
            object_id__in=[str(pk) for pk in ids],
        ).update(object_repr=_("(erased customer)"), change_message="")
