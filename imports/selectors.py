"""Reads of imports: the jobs, a run's progress and its report rows."""

import datetime

from django.db.models import QuerySet
from django.utils import timezone

from imports.models import ImportJob, ImportMapping, ImportRow

RECENT_JOBS = 20


def recent_jobs(kinds: list[str]) -> QuerySet[ImportJob]:
    """The newest imports of the kinds the user may import."""
    return (
        ImportJob.objects.filter(kind__in=kinds)
        .defer("data", "samples")
        .select_related("created_by")[:RECENT_JOBS]
    )


def job(pk: int) -> ImportJob:
    return ImportJob.objects.defer("data").select_related("created_by").get(pk=pk)


def saved_mappings(kind: str) -> QuerySet[ImportMapping]:
    return ImportMapping.objects.filter(kind=kind)


def fitting_mapping(job: ImportJob) -> ImportMapping | None:
    """The saved assignment made for a file with these columns: every
    heading it assigns is in this file, the most assigned first."""
    headers = set(job.headers)
    best = None
    for saved in saved_mappings(job.kind):
        fits = saved.columns and set(saved.columns) <= headers
        if fits and (best is None or len(saved.columns) > len(best.columns)):
            best = saved
    return best


def report_rows(job_id: int, outcome: str = "") -> QuerySet[ImportRow]:
    rows = ImportRow.objects.filter(job_id=job_id)
    if outcome:
        rows = rows.filter(outcome=outcome)
    return rows.order_by("row_number")


def remaining_time(
    job: ImportJob, now: datetime.datetime | None = None
) -> datetime.timedelta | None:
    """How long the run will still take, at the pace it has had so far."""
    if not job.running or not job.rows_done or job.started_at is None:
        return None
    elapsed = (now or timezone.now()) - job.started_at
    return elapsed / job.rows_done * (job.row_count - job.rows_done)


# A batch of 500 rows commits in seconds; this long without one, the worker
# that ran the import was stopped (killed, the machine restarted).
STALLED_AFTER = datetime.timedelta(minutes=10)


def stalled(job: ImportJob, now: datetime.datetime | None = None) -> bool:
    if not job.running or job.progress_at is None:
        return False
    return (now or timezone.now()) - job.progress_at > STALLED_AFTER


def percent(job: ImportJob) -> int:
    if not job.row_count:
        return 0
    return min(100, job.rows_done * 100 // job.row_count)
