"""Transaction poolers in front of PostgreSQL (PgBouncer in transaction mode,
Supabase's pooler on port 6543): recognise one from the database settings and
switch off what breaks behind it.

A transaction pooler hands each transaction to whichever server connection is
free. Django's server-side cursors (``QuerySet.iterator()``) are declared in
one transaction and fetched from in the next, so behind such a pooler a fetch
either finds no cursor (a 500) or finds another client's cursor of the same
name and reads that client's rows. ``DISABLE_SERVER_SIDE_CURSORS`` avoids it;
see docs/pooler.md. Pure functions: settings.py calls ``configure()``, the
system check in opticrm/checks.py looks behind the settings at the server.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ImproperlyConfigured

SUPABASE_POOLER_DOMAIN = ".pooler.supabase.com"
# The port Supabase (and by convention other hosts) serve transaction pooling on.
TRANSACTION_POOLER_PORT = 6543
# Words in a host name or socket directory that name a pooler (Neon's pooled
# endpoints end in "-pooler", PgBouncer's Debian socket is /var/run/pgbouncer …).
POOLER_WORDS = ("pooler", "pgbouncer")
# A connection-string parameter some tools (Prisma) use to mark a pooler. libpq
# and so psycopg refuse it as an unknown option, so it never reaches them.
PGBOUNCER_PARAMETER = "pgbouncer"

_TRUE = frozenset({"true", "1", "yes", "on"})
_FALSE = frozenset({"false", "0", "no", "off"})


class PoolerConfigError(ImproperlyConfigured):
    """DATABASE_TRANSACTION_POOLER contradicts DATABASE_URL, or is no boolean."""


def parse_switch(raw: str | None) -> bool | None:
    """DATABASE_TRANSACTION_POOLER as given: True, False or None (not set).

    Stricter than django-environ's bool, for which any unknown word is false:
    a typo here must not switch the protection off.
    """
    value = (raw or "").strip().lower()
    if not value:
        return None
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise PoolerConfigError(
        f"DATABASE_TRANSACTION_POOLER must be true or false, not {raw!r}. / "
        f"DATABASE_TRANSACTION_POOLER muss true oder false sein, nicht {raw!r}."
    )


def _split(value: Any) -> list[str]:
    # libpq takes several hosts and ports, comma-separated ("h1,h2", "5432,6543").
    return [part.strip() for part in str(value or "").split(",") if part.strip()]


def pooler_hints(database: Mapping[str, Any]) -> list[str]:
    """What in one DATABASES entry says "a pooler is in between"; empty: nothing.

    Reads the entry django-environ made from DATABASE_URL: HOST and PORT, and
    the host, port and pgbouncer query parameters, which end up in OPTIONS.
    """
    options = database.get("OPTIONS") or {}
    hosts = [host.lower() for host in _split(database.get("HOST")) + _split(options.get("host"))]
    ports = _split(database.get("PORT")) + _split(options.get("port"))
    hints = []
    if any(host.endswith(SUPABASE_POOLER_DOMAIN) for host in hosts):
        hints.append(f"host name *{SUPABASE_POOLER_DOMAIN}")
    elif any(word in host for host in hosts for word in POOLER_WORDS):
        hints.append("host name containing " + " or ".join(POOLER_WORDS))
    if str(TRANSACTION_POOLER_PORT) in ports:
        hints.append(f"port {TRANSACTION_POOLER_PORT}")
    if str(options.get(PGBOUNCER_PARAMETER, "")).strip().lower() in _TRUE:
        hints.append(f"{PGBOUNCER_PARAMETER}=true")
    return hints


def configure(database: Mapping[str, Any], *, switch: str | None) -> dict[str, Any]:
    """The DATABASES entry to use, given DATABASE_TRANSACTION_POOLER's raw value.

    The switch turns server-side cursors off (and psycopg's prepared statements,
    which Django's default client-side binding never uses: belt and braces).
    Unset, it follows the hints; set to false against a hint, it refuses.
    """
    wanted = parse_switch(switch)
    hints = pooler_hints(database)
    if wanted is False and hints:
        found = ", ".join(hints)
        raise PoolerConfigError(
            f"DATABASE_URL points to a connection pooler ({found}), but "
            "DATABASE_TRANSACTION_POOLER=false. Behind a transaction pooler, Django's "
            "server-side cursors (QuerySet.iterator()) fail or read rows that belong to "
            "another connection. Remove DATABASE_TRANSACTION_POOLER (it then switches "
            "itself on) or set it to true; behind a session pooler that costs nothing. "
            "See docs/pooler.md. / "
            f"DATABASE_URL zeigt auf einen Connection-Pooler ({found}), aber "
            "DATABASE_TRANSACTION_POOLER=false. Hinter einem Transaction-Pooler schlagen "
            "Djangos serverseitige Cursor (QuerySet.iterator()) fehl oder lesen Zeilen "
            "einer anderen Verbindung. Entfernen Sie DATABASE_TRANSACTION_POOLER (dann "
            "schaltet es sich selbst ein) oder setzen Sie es auf true; hinter einem "
            "Session-Pooler kostet das nichts. Siehe docs/pooler.md."
        )
    configured = dict(database)
    options = configured.get("OPTIONS") or {}
    if PGBOUNCER_PARAMETER in options:
        configured["OPTIONS"] = {k: v for k, v in options.items() if k != PGBOUNCER_PARAMETER}
    if wanted or hints:
        configured["DISABLE_SERVER_SIDE_CURSORS"] = True
        configured["OPTIONS"] = {**(configured.get("OPTIONS") or {}), "prepare_threshold": None}
    return configured
