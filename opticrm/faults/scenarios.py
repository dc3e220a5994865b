"""The four fault scenarios. Each sends its requests through the REST API
v1 of a running server, reads the outcome from the scratch database in plain
SQL, and returns its checks (expected against actual) and figures."""

import dataclasses
import datetime
import secrets
import threading
import time
from collections.abc import Callable
from pathlib import Path

from opticrm.faults import database
from opticrm.faults.client import Answer, Api, burst, counts, expect


@dataclasses.dataclass
class Sizes:
    bookings: int = 50  # concurrent bookings of one slot
    sales: int = 100  # concurrent sales of 1 on a stock of this many
    editors: int = 20  # concurrent PUTs of one customer
    writers: int = 8  # clients creating customers during the restart
    seconds: float = 15.0  # how long they write; the restart comes after a third


@dataclasses.dataclass
class Context:
    api: Api
    plan: dict  # what opticrm.faults.prepare printed
    scratch_url: str
    server_url: str
    scratch: str  # the scratch database's name
    gunicorn_pid: int
    sizes: Sizes
    log: Callable[[str], None]


@dataclasses.dataclass
class Check:
    what: str
    expected: str
    actual: str
    ok: bool


@dataclasses.dataclass
class Outcome:
    name: str
    title: str
    checks: list[Check] = dataclasses.field(default_factory=list)
    figures: dict = dataclasses.field(default_factory=dict)
    skipped: str = ""  # why the scenario did not run
    seconds: float = 0.0

    @property
    def status(self) -> str:
        if self.skipped:
            return "skipped"
        return "passed" if all(check.ok for check in self.checks) else "failed"

    def check(self, what: str, expected, actual, ok: bool | None = None) -> bool:
        ok = (expected == actual) if ok is None else ok
        self.checks.append(Check(what, str(expected), str(actual), bool(ok)))
        return bool(ok)

    def no_server_errors(self, answers: list[Answer]) -> None:
        errors = {
            kind: n
            for kind, n in counts(answers).items()
            if kind.startswith("5") or kind == "connection error"
        }
        self.check("5xx or no answer", 0, _shown(errors) if errors else 0)


def _shown(kinds: dict[str, int]) -> str:
    """{"201": 1, "409": 49} → "1 × 201, 49 × 409"."""
    return ", ".join(f"{n} × {kind}" for kind, n in kinds.items()) or "none"


def _refused(kinds: dict[str, int]) -> int:
    return sum(n for kind, n in kinds.items() if kind.startswith("4"))


# --- 1. Double booking -------------------------------------------------------


def double_booking(ctx: Context) -> Outcome:
    outcome = Outcome("booking", "Concurrent bookings of one slot")
    plan, n = ctx.plan, ctx.sizes.bookings
    bodies = [
        {"customer": customer, "staff": plan["staff_id"], "type": plan["type_id"],
         "start": plan["slot_start"]}
        for customer in plan["booking_customer_ids"][:n]
    ]  # fmt: skip
    path = "/api/v1/appointments"
    answers = burst([lambda body=body: ctx.api.post(path, body) for body in bodies])
    kinds = counts(answers)
    outcome.figures = {"answers": kinds, "slowest_s": round(max(a.seconds for a in answers), 3)}
    outcome.check("answers", _shown({"201": 1, "409": n - 1}), _shown(kinds))
    outcome.no_server_errors(answers)
    booked = [a.body["id"] for a in answers if a.status == 201]
    named = {a.body.get("conflicting_appointment") for a in answers if a.status == 409}
    if booked and n > 1:
        outcome.check("every 409 names the booked appointment", True, named == {booked[0]})
    stored = database.query(
        ctx.scratch_url,
        "SELECT count(*) FROM appointments_appointment WHERE staff_id = %s AND start = %s",
        [plan["staff_id"], datetime.datetime.fromisoformat(plan["slot_start"])],
    )[0][0]
    outcome.check("appointments stored for the slot", 1, stored)
    return outcome


# --- 2. Concurrent sales -----------------------------------------------------


def _ledger(ctx: Context, product_id: int) -> tuple[int, str]:
    """The stock, and whether the ledger adds up: each movement's stock_after
    is the one before plus its quantity, never below zero, the last one the
    product's stock."""
    (stock,) = database.query(
        ctx.scratch_url, "SELECT stock FROM products_product WHERE id = %s", [product_id]
    )[0]
    movements = database.query(
        ctx.scratch_url,
        "SELECT quantity, stock_after FROM products_stockmovement "
        "WHERE product_id = %s ORDER BY id",
        [product_id],
    )
    running = 0
    for number, (quantity, stock_after) in enumerate(movements, start=1):
        running += quantity
        if stock_after != running or running < 0:
            return stock, f"broken at movement {number}: {stock_after} after, {running} summed"
    if running != stock:
        return stock, f"movements sum to {running}, stock is {stock}"
    return stock, f"adds up ({len(movements)} movements)"


def _sell(ctx: Context, product_id: int, count: int) -> list[Answer]:
    path = f"/api/v1/products/{product_id}/stock-movements"
    body = {"kind": "sale", "quantity": 1, "note": "Lasttest"}
    return burst([lambda: ctx.api.post(path, body)] * count)


def concurrent_sales(ctx: Context) -> Outcome:
    outcome = Outcome("stock", "Concurrent sales of one product")
    n = ctx.sizes.sales
    product = expect(
        ctx.api.post(
            "/api/v1/products",
            {
                "category": "accessory",
                "article_number": f"FAULTS-{secrets.token_hex(4)}",
                "name": "Brillenetui Lasttest",
                "purchase_price": "2.00",
                "sale_price": "5.00",
            },
        ),
        201,
        "creating the product",
    )
    movements = f"/api/v1/products/{product['id']}/stock-movements"
    expect(ctx.api.post(movements, {"kind": "receipt", "quantity": n}), 201, "receiving stock")
    first = _sell(ctx, product["id"], n)
    kinds = counts(first)
    outcome.check(f"round 1: {n} sales on stock {n}", _shown({"201": n}), _shown(kinds))
    stock, ledger = _ledger(ctx, product["id"])
    outcome.check("round 1: stock afterwards", 0, stock)
    one_more = ctx.api.post(movements, {"kind": "sale", "quantity": 1})
    outcome.check("one more sale on stock 0", "4xx", one_more.kind, one_more.kind.startswith("4"))

    stock_again, extra = n // 2, max(1, n // 10)
    expect(
        ctx.api.post(movements, {"kind": "receipt", "quantity": stock_again}),
        201,
        "receiving stock again",
    )
    second = _sell(ctx, product["id"], stock_again + extra)
    kinds_again = counts(second)
    outcome.check(
        f"round 2: {stock_again + extra} sales on stock {stock_again}",
        f"{stock_again} × 201, {extra} × 4xx",
        _shown(kinds_again),
        kinds_again.get("201", 0) == stock_again and _refused(kinds_again) == extra,
    )
    stock, ledger = _ledger(ctx, product["id"])
    outcome.check("round 2: stock afterwards", 0, stock)
    outcome.check("ledger", "adds up, never negative", ledger, ledger.startswith("adds up"))
    outcome.no_server_errors([*first, one_more, *second])
    outcome.figures = {
        "round_1": kinds,
        "one_more": one_more.kind,
        "round_2": kinds_again,
        "refusal": (one_more.body or {}).get("detail") if one_more.body else one_more.error,
    }
    return outcome


# --- 3. Concurrent edits -----------------------------------------------------


def _events(ctx: Context, customer_id: int) -> list[tuple]:
    return database.query(
        ctx.scratch_url,
        "SELECT pgh_label, email FROM customers_customerevent WHERE pgh_obj_id = %s "
        "ORDER BY pgh_id",
        [customer_id],
    )


def _edit_round(ctx: Context, outcome: Outcome, label: str, path: str, using: str) -> str | None:
    """One burst of PUTs that all base their change on the state just read;
    the e-mail address of the one that was saved."""
    n = ctx.sizes.editors
    read = ctx.api.get(path)
    current = expect(read, 200, "reading the customer")
    tag = read.headers.get("ETag", "")
    calls = []
    for number in range(n):
        body = {"email": f"{label}{number}@example.com"}
        headers = {}
        if using == "If-Match":
            headers["If-Match"] = tag
        else:
            body["updated_at"] = current["updated_at"]
        calls.append(lambda body=body, headers=headers: ctx.api.put(path, body, headers=headers))
    answers = burst(calls)
    kinds = counts(answers)
    outcome.figures[f"answers_{using}"] = kinds
    outcome.check(
        f"{n} PUTs with the same {using}", _shown({"200": 1, "409": n - 1}), _shown(kinds)
    )
    outcome.no_server_errors(answers)
    saved = [answer.body["email"] for answer in answers if answer.status == 200]
    return saved[0] if len(saved) == 1 else None


def concurrent_edits(ctx: Context) -> Outcome:
    outcome = Outcome("edit", "Concurrent edits of one customer")
    customer = expect(
        ctx.api.post(
            "/api/v1/customers",
            {"first_name": "Erika", "last_name": "Gleichzeitig", "email": "erika@example.com"},
        ),
        201,
        "creating the customer",
    )
    path = f"/api/v1/customers/{customer['id']}"
    before = _events(ctx, customer["id"])
    winners = [
        _edit_round(ctx, outcome, "ifmatch", path, "If-Match"),
        _edit_round(ctx, outcome, "updatedat", path, "updated_at"),
    ]
    after = _events(ctx, customer["id"])
    new = [email for label, email in after[len(before) :] if label == "update"]
    outcome.check(
        "history: one update event per saved change, with its value",
        ", ".join(str(w) for w in winners),
        ", ".join(new) or "none",
        None not in winners and new == winners,
    )
    (stored,) = database.query(
        ctx.scratch_url, "SELECT email FROM customers_customer WHERE id = %s", [customer["id"]]
    )[0]
    outcome.check("stored e-mail is the last saved one", winners[-1], stored)
    outcome.figures["history_events"] = len(after)
    return outcome


# --- 4. Database restart under load ----------------------------------------


def _gunicorn_workers(master: int) -> list[int]:
    children = Path(f"/proc/{master}/task/{master}/children")
    return sorted(int(pid) for pid in children.read_text().split()) if children.exists() else []


def _writer(
    ctx: Context, run: str, number: int, stop: threading.Event, deadline: float
) -> list[Answer]:
    """One client creating customers one after another until told to stop,
    for at most until ``deadline`` and 10,000 requests."""
    answers = []
    while not stop.is_set() and time.monotonic() < deadline and len(answers) < 10_000:
        body = {"first_name": "Walter", "last_name": f"Ausfall {run} {number}-{len(answers)}"}
        answers.append(ctx.api.post("/api/v1/customers", body))
        if answers[-1].status is None:
            time.sleep(0.05)  # no server at all: do not spin
    return answers


def restart_under_load(ctx: Context) -> Outcome:
    outcome = Outcome("restart", "Database restart under load")
    refusal = database.restart_refusal(ctx.server_url, ctx.scratch)
    if refusal:
        outcome.skipped = refusal
        return outcome
    sizes, run = ctx.sizes, secrets.token_hex(3)
    workers_before = _gunicorn_workers(ctx.gunicorn_pid)
    stop = threading.Event()
    began = time.monotonic()
    deadline = began + sizes.seconds + 10
    results: list[list[Answer]] = [[] for _ in range(sizes.writers)]

    def write(number: int) -> None:
        results[number] = _writer(ctx, run, number, stop, deadline)

    threads = [
        threading.Thread(target=write, args=(number,), daemon=True)
        for number in range(sizes.writers)
    ]
    for thread in threads:
        thread.start()
    restart: dict | None = None
    try:
        time.sleep(sizes.seconds / 3)
        # Asked again at the last moment: someone may have connected since.
        refusal = database.restart_refusal(ctx.server_url, ctx.scratch)
        if refusal:
            outcome.skipped = refusal
        else:
            ctx.log("Restarting the embedded PostgreSQL server …")
            restart = database.restart_embedded()
            ctx.log(f"… up again after {restart['ready'] - restart['began']:.1f} s.")
        time.sleep(max(0.0, began + sizes.seconds - time.monotonic()))
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=60)
        if restart is None and not outcome.skipped:
            database.ensure_embedded_running()  # the restart itself failed
    if outcome.skipped:
        return outcome
    answers = [answer for result in results for answer in result]
    acknowledged = [a.body["id"] for a in answers if a.status == 201 and a.body.get("id")]
    found = {
        row[0]
        for row in database.query(
            ctx.scratch_url,
            "SELECT id FROM customers_customer WHERE id = ANY(%s)",
            [acknowledged],
        )
    }
    stored = database.query(
        ctx.scratch_url,
        "SELECT count(*) FROM customers_customer WHERE last_name LIKE %s",
        [f"Ausfall {run} %"],
    )[0][0]
    kinds = counts(answers)
    errors = {kind: n for kind, n in kinds.items() if kind != "201"}
    after = [a for a in answers if a.started >= restart["ready"]]
    first_success = next(
        (a.started + a.seconds for a in sorted(after, key=lambda a: a.started) if a.status == 201),
        None,
    )
    failed = [a for a in answers if a.status != 201]
    last_error = max((a.started + a.seconds for a in failed), default=None)
    health = ctx.api.get("/health/")
    workers_after = _gunicorn_workers(ctx.gunicorn_pid)

    outcome.check("acknowledged writes lost", 0, len(set(acknowledged) - found))
    outcome.check(
        "failed requests",
        "JSON 500/503 or no answer",
        _shown(errors),
        all(kind in ("500", "503", "connection error") for kind in errors),
    )
    outcome.check(
        "writes succeed again after the restart (gunicorn kept running)",
        "yes",
        "yes" if first_success is not None else "no",
    )
    outcome.check("health after the load", 200, health.status)
    outcome.check("gunicorn master still the same process", True, _alive(ctx.gunicorn_pid))
    outcome.figures = {
        "writers": sizes.writers,
        "seconds": sizes.seconds,
        "requests": len(answers),
        "answers": kinds,
        "acknowledged": len(acknowledged),
        "stored": stored,
        "stored_not_acknowledged": stored - len(found),
        "server_down_s": round(restart["ready"] - restart["began"], 2),
        "first_success_after_up_s": (
            round(first_success - restart["ready"], 2) if first_success else None
        ),
        "last_error_after_up_s": round(last_error - restart["ready"], 2) if last_error else None,
        "workers_replaced": len(set(workers_before) - set(workers_after)),
        "error_samples": _samples(failed),
    }
    return outcome


def _alive(pid: int) -> bool:
    return Path(f"/proc/{pid}").exists()


def _samples(answers: list[Answer]) -> dict[str, str]:
    """One body or error of each kind of failure, for the report."""
    samples = {}
    for answer in answers:
        if answer.kind not in samples:
            samples[answer.kind] = str(answer.body if answer.body is not None else answer.error)[
                :200
            ]
    return samples


SCENARIOS = {
    "booking": double_booking,
    "stock": concurrent_sales,
    "edit": concurrent_edits,
    "restart": restart_under_load,
}
