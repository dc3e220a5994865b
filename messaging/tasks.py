"""Background work of messaging, run by `manage.py db_worker` (docs/messaging.md).

A task's arguments and return value are JSON. Enqueued inside a transaction,
a task is committed (or rolled back) together with the data it belongs to:
the queue is a table of the same database (django-tasks' database backend).
The worker has no request, so a task speaks the shop's language
(LANGUAGE_CODE) for the reasons it records.
"""

import logging

from django.conf import settings
from django.utils import translation
from django_tasks import task

from messaging.delivery import send_email

logger = logging.getLogger(__name__)


@task()
def deliver_email(
    *, to: str, subject: str, body: str, headers: dict[str, str] | None = None
) -> dict:
    """Send one e-mail in the background; the result (sent, or failed with a
    reason and whether it is transient) is the task's return value."""
    with translation.override(settings.LANGUAGE_CODE):
        return send_email(to=to, subject=subject, body=body, headers=headers).as_dict()


@task()
def deliver_messages(*, message_ids: list[int]) -> dict:
    """Send a batch of queued messages (messaging.services.message_deliver);
    the return value counts the outcomes."""
    from messaging.services import message_deliver, message_fail

    outcomes: dict[str, int] = {}
    with translation.override(settings.LANGUAGE_CODE):
        for message_id in message_ids:
            try:
                state = message_deliver(message_id=message_id) or "skipped"
            except Exception:
                # One message's error must not leave the rest of the batch
                # unsent: it is marked failed (shown to staff), the rest go on.
                logger.exception("Message %s: delivery raised", message_id)
                state = message_fail(message_id=message_id)
            outcomes[state] = outcomes.get(state, 0) + 1
    return outcomes


@task()
def queue_recall(*, query: dict, user_id: int | None) -> dict:
    """The recall list's "send e-mails and SMS": plan and queue them in the
    background (messaging.services.recall_queue), not in the request."""
    from messaging.services import recall_queue

    with translation.override(settings.LANGUAGE_CODE):
        return {"planned": recall_queue(query_data=query, user_id=user_id)}
