"""The task queue: a real `manage.py db_worker` process on the test database
runs what the app enqueued (django-tasks' database backend)."""

import pytest
from django.db import transaction
from django_tasks_db.models import DBTaskResult

from messaging.tasks import deliver_email
from messaging.tests.workers import running_worker, wait_for


@pytest.fixture
def worker(smtp_sink, tmp_path):
    """`manage.py db_worker` on the test database, sending to the loopback SMTP server."""
    log = tmp_path / "worker.log"
    with running_worker(smtp_sink.url, log) as process:
        yield process, log


@pytest.mark.django_db(transaction=True)
def test_a_worker_process_runs_an_enqueued_email_task(worker, smtp_sink):
    process, log = worker
    with transaction.atomic():
        result = deliver_email.enqueue(
            to="grete.mueller@example.de",
            subject="Ihre Brille ist abholbereit",
            body="Guten Tag Frau Müller,\nIhre Brille ist abholbereit.",
        )

    def finished():
        assert process.poll() is None, log.read_text()
        row = DBTaskResult.objects.get(id=result.id)
        return row if row.status in {"SUCCESSFUL", "FAILED"} else None

    row = wait_for(finished, timeout=90, what=f"the worker to run the task\n{log.read_text()}")

    assert row.status == "SUCCESSFUL", log.read_text()
    assert row.return_value["status"] == "sent", row.return_value
    assert smtp_sink.received.wait(5)
    [message] = smtp_sink.messages
    assert message["To"] == "grete.mueller@example.de"
    assert message["Message-ID"] == row.return_value["message_id"]
    assert "Frau Müller" in message.get_content()


@pytest.mark.django_db
def test_a_task_enqueued_in_a_rolled_back_transaction_never_runs():
    """The queue is a table of the same database: no mail for data that was
    never saved."""
    before = DBTaskResult.objects.count()
    with pytest.raises(RuntimeError), transaction.atomic():
        deliver_email.enqueue(to="kunde@example.de", subject="Termin", body="Text")
        assert DBTaskResult.objects.count() == before + 1
        raise RuntimeError("the booking failed")

    assert DBTaskResult.objects.count() == before


@pytest.mark.django_db
def test_tests_use_the_database_backend():
    from django_tasks import task_backends
    from django_tasks_db import DatabaseBackend

    assert isinstance(task_backends["default"], DatabaseBackend)
    result = deliver_email.enqueue(to="kunde@example.de", subject="Termin", body="Text")
    assert DBTaskResult.objects.get(id=result.id).status == "READY"
