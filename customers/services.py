"""Every write to customers goes through here: views, admin, commands and
the API call these functions, so each rule has one home."""

import uuid
from collections.abc import Mapping
from typing import Any

from django.apps import apps
from django.conf import settings
from django.contrib.admin.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Value
from django.db.models.functions import Now
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from customers import erasure, next_appointment, selectors
from customers.models import (
    Customer,
    Erasure,
    RetentionCandidate,
    RetentionReview,
    photo_thumb_key,
)
from opticrm.lib import images
from opticrm.lib.dates import start_of_day
from opticrm.lib.storage import delete_files, document_storage

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
# The retention review's lock, an arbitrary number of this project's own.
RETENTION_LOCK = 27_0001
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


# What an erasure blanks on a customer the law's records keep (DSGVO Art. 17
# with § 147 AO): every personal value; the row stays so that the kept
# records still point somewhere.
ANONYMISED = {
    "email": "",
    "phone": "",
    "date_of_birth": None,
    "insurance_provider": None,
    "last_exam_date": None,
    "notes": "",
    "salutation": "",
    "title": "",
    "street": "",
    "postcode": "",
    "town": "",
    "external_number": "",
    "photo": "",
    "status": Customer.Status.INACTIVE,
}


@transaction.atomic
def customer_erase(*, customer_id: int, user=None) -> Erasure:
    """Erase a customer (DSGVO Art. 17), living or deleted, in one
    transaction: everything other apps keep of the person goes
    (customers.erasure), with the change history, the admin log's names and
    the names in reports; the customer row too, unless records the law keeps
    (invoices) name it — then it stays anonymised (ANONYMISED, name
    "Gelöscht"), deleted and never restorable. The erasure log keeps who
    erased which customer number when, and nothing of the person.
    Raises Customer.DoesNotExist when the customer is gone or erased (by a
    second click, or someone else at the same moment)."""
    # A retention review being made waits (and then no longer lists the
    # customer); erasures do not wait for each other.
    _advisory_lock("pg_advisory_xact_lock_shared")
    customer = (
        Customer.objects.filter(anonymised_at__isnull=True).select_for_update().get(pk=customer_id)
    )
    kept = selectors.erasure_plan(customer_id=customer_id).kept
    # The photo's files go once the erasure commits (a rolled back one keeps them).
    _delete_photo_after_commit(customer.photo)
    _leave_retention_review(customer_id)
    _anonymise_admin_log(customer_id)
    for scrub in erasure.scrubs():
        scrub.run(customer_id)
    for rows in erasure.purged_first([customer_id]):
        rows.delete()
    for holding in erasure.holdings():
        if not holding.kept_by_law:
            holding.model._default_manager.filter(**{holding.field: customer_id}).delete()
    if kept:
        for name, value in ANONYMISED.items():
            setattr(customer, name, value)
        # In the shop's language, whoever's session erased.
        with translation.override(settings.LANGUAGE_CODE):
            customer.first_name = _("Customer")
            customer.last_name = _("Erased")
        now = timezone.now()
        customer.deleted_at = customer.deleted_at or now
        customer.anonymised_at = now
        customer.version += 1
        customer.updated_by = user
        customer.save()
    else:
        customer.delete()
    # The history holds every earlier value; the anonymising save's own
    # entry goes too (the erasure log tells that it happened).
    apps.get_model("customers", "CustomerEvent").objects.filter(pgh_obj_id=customer_id).delete()
    for holding in erasure.holdings():
        if holding.history is not None and not holding.kept_by_law:
            holding.history.objects.filter(**{holding.history_field: customer_id}).delete()
    return Erasure.objects.create(
        customer_number=customer_id, erased_by=user, anonymised=bool(kept)
    )


def _leave_retention_review(customer_id: int) -> None:
    """An erased customer leaves the retention review, and its count with
    them (the review's page counts from it, not over its rows)."""
    entries = RetentionCandidate.objects.filter(customer_id=customer_id)
    RetentionReview.objects.filter(pk__in=entries.values("review_id")).update(
        customer_count=F("customer_count") - 1
    )
    entries.delete()


@transaction.atomic
def customer_purge(*, customer_id: int, user=None) -> Erasure:
    """Erase a customer from the deleted ones (the list of deleted customers
    and the admin): the erasure, for a customer deleted before."""
    Customer.objects.deleted().select_for_update().get(pk=customer_id)
    return customer_erase(customer_id=customer_id, user=user)


def customer_purged_first(*, customer_ids) -> list:
    """What the purge deletes before the customers (their appointments)."""
    return erasure.purged_first(customer_ids)


def customer_protected_elsewhere() -> bool:
    """Whether records nobody registered keep a customer from being purged."""
    return erasure.protected_by_others()


def _anonymise_admin_log(customer_id: int) -> None:
    """Admin log entries name their record ("Sehtest – Anna Müller"): the
    customer's own and those of everything other apps keep of the customer,
    also of records deleted before (found in their change history)."""
    LogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(Customer), object_id=str(customer_id)
    ).update(object_repr=_("(erased customer)"), change_message="")
    for holding in erasure.holdings():
        ids = set(
            holding.model._default_manager.filter(**{holding.field: customer_id}).values_list(
                "pk", flat=True
            )
        )
        if holding.history is not None:
            ids.update(
                holding.history.objects.filter(**{holding.history_field: customer_id}).values_list(
                    "pgh_obj_id", flat=True
                )
            )
        LogEntry.objects.filter(
            content_type=ContentType.objects.get_for_model(holding.model),
            object_id__in=[str(pk) for pk in ids],
        ).update(object_repr=_("(erased customer)"), change_message="")


def _advisory_lock(function: str, key: int = RETENTION_LOCK) -> bool:
    """PostgreSQL's transaction-level advisory lock ``function`` on ``key``."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {function}(%s)", [key])  # noqa: S608 (our own names)
        (result,) = cursor.fetchone()
    return result is not False


@transaction.atomic
def retention_review_make(*, years: int | None = None, today=None) -> RetentionReview:
    """List the customers without contact for ``years`` (RETENTION_YEARS)
    for the owner's review ("Aufbewahrungsfrist abgelaufen"): one INSERT …
    SELECT, whatever the number. Deletes nothing: whether a person's data
    may go is the owner's decision (the erasure)."""
    years = settings.RETENTION_YEARS if years is None else years
    today = today or timezone.localdate()
    # One review at a time, and none while a customer is being erased.
    _advisory_lock("pg_advisory_xact_lock")
    review = RetentionReview.objects.create(
        years=years, contact_before=selectors.retention_cutoff(today, years), customer_count=0
    )
    due = selectors.retention_due(review.contact_before).values_list(
        Value(review.pk), "pk", "last_contact"
    )
    sql, params = due.query.sql_with_params()
    table = RetentionCandidate._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (review_id, customer_id, last_contact) {sql}",  # noqa: S608
            params,
        )
        review.customer_count = cursor.rowcount
    review.save(update_fields=["customer_count"])
    # Only the newest review is shown; the older ones' lists go.
    RetentionCandidate.objects.filter(review__made_at__lt=review.made_at).delete()
    return review


def retention_review_request() -> None:
    """Make the review again now, in the background (customers.tasks)."""
    from customers.tasks import make_retention_review

    make_retention_review.enqueue()


def retention_review_if_due() -> RetentionReview | None:
    """The monthly job (opticrm.lib.schedule): a review unless this month
    has one. Several schedulers at once make one; the others go on at once
    (a lock they try, not wait for)."""
    with transaction.atomic():
        if not _advisory_lock("pg_try_advisory_xact_lock"):
            return None
        first_of_month = timezone.localdate().replace(day=1)
        if RetentionReview.objects.filter(made_at__gte=start_of_day(first_of_month)).exists():
            return None
        return retention_review_make()


MB = 1024 * 1024


def _photo_files(key: str) -> list[str]:
    return [key, photo_thumb_key(key)] if key else []


def _delete_photo_after_commit(key: str) -> None:
    names = _photo_files(key)
    if names:
        transaction.on_commit(lambda: delete_files(names), robust=True)


def customer_photo_set(
    *, customer_id: int, data: bytes, crop: images.Crop | None = None, user=None
) -> Customer:
    """The customer's photo from an upload or the camera: checked by its
    content (JPEG, PNG, WebP, HEIC), the square ``crop`` (or the middle one)
    cut out and encoded anew (no EXIF, no GPS), kept as a 512 and a 96 px
    JPEG under a new random key. The photo it replaces is deleted once the
    change commits; if anything fails, the files written are deleted and
    nothing changes."""
    if not data:
        raise ValidationError(_("Please choose a photo."), code="no_photo")
    limit = settings.CUSTOMER_PHOTO_MAX_MB
    if len(data) > limit * MB:
        raise ValidationError(
            _("The photo is larger than %(limit)s MB."), code="too_large", params={"limit": limit}
        )
    photo, thumb = images.square_photo(data, crop)
    storage = document_storage()
    random = uuid.uuid4().hex
    key = f"photos/{random[:2]}/{random}.jpg"
    written: list[str] = []
    try:
        with transaction.atomic():
            customer = (
                Customer.objects.alive()
                .select_for_update(no_key=True)
                .filter(pk=customer_id)
                .first()
            )
            if customer is None:
                raise ValidationError(_("This customer no longer exists."), code="no_customer")
            for name, content in ((key, photo), (photo_thumb_key(key), thumb)):
                saved = storage.save(name, ContentFile(content))
                written.append(saved)
                if saved != name:  # the storage chose another name: never expected
                    raise RuntimeError(f"Storage saved {name} as {saved}")
            _delete_photo_after_commit(customer.photo)
            customer.photo = key
            customer.updated_by = user
            customer.save(update_fields=["photo", "updated_by", "updated_at"])
    except BaseException:
        delete_files(written)
        raise
    return customer


@transaction.atomic
def customer_photo_remove(*, customer_id: int, user=None) -> Customer:
    """The customer without a photo; its files are deleted once this commits."""
    customer = Customer.objects.alive().select_for_update(no_key=True).get(pk=customer_id)
    _delete_photo_after_commit(customer.photo)
    customer.photo = ""
    customer.updated_by = user
    customer.save(update_fields=["photo", "updated_by", "updated_at"])
    return customer
