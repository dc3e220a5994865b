"""``manage.py faults`` end to end on small numbers: its own scratch
database, gunicorn with the production settings, the booking, stock and edit
scenarios over HTTP, the report as JSON and Markdown.

The restart scenario restarts the embedded PostgreSQL server, which this
test run's own database lives on (and any other run's): it is never run
here. What is tested instead is that it refuses to run inside a test, or
when anyone else is connected to the server."""

import json

import psycopg
import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from opticrm.bench.run import database_url
from opticrm.faults import database
from opticrm.faults.scenarios import Context, Sizes, restart_under_load

pytestmark = pytest.mark.django_db


def _exists(server_url: str, name: str) -> bool:
    with psycopg.connect(server_url) as conn:
        return bool(conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone())


def test_a_small_fault_run_meets_every_expectation_over_http(
    tmp_path, capsys, one_collectstatic_at_a_time
):
    own = settings.DATABASES["default"]
    name = f"{own['NAME']}_faults"
    call_command(
        "faults",
        *("--only", "booking,stock,edit"),  # never restart: see the module's docstring
        *("--bookings", "12", "--sales", "20", "--editors", "6", "--workers", "2"),
        *("--database", name, "--out", str(tmp_path)),
    )
    result = json.loads((tmp_path / "faults.json").read_text())
    scenarios = {scenario["name"]: scenario for scenario in result["scenarios"]}
    assert set(scenarios) == {"booking", "stock", "edit"}
    failed = [
        (s["name"], c) for s in result["scenarios"] for c in s["checks"] if not c["ok"]
    ]  # fmt: skip
    assert not failed
    assert scenarios["booking"]["figures"]["answers"] == {"201": 1, "409": 11}
    assert scenarios["stock"]["figures"]["round_1"] == {"201": 20}
    assert scenarios["stock"]["figures"]["round_2"] == {"201": 10, "422": 2}
    assert scenarios["stock"]["figures"]["one_more"] == "422"
    assert scenarios["edit"]["figures"]["answers_If-Match"] == {"200": 1, "409": 5}
    assert scenarios["edit"]["figures"]["answers_updated_at"] == {"200": 1, "409": 5}
    assert result["logged_server_errors"] == 0
    markdown = (tmp_path / "faults.md").read_text()
    assert "| booking | answers | 1 × 201, 11 × 409 | 1 × 201, 11 × 409 | ok |" in markdown
    assert "All expectations met." in markdown
    out = capsys.readouterr().out
    assert "all expectations met" in out and "faults.json" in out
    assert not _exists(database_url(own, own["NAME"]), name)  # dropped without --keep


def test_the_restart_refuses_inside_a_test(monkeypatch):
    """A test's database is on the server the scenario would restart."""
    monkeypatch.delenv("DATABASE_URL", raising=False)
    own = settings.DATABASES["default"]
    refusal = database.restart_refusal(database_url(own, own["NAME"]), "elsewhere")
    assert refusal and "transaction" in refusal


def test_the_restart_scenario_skips_before_it_sends_a_request(monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    own = settings.DATABASES["default"]

    def never(*args, **kwargs):
        raise AssertionError("the server must not be restarted here")

    monkeypatch.setattr(database, "restart_embedded", never)
    context = Context(
        api=None,
        plan={},
        scratch_url="",
        server_url=database_url(own, own["NAME"]),
        scratch="elsewhere",
        gunicorn_pid=0,
        sizes=Sizes(),
        log=print,
    )
    outcome = restart_under_load(context)
    assert outcome.status == "skipped" and not outcome.checks


def test_the_restart_is_skipped_on_a_database_url_server(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgresql://db.example.invalid/opticrm")
    refusal = database.restart_refusal("postgresql://unused", "elsewhere")
    assert refusal and "DATABASE_URL" in refusal


def test_other_sessions_are_seen():
    """This test's own connection is someone else to a separate one, as a
    test run is to the command: the restart would refuse."""
    from django.db import connection

    own = settings.DATABASES["default"]
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        (pid,) = cursor.fetchone()
    sessions = database.other_sessions(database_url(own, own["NAME"]), "elsewhere")
    assert (pid, own["NAME"]) in {(row[0], row[1]) for row in sessions}


def test_only_a_scratch_database_is_dropped():
    own = settings.DATABASES["default"]
    server_url = database_url(own, own["NAME"])
    with pytest.raises(database.NotAScratchDatabase, match="own database"):
        database.fresh_scratch_database(server_url, own["NAME"])
    with pytest.raises(database.NotAScratchDatabase, match="not a scratch database"):
        database.fresh_scratch_database(server_url, "postgres")
    assert _exists(server_url, "postgres")


def test_nonsense_options_are_refused_before_anything_runs():
    with pytest.raises(CommandError, match="--only"):
        call_command("faults", "--only", "booking,explode")
    with pytest.raises(CommandError, match="at least 1"):
        call_command("faults", "--sales", "0")
    with pytest.raises(CommandError, match="--seconds"):
        call_command("faults", "--seconds", "0")
