"""Background work of privacy, run by `manage.py db_worker`."""

from django.conf import settings
from django.utils import translation
from django_tasks import task


@task()
def make_data_export(*, export_id: int) -> dict:
    """A queued "Alle Daten exportieren" (privacy.services.data_export_run);
    returns the rows per table. The worker speaks the shop's language: the
    README and the reason of a failure are German."""
    from privacy.services import data_export_run

    with translation.override(settings.LANGUAGE_CODE):
        return data_export_run(export_id=export_id).counts
