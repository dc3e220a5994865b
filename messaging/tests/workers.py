"""A real `manage.py db_worker` process on the test database, as `make run`
and the compose file start it, sending mail to a loopback SMTP server."""

import os
import subprocess
import sys
import time
import urllib.parse
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.db import connection

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


@contextmanager
def running_worker(smtp_url: str, log: Path):
    """A worker process writing its output to ``log``; stopped on leaving."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "opticrm.settings_test",
        "DATABASE_URL": database_url(connection.settings_dict),
        "EMAIL_URL": smtp_url,
        "PYTHONUNBUFFERED": "1",
    }
    command = ["manage.py", "db_worker", "--no-reload", "--no-startup-delay", "--interval", "0.1"]
    with log.open("w") as output:
        process = subprocess.Popen(
            [sys.executable, *command],
            cwd=BASE_DIR,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
        try:
            yield process
        finally:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
