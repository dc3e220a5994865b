"""Every write of imports: upload, mapping, starting a run, the run itself.

A run goes through the file in batches of IMPORT_BATCH_SIZE rows. In the
import each batch commits whole, together with its report rows and the
progress counter: if the worker stops, what is in the database is exactly
what the report lists (docs/rules.md, "Imports"). The test run is the same
code, with each batch rolled back before its report rows are written.
"""

import logging
import uuid
from itertools import islice

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Q
from django.db.models.functions import Now
from django.utils import timezone
from django.utils.translation import gettext as _

from imports import files
from imports.kinds import importer
from imports.models import ImportJob, ImportMapping, ImportRow, Kind, Outcome
from imports.rows import Result, guess_mapping

logger = logging.getLogger(__name__)
State = ImportJob.State


def job_create(*, data: bytes, filename: str, kind: str = Kind.CUSTOMERS, user=None) -> ImportJob:
    """Check the uploaded file (files.FileProblem if it cannot be imported)
    and keep it, with a first guess at its columns' fields."""
    table = files.inspect(data, filename)
    return ImportJob.objects.create(
        kind=kind,
        filename=filename[:255],
        data=data,
        file_format=table.file_format,
        encoding=table.encoding,
        delimiter=table.delimiter,
        headers=table.headers,
        samples=table.samples,
        row_count=table.row_count,
        mapping=guess_mapping(importer(kind).fields, table.headers),
        key=importer(kind).keys[0],
        created_by=user,
    )


def _check_mapping(kind: str, mapping: list[str], key: str) -> None:
    kind_importer = importer(kind)
    labels = {f.name: f.label() for f in kind_importer.fields}
    if key not in kind_importer.keys:
        raise ValidationError(_("Please choose one of the offered fields."))
    chosen = [name for name in mapping if name]
    if set(chosen) - set(labels):
        raise ValidationError(_("Please choose one of the offered fields."))
    if any(chosen.count(name) > 1 for name in chosen):
        raise ValidationError(_("Each field can be assigned to one column only."))
    missing = [labels[name] for name in kind_importer.needed(key) if name not in chosen]
    if missing:
        raise ValidationError(
            _("Please assign a column to: %(fields)s.") % {"fields": ", ".join(missing)}
        )


@transaction.atomic
def job_map(
    *,
    job_id: int,
    mapping: list[str],
    key: str,
    existing: str,
    save_as: str = "",
) -> ImportJob:
    """Set the columns' fields and how rows find existing customers; with
    ``save_as``, remember the assignment under that name for the next file
    from the same system."""
    job = _locked(job_id)
    if job.state not in (State.MAPPING, State.CHECKED):
        raise ValidationError(_("This import has already run; please upload the file again."))
    if len(mapping) != len(job.headers):
        raise ValidationError(_("The assignment does not fit this file's columns."))
    _check_mapping(job.kind, mapping, key)
    job.mapping, job.key, job.existing = mapping, key, existing
    job.state = State.MAPPING
    job.save(update_fields=["mapping", "key", "existing", "state"])
    if save_as.strip():
        ImportMapping.objects.update_or_create(
            kind=job.kind,
            name=save_as.strip()[:100],
            defaults={
                "columns": {
                    heading: field
                    for heading, field in zip(job.headers, mapping, strict=True)
                    if field
                },
                "key": key,
                "existing": existing,
            },
        )
    return job


@transaction.atomic
def job_check(
    *, job_id: int, mapping: list[str], key: str, existing: str, save_as: str = ""
) -> ImportJob:
    """Set the assignment and queue its test run, both or neither."""
    job_map(job_id=job_id, mapping=mapping, key=key, existing=existing, save_as=save_as)
    return job_start(job_id=job_id, dry_run=True)


def _locked(job_id: int) -> ImportJob:
    """The job, locked, without its file (up to 50 MB read for nothing).
    ImportJob.DoesNotExist if it was discarded meanwhile."""
    return ImportJob.objects.select_for_update().defer("data").get(pk=job_id)


def mapping_for(job: ImportJob, saved: ImportMapping) -> list[str]:
    """A saved assignment applied to this file's columns (by heading)."""
    return [saved.columns.get(heading, "") for heading in job.headers]


@transaction.atomic
def job_start(*, job_id: int, dry_run: bool) -> ImportJob:
    """Queue the test run (``dry_run``) or the import. The import only after
    a test run of the same assignment, and only once."""
    from imports.tasks import run_import

    job = _locked(job_id)
    if job.running:
        raise ValidationError(_("This import is already running."))
    if job.state in (State.DONE, State.FAILED):
        raise ValidationError(_("This import has already run; please upload the file again."))
    if not dry_run and job.state != State.CHECKED:
        raise ValidationError(_("Please do a test run of this assignment first."))
    _check_mapping(job.kind, job.mapping, job.key)
    job.rows.all().delete()
    job.state = State.CHECKING if dry_run else State.IMPORTING
    job.rows_done, job.counts, job.failure = 0, {}, ""
    job.started_at, job.finished_at = timezone.now(), None
    job.progress_at = job.started_at
    job.run_token = uuid.uuid4().hex
    job.save(update_fields=[*RUN_FIELDS, "state", "rows_done", "counts", "failure"])
    run_import.enqueue(job_id=job.pk, token=job.run_token)
    return job


@transaction.atomic
def job_resume(*, job_id: int) -> ImportJob:
    """Queue a run again that stopped without a word (its worker was
    killed): it goes on after the last batch that committed."""
    from imports.selectors import stalled
    from imports.tasks import run_import

    job = _locked(job_id)
    if not stalled(job):
        raise ValidationError(_("This import is running; it needs no resuming."))
    # A new token: should the old run wake up after all, its next batch
    # finds the job taken over and stops (job_run).
    job.progress_at, job.run_token = timezone.now(), uuid.uuid4().hex
    job.save(update_fields=["progress_at", "run_token"])
    run_import.enqueue(job_id=job.pk, token=job.run_token)
    return job


@transaction.atomic
def job_remap(*, job_id: int) -> ImportJob:
    """Back from the test run's result to the assignment."""
    job = _locked(job_id)
    if job.state != State.CHECKED:
        raise ValidationError(_("This import has already run; please upload the file again."))
    job.rows.all().delete()
    job.state, job.rows_done, job.counts = State.MAPPING, 0, {}
    job.save(update_fields=["state", "rows_done", "counts"])
    return job


@transaction.atomic
def job_delete(*, job_id: int) -> None:
    """Discard an import that is not running (its file and report)."""
    job = _locked(job_id)
    if job.running:
        raise ValidationError(_("A running import cannot be discarded."))
    job.delete()


RUN_FIELDS = ("started_at", "finished_at", "progress_at", "run_token")


class _TakenOver(Exception):
    """The job was resumed by another run (a new token): this one stops."""


def _batches(iterable, size: int):
    iterator = iter(iterable)
    while batch := list(islice(iterator, size)):
        yield batch


def _process(rows_importer, row_number: int, values: dict) -> Result:
    """One row in a savepoint of its own: whatever it raises, its batch
    goes on (the importers say why a row fails; anything else is logged)."""
    try:
        with transaction.atomic():
            return rows_importer.process(row_number, values)
    except Exception:
        logger.exception("Import row %s could not be saved", row_number)
        return Result(Outcome.ERROR, _("could not be saved"))


def _values(cells: list, columns: list) -> dict:
    return {name: cells[index] if index < len(cells) else None for index, name in columns}


def _overflows(cells: list, width: int) -> bool:
    """The row has more cells than the file has columns (a row error)."""
    return any(files.as_text(cell) for cell in cells[width:])


def _batch(rows_importer, batch: list, columns: list, width: int) -> list[tuple[int, Result]]:
    rows_values = [_values(cells, columns) for _row_number, cells in batch]
    if hasattr(rows_importer, "prepare"):
        rows_importer.prepare(rows_values)
    results = []
    for (row_number, cells), values in zip(batch, rows_values, strict=True):
        if _overflows(cells, width):
            results.append((row_number, _too_many_cells()))
        else:
            results.append((row_number, _process(rows_importer, row_number, values)))
    return results


def job_run(*, job_id: int, token: str | None = None) -> ImportJob:
    """Run the queued test run or import (the task's body). ``token``: the
    run the task was queued for; a job resumed since belongs to another."""
    job = ImportJob.objects.get(pk=job_id)
    token = token or job.run_token
    if not job.running or job.run_token != token:
        return job
    dry_run = job.state == State.CHECKING
    rows_importer = importer(job.kind)(key=job.key, existing=job.existing, user=job.created_by)
    table = files.Table(
        file_format=job.file_format,
        headers=job.headers,
        encoding=job.encoding,
        delimiter=job.delimiter,
    )
    columns = [(index, name) for index, name in enumerate(job.mapping) if name]
    counts = dict(job.counts)
    try:
        if hasattr(rows_importer, "survey"):
            # Rows that belong together wherever they stand (a lens's price
            # list, replaced whole): the importer reads the whole file first,
            # on a resumed run too.
            rows_importer.survey(
                (
                    (row_number, _values(cells, columns), not _overflows(cells, len(job.headers)))
                    for row_number, cells in files.data_rows(job.data, table)
                ),
                done=job.rows_done,
            )
        # Resumed after a hard stop: the committed batches are done.
        rows = islice(files.data_rows(job.data, table), job.rows_done, None)
        for batch in _batches(rows, settings.IMPORT_BATCH_SIZE):
            with transaction.atomic():
                with transaction.atomic():
                    results = _batch(rows_importer, batch, columns, len(job.headers))
                    if dry_run:
                        transaction.set_rollback(True)
                for _row_number, result in results:
                    counts[result.outcome] = counts.get(result.outcome, 0) + 1
                # Claims the batch for this run: a run taken over writes
                # nothing and stops (its batch rolls back).
                claimed = ImportJob.objects.filter(pk=job.pk, run_token=token).update(
                    rows_done=F("rows_done") + len(batch), counts=counts, progress_at=Now()
                )
                if not claimed:
                    raise _TakenOver
                ImportRow.objects.bulk_create(
                    ImportRow(
                        job_id=job.pk,
                        row_number=row_number,
                        outcome=result.outcome,
                        message=result.message[:2000],
                        object_id=None if dry_run else result.object_id,
                    )
                    for row_number, result in results
                )
    except _TakenOver:
        logger.warning("Import %s was resumed by another run; this one stops", job.pk)
        return job
    except Exception as error:
        logger.exception("Import %s stopped", job.pk)
        reason = error.message if isinstance(error, files.FileProblem) else _("internal error")
        # The file is of no more use (it must be uploaded again) and holds
        # personal data.
        ImportJob.objects.filter(pk=job.pk, run_token=token).update(
            state=State.FAILED,
            finished_at=timezone.now(),
            failure=_("Stopped: %(reason)s") % {"reason": reason.rstrip(".")} + ".",
            data=b"",
            samples=[],
        )
        raise
    finished = {"state": State.CHECKED if dry_run else State.DONE, "finished_at": timezone.now()}
    if not dry_run:
        # The file and its sample rows hold personal data; the report says
        # what came of it.
        finished["data"] = b""
        finished["samples"] = []
    ImportJob.objects.filter(pk=job.pk, run_token=token).update(**finished)
    job.refresh_from_db()
    return job


def _too_many_cells() -> Result:
    return Result(Outcome.ERROR, _("the row has more cells than the file has columns"))


# Imports that wait with their file (columns to assign, test run done): the
# file may hold an erased customer.
WAITING_WITH_FILE = (State.MAPPING, State.CHECKED)


def rows_scrub_customer(customer_id: int) -> None:
    """What imports keep of an erased customer (DSGVO Art. 17): the report
    lines that stand for the customer or name them ("schon vorhanden: Kunde
    12 (…)") are blanked — the outcome stays, so the counts still add up —
    and imports waiting with a file that may hold the person are discarded
    (a running one deletes its file when it ends)."""
    with_customers = [Kind.CUSTOMERS, Kind.REFRACTIONS, Kind.APPOINTMENTS]
    ImportRow.objects.filter(
        Q(job__kind__in=with_customers, object_id=customer_id)
        # who(): "Kunde 12 (Erika …" in any language; \y: a word boundary.
        | Q(job__kind=Kind.CUSTOMERS, message__regex=rf"\y{int(customer_id)} \(")
    ).update(message="", object_id=None)
    ImportJob.objects.filter(state__in=WAITING_WITH_FILE).delete()


def waiting_imports(customer_id: int) -> list[tuple[str, int]]:
    """What the erasure discards of imports, for its explanation."""
    count = ImportJob.objects.filter(state__in=WAITING_WITH_FILE).count()
    return [(_("imports not finished, with their file"), count)] if count else []
