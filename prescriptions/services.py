"""Every write to refractions and fittings goes through here. Records are
never edited: a correction is a new record that supersedes the old one."""

import datetime
from collections.abc import Callable, Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from customers.models import Customer
from customers.services import customer_record_exam
from prescriptions import rules
from prescriptions.eyes import SIDES
from prescriptions.models import (
    ContactLensFitting,
    HealthDataAccess,
    Record,
    Refraction,
    fitting_eye_fields,
    refraction_eye_fields,
)

REFRACTION_FIELDS = (
    "kind",
    "date",
    "examiner",
    "prescriber",
    *[name for side in SIDES for name in refraction_eye_fields(side)],
    "vertex_distance",
    "binocular_notes",
    "remarks",
)
FITTING_FIELDS = (
    "date",
    "examiner",
    *[name for side in SIDES for name in fitting_eye_fields(side)],
    "wearing_notes",
)


class UnusualValues(ValidationError):
    """Values that are allowed but unusual; saved only once the user confirms."""

    def __init__(self, warnings: list[str]):
        self.warnings = warnings
        super().__init__(warnings, code="unusual")


def _fill(record: Record, data: Mapping[str, Any], fields: tuple[str, ...]) -> None:
    for name in fields:
        if name in data:
            setattr(record, name, data[name])


def _validate(record: Record, *, confirm_unusual: bool, warnings: Callable) -> None:
    record.full_clean()
    unusual = warnings(record)
    if unusual and not confirm_unusual:
        raise UnusualValues(unusual)


def _superseded_error() -> ValidationError:
    return ValidationError(
        _(
            "This record was corrected by someone else in the meantime; "
            "please correct the newest version."
        ),
        code="superseded",
    )


def _record(model, *, customer_id, data, user, confirm_unusual, fields, warnings):
    customer = Customer.objects.alive().get(pk=customer_id)
    record = model(customer=customer, created_by=user)
    _fill(record, data, fields)
    _validate(record, confirm_unusual=confirm_unusual, warnings=warnings)
    record.save()
    return record


def _correct(model, *, record_id, data, user, confirm_unusual, fields, warnings):
    old = model.objects.select_for_update(no_key=True).select_related("customer").get(pk=record_id)
    if old.is_superseded:
        raise _superseded_error()
    if old.customer.is_deleted:
        raise Customer.DoesNotExist
    new = model(customer=old.customer, replaces=old, created_by=user)
    _fill(new, data, fields)
    _validate(new, confirm_unusual=confirm_unusual, warnings=warnings)
    # The new record first: the customer's newest-refraction day (and its
    # count, customers.models.CustomerCount) then moves at most once, in one
    # statement. Superseding first moved it twice when the date was
    # corrected, and two such corrections at once could lock each other's
    # counts in opposite order.
    new.save()
    old.superseded_at = timezone.now()
    old.superseded_by = user
    old.save(update_fields=["superseded_at", "superseded_by", "updated_at"])
    return new


def _note_exam(refraction: Refraction, user) -> None:
    """An eye test done in the shop counts as the customer's last exam (recall)."""
    if refraction.kind == Refraction.Kind.SUBJECTIVE:
        customer_record_exam(customer_id=refraction.customer_id, day=refraction.date, user=user)


@transaction.atomic
def refraction_record(
    *, customer_id: int, data: Mapping[str, Any], user, confirm_unusual: bool = False
) -> Refraction:
    refraction = _record(
        Refraction,
        customer_id=customer_id,
        data=data,
        user=user,
        confirm_unusual=confirm_unusual,
        fields=REFRACTION_FIELDS,
        warnings=rules.unusual_values,
    )
    _note_exam(refraction, user)
    return refraction


@transaction.atomic
def refraction_correct(
    *, refraction_id: int, data: Mapping[str, Any], user, confirm_unusual: bool = False
) -> Refraction:
    """A new version of the refraction; the old one stays as superseded."""
    refraction = _correct(
        Refraction,
        record_id=refraction_id,
        data=data,
        user=user,
        confirm_unusual=confirm_unusual,
        fields=REFRACTION_FIELDS,
        warnings=rules.unusual_values,
    )
    _note_exam(refraction, user)
    return refraction


@transaction.atomic
def fitting_record(
    *, customer_id: int, data: Mapping[str, Any], user, confirm_unusual: bool = False
) -> ContactLensFitting:
    return _record(
        ContactLensFitting,
        customer_id=customer_id,
        data=data,
        user=user,
        confirm_unusual=confirm_unusual,
        fields=FITTING_FIELDS,
        warnings=rules.unusual_fitting_values,
    )


@transaction.atomic
def fitting_correct(
    *, fitting_id: int, data: Mapping[str, Any], user, confirm_unusual: bool = False
) -> ContactLensFitting:
    return _correct(
        ContactLensFitting,
        record_id=fitting_id,
        data=data,
        user=user,
        confirm_unusual=confirm_unusual,
        fields=FITTING_FIELDS,
        warnings=rules.unusual_fitting_values,
    )


# Minutes within which the same user seeing the same customer's health data
# in the same place again is one access (a reload, a live update).
ACCESS_REPEAT_MINUTES = 10


def health_data_opened(*, user, customer_id: int, where: str) -> None:
    """Log that ``user`` was shown the customer's refractions and fittings,
    unless the same access is logged from the last minutes: one statement
    either way, so a page makes as many queries on every view."""
    if user is None or user.pk is None:
        raise ValueError("health data is shown only to a signed-in user")
    table = connection.ops.quote_name(HealthDataAccess._meta.db_table)
    now = timezone.now()
    since = now - datetime.timedelta(minutes=ACCESS_REPEAT_MINUTES)
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO {table} (customer_number, user_id, "where", at)
            SELECT %s, %s, %s, %s
            WHERE NOT EXISTS (
                SELECT 1 FROM {table}
                WHERE customer_number = %s AND user_id = %s AND "where" = %s AND at >= %s
            )
            """,  # noqa: S608 (the table's name from the model, values as parameters)
            [customer_id, user.pk, where, now, customer_id, user.pk, where, since],
        )


def refractions_exported(*, user) -> None:
    """Log a file of many customers' refractions (DSGVO Art. 9 and 32): each
    export, by whom and when; no customer number, as it holds many."""
    if user is None or user.pk is None:
        raise ValueError("health data is exported only by a signed-in user")
    HealthDataAccess.objects.create(user=user, where=HealthDataAccess.Where.EXPORT)
