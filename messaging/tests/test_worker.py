"""The task queue: a real `manage.py db_worker` process on the test database
runs what the app enqueued (django-tasks' database backend)."""

import os
import subprocess
import sys
import time
import urllib.parse
from pathlib import Path

import pytest
from django.db import connection, transaction
from django_tasks_db.models import DBTaskResult

from messaging.tasks import deliver_email

BASE_DIR = Path(__file__).resolve().parent.parent.parent


def database_url(settings_dict: dict) -> str:
    """A DATABASE_URL for the database this test runs on (the test database)."""
    quote = urllib.parse.quote
    user = quote(settings_dict["USER"] or "", safe="")
    password = quote(settings_dict["PASSWORD"] or "", safe="")
    host = quote(settings_dict["HOST"] or "", safe="")
    port = f":{settings_dict['PORT']}" if settings_dict["PORT"] else ""
    options = {k: v for k, v in settings_dict["OPTIONS"].items() if isinstance(v, str)}
    query = f"?{urllib.parse.urlencode(options)}" if options else ""
    return f"postgresql://{user}:{password}@{host}{port}/{quote(settings_dict['NAME'])}{query}"


def wait_for(condition, *, timeout: float, what: str):
    """Poll `condition` until it returns something true, or fail after `timeout`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := condition():
            return value
        time.sleep(0.05)
    pytest.fail(f"Timed out after {timeout} s waiting for {what}")


@pytest.fixture
def worker(smtp_sink, tmp_path):
    """`manage.py db_worker` as `make run` and the compose file start it, on
    the test database, sending mail to the loopback SMTP server."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "opticrm.settings_test",
        "DATABASE_URL": database_url(connection.settings_dict),
        "EMAIL_URL": smtp_sink.url,
        "PYTHONUNBUFFERED": "1",
    }
    log = tmp_path / "worker.log"
    with log.open("w") as output:
        process = subprocess.Popen(
            [
                sys.executable,
                "manage.py",
                "db_worker",
                "--no-reload",
                "--no-startup-delay",
                "--interval",
                "0.1",
            ],
            cwd=BASE_DIR,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
        try:
            yield process, log
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


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
