"""One fault run: a scratch database on the app's server, migrated and
prepared in a child process, gunicorn with the production settings on
loopback (the benchmark's server and environment), the chosen scenarios in
order, and the scratch database dropped at the end unless kept."""

import dataclasses
import datetime
import json
import subprocess
import sys
import time
import traceback
from collections.abc import Callable
from pathlib import Path

from django.conf import settings

from opticrm.bench.run import Server, child_environment, database_url, machine_facts
from opticrm.faults import database
from opticrm.faults.client import Api
from opticrm.faults.scenarios import SCENARIOS, Context, Outcome, Sizes


@dataclasses.dataclass
class Options:
    sizes: Sizes
    workers: int
    out: Path
    only: tuple[str, ...] = tuple(SCENARIOS)
    database: str = ""  # default: the app database's name + "_faults"
    keep: bool = False


def _prepare(env: dict, bookings: int) -> dict:
    prepared = subprocess.run(
        [sys.executable, "-m", "opticrm.faults.prepare", "--bookings", str(bookings)],
        cwd=settings.BASE_DIR, env=env, stdout=subprocess.PIPE, text=True, check=False,
        timeout=600,
    )  # fmt: skip
    if prepared.returncode != 0:
        raise RuntimeError(f"preparing the scratch database failed (exit {prepared.returncode})")
    return json.loads(prepared.stdout.strip().splitlines()[-1])


def _scenario(name: str, ctx: Context) -> Outcome:
    started = time.monotonic()
    try:
        outcome = SCENARIOS[name](ctx)
    except Exception as error:  # reported as a failed check, the other scenarios still run
        ctx.log(traceback.format_exc())
        outcome = Outcome(name, name)
        outcome.check("ran to the end", "yes", f"{type(error).__name__}: {error}"[:200])
    outcome.seconds = time.monotonic() - started
    return outcome


def run(options: Options, log: Callable[[str], None]) -> dict:
    own = settings.DATABASES["default"]
    name = options.database or f"{own['NAME']}_faults"
    server_url = database_url(own, own["NAME"])
    scratch_url = database_url(own, name)
    try:
        database.fresh_scratch_database(server_url, name)
    except database.NotAScratchDatabase as error:
        raise RuntimeError(str(error)) from error
    log(f"Created the scratch database {name}.")
    env = child_environment(scratch_url)
    options.out.mkdir(parents=True, exist_ok=True)
    outcomes: list[Outcome] = []
    try:
        # Production settings serve static files (the 500 page's too) from the manifest.
        subprocess.run(
            [sys.executable, "manage.py", "collectstatic", "--no-input", "-v", "0"],
            cwd=settings.BASE_DIR, env=env, check=True,
        )  # fmt: skip
        log("Migrating and preparing the scratch database …")
        plan = _prepare(env, options.sizes.bookings)
        server = Server(env, options.workers, options.out / "gunicorn.log")
        try:
            server.wait_until_up()
            ctx = Context(
                api=Api(server.port, plan["api_key"]),
                plan=plan,
                scratch_url=scratch_url,
                server_url=server_url,
                scratch=name,
                gunicorn_pid=server.process.pid,
                sizes=options.sizes,
                log=log,
            )
            for scenario in SCENARIOS:
                if scenario in options.only:
                    log(f"Scenario {scenario} …")
                    outcomes.append(_scenario(scenario, ctx))
                    log(f"… {outcomes[-1].status} ({outcomes[-1].seconds:.1f} s)")
        finally:
            server.stop()
        machine = machine_facts(scratch_url)
    finally:
        if not options.keep:
            database.drop_scratch_database(server_url, name)
    log_text = (options.out / "gunicorn.log").read_text(errors="replace")
    return {
        "finished_at": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
        "machine": machine,
        "server": {"workers": options.workers, "conn_max_age": env["CONN_MAX_AGE"]},
        "sizes": dataclasses.asdict(options.sizes),
        "database": {"name": name, "kept": options.keep},
        # 500s the app logged, each with its traceback (Django's log_response).
        "logged_server_errors": log_text.count("Internal Server Error: /"),
        "scenarios": [
            {**dataclasses.asdict(outcome), "status": outcome.status} for outcome in outcomes
        ],
    }
