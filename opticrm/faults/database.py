"""The database side of the fault runs: a scratch database on the app's
server (created by the benchmark's helpers, marked so that only a scratch
database is ever dropped), read-only checks in plain SQL, and the restart of
the embedded server, which refuses whenever anyone else uses that server."""

import os
import subprocess
import sys
import tempfile
import time

import psycopg
from django.conf import settings
from psycopg import sql

from opticrm import embedded_db
from opticrm.bench.run import create_database, drop_database

# The comment that marks a database as this command's scratch database.
MARKER = "opticrm faults scratch database"


class NotAScratchDatabase(Exception):
    pass


def _comment(server_url: str, name: str) -> str | None:
    """The database's comment; None if there is no such database."""
    with psycopg.connect(server_url, autocommit=True) as conn:
        row = conn.execute(
            "SELECT coalesce(shobj_description(oid, 'pg_database'), '') "
            "FROM pg_database WHERE datname = %s",
            [name],
        ).fetchone()
    return None if row is None else row[0]


def fresh_scratch_database(server_url: str, name: str) -> None:
    """An empty database ``name``: a scratch database left by an earlier run
    (``--keep``) is dropped first; any other database of that name is refused."""
    if name == settings.DATABASES["default"]["NAME"]:
        raise NotAScratchDatabase(f"{name} is the app's own database.")
    comment = _comment(server_url, name)
    if comment is not None:
        if comment != MARKER:
            raise NotAScratchDatabase(
                f"A database {name} exists and is not a scratch database of this command; "
                "choose another name with --database."
            )
        drop_database(server_url, name)
    create_database(server_url, name)
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(
            sql.SQL("COMMENT ON DATABASE {} IS {}").format(
                sql.Identifier(name), sql.Literal(MARKER)
            )
        )


def drop_scratch_database(server_url: str, name: str) -> None:
    if _comment(server_url, name) == MARKER:
        drop_database(server_url, name)


def query(url: str, statement: str, params: list | None = None) -> list[tuple]:
    """Rows of one read on a connection of its own."""
    with psycopg.connect(url, autocommit=True) as conn:
        return conn.execute(statement, params or []).fetchall()


# --- Restarting the embedded server ------------------------------------------


def uses_embedded_server() -> bool:
    """The settings read DATABASE_URL when it is set (also from .env), else
    the embedded server (opticrm.settings)."""
    return not os.environ.get("DATABASE_URL")


def other_sessions(server_url: str, scratch: str) -> list[tuple]:
    """Client sessions on the server other than this check's own and the
    ones on the scratch database (the gunicorn under test): the tests, a
    developer's server, a psql, another engineer's run."""
    return query(
        server_url,
        "SELECT pid, datname, application_name, state FROM pg_stat_activity "
        "WHERE backend_type = 'client backend' AND pid <> pg_backend_pid() "
        "AND datname IS DISTINCT FROM %s ORDER BY datname, pid",
        [scratch],
    )


def restart_refusal(server_url: str, scratch: str) -> str | None:
    """Why the server must not be restarted now, or None. The embedded server
    is shared by everything on this machine (make run, make test, this
    command): a restart breaks whatever else is connected to it."""
    from django.db import connections

    if not uses_embedded_server():
        return (
            "DATABASE_URL names the database server; this command restarts only the "
            "embedded one. Restart that server yourself during a run of "
            "--only restart to repeat the scenario there."
        )
    if any(connection.in_atomic_block for connection in connections.all()):
        # Inside a test (pytest-django wraps each in a transaction): the
        # test's own database is on the server that would restart.
        return "this process is inside a database transaction (a test?); run it alone."
    # This command's own connection would break too; it is reopened on demand.
    connections.close_all()
    others = other_sessions(server_url, scratch)
    if others:
        databases = ", ".join(sorted({str(row[1]) for row in others}))
        return (
            f"{len(others)} other session(s) are connected to the embedded server "
            f"(databases: {databases}); a restart would break them. Run it alone "
            "(no tests, no make run)."
        )
    return None


def _start_embedded() -> str:
    """Start the embedded server in a child process and return its URL. In
    this process the package remembers the server it found at startup and
    would not start it again."""
    with tempfile.TemporaryFile("w+") as output:
        subprocess.run(
            [sys.executable, "-m", "opticrm.embedded_db", "url"],
            cwd=settings.BASE_DIR, stdout=output, stderr=subprocess.STDOUT,
            check=True, timeout=120,
        )  # fmt: skip
        output.seek(0)
        return output.read().strip().splitlines()[-1]


def restart_embedded() -> dict:
    """Stop the embedded server (fast shutdown: sessions are ended, open
    transactions rolled back) and start it again; the monotonic times of
    each step. It is started again even when stopping failed halfway."""
    began = time.monotonic()
    try:
        embedded_db.stop()
    finally:
        stopped = time.monotonic()
        url = _start_embedded()
    return {"began": began, "stopped": stopped, "ready": time.monotonic(), "url": url}


def ensure_embedded_running() -> None:
    """After the restart scenario, whatever happened: the server is up."""
    if uses_embedded_server():
        _start_embedded()
