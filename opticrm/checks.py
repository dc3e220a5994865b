"""System checks that ask the database server, registered with the database tag:
Django runs them in ``migrate`` and ``manage.py check --database default``.

``pooler_check`` looks for a connection pooler behind the settings' back: the
settings recognise Supabase's pooler and port 6543 from DATABASE_URL
(opticrm.lib.pooler), this check also finds a PgBouncer on any host and port.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from django.core.checks import CheckMessage, Error, Info
from django.db import DatabaseError, connections
from django.db.backends.base.base import BaseDatabaseWrapper

from opticrm.lib.pooler import pooler_hints

HINT = (
    "Set DATABASE_TRANSACTION_POOLER=true: behind a transaction pooler (PgBouncer in "
    "transaction mode, Supabase's port 6543) Django's server-side cursors "
    "(QuerySet.iterator()) fail or read rows of another connection; behind a session "
    "pooler the switch costs nothing. See docs/pooler.md."
)


def reached_through_pooler(connection: BaseDatabaseWrapper) -> bool:
    """Whether a pooler sits between this connection and PostgreSQL.

    A client connected straight to PostgreSQL learns its server process's id
    at log-in (BackendKeyData) and ``pg_backend_pid()`` returns the same. A
    pooler answers the log-in itself, with a key of its own, and the server
    process behind it is another: the two differ. One query on the connection
    the app uses anyway; it works through PgBouncer, Supavisor and the like,
    needs no admin rights and no second log-in.
    """
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        (server_pid,) = cursor.fetchone()
    return connection.connection.info.backend_pid != server_pid


def pooler_check(
    app_configs: Iterable[Any] | None = None,
    databases: Iterable[str] | None = None,
    **kwargs: Any,
) -> list[CheckMessage]:
    """opticrm.E001: a pooler answers but server-side cursors are on;
    opticrm.I001: they are off, and why."""
    messages: list[CheckMessage] = []
    for alias in databases or ():
        connection = connections[alias]
        if connection.vendor != "postgresql":
            continue
        if connection.settings_dict.get("DISABLE_SERVER_SIDE_CURSORS"):
            # Already safe: say so, without a query.
            hints = pooler_hints(connection.settings_dict)
            named = f" (DATABASE_URL names one: {', '.join(hints)})" if hints else ""
            messages.append(
                Info(
                    f"Database '{alias}': server-side cursors are off, as a transaction "
                    f"pooler needs{named}.",
                    id="opticrm.I001",
                )
            )
            continue
        try:
            pooled = reached_through_pooler(connection)
        except DatabaseError:
            # Unreachable: not this check's business; migrate says so itself.
            continue
        if pooled:
            messages.append(
                Error(
                    f"Database '{alias}' is reached through a connection pooler (the "
                    "server process differs from the one the connection was given at "
                    "log-in), but server-side cursors are on.",
                    hint=HINT,
                    id="opticrm.E001",
                )
            )
    return messages


# Set in a DATABASES entry once its first connection was looked at.
PROBED = "OPTICRM_POOLER_PROBED"
logger = logging.getLogger("opticrm.pooler")


def guard_connection(sender, connection: BaseDatabaseWrapper, **kwargs: Any) -> None:
    """Signal connection_created: the first connection of each process to a
    database with server-side cursors on asks whether a pooler answers, and
    if so turns them off for the process at once (Django reads the setting
    per cursor), so that a missed setting never exposes another connection's
    rows, even where neither ``migrate`` nor ``check`` ran. One query per
    process; nothing when the switch is already on."""
    settings_dict = connection.settings_dict
    if (
        connection.vendor != "postgresql"
        or settings_dict.get("DISABLE_SERVER_SIDE_CURSORS")
        or settings_dict.get(PROBED)
    ):
        return
    settings_dict[PROBED] = True
    if reached_through_pooler(connection):
        settings_dict["DISABLE_SERVER_SIDE_CURSORS"] = True
        logger.error(
            "Database '%s' is reached through a connection pooler: server-side cursors "
            "are now off for this process. %s",
            connection.alias,
            HINT,
        )
