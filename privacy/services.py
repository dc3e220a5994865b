"""The person's data rights (DSGVO): the access report of Art. 15; and the
shop's own: "Alle Daten exportieren", every table in one ZIP (issue 27)."""

import contextlib
import datetime
import hashlib
import json
import logging
import os
import tempfile
import uuid

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files import File
from django.core.files.storage import default_storage
from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from customers.models import Customer
from prescriptions.models import HealthDataAccess
from prescriptions.services import health_data_opened
from privacy import full_export
from privacy.models import AccessReport, DataExport
from privacy.pdf import access_report_pdf
from privacy.report import access_report, as_json

logger = logging.getLogger(__name__)


@transaction.atomic
def access_report_create(*, customer_id: int, file_format: str, user) -> bytes:
    """Everything stored about the customer (deleted or not) as a PDF or a
    JSON file; the making of it is logged (AccessReport)."""
    customer = Customer.objects.get(pk=customer_id)
    report = access_report(customer)
    if file_format == AccessReport.Format.PDF:
        content = access_report_pdf(report)
    else:
        content = json.dumps(
            as_json(report), cls=DjangoJSONEncoder, ensure_ascii=False, indent=2
        ).encode("utf-8")
    AccessReport.objects.create(
        customer_number=customer.pk, file_format=file_format, created_by=user
    )
    health_data_opened(
        user=user, customer_id=customer.pk, where=HealthDataAccess.Where.ACCESS_REPORT
    )
    return content


# --- "Alle Daten exportieren" (issue 27) ---------------------------------------

# A queued or running export this old was left behind by a stopped worker
# (a chain's million customers take minutes, not hours).
STALE_AFTER = datetime.timedelta(hours=6)
# The exports' folder in the default storage; the files are never served
# from a public URL, only by privacy.views.data_export_download.
STORAGE_FOLDER = "data-exports"


def _already_running() -> ValidationError:
    return ValidationError(
        _("An export of all data is already being made. Please wait until it is ready."),
        code="running",
    )


@transaction.atomic
def data_export_request(*, user) -> DataExport:
    """Queue an export of all data for ``user`` (the owner); one at a time,
    whoever asks (a second click, a colleague)."""
    from privacy.tasks import make_data_export

    if not user.has_perm("privacy.add_dataexport"):
        raise PermissionDenied
    if DataExport.objects.filter(state__in=DataExport.ACTIVE).exists():
        raise _already_running()
    export = DataExport(created_by=user)
    export.full_clean()
    try:
        with transaction.atomic():
            export.save()
    except IntegrityError:
        # Asked at the same moment: the unique index let one through.
        raise _already_running() from None
    make_data_export.enqueue(export_id=export.pk)
    return export


class _TemporaryZip(File):
    """The finished ZIP: FileSystemStorage moves a file that names its
    temporary path (as an upload's) instead of copying gigabytes."""

    def temporary_file_path(self) -> str:
        return self.name


def _sha256(path: str) -> tuple[str, int]:
    digest, size = hashlib.sha256(), 0
    with open(path, "rb") as content:
        while block := content.read(1024 * 1024):
            digest.update(block)
            size += len(block)
    return digest.hexdigest(), size


def data_export_run(*, export_id: int) -> DataExport:
    """Make the queued export (the task's body): the ZIP in a temporary
    file, then into the default storage, valid DATA_EXPORT_VALID_HOURS.
    Whatever fails, the export is marked failed with a German reason, no
    file is left behind, the error is logged and raised again."""
    claimed = DataExport.objects.filter(pk=export_id, state=DataExport.State.QUEUED).update(
        state=DataExport.State.RUNNING, started_at=timezone.now()
    )
    export = DataExport.objects.select_related("created_by").get(pk=export_id)
    if not claimed:
        # Made already, or given up as stale (data_exports_expire).
        return export
    temporary, stored = "", ""
    try:
        with tempfile.NamedTemporaryFile(prefix="opticrm-", suffix=".zip", delete=False) as out:
            temporary = out.name
            counts = full_export.write_zip(out, requested_by=export.created_by)
        digest, size = _sha256(temporary)
        finished = timezone.now()
        name = pgettext("file name", "all-data")
        filename = f"opticrm-{name}-{timezone.localtime(finished):%Y-%m-%d-%H%M}.zip"
        with open(temporary, "rb") as content:
            stored = default_storage.save(
                f"{STORAGE_FOLDER}/{uuid.uuid4().hex}.zip", _TemporaryZip(content, temporary)
            )
        done = DataExport.objects.filter(pk=export_id, state=DataExport.State.RUNNING).update(
            state=DataExport.State.READY,
            finished_at=finished,
            expires_at=finished + datetime.timedelta(hours=settings.DATA_EXPORT_VALID_HOURS),
            storage_name=stored,
            filename=filename,
            size=size,
            sha256=digest,
            counts=counts,
        )
        if not done:
            # Given up meanwhile as stale: nobody will download it.
            default_storage.delete(stored)
    except Exception:
        logger.exception("Data export %s failed", export_id)
        if stored:
            with contextlib.suppress(Exception):
                default_storage.delete(stored)
        DataExport.objects.filter(pk=export_id).update(
            state=DataExport.State.FAILED,
            finished_at=timezone.now(),
            storage_name="",
            failure=_(
                "The export could not be made. Please try again; if it fails again, "
                "tell whoever looks after OptiCRM for you."
            ),
        )
        raise
    finally:
        if temporary:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temporary)
    export.refresh_from_db()
    return export


def _expire(due) -> int:
    expired = 0
    for export in due.only("pk", "storage_name"):
        if export.storage_name:
            # A file that is gone already is fine (FileSystemStorage ignores it).
            default_storage.delete(export.storage_name)
        expired += DataExport.objects.filter(pk=export.pk, state=DataExport.State.READY).update(
            state=DataExport.State.EXPIRED, storage_name=""
        )
    return expired


def data_exports_withdraw(customer_id: int) -> None:
    """An erased customer (DSGVO Art. 17) is in every export made before, and
    in one being made from a snapshot of before: once the erasure is
    committed, the files go as if expired and the export being made is
    given up (it may be started again). A storage that fails here is logged,
    not the erasure's problem: the scheduler deletes expired files again."""

    def withdraw() -> None:
        DataExport.objects.filter(state__in=DataExport.ACTIVE).update(
            state=DataExport.State.FAILED,
            finished_at=timezone.now(),
            failure=_(
                "Stopped: a customer was erased while the export was being made. "
                "Please start it again."
            ),
        )
        _expire(DataExport.objects.filter(state=DataExport.State.READY))

    transaction.on_commit(withdraw, robust=True)


def data_exports_expire(*, now: datetime.datetime | None = None) -> int:
    """Delete the files of exports whose link has expired and mark them
    expired; give up exports a stopped worker left queued or running.
    Idempotent (for a scheduler); how many expired now."""
    now = now or timezone.now()
    expired = _expire(DataExport.objects.filter(state=DataExport.State.READY, expires_at__lte=now))
    DataExport.objects.filter(state__in=DataExport.ACTIVE, created_at__lt=now - STALE_AFTER).update(
        state=DataExport.State.FAILED,
        finished_at=now,
        failure=_(
            "Stopped: the background worker did not finish the export. Please start it again."
        ),
    )
    return expired
