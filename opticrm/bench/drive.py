"""Concurrent HTTP clients on loopback: each a thread with its own
connection, sending one request after another, as a person's browser or an
API client does. Threads suffice: they wait on the socket, not the GIL."""

import dataclasses
import http.client
import itertools
import threading
import time
from collections.abc import Iterator


@dataclasses.dataclass
class Result:
    latencies: list[float]  # seconds, of the measured requests
    seconds: float  # wall time of the measured requests
    errors: list[str]
    sent: int = 0  # requests sent, the clients' warm-up ones too

    @property
    def rps(self) -> float:
        return len(self.latencies) / self.seconds if self.seconds else 0.0


def percentile(samples: list[float], share: float) -> float:
    """Nearest-rank percentile: a value that was measured."""
    ordered = sorted(samples)
    if not ordered:
        return float("nan")
    rank = max(1, -(-len(ordered) * share // 1))
    return ordered[int(rank) - 1]


def _headers(scenario: dict, auth: dict) -> dict:
    headers = {"Host": "127.0.0.1", "Accept-Encoding": "gzip"}
    if scenario["auth"] == "api":
        headers["Authorization"] = f"Bearer {auth['api_key']}"
        headers["Content-Type"] = "application/json"
    elif scenario["method"] == "GET":
        headers["Cookie"] = auth["session_cookie"]
    else:
        # A form sent from a page: its CSRF cookie and token (in the header,
        # as htmx sends it), both the value prepare.sign_in made.
        headers["Cookie"] = f"{auth['session_cookie']}; {auth['csrf_cookie']}"
        headers["X-CSRFToken"] = auth["csrf_token"]
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    # A partial as htmx asks for it (HX-Request), where the scenario says so.
    headers.update(scenario.get("headers") or {})
    return headers


def requests_of(scenario: dict) -> list[tuple[str, str | None]]:
    """(path, body) of each request: the same ``body`` for every path, or
    each path's own (``bodies``)."""
    bodies = scenario.get("bodies") or [scenario.get("body")] * len(scenario["paths"])
    return list(zip(scenario["paths"], bodies, strict=True))


def feed(scenario: dict) -> Iterator[tuple[str, str | None]]:
    """The scenario's requests, each once, for every drive() of a run to
    take the next ones from: a write that can be made only once (an order
    moved on from the version it names)."""
    return iter(requests_of(scenario))


def drive(
    port: int,
    scenario: dict,
    auth: dict,
    *,
    clients: int,
    requests: int,
    once: Iterator[tuple[str, str | None]] | None = None,
) -> Result:
    """Send ``requests`` measured requests from ``clients`` clients at once,
    after each client's warm-up request; the scenario's requests over and
    over, or each of ``once`` (feed) a single time."""
    headers = _headers(scenario, auth)
    expect = scenario.get("expect", 200)
    paths = once if once is not None else itertools.cycle(requests_of(scenario))
    paths_lock = threading.Lock()
    sent = [0]
    remaining = [requests]
    latencies: list[float] = []
    errors: list[str] = []
    ready = threading.Barrier(clients + 1)
    start_signal = threading.Event()

    def next_request() -> tuple[str, str | None]:
        """The next (path, body); called with paths_lock held."""
        request = next(paths, None)
        if request is None:
            raise OSError(f"{scenario['name']}: no requests left to send once")
        sent[0] += 1
        return request

    def one(connection: http.client.HTTPConnection, request: tuple[str, str | None]) -> float:
        path, body = request
        started = time.perf_counter()
        connection.request(scenario["method"], path, body=body, headers=headers)
        response = connection.getresponse()
        response.read()
        elapsed = time.perf_counter() - started
        if response.status != expect:
            errors.append(f"{scenario['method']} {path}: {response.status}")
        if response.will_close:
            connection.close()
        return elapsed

    def client() -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        try:
            with paths_lock:
                request = next_request()
            one(connection, request)  # warm-up: connections, caches, the worker's first hit
            ready.wait()
            start_signal.wait()
            while True:
                with paths_lock:
                    if remaining[0] == 0:
                        return
                    remaining[0] -= 1
                    request = next_request()
                latency = one(connection, request)
                with paths_lock:
                    latencies.append(latency)
        except (OSError, http.client.HTTPException) as error:
            errors.append(f"{type(error).__name__}: {error}")
            ready.abort()
        finally:
            connection.close()

    threads = [threading.Thread(target=client, daemon=True) for _ in range(clients)]
    for thread in threads:
        thread.start()
    try:
        ready.wait()
    except threading.BrokenBarrierError:
        start_signal.set()
        for thread in threads:
            thread.join()
        return Result(latencies, 0.0, errors or ["a client failed to start"], sent[0])
    started = time.perf_counter()
    start_signal.set()
    for thread in threads:
        thread.join()
    return Result(latencies, time.perf_counter() - started, errors, sent[0])
