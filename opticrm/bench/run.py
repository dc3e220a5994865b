"""``manage.py bench`` from start to end: a database of its own, the data,
gunicorn with the production settings, the clients, the report.

Everything that touches the benchmark database runs in child processes
whose DATABASE_URL names it, so that no setting of this process (the test
database, say) leaks into what is measured."""

import dataclasses
import datetime
import json
import multiprocessing
import os
import platform
import secrets
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote, urlencode

import psycopg
from django.conf import settings
from psycopg import sql

from opticrm.bench import drive, report
from opticrm.bench.steps import IMPORT_ROWS

# Connection options that carry over to the benchmark database (TLS above all).
# (django-environ puts a socket directory, ?host=/path, among them too).
_CARRIED_OPTIONS = (
    "host", "sslmode", "sslrootcert", "sslcert", "sslkey", "options", "connect_timeout",
)  # fmt: skip


@dataclasses.dataclass
class Options:
    customers: int
    appointments: int
    products: int
    clients: tuple[int, ...]
    requests: int
    workers: int
    out: Path
    seed: int = 8
    reload: bool = False
    only: str = ""
    database: str = ""  # name on the same server; default: this database's name + "_bench"
    drop: bool = False  # drop the benchmark database afterwards (the end-to-end test)


def database_url(settings_dict: dict, name: str) -> str:
    """A DATABASE_URL for database ``name`` on the server of ``settings_dict``."""
    user = quote(settings_dict.get("USER") or "", safe="")
    password = quote(settings_dict.get("PASSWORD") or "", safe="")
    host = settings_dict.get("HOST") or ""
    port = settings_dict.get("PORT") or ""
    options = settings_dict.get("OPTIONS") or {}
    query = {key: options[key] for key in _CARRIED_OPTIONS if options.get(key)}
    credentials = f"{user}:{password}@" if user else ""
    if not host or host.startswith("/"):  # a Unix socket directory
        if host:
            query["host"] = host
        location = credentials
    else:
        location = f"{credentials}{host}{f':{port}' if port else ''}"
    return f"postgresql://{location}/{quote(name, safe='')}" + (
        f"?{urlencode(query)}" if query else ""
    )


def create_database(server_url: str, name: str) -> bool:
    """Create ``name`` unless it exists; True if it was created."""
    with psycopg.connect(server_url, autocommit=True) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            return False
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        return True


def drop_database(server_url: str, name: str) -> None:
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )


def child_environment(bench_url: str) -> dict[str, str]:
    """Production settings (DEBUG off, manifest static files, no demo data)
    on loopback over plain HTTP, as behind the TLS proxy of a deployment."""
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="opticrm.settings",
        DATABASE_URL=bench_url,
        DEBUG="false",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="127.0.0.1",
        SECURE_SSL_REDIRECT="false",
        SECURE_COOKIES="false",
        # Persistent database connections, as a deployment configures them.
        CONN_MAX_AGE=env.get("CONN_MAX_AGE", "60"),
        # One key sends every API request of the run.
        API_RATE_LIMIT="1000000/min",
        # What an invoice names of the shop (UStG § 14): issuing needs it.
        SHOP_NAME=env.get("SHOP_NAME") or "Augenoptik Kette GmbH",
        SHOP_ADDRESS=env.get("SHOP_ADDRESS") or "Hauptstraße 1, 80331 München",
        SHOP_TAX_NUMBER=env.get("SHOP_TAX_NUMBER") or "143/123/45678",
        LOG_LEVEL="WARNING",
        PYTHONUNBUFFERED="1",
    )
    env.pop("TEST_DATABASE_NAME", None)
    return env


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Server:
    """gunicorn serving the app; ``rss_mb`` reads its workers' memory."""

    def __init__(self, env: dict[str, str], workers: int, log: Path):
        self.port = _free_port()
        self.workers = workers
        self._log = log.open("w")
        self.process = subprocess.Popen(
            [
                sys.executable, "-m", "gunicorn", "-c", "python:opticrm.gunicorn_conf",
                "opticrm.wsgi:application",
                "--bind", f"127.0.0.1:{self.port}", "--workers", str(workers),
                "--worker-tmp-dir", "/dev/shm" if Path("/dev/shm").is_dir() else "/tmp",
                "--timeout", "120",
            ],
            cwd=settings.BASE_DIR, env=env, stdout=self._log, stderr=subprocess.STDOUT,
        )  # fmt: skip

    def wait_until_up(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.port}/health/", headers={"Host": "127.0.0.1"}
        )
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn ended (exit {self.process.returncode}); see its log")
            try:
                with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310 (loopback)
                    if response.status == 200:
                        return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError("gunicorn did not answer /health/ in time")

    def rss_mb(self) -> list[float]:
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        sizes = []
        for pid in children.read_text().split():
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    sizes.append(int(line.split()[1]) / 1024)
        return sizes

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self._log.close()


def _time_sql(bench_url: str, statements: list[str], repeat: int) -> list[float]:
    """Each run of the SELECTs behind the list page, on one connection."""
    selects = [s for s in statements if s.lstrip().upper().startswith(("SELECT", "WITH"))]
    timings = []
    with psycopg.connect((bench_url), autocommit=True) as conn:
        for _ in range(repeat + 3):
            started = time.perf_counter()
            for statement in selects:
                conn.execute(statement).fetchall()
            timings.append(time.perf_counter() - started)
    return timings[3:]  # the first runs warm the connection


def default_workers() -> int:
    """As the image serves the app (WEB_CONCURRENCY, 3 there), else one per
    core and one more to work while another waits for PostgreSQL. With the
    database on the same cores, more workers only take turns on them: at 16
    clients the slowest requests took longer with 5 workers than with 3 on
    the two-core benchmark machine (page 2000: p95 193–229 ms against
    157–185 ms, issue 8)."""
    configured = os.environ.get("WEB_CONCURRENCY", "")
    return (
        int(configured)
        if configured.isdigit() and int(configured) > 0
        else (os.cpu_count() or 1) + 1
    )


def machine_facts(bench_url: str) -> dict:
    cpu = platform.processor() or platform.machine()
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    memory_gb = 0.0
    meminfo = Path("/proc/meminfo")
    if meminfo.exists():
        total_kb = int(meminfo.read_text().split("MemTotal:")[1].split()[0])
        memory_gb = total_kb / 1024 / 1024
    with psycopg.connect(bench_url) as conn:
        postgres = conn.execute("SHOW server_version").fetchone()[0]
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gb": memory_gb,
        "postgres": postgres.split()[0],
        "python": platform.python_version(),
    }


def _row(scenario: dict, clients: int, result: drive.Result, speed_ms: float) -> dict:
    ms = [latency * 1000 for latency in result.latencies]
    row = {
        "name": scenario["name"],
        "group": scenario["group"],
        "clients": clients,
        "n": len(ms),
        "p50_ms": drive.percentile(ms, 0.50),
        "p95_ms": drive.percentile(ms, 0.95),
        "p99_ms": drive.percentile(ms, 0.99),
        "rps": result.rps,
        "speed_ms": speed_ms,
        "target_ms": report.target_ms(clients, scenario),
        "errors": result.errors[:5],
    }
    row["ok"] = report.row_ok(row)
    return row


def _summary(rows: list[dict], sql_ms: list[float], sql_queries: int, rss: list[float]) -> dict:
    def p50(name: str) -> float:
        return next(r["p50_ms"] for r in rows if r["name"] == name and r["clients"] == 1)

    admin_ratio = p50("admin customer list") / p50("customer list")
    sql_p50 = drive.percentile(sql_ms, 0.5)
    judged = [row for row in rows if row["ok"] is not None]
    return {
        "admin_ratio": admin_ratio,
        "admin_ratio_ok": admin_ratio >= report.ADMIN_RATIO_TARGET,
        "list_sql_p50_ms": sql_p50,
        "list_sql_queries": sql_queries,
        "list_to_sql_ratio": p50("customer list") / sql_p50,
        "worker_rss_mb": rss,
        "worker_rss_ok": bool(rss) and max(rss) < report.WORKER_RSS_TARGET_MB,
        "with_target": len(judged),
        "met": sum(1 for row in judged if row["ok"]),
    }


def run(options: Options, log: Callable[[str], None]) -> dict:
    own = settings.DATABASES["default"]
    name = options.database or f"{own['NAME']}_bench"
    server_url = database_url(own, own["NAME"])
    bench_url = database_url(own, name)
    if create_database(server_url, name):
        log(f"Created the benchmark database {name}.")
    env = child_environment(bench_url)
    options.out.mkdir(parents=True, exist_ok=True)
    try:
        # Production settings serve static files from the collected manifest.
        subprocess.run(
            [sys.executable, "manage.py", "collectstatic", "--no-input", "-v", "0"],
            cwd=settings.BASE_DIR, env=env, check=True,
        )  # fmt: skip
        log("Migrating and loading (skipped when the data is there) …")
        prepared = subprocess.run(
            [
                sys.executable, "-m", "opticrm.bench.prepare",
                "--customers", str(options.customers), "--appointments", str(options.appointments),
                "--products", str(options.products), "--seed", str(options.seed),
                "--writes", str(writes_per_run(options)),
                *(["--reload"] if options.reload else []),
            ],
            cwd=settings.BASE_DIR, env=env, stdout=subprocess.PIPE, text=True, check=False,
        )  # fmt: skip
        if prepared.returncode != 0:
            raise RuntimeError(
                f"preparing the benchmark database failed (exit {prepared.returncode})"
            )
        plan = json.loads(prepared.stdout.strip().splitlines()[-1])
        result = _measure(options, plan, env, bench_url, log)
        result["steps"] = _steps(options, env, log)
        return result
    finally:
        if options.drop:
            drop_database(server_url, name)


def writes_per_run(options: Options) -> int:
    """How many requests a scenario sends in a run: each worker's warm-up
    (a request per client and one each), then per row a warm-up request per
    client and the measured ones. A write that can be made only once (an
    order's status change from the version it names) needs as many orders."""
    return 2 * options.workers + sum(clients + options.requests for clients in options.clients)


def _written(bench_url: str, scenario: dict) -> int | None:
    """The rows the scenario's writes are counted by (``verify``), now."""
    if not scenario.get("verify"):
        return None
    with psycopg.connect(bench_url, autocommit=True) as conn:
        return conn.execute(scenario["verify"]).fetchone()[0]


def _steps(options: Options, env: dict, log: Callable[[str], None]) -> list[dict]:
    """The timed steps that are no page (opticrm.bench.steps), after the
    pages, with the server stopped."""
    log(
        "Timed steps (customer export, access report, customer import, recall queue, "
        "reminder scheduler) …"
    )
    # The file of 100,000 customers at chain scale; a tenth of the
    # customers at a smaller scale, so a small run stays small.
    import_rows = max(100, min(IMPORT_ROWS, options.customers // 10))
    done = subprocess.run(
        [sys.executable, "-m", "opticrm.bench.steps", "--only", options.only,
         "--import-rows", str(import_rows)],
        cwd=settings.BASE_DIR, env=env, stdout=subprocess.PIPE, text=True, check=False,
    )  # fmt: skip
    if done.returncode != 0:
        raise RuntimeError(f"the timed steps failed (exit {done.returncode})")
    return json.loads(done.stdout.strip().splitlines()[-1])["steps"]


def _reference_work() -> float:
    started = time.perf_counter()
    sum(number * number for number in range(1_000_000))
    return time.perf_counter() - started


def reference_ms() -> float:
    """The best of three runs of a fixed piece of pure Python: how fast this
    machine is at the moment, so that two runs' tables can be compared (a
    shared virtual machine's speed drifts by tens of per cent)."""
    return round(min(_reference_work() for _ in range(3)) * 1000, 1)


def _work_when_all_ready(start, seconds) -> None:
    start.wait(timeout=60)
    # Once: a process that ran again after the others were done would work
    # on a quieter machine.
    seconds.put(_reference_work())


def parallel_speedup() -> dict:
    """How many times one process's work the machine does with one process
    per core at once: 2.0 on two free cores, less where they are two threads
    of one core or shared with neighbours. The 16-client rows depend on it as
    much as on the code."""
    processes = len(os.sched_getaffinity(0))  # the cores this process may use
    alone = min(_reference_work() for _ in range(3))
    context = multiprocessing.get_context("fork")
    start, seconds = context.Barrier(processes), context.Queue()
    workers = [
        context.Process(target=_work_when_all_ready, args=(start, seconds), daemon=True)
        for _ in range(processes)
    ]
    try:
        for worker in workers:
            worker.start()
        together = [seconds.get(timeout=120) for _ in workers]
    finally:
        for worker in workers:
            worker.terminate()
            worker.join()
    # The lone run again afterwards, the faster counting: a shared machine
    # that sped up meanwhile made the sum 3.2 on two cores (CI, 2026-12-06).
    # More than one process's work per core is such drift, not the machine.
    alone = min(alone, *(_reference_work() for _ in range(3)))
    speedup = min(sum(alone / t for t in together), processes)
    return {"processes": processes, "speedup": round(speedup, 2)}


def _measure(options: Options, plan: dict, env: dict, bench_url: str, log) -> dict:
    reference_before = reference_ms()
    parallel_before = parallel_speedup()
    wanted = [part.strip().lower() for part in options.only.split("|")]
    scenarios = [s for s in plan["scenarios"] if any(part in s["name"].lower() for part in wanted)]
    server = Server(env, options.workers, options.out / "gunicorn.log")
    rows: list[dict] = []
    sql_ms: list[float] = []
    try:
        server.wait_until_up()
        # A write made once per request (``once``) takes the next of its
        # requests in each drive, the warm-up's too.
        once = {s["name"]: drive.feed(s) for s in scenarios if s.get("once")}
        # Every worker's first requests load templates, translations and
        # connections: not what a shop waits for during the day.
        for scenario in scenarios:
            drive.drive(
                server.port, scenario, plan, clients=options.workers, requests=options.workers,
                once=once.get(scenario["name"]),
            )  # fmt: skip
        for scenario in scenarios:
            for clients in options.clients:
                speed_ms = reference_ms()
                before = _written(bench_url, scenario)
                result = drive.drive(
                    server.port, scenario, plan, clients=clients, requests=options.requests,
                    once=once.get(scenario["name"]),
                )  # fmt: skip
                if before is not None:
                    # A form answers a refused write with a redirect too (a
                    # conflict's message): count what was written.
                    written = _written(bench_url, scenario) - before
                    if written != result.sent:
                        result.errors.append(f"{written} written for {result.sent} requests")
                row = _row(scenario, clients, result, speed_ms)
                rows.append(row)
                log(report.text_table({"rows": [row]}).splitlines()[-1])
            if scenario["name"] == "customer list":
                sql_ms = [
                    t * 1000 for t in _time_sql(bench_url, plan["list_sql"], options.requests)
                ]
        rss = server.rss_mb()
    finally:
        server.stop()
    result = {
        "finished_at": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
        "sizes": plan["marker"]["sizes"],
        "load_seconds": plan["marker"]["load_seconds"],
        "machine": {
            **machine_facts(bench_url),
            "reference_ms": {"before": reference_before, "after": reference_ms()},
            "parallel": parallel_before,
        },
        "server": {"workers": options.workers, "conn_max_age": env["CONN_MAX_AGE"]},
        "requests_per_row": options.requests,
        "rows": rows,
    }
    if sql_ms and any(r["name"] == "admin customer list" for r in rows):
        result["summary"] = _summary(rows, sql_ms, len(plan["list_sql"]), rss)
    else:
        result["summary"] = None
        result["worker_rss_mb"] = rss
    return result
