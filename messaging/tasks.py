"""Background work of messaging, run by `manage.py db_worker` (docs/messaging.md).

A task's arguments and return value are JSON. Enqueued inside a transaction,
a task is committed (or rolled back) together with the data it belongs to:
the queue is a table of the same database (django-tasks' database backend).
The worker has no request, so a task speaks the shop's language
(LANGUAGE_CODE) for the reasons it records.
"""

from django.conf import settings
from django.utils import translation
from django_tasks import task

from messaging.delivery import send_email


@task()
def deliver_email(
    *, to: str, subject: str, body: str, headers: dict[str, str] | None = None
) -> dict:
    """Send one e-mail in the background; the result (sent, or failed with a
    reason and whether it is transient) is the task's return value."""
    with translation.override(settings.LANGUAGE_CODE):
        return send_email(to=to, subject=subject, body=body, headers=headers).as_dict()
