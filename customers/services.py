"""Every write to customers goes through here: views, admin, commands and
the API call these functions, so each rule has one home."""

from collections.abc import Mapping
from typing import Any

from django.apps import apps
from django.contrib.admin.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models.functions import Now
from django.utils import timezone
from django.utils.translation import gettext as _

from customers import erasure, next_appointment, selectors
from customers.models import Customer, Erasure

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


EXTERNAL_NUMBER_UNIQUE = "customer_external_number_unique"
# What makes two records the same person for the duplicate check.
IDENTITY_FIELDS = ("first_name", "last_name", "date_of_birth", "email")
# How many possible duplicates a refusal names.
DUPLICATES_SHOWN = 5


class CustomerConflict(Exception):
    """Someone saved the customer after the editor loaded it."""

    def __init__(self, current: Customer):
        self.current = current
        super().__init__(_("The customer was changed by someone else in the meantime."))


class PossibleDuplicates(Exception):
    """The customer may exist already (same name and date of birth, or the
    same email); saving needs ``confirm_duplicates=True``."""

    def __init__(self, duplicates: list[Customer]):
        self.duplicates = duplicates
        super().__init__(
            _(
                "Possible duplicate: a customer with the same name and date of birth "
                "or the same email already exists (customer id %(ids)s)."
            )
            % {"ids": ", ".join(str(duplicate.pk) for duplicate in duplicates)}
        )


def customer_check_version(customer: Customer, expected_version: int | None) -> None:
    """The edit conflict rule of customers: a save based on another version
    than the stored one is refused (``CustomerConflict``); ``None``: the
    caller named no version. Screens, admin and API all end here."""
    if expected_version is not None and customer.version != expected_version:
        raise CustomerConflict(current=customer)


def _refuse_duplicates(customer: Customer, *, before: Mapping[str, Any] | None = None) -> None:
    """Refuse a customer who may exist already. An edit is checked only when
    it changes a name, the date of birth or the email: asking again on every
    edit would only teach people to click past the question."""
    if before is not None and all(
        before[name] == getattr(customer, name) for name in IDENTITY_FIELDS
    ):
        return
    duplicates = list(
        selectors.customer_possible_duplicates(
            first_name=customer.first_name,
            last_name=customer.last_name,
            date_of_birth=customer.date_of_birth,
            email=customer.email,
            exclude_id=customer.pk,
        )[:DUPLICATES_SHOWN]
    )
    if duplicates:
        raise PossibleDuplicates(duplicates)


def _assign(customer: Customer, data: Mapping[str, Any]) -> None:
    for field in EDITABLE_FIELDS:
        if field in data:
            setattr(customer, field, data[field])


def refresh_passed_next_appointments(*, deleted: bool = False) -> int:
    """Move customers whose stored next appointment has begun on to the one
    after it; the trigger that keeps the column only sees appointment writes,
    not the clock. Run before sorting by it, for the customers listed (alive
    ones read their sort index: cheap when nothing has passed)."""
    customers = Customer.objects.deleted() if deleted else Customer.objects.alive()
    return customers.filter(next_appointment_at__lt=Now()).update(
        next_appointment_at=next_appointment.start()
    )


@transaction.atomic
def customer_create(
    *,
    data: Mapping[str, Any],
    user=None,
    confirm_duplicates: bool = False,
    external_number: str = "",
) -> Customer:
    """A new customer; one who may exist already (``PossibleDuplicates``)
    only with ``confirm_duplicates``. ``external_number``: the customer's
    number in the shop's previous system (imports)."""
    customer = Customer(external_number=external_number.strip())
    _assign(customer, data)
    customer.updated_by = user
    customer.full_clean()
    if not confirm_duplicates:
        _refuse_duplicates(customer)
    _save(customer)
    return customer


def _save(customer: Customer) -> None:
    """Save; a number of the old system that another customer has is
    refused by its unique index (customer_external_number_unique). The
    callers are atomic: the failed insert rolls back with them."""
    try:
        customer.save()
    except IntegrityError as error:
        if EXTERNAL_NUMBER_UNIQUE not in str(error):
            raise
        raise ValidationError(
            {"external_number": _("Another customer has this external number.")},
            code="unique",
        ) from error


@transaction.atomic
def customer_update(
    *,
    customer_id: int,
    data: Mapping[str, Any],
    user=None,
    expected_version: int | None = None,
    confirm_duplicates: bool = False,
    external_number: str | None = None,
) -> Customer:
    """Save changes; with ``expected_version`` refuse to overwrite a newer
    save (``CustomerConflict``); a change of name, birth date or email that
    makes the customer look like another one only with ``confirm_duplicates``."""
    customer = Customer.objects.alive().select_for_update(no_key=True).get(pk=customer_id)
    customer_check_version(customer, expected_version)
    before = {name: getattr(customer, name) for name in IDENTITY_FIELDS}
    _assign(customer, data)
    if external_number is not None:
        customer.external_number = external_number.strip()
    customer.version += 1
    customer.updated_by = user
    customer.full_clean()
    if not confirm_duplicates:
        _refuse_duplicates(customer, before=before)
    _save(customer)
    return customer


@transaction.atomic
def customer_record_exam(*, customer_id: int, day, user=None) -> None:
    """An eye test on ``day``: it becomes the last exam unless a later one is
    known. The home of this rule: refractions and completed eye-test
    appointments record their exam here. A deleted customer is left as is."""
    customer = (
        Customer.objects.alive().select_for_update(no_key=True).filter(pk=customer_id).first()
    )
    if customer is None:
        return
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


@transaction.atomic
def customer_purge(*, customer_id: int, user=None) -> None:
    """Delete a soft-deleted customer for good (right to erasure): the
    customer's appointments, prescriptions and change history go with the
    record (what other apps keep of a customer: customers.erasure), and the
    admin log keeps that something was done, not to whom. Nothing here is
    under a legal retention duty yet; invoices will be kept anonymised when
    they come. The erasure log (Erasure) keeps who erased which customer
    number when."""
    customer = Customer.objects.deleted().select_for_update().get(pk=customer_id)
    _anonymise_admin_log(customer_id)
    for rows in erasure.purged_first([customer_id]):
        rows.delete()
    customer.delete()
    apps.get_model("customers", "CustomerEvent").objects.filter(pgh_obj_id=customer_id).delete()
    for holding in erasure.holdings():
        if holding.history is not None:
            holding.history.objects.filter(**{holding.history_field: customer_id}).delete()
    Erasure.objects.create(customer_number=customer_id, erased_by=user)


def customer_purged_first(*, customer_ids) -> list:
    """What the purge deletes before the customers (their appointments)."""
    return erasure.purged_first(customer_ids)


def customer_protected_elsewhere() -> bool:
    """Whether records nobody registered keep a customer from being purged."""
    return erasure.protected_by_others()


def _anonymise_admin_log(customer_id: int) -> None:
    """Admin log entries name their record ("Sehtest – Anna Müller"): the
    customer's own and those of everything other apps keep of the customer."""
    logged = [(Customer, "pk")] + [(holding.model, holding.field) for holding in erasure.holdings()]
    for model, field in logged:
        ids = model._default_manager.filter(**{field: customer_id}).values_list("pk", flat=True)
        LogEntry.objects.filter(
            content_type=ContentType.objects.get_for_model(model),
            object_id__in=[str(pk) for pk in ids],
        ).update(object_repr=_("(erased customer)"), change_message="")
