"""Writes of customer documents: the one home of their rules (what is kept,
the limits, who deletes). A file and its row are written together: when the
row cannot be saved, the file is deleted again, so that the storage never
holds a file nobody knows of."""

import dataclasses
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
from opticrm.lib.storage import delete_files

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


def document_upload(
    *,
    customer_id: int,
    uploads: Sequence[Upload],
    kind: str,
    document_date: datetime.date,
    note: str = "",
    refraction_id: int | None = None,
    product_id: int | None = None,
    user=None,
) -> list[CustomerDocument]:
    """Keep ``uploads`` as documents of the customer, all or none: every
    file is checked first (content, size, the customer's total), then the
    files are written and the rows saved in one transaction; if anything
    fails, the files written so far are deleted and the error raised.
    A small PDF's first page is drawn now; a larger one's by the worker
    once the upload has committed (the list shows a placeholder until)."""
    if not uploads:
        raise ValidationError(_("Please choose at least one file."), code="no_files")
    max_file = settings.DOCUMENTS_MAX_FILE_MB * MB
    prepared = [
        (upload, _with_inline_thumbnail(content.prepare(
            name=upload.name, data=upload.data, max_bytes=max_file
        )))
        for upload in uploads
    ]  # fmt: skip
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
                product_id=product_id,
                user=user,
                written=written,
            )
            pending = [document.pk for document in documents if document.thumbnail_pending]
            if pending:
                transaction.on_commit(lambda: _enqueue_thumbnails(pending))
    except BaseException:
        delete_files(written)
        raise
    return documents


def _inline_thumbnail_bytes() -> float:
    return settings.DOCUMENTS_THUMBNAIL_INLINE_MB * MB


def _with_inline_thumbnail(ready: content.Prepared) -> content.Prepared:
    """An image's thumbnail comes from its re-encoding (documents.content),
    which must run before the file is kept anyway; a PDF's first page is
    drawn here only when the PDF is small, a large scan waits for the worker."""
    if ready.content_type != "application/pdf" or len(ready.data) > _inline_thumbnail_bytes():
        return ready
    return dataclasses.replace(ready, thumbnail=content.pdf_thumbnail(ready.data))


def _enqueue_thumbnails(document_ids: list[int]) -> None:
    from documents.tasks import make_thumbnail

    for document_id in document_ids:
        make_thumbnail.enqueue(document_id=document_id)


def _save(
    *, customer_id, prepared, kind, document_date, note, refraction_id, product_id, user, written
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
    if product_id is not None:
        _check_frame(product_id=product_id, kind=kind)
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
            product_id=product_id,
            uploaded_by=user,
            # A large PDF: drawn by the worker after the commit.
            thumbnail_pending=ready.thumbnail is None
            and ready.content_type == "application/pdf"
            and len(ready.data) > _inline_thumbnail_bytes(),
        )
        document.file.name = key
        if ready.thumbnail is not None:
            document.thumbnail.name = _thumbnail_key(key)
        document.full_clean()
        document.file.name = _write(storage, key, ready.data, written)
        if ready.thumbnail is not None:
            document.thumbnail.name = _write(
                storage, document.thumbnail.name, ready.thumbnail, written
            )
        document.save()
        documents.append(document)
    return documents


def _thumbnail_key(file_key: str) -> str:
    return file_key.rsplit(".", 1)[0] + "-thumb.jpg"


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


def _check_frame(*, product_id: int, kind: str) -> None:
    from products.models import Category, Product

    if kind != CustomerDocument.Kind.FRAME_PHOTO:
        raise ValidationError({"product": _("Only a photo with a frame names the frame worn.")})
    if not Product.objects.filter(pk=product_id, category=Category.FRAME).exists():
        raise ValidationError({"product": _("Please choose a frame.")})


@transaction.atomic
def document_update(
    *,
    document_id: int,
    kind: str,
    document_date: datetime.date,
    note: str = "",
    refraction_id: int | None = None,
    product_id: int | None = None,
    user=None,
) -> CustomerDocument:
    """Correct what a document is (kind, date, note) and what it is linked
    to (the refraction entered from a prescription, the frame worn on a
    photo); the file stays as it is. Health data, before or after, only for
    who may see it."""
    document = (
        CustomerDocument.objects.alive()
        .select_for_update(no_key=True)
        .filter(pk=document_id, customer__deleted_at__isnull=True)
        .first()
    )
    if document is None:
        raise ValidationError(_("This document no longer exists."), code="gone")
    becomes_health = kind in CustomerDocument.HEALTH_KINDS or refraction_id is not None
    if (document.is_health_data or becomes_health) and not _may_file_health_data(user):
        raise ValidationError(
            {"kind": _("Only those who may see prescriptions may file a prescription.")}
        )
    if refraction_id is not None:
        _check_refraction(customer_id=document.customer_id, refraction_id=refraction_id, kind=kind)
    if product_id is not None:
        _check_frame(product_id=product_id, kind=kind)
    document.kind = kind
    document.document_date = document_date
    document.note = note.strip()
    document.refraction_id = refraction_id
    document.product_id = product_id
    document.full_clean(exclude=["file", "thumbnail", "customer", "uploaded_by"])
    document.save(
        update_fields=[
            "kind", "document_date", "note", "refraction", "product", "updated_at"
        ]
    )  # fmt: skip
    return document


@transaction.atomic
def document_soft_delete(*, document_id: int, user=None) -> CustomerDocument:
    """The document leaves the customer's list; it can be restored for
    DOCUMENTS_DELETED_KEEP_DAYS, then documents_purge removes its row and
    its file (and the customer's erasure does so at once)."""
    document = CustomerDocument.objects.alive().select_for_update(no_key=True).get(pk=document_id)
    document.deleted_at = timezone.now()
    document.save(update_fields=["deleted_at", "updated_at"])
    return document


def restorable_since(now=None) -> datetime.datetime:
    """Documents deleted after this moment can still be restored."""
    return (now or timezone.now()) - datetime.timedelta(days=settings.DOCUMENTS_DELETED_KEEP_DAYS)


@transaction.atomic
def document_restore(*, document_id: int, user=None) -> CustomerDocument:
    """A deleted document back in the customer's list, while it is kept
    (DOCUMENTS_DELETED_KEEP_DAYS) and its customer is not deleted."""
    document = (
        CustomerDocument.objects.select_for_update(no_key=True)
        .filter(
            pk=document_id,
            deleted_at__gt=restorable_since(),
            customer__deleted_at__isnull=True,
        )
        .first()
    )
    if document is None:
        raise ValidationError(_("This document can no longer be restored."), code="not_restorable")
    document.deleted_at = None
    document.save(update_fields=["deleted_at", "updated_at"])
    return document


# Rows removed per transaction by the purge.
PURGE_BATCH = 500


def documents_purge(*, now=None) -> int:
    """Deleted documents past DOCUMENTS_DELETED_KEEP_DAYS go for good: the
    row, its history (name and note are personal data) and, once that has
    committed, the file and thumbnail. Returns how many. Safe to run from
    several schedulers at once (rows are claimed with SKIP LOCKED)."""
    from documents.models import CustomerDocumentEvent

    before = restorable_since(now)
    purged = 0
    while True:
        with transaction.atomic():
            rows = list(
                CustomerDocument.objects.filter(deleted_at__lte=before)
                .select_for_update(skip_locked=True)
                .order_by("pk")
                .values_list("pk", "file", "thumbnail")[:PURGE_BATCH]
            )
            if not rows:
                return purged
            ids = [pk for pk, _file, _thumb in rows]
            names = [name for _pk, *pair in rows for name in pair if name]
            CustomerDocument.objects.filter(pk__in=ids).delete()
            CustomerDocumentEvent.objects.filter(pgh_obj_id__in=ids).delete()
            transaction.on_commit(lambda names=names: delete_files(names), robust=True)
        purged += len(ids)


def thumbnail_make(*, document_id: int) -> bool:
    """A document's thumbnail made once, from its stored file (the worker's
    part of a large PDF). True when one was made; a document that has one,
    is gone or cannot be drawn is left (the list then shows the icon)."""
    document = CustomerDocument.objects.filter(pk=document_id).first()
    if document is None or document.thumbnail:
        return False
    storage = document_storage()
    try:
        with storage.open(document.file.name, "rb") as handle:
            data = handle.read()
    except (FileNotFoundError, OSError):
        logger.warning("The file of document %s is missing", document_id)
        data = b""
    made = content.pdf_thumbnail(data) if data and not document.is_image else None
    written: list[str] = []
    try:
        with transaction.atomic():
            locked = (
                CustomerDocument.objects.select_for_update(no_key=True)
                .filter(pk=document_id)
                .first()
            )
            if locked is None or locked.thumbnail:
                made = None
            else:
                if made is not None:
                    locked.thumbnail.name = _write(
                        storage, _thumbnail_key(locked.file.name), made, written
                    )
                locked.thumbnail_pending = False
                locked.save(update_fields=["thumbnail", "thumbnail_pending", "updated_at"])
    except BaseException:
        delete_files(written)
        raise
    return made is not None


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
        transaction.on_commit(lambda: delete_files(names), robust=True)
