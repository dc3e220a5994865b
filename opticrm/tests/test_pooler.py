"""Transaction poolers: recognised from DATABASE_URL (opticrm.lib.pooler), the
settings that call it, and the system check without a pooler in front (the
real PgBouncer is in test_pooler_pgbouncer.py)."""

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import environ
import psycopg
import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import connection, connections
from django.db.utils import load_backend

from opticrm.checks import pooler_check
from opticrm.lib import pooler

BASE_DIR = Path(__file__).resolve().parent.parent.parent

SUPABASE_POOLER = (
    "postgresql://postgres.abcdefghijklmnop:Geheim%40123@aws-0-eu-central-1.pooler.supabase.com"
    ":6543/postgres?sslmode=require"
)
SUPABASE_DIRECT = "postgresql://postgres:Geheim@db.abcdefghijklmnop.supabase.co:5432/postgres"


def db(url: str) -> dict[str, Any]:
    """The DATABASES entry settings.py makes of DATABASE_URL."""
    return environ.Env.db_url_config(url)


def server_settings(**changes: Any) -> dict[str, Any]:
    """The test database's connection settings with ``changes``."""
    return {**connection.settings_dict, **changes}


@contextmanager
def database_alias(alias: str, settings_dict: dict[str, Any]) -> Iterator[str]:
    """A connection with these settings under an alias of its own, in this
    thread (Django lets tests use such dynamically created connections, but
    not aliases added to DATABASES). Each thread opens and closes its own."""
    backend = load_backend(settings_dict["ENGINE"])
    connections[alias] = backend.DatabaseWrapper(settings_dict, alias)
    try:
        yield alias
    finally:
        connections[alias].close()
        del connections[alias]


# --- Recognising a pooler from DATABASE_URL ---------------------------------


@pytest.mark.parametrize(
    ("url", "hints"),
    [
        (SUPABASE_POOLER, ["host name *.pooler.supabase.com", "port 6543"]),
        # Supavisor's session mode on the same host: switching off costs nothing there.
        (
            "postgresql://postgres.abc:pw@aws-0-eu-central-1.pooler.supabase.com:5432/postgres",
            ["host name *.pooler.supabase.com"],
        ),
        ("postgres://app:pw@db.example.de:6543/crm", ["port 6543"]),
        ("postgres://app:pw@db.example.de/crm?pgbouncer=true", ["pgbouncer=true"]),
        (
            "postgres://app:pw@ep-cool-night-123456-pooler.eu-central-1.aws.neon.tech/crm",
            ["host name containing pooler or pgbouncer"],
        ),
        (
            "postgres://app:pw@pgbouncer.internal:6432/crm",
            ["host name containing pooler or pgbouncer"],
        ),
        # Host and port as query parameters, and libpq's lists of hosts.
        (
            "postgres://app@/crm?host=/var/run/pgbouncer",
            ["host name containing pooler or pgbouncer"],
        ),
        ("postgres://app:pw@db.example.de/crm?port=6543", ["port 6543"]),
        ("postgres://app:pw@h1.example.de:5432,h2.example.de:6543/crm", ["port 6543"]),
        # No pooler: Supabase's direct connection, a plain server, pgbouncer=false.
        (SUPABASE_DIRECT, []),
        ("postgres://app:pooler@db.example.de:5432/pooler", []),
        ("postgres://app:pw@db.example.de/crm?pgbouncer=false", []),
        ("postgresql://postgres:@/opticrm?host=/work/main/.data/postgres", []),
    ],
)
def test_pooler_hints(url, hints):
    assert pooler.pooler_hints(db(url)) == hints


def test_a_pooler_url_switches_server_side_cursors_off_by_itself():
    configured = pooler.configure(db(SUPABASE_POOLER), switch="")
    assert configured["DISABLE_SERVER_SIDE_CURSORS"] is True
    assert configured["OPTIONS"] == {"sslmode": "require", "prepare_threshold": None}


def test_a_direct_url_keeps_server_side_cursors():
    assert pooler.configure(db(SUPABASE_DIRECT), switch=None) == db(SUPABASE_DIRECT)


@pytest.mark.parametrize("switch", ["true", "True", "1", "yes", "on"])
def test_the_switch_turns_server_side_cursors_off_for_any_url(switch):
    configured = pooler.configure(db(SUPABASE_DIRECT), switch=switch)
    assert configured["DISABLE_SERVER_SIDE_CURSORS"] is True
    assert configured["OPTIONS"]["prepare_threshold"] is None


@pytest.mark.parametrize("switch", ["false", "0", "no", "off"])
def test_switched_off_explicitly_a_direct_url_stays_as_it_is(switch):
    assert pooler.configure(db(SUPABASE_DIRECT), switch=switch) == db(SUPABASE_DIRECT)


def test_switched_off_explicitly_a_pooler_url_refuses_to_start():
    with pytest.raises(ImproperlyConfigured) as raised:
        pooler.configure(db(SUPABASE_POOLER), switch="false")
    message = str(raised.value)
    assert "DATABASE_TRANSACTION_POOLER=false" in message
    assert "host name *.pooler.supabase.com, port 6543" in message
    assert "server-side cursors" in message
    assert "serverseitige Cursor" in message
    assert "Geheim" not in message


@pytest.mark.parametrize("switch", ["ture", "maybe", "2"])
def test_a_switch_that_is_no_boolean_refuses_to_start(switch):
    # django-environ would read these as false, and switch the protection off.
    with pytest.raises(ImproperlyConfigured, match="must be true or false"):
        pooler.configure(db(SUPABASE_POOLER), switch=switch)


def test_the_pgbouncer_parameter_never_reaches_psycopg():
    url = "postgres://app:pw@db.example.de/crm?sslmode=require&pgbouncer=true"
    entry = db(url)
    assert entry["OPTIONS"]["pgbouncer"] == "true"  # django-environ passes it on
    with pytest.raises(psycopg.ProgrammingError, match="pgbouncer"):
        psycopg.conninfo.make_conninfo("", **entry["OPTIONS"])

    configured = pooler.configure(entry, switch="")
    assert configured["DISABLE_SERVER_SIDE_CURSORS"] is True
    libpq_options = {k: v for k, v in configured["OPTIONS"].items() if k != "prepare_threshold"}
    assert psycopg.conninfo.make_conninfo("", **libpq_options) == "sslmode=require"
    # Removed whatever its value, and the caller's dict is left alone.
    unmarked = db("postgres://app:pw@db.example.de/crm?pgbouncer=false")
    assert "pgbouncer" not in pooler.configure(unmarked, switch="")["OPTIONS"]
    assert entry["OPTIONS"]["pgbouncer"] == "true"


def _settings_in_subprocess(**environment: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "DEBUG": "true", **environment}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    code = (
        "from opticrm import settings; d = settings.DATABASES['default']; "
        "print(d.get('DISABLE_SERVER_SIDE_CURSORS', False), d['OPTIONS'])"
    )
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_settings_switch_server_side_cursors_off_for_a_pooler_url():
    result = _settings_in_subprocess(
        DATABASE_URL=SUPABASE_POOLER + "&pgbouncer=true", DATABASE_TRANSACTION_POOLER=""
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "True {'sslmode': 'require', 'prepare_threshold': None}"


def test_settings_refuse_to_start_with_a_pooler_url_and_the_switch_off():
    result = _settings_in_subprocess(
        DATABASE_URL=SUPABASE_POOLER, DATABASE_TRANSACTION_POOLER="false"
    )
    assert result.returncode != 0
    assert "PoolerConfigError: DATABASE_URL points to a connection pooler" in result.stderr


# --- The system check, straight to PostgreSQL --------------------------------


def test_check_does_nothing_unless_databases_are_checked():
    assert pooler_check(databases=None) == []


@pytest.mark.django_db
def test_check_finds_no_pooler_in_front_of_the_test_server():
    assert pooler_check(databases=["default"]) == []


@pytest.mark.django_db
def test_check_skips_an_unreachable_database():
    # A port nothing listens on, over TCP: the real failure, no mock.
    unreachable = server_settings(HOST="127.0.0.1", PORT="1", OPTIONS={"connect_timeout": 2})
    with database_alias("pooler_unreachable", unreachable) as alias:
        assert pooler_check(databases=[alias]) == []


@pytest.mark.django_db
def test_check_says_server_side_cursors_are_off_without_connecting():
    # Port 6543, where nothing listens: the check must not even try.
    switched = server_settings(DISABLE_SERVER_SIDE_CURSORS=True, PORT="6543")
    with database_alias("pooler_on", switched) as alias:
        messages = pooler_check(databases=[alias])
        assert connections[alias].connection is None
    assert [message.id for message in messages] == ["opticrm.I001"]
    assert "server-side cursors are off" in messages[0].msg
    assert "port 6543" in messages[0].msg


@pytest.mark.django_db
def test_the_run_time_guard_leaves_a_direct_connection_as_it_is():
    from opticrm.checks import PROBED

    fresh = {k: v for k, v in connection.settings_dict.items() if k != PROBED}
    with database_alias("direct", fresh) as alias:
        connections[alias].ensure_connection()
    assert fresh[PROBED] is True
    assert not fresh.get("DISABLE_SERVER_SIDE_CURSORS")
