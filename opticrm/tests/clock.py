"""The test session's clock, moved on request (docs/testing.md).

``OPTICRM_TEST_TODAY=2027-06-01`` runs the suite as if that day had come:
Python's clock through time-machine, PostgreSQL's through a schema of clock
functions ahead of ``pg_catalog`` in the test database's search path. Both
keep ticking, so a test pinned to a calendar date fails now, not the day
that date passes. Unset, nothing is moved.
"""

import datetime
import os
import zoneinfo

VARIABLE = "OPTICRM_TEST_TODAY"
BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")

# The database functions that read the clock and can be replaced by name.
# CURRENT_DATE, CURRENT_TIMESTAMP, LOCALTIME(STAMP) are SQL keywords that
# always read the real clock: the code does not use them (a test checks).
SCHEMA = "opticrm_test_clock"
FUNCTIONS = {
    "now": "STABLE",
    "transaction_timestamp": "STABLE",
    "statement_timestamp": "STABLE",  # what Django's Now() calls
    "clock_timestamp": "VOLATILE",
}

_traveller = None
offset = datetime.timedelta(0)


def moved_to() -> datetime.datetime | None:
    """The moment the session starts at: a date (noon in Berlin, so that the
    day lasts the run) or a date and time (Berlin); None when unset."""
    value = os.environ.get(VARIABLE, "").strip()
    if not value:
        return None
    try:
        if len(value) == 10:
            moment = datetime.datetime.combine(
                datetime.date.fromisoformat(value), datetime.time(12)
            )
        else:
            moment = datetime.datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(
            f"{VARIABLE}={value!r}: expected a date like 2027-06-01 or 2027-06-01T18:45"
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=BERLIN)


def start() -> None:
    """Move Python's clock for the rest of the process, ticking on."""
    global _traveller, offset
    moment = moved_to()
    if moment is None:
        return
    import time_machine

    offset = moment - datetime.datetime.now(datetime.UTC)
    # In UTC: a zoneinfo destination would also set the process's TZ.
    _traveller = time_machine.travel(moment.astimezone(datetime.UTC), tick=True)
    _traveller.start()


def stop() -> None:
    global _traveller
    if _traveller is not None:
        _traveller.stop()
        _traveller = None


def _with_clock(search_path: str) -> str:
    """``search_path`` with the clock schema and then ``pg_catalog`` at its
    end: new tables still go to the first schema, and the clock functions
    come before the built-in ones, which are otherwise searched first."""
    kept = [part.strip() for part in search_path.split(",") if part.strip()]
    kept = [part for part in kept if part not in (SCHEMA, "pg_catalog")]
    return ", ".join([*kept, SCHEMA, "pg_catalog"])


def move_database_clock(connection) -> None:
    """Give the test database the session's clock. Called once after the
    migrations; the connection is closed, so that every new one (the live
    server's, PgBouncer's) starts with the moved search path."""
    seconds = offset.total_seconds()
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}")
        for name, volatility in FUNCTIONS.items():
            cursor.execute(
                f"CREATE OR REPLACE FUNCTION {SCHEMA}.{name}() RETURNS timestamptz"
                f" LANGUAGE sql {volatility} PARALLEL SAFE"
                f" AS $$ SELECT pg_catalog.{name}() + make_interval(secs => {seconds:f}) $$"
            )
        cursor.execute("SELECT current_database(), current_setting('search_path')")
        database, search_path = cursor.fetchone()
        cursor.execute(
            f"ALTER DATABASE {connection.ops.quote_name(database)}"
            f" SET search_path = {_with_clock(search_path)}"
        )
        # Functions that pin their own search path (SET search_path FROM
        # CURRENT in the migrations) would still find the real clock.
        cursor.execute(
            """
            SELECT p.oid::regprocedure::text, c.setting
            FROM pg_proc p, unnest(p.proconfig) AS c(setting)
            WHERE c.setting LIKE 'search_path=%'
              AND p.pronamespace <> 'pg_catalog'::regnamespace
              AND NOT EXISTS (
                  SELECT FROM pg_depend d
                  WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e'
              )
            """
        )
        for function, setting in cursor.fetchall():
            path = setting.removeprefix("search_path=")
            cursor.execute(f"ALTER FUNCTION {function} SET search_path = {_with_clock(path)}")
    connection.close()
