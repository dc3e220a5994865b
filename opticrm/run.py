"""`make run`: prepare the database, then serve with a background worker
next to the web server; stop both and the embedded database however the
server ends (Ctrl+C included)."""

import argparse
import os
import signal
import subprocess
import sys
from pathlib import Path

import environ

from opticrm import embedded_db

DEMO_SHOP = {
    "SHOP_NAME": "Augenoptik Sonnenschein",
    "SHOP_ADDRESS": "Marienplatz 1, 80331 München",
    "SHOP_PHONE": "089 123456-0",
}


def manage(*args: str) -> None:
    subprocess.run([sys.executable, "manage.py", *args], check=True)


def start_worker() -> subprocess.Popen:
    """The task worker (django-tasks' db_worker; it reloads on code changes
    with DEBUG), in a process group of its own so that stopping it stops its
    reloader's child too."""
    return subprocess.Popen([sys.executable, "manage.py", "db_worker"], start_new_session=True)


def start_scheduler() -> subprocess.Popen:
    """The minute scheduler (opticrm.lib.schedule): reminders due and planned
    messages go to the worker, expired export files go, the monthly
    retention review is made."""
    return subprocess.Popen(
        [sys.executable, "manage.py", "schedule", "--every", "60"],
        start_new_session=True,
    )


def stop_worker(worker: subprocess.Popen) -> None:
    """SIGTERM lets a running task finish; after 10 seconds it is killed."""
    if worker.poll() is not None:
        return
    try:
        os.killpg(worker.pid, signal.SIGTERM)
        worker.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait()
    except ProcessLookupError:
        pass


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", default="8000")
    port = parser.parse_args().port
    os.environ.setdefault("DEBUG", "true")
    # What .env says wins over the demo's defaults below.
    environ.Env.read_env(Path(__file__).resolve().parent.parent / ".env", overwrite=False)
    embedded = not os.environ.get("DATABASE_URL")
    if embedded:
        # The demo shop, as printed on the Brillenpass (settings: SHOP_*).
        for name, value in DEMO_SHOP.items():
            os.environ.setdefault(name, value)
    # A container or process manager stops with SIGTERM: clean up as for Ctrl+C.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    worker = scheduler = None
    try:
        manage("migrate", "--no-input")
        # Demo data and the demo/demo superuser only go into the local
        # database, never into one DATABASE_URL points at (production, say).
        if embedded or os.environ.get("SEED_DEMO", "").lower() == "true":
            manage("seed_demo")
        # Background work (e-mails, SMS) runs here, as in production (docs/messaging.md).
        worker = start_worker()
        scheduler = start_scheduler()
        print(f"OptiCRM runs on http://127.0.0.1:{port}/  (stop with Ctrl+C)", flush=True)
        manage("runserver", f"127.0.0.1:{port}")
    except KeyboardInterrupt:
        pass
    except subprocess.CalledProcessError as error:
        return error.returncode
    finally:
        for process in (scheduler, worker):
            if process is not None:
                stop_worker(process)
        if worker is not None:
            print("Background worker and scheduler stopped.")
        if embedded:
            embedded_db.stop()
            print("Embedded PostgreSQL stopped.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
