"""`make run` (opticrm.run) without serving: what it prepares."""

import os
import subprocess
import sys
import time

import pytest

from opticrm import run


@pytest.fixture
def steps(monkeypatch):
    """The manage.py steps run.main would take; serving ends at once."""
    taken = []

    def manage(*args):
        taken.append(args[0])
        if args[0] == "runserver":
            raise KeyboardInterrupt

    monkeypatch.setattr(run, "manage", manage)
    monkeypatch.setattr(run, "start_worker", lambda: taken.append("db_worker") or "worker")
    monkeypatch.setattr(
        run, "start_scheduler", lambda: taken.append("dispatch_messages") or "scheduler"
    )
    monkeypatch.setattr(run, "stop_worker", lambda worker: taken.append(f"stop {worker}"))
    monkeypatch.setattr(run.embedded_db, "stop", lambda: None)
    monkeypatch.setattr(run.signal, "signal", lambda *args: None)  # pytest keeps its own
    monkeypatch.setattr(sys, "argv", ["run"])
    monkeypatch.setenv("DEBUG", "false")  # as the tests run; run.py only sets a default
    for name in ("DATABASE_URL", *run.DEMO_SHOP):
        monkeypatch.delenv(name, raising=False)
    return taken


def test_the_demo_shop_is_named_for_the_brillenpass(steps):
    assert run.main() == 0
    # Worker and scheduler start once the tables exist and stop with the web server.
    assert steps == [
        "migrate",
        "seed_demo",
        "db_worker",
        "dispatch_messages",
        "runserver",
        "stop scheduler",
        "stop worker",
    ]
    import os

    assert os.environ["SHOP_NAME"] == "Augenoptik Sonnenschein"
    assert os.environ["SHOP_ADDRESS"] == "Marienplatz 1, 80331 München"


def test_a_shop_named_by_the_operator_stays(steps, monkeypatch):
    monkeypatch.setenv("SHOP_NAME", "Optik Müller")
    run.main()
    import os

    assert os.environ["SHOP_NAME"] == "Optik Müller"


def test_stopping_the_worker_stops_its_whole_process_group(tmp_path):
    """The worker's reloader runs the worker in a child: both must end."""
    marker = tmp_path / "child.pid"
    worker = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import subprocess, sys; child = subprocess.Popen([sys.executable, '-c', "
            "'import time; time.sleep(600)']); "
            f"open({str(marker)!r}, 'w').write(str(child.pid)); child.wait()",
        ],
        start_new_session=True,
    )
    deadline = time.monotonic() + 30
    while not (marker.exists() and marker.read_text()) and time.monotonic() < deadline:
        time.sleep(0.05)
    child = int(marker.read_text())

    run.stop_worker(worker)

    assert worker.returncode is not None
    deadline = time.monotonic() + 10
    while _alive(child) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(child)


def _alive(pid: int) -> bool:
    try:
        waited, _status = os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        # Not our child: ask whether it still exists (a zombie counts as gone).
        try:
            with open(f"/proc/{pid}/stat") as stat:
                return stat.read().split()[2] != "Z"
        except FileNotFoundError:
            return False
    return waited == 0
