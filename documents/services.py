"""Writes of customer documents: the one home of their rules (what is kept,
the limits, who deletes). A file and its row are written together: when the
row cannot be saved, the file is deleted again, so that the storage never
holds a file nobody knows of."""

import datetime
import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from customers.models import Customer
from documents import content
from documents.models import CustomerDocument
from documents.storage import document_storage
from opticrm.lib import health_data

logger = logging.getLogger(__name__)

MB = 1024 * 1024


@dataclass(frozen=True)
class Upload:
    """One file as the browser sent it: its name (kept for the download
    only) and its bytes."""

    name: str
    data: bytes


def upload_from_file(file) -> Upload:
    """An Upload from Django's UploadedFile, reading at most one byte more
    than the limit (a larger file is refused without reading it all)."""
    limit = settings.DOCUMENTS_MAX_FILE_MB * MB
    file.seek(0)
    return Upload(name=file.name or "", data=file.read(limit + 1))


def _clean_name(name: str) -> str:
    """The uploaded name as a download may offer it: the last part of a
    path, no control characters, at most 200 characters."""
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(char for char in name if char.isprintable()).strip()
    return name[-200:] or "dokument"


def _key(extension: str) -> str:
    """A random storage key: nothing of the customer or the uploaded name."""
    random = uuid.uuid4().hex
    return f"{random[:2]}/{random}{extension}"


def _write(storage, name: str, data: bytes, written: list[str]) -> str:
    saved = storage.save(name, ContentFile(data))
    written.append(saved)
    return saved


def _delete_files(names: Sequence[str]) -> None:
    storage = document_storage()
    for name in names:
        try:
            storage.delete(name)
        except Exception:  # the storage being down must not hide the first error
            logger.exception("Could not delete the document file %s", name)


def document_upload(
    *,
    customer_id: int,
    uploads: Sequence[Upload],
    kind: str,
    document_date: datetime.date,
    note: str = "",
    refraction_id: int | None = None,
    user=None,
) -> list[CustomerDocument]:
    """Keep ``uploads`` as documents of the customer, all or none: every
    file is checked first (content, size, the customer's total), then the
    files are written and the rows saved in one transaction; if anything
    fails, the files written so far are deleted and the error raised."""
    if not uploads:
        raise ValidationError(_("Please choose at least one file."), code="no_files")
    max_file = settings.DOCUMENTS_MAX_FILE_MB * MB
    prepared = [
        (upload, content.prepare(name=upload.name, data=upload.data, max_bytes=max_file))
        for upload in uploads
    ]
    written: list[str] = []
    try:
        with transaction.atomic():
            documents = _save(
                customer_id=customer_id,
                prepared=prepared,
                kind=kind,
                document_date=document_date,
                note=note,
                refraction_id=refraction_id,
                user=user,
                written=written,
            )
    except BaseException:
        _delete_files(written)
        raise
    return documents


def _save(
    *, customer_id, prepared, kind, document_date, note, refraction_id, user, written
) -> list[CustomerDocument]:
    # The customer's row locked: two uploads at once cannot both pass the total.
    customer = (
        Customer.objects.alive().select_for_update(no_key=True).filter(pk=customer_id).first()
    )
    if customer is None:
        raise ValidationError(_("This customer no longer exists."), code="no_customer")
    if (
        kind in CustomerDocument.HEALTH_KINDS or refraction_id is not None
    ) and not _may_file_health_data(user):
        raise ValidationError(
            {"kind": _("Only those who may see prescriptions may file a prescription.")}
        )
    if refraction_id is not None:
        _check_refraction(customer_id=customer_id, refraction_id=refraction_id, kind=kind)
    stored = (
        CustomerDocument.objects.alive()
        .filter(customer_id=customer_id)
        .aggregate(total=Sum("size"))["total"]
        or 0
    )
    adding = sum(len(ready.data) for _upload, ready in prepared)
    limit = settings.DOCUMENTS_MAX_CUSTOMER_MB * MB
    if stored + adding > limit:
        raise ValidationError(
            _(
                "The customer's documents may take up at most %(limit)s MB together; "
                "%(used)s MB are used. Please delete old documents or upload smaller files."
            ),
            code="customer_limit",
            params={"limit": settings.DOCUMENTS_MAX_CUSTOMER_MB, "used": round(stored / MB, 1)},
        )
    storage = document_storage()
    documents = []
    for upload, ready in prepared:
        key = _key(ready.extension)
        document = CustomerDocument(
            customer=customer,
            kind=kind,
            document_date=document_date,
            note=note.strip(),
            original_name=_clean_name(upload.name),
            content_type=ready.content_type,
            size=len(ready.data),
            refraction_id=refraction_id,
            uploaded_by=user,
        )
        document.file.name = key
        if ready.thumbnail is not None:
            document.thumbnail.name = key.rsplit(".", 1)[0] + "-thumb.jpg"
        document.full_clean()
        document.file.name = _write(storage, key, ready.data, written)
        if ready.thumbnail is not None:
            document.thumbnail.name = _write(
                storage, document.thumbnail.name, ready.thumbnail, written
            )
        document.save()
        documents.append(document)
    return documents


def _may_file_health_data(user) -> bool:
    """A prescription is health data: who may not see it may not file it
    (no user: the system itself, e.g. an import)."""
    return user is None or health_data.may_see_refractions(user)


def _check_refraction(*, customer_id: int, refraction_id: int, kind: str) -> None:
    from prescriptions.models import Refraction

    if kind != CustomerDocument.Kind.PRESCRIPTION:
        raise ValidationError(
            {"refraction": _("Only a prescription can be linked to a refraction.")}
        )
    if not Refraction.objects.filter(pk=refraction_id, customer_id=customer_id).exists():
        raise ValidationError({"refraction": _("This refraction is not the customer's.")})


@transaction.atomic
def document_soft_delete(*, document_id: int, user=None) -> CustomerDocument:
    """The document leaves the customer's list; its file stays until the
    customer's data is erased (the retention rules decide, not a click)."""
    document = CustomerDocument.objects.alive().select_for_update(no_key=True).get(pk=document_id)
    document.deleted_at = timezone.now()
    document.save(update_fields=["deleted_at", "updated_at"])
    return document


def documents_forget(customer_id: int) -> None:
    """An erased customer's files (DSGVO Art. 17), deleted ones included:
    called inside the erasure's transaction, the files go once it commits
    (a rolled back erasure keeps them). The rows go with the erasure."""
    names = [
        name
        for pair in CustomerDocument.objects.filter(customer_id=customer_id).values_list(
            "file", "thumbnail"
        )
        for name in pair
        if name
    ]
    if names:
        transaction.on_commit(lambda: _delete_files(names), robust=True)
