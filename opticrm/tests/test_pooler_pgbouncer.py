"""Behind a real PgBouncer in transaction mode, in front of the test server.

Shows the security finding (without the switch, one client's server-side
cursor reads another client's rows), that the switch ends it, that
``.iterator()`` in concurrent threads then reads exactly its own rows, and
that the settings and the system check recognise the pooler. Debian's
``pgbouncer`` package; missing in CI is a failure (.ci/run installs it).
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import environ
import psycopg
import pytest
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.db import connection, connections

from opticrm.checks import PROBED, pooler_check, reached_through_pooler
from opticrm.lib import pooler
from opticrm.tests.test_pooler import database_alias

PGBOUNCER = os.environ.get("PGBOUNCER_PATH") or shutil.which("pgbouncer") or "/usr/sbin/pgbouncer"
LOOPBACK = "127.0.0.1"
# Two databases on the PgBouncer, each a pool of two server connections to
# the test database, one per cursor demonstration; any other database name is
# passed through to the server (also two server connections per pool).
POOLS_OF_TWO = ("pool2_off", "pool2_on")

pytestmark = pytest.mark.django_db


@dataclass(frozen=True)
class Bouncer:
    port: int
    user: str
    password: str

    def settings(self, name: str, *, switch: str = "", guard: bool = True) -> dict[str, Any]:
        """A DATABASES entry for ``name`` through this PgBouncer, as settings.py
        makes it of a DATABASE_URL; with ``switch`` as DATABASE_TRANSACTION_POOLER.
        ``guard=False`` marks it as looked at already, so that the run-time
        guard (opticrm.checks.guard_connection) leaves it as configured."""
        url = f"postgres://{quote(self.user)}:{quote(self.password)}@{LOOPBACK}:{self.port}/{name}"
        entry = pooler.configure(environ.Env.db_url_config(url), switch=switch)
        base = {k: v for k, v in connection.settings_dict.items() if k != PROBED}
        return {**base, "OPTIONS": {}, **entry, **({} if guard else {PROBED: True})}


def _quoted(value: Any) -> str:
    return "'" + str(value).replace("'", "''") + "'"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind((LOOPBACK, 0))
        return probe.getsockname()[1]


def _wait_until_listening(process: subprocess.Popen, port: int, log: Path) -> None:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"pgbouncer exited with {process.returncode}:\n{log.read_text()}")
        try:
            socket.create_connection((LOOPBACK, port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.05)
    pytest.fail(f"pgbouncer did not listen on {LOOPBACK}:{port} within 10 s:\n{log.read_text()}")


@pytest.fixture(scope="module")
def bouncer(django_db_setup) -> Iterator[Bouncer]:
    """PgBouncer in transaction mode on a free loopback port, in front of the
    server the test database lives on, for this module's tests."""
    if not Path(PGBOUNCER).exists():
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"pgbouncer not found at {PGBOUNCER}; CI must install it.")
        pytest.skip(f"pgbouncer not found at {PGBOUNCER} (apt-get install pgbouncer)")

    upstream = connection.settings_dict
    options = upstream.get("OPTIONS") or {}
    # As Django connects: HOST and PORT win over the URL's query parameters.
    host = upstream["HOST"] or options.get("host") or "localhost"
    port = upstream["PORT"] or options.get("port") or 5432
    user = upstream["USER"] or pwd.getpwuid(os.geteuid()).pw_name
    password = upstream["PASSWORD"] or ""
    server = f"host={_quoted(host)} port={port} user={_quoted(user)}"
    if password:
        server += f" password={_quoted(password)}"
    test_database = _quoted(upstream["NAME"])
    listen_port = _free_port()

    config = [
        "[databases]",
        *(f"{name} = {server} dbname={test_database} pool_size=2" for name in POOLS_OF_TWO),
        f"* = {server}",
        "[pgbouncer]",
        f"listen_addr = {LOOPBACK}",
        f"listen_port = {listen_port}",
        "unix_socket_dir =",
        # Clients log in as anyone; PgBouncer logs in to the server as `user`.
        "auth_type = any",
        "pool_mode = transaction",
        "default_pool_size = 2",
        # The default, spelled out: a freed server connection is the next one
        # handed out (the cursor demonstrations rely on it).
        "server_round_robin = 0",
    ]
    with tempfile.TemporaryDirectory(prefix="opticrm-pgbouncer-") as directory:
        ini = Path(directory) / "pgbouncer.ini"
        ini.write_text("\n".join(config) + "\n")
        log = Path(directory) / "pgbouncer.log"
        command = [PGBOUNCER, str(ini)]
        if os.geteuid() == 0:
            # PgBouncer refuses to run as root: run it as the owner of the
            # server's socket directory (the embedded server's system user).
            owner = pwd.getpwuid(os.stat(host).st_uid) if host.startswith("/") else None
            run_as = owner if owner and owner.pw_uid != 0 else pwd.getpwnam("nobody")
            os.chown(directory, run_as.pw_uid, run_as.pw_gid)
            os.chown(ini, run_as.pw_uid, run_as.pw_gid)
            command[1:1] = ["-u", run_as.pw_name]
        with log.open("wb") as output:
            process = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT)
        try:
            _wait_until_listening(process, listen_port, log)
            yield Bouncer(port=listen_port, user=user, password=password)
        finally:
            process.terminate()
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _permissions(content_type: ContentType) -> list[int]:
    return list(
        Permission.objects.filter(content_type=content_type)
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def _iterate(alias: str, content_type: ContentType) -> Iterator[Permission]:
    # chunk_size=1: one FETCH per row, each its own transaction in autocommit.
    return (
        Permission.objects.using(alias)
        .filter(content_type=content_type)
        .order_by("pk")
        .iterator(chunk_size=1)
    )


def _two_clients_one_cursor_name(settings_dict: dict[str, Any]) -> tuple[list[int], list[int]]:
    """Two clients through a pool of two server connections, each iterating its
    own rows. Both connections live in this thread, so both name their first
    server-side cursor _django_curs_<thread>_sync_1 (as gunicorn's workers,
    forked processes with the same main thread, did in the finding). A third
    client's transaction holds one server connection for a moment, so the
    second client declares its cursor on the other one, and then, LIFO, is
    handed back the first client's server connection for its next fetch.
    Returns the permission ids the second client read, and the ones it owns."""
    own = ContentType.objects.get_for_model(Permission)
    other = ContentType.objects.get(app_label="auth", model="group")
    with (
        database_alias("client_a", settings_dict) as client_a,
        database_alias("client_b", settings_dict) as client_b,
        psycopg.connect(
            host=LOOPBACK,
            port=settings_dict["PORT"],
            dbname=settings_dict["NAME"],
            user=settings_dict["USER"],
            password=settings_dict["PASSWORD"],
        ) as holder,
    ):
        rows_a = _iterate(client_a, other)
        next(rows_a)  # client A's cursor is declared, on server connection 1
        holder.execute("SELECT 1")  # BEGIN: holds server connection 1
        rows_b = _iterate(client_b, own)
        read = [next(rows_b).pk]  # B declares its cursor on server connection 2
        holder.commit()  # connection 1 is free again, and handed out next
        read.extend(row.pk for row in rows_b)
    return read, _permissions(own)


def test_without_the_switch_a_cursor_reads_another_clients_rows(bouncer):
    # The finding, reproduced. This URL names no pooler (a random port), so
    # only the system check can catch it (test_check_recognises_pgbouncer).
    settings_dict = bouncer.settings("pool2_off", switch="false", guard=False)
    assert not settings_dict.get("DISABLE_SERVER_SIDE_CURSORS")
    read, own = _two_clients_one_cursor_name(settings_dict)
    assert read[0] == own[0]
    assert read[1:] != own[1:]
    foreign = Permission.objects.filter(pk__in=read[1:]).exclude(pk__in=own)
    assert foreign.exists(), "client B should have read client A's rows"


def test_without_the_switch_the_run_time_guard_turns_cursors_off(bouncer, caplog):
    # The same URL and switch as above, but the guard on, as in the app: the
    # first connection finds the pooler and the clients read their own rows.
    settings_dict = bouncer.settings("pool2_off", switch="false")
    with database_alias("first", settings_dict) as alias:
        # A worker's first connection (gunicorn's post_worker_init opens it).
        connections[alias].ensure_connection()
    assert settings_dict["DISABLE_SERVER_SIDE_CURSORS"] is True
    assert "reached through a connection pooler" in caplog.text
    read, own = _two_clients_one_cursor_name(settings_dict)
    assert read == own


def test_with_the_switch_each_client_reads_its_own_rows(bouncer):
    settings_dict = bouncer.settings("pool2_on", switch="true")
    assert settings_dict["DISABLE_SERVER_SIDE_CURSORS"] is True
    read, own = _two_clients_one_cursor_name(settings_dict)
    assert read == own


def test_with_the_switch_iterators_in_concurrent_threads_read_their_own_rows(bouncer):
    settings_dict = bouncer.settings(connection.settings_dict["NAME"], switch="true")
    # Eight clients, two server connections: every fetch may land on another.
    content_types = list(ContentType.objects.order_by("pk")[:8])
    expected = {content_type.pk: _permissions(content_type) for content_type in content_types}
    assert all(expected.values())
    start = threading.Barrier(len(content_types))
    results: dict[int, list[list[int]]] = {}
    errors: list[BaseException] = []

    def client(content_type: ContentType) -> None:
        try:
            with database_alias("pooled", settings_dict) as alias:
                start.wait(timeout=10)
                results[content_type.pk] = [
                    [row.pk for row in _iterate(alias, content_type)] for _ in range(10)
                ]
        except BaseException as error:  # reported by the test thread
            errors.append(error)

    threads = [threading.Thread(target=client, args=(ct,)) for ct in content_types]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not errors, errors
    assert results == {pk: [rows] * 10 for pk, rows in expected.items()}


def test_settings_recognise_pgbouncer_marked_in_the_url(bouncer):
    # pgbouncer=true switches server-side cursors off and never reaches
    # psycopg, which would refuse it: the connection works.
    name = connection.settings_dict["NAME"]
    url = f"postgres://{quote(bouncer.user)}:{quote(bouncer.password)}@{LOOPBACK}:{bouncer.port}"
    entry = pooler.configure(environ.Env.db_url_config(f"{url}/{name}?pgbouncer=true"), switch="")
    assert entry["DISABLE_SERVER_SIDE_CURSORS"] is True
    assert "pgbouncer" not in entry["OPTIONS"]
    with database_alias("marked", {**connection.settings_dict, "OPTIONS": {}, **entry}) as alias:
        assert Permission.objects.using(alias).count() == Permission.objects.count()


def test_check_recognises_pgbouncer(bouncer):
    name = connection.settings_dict["NAME"]
    with database_alias("pooled", bouncer.settings(name, switch="false", guard=False)) as alias:
        assert reached_through_pooler(connections[alias])
        messages = pooler_check(databases=[alias])
        assert [message.id for message in messages] == ["opticrm.E001"]
        assert "DATABASE_TRANSACTION_POOLER=true" in messages[0].hint
        # Registered with the database tag: `check --database` runs it.
        with pytest.raises(SystemCheckError, match="opticrm.E001"):
            call_command("check", databases=[alias])
    with database_alias("pooled", bouncer.settings(name, switch="true")) as alias:
        assert [message.id for message in pooler_check(databases=[alias])] == ["opticrm.I001"]
    assert not reached_through_pooler(connection)
