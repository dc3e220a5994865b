"""Background work of imports, run by `manage.py db_worker`."""

from django.conf import settings
from django.utils import translation
from django_tasks import task


@task()
def run_import(*, job_id: int, token: str = "") -> dict:
    """A queued test run or import (imports.services.job_run); returns the
    outcome counts. The worker speaks the shop's language for the report."""
    from imports.services import job_run

    with translation.override(settings.LANGUAGE_CODE):
        return job_run(job_id=job_id, token=token or None).counts
