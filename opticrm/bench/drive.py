"""Concurrent HTTP clients on loopback: each a thread with its own
connection, sending one request after another, as a person's browser or an
API client does. Threads suffice: they wait on the socket, not the GIL."""

import dataclasses
import http.client
import itertools
import threading
import time


@dataclasses.dataclass
class Result:
    latencies: list[float]  # seconds, of the measured requests
    seconds: float  # wall time of the measured requests
    errors: list[str]

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
    else:
        headers["Cookie"] = auth["session_cookie"]
    return headers


def drive(port: int, scenario: dict, auth: dict, *, clients: int, requests: int) -> Result:
    """Send ``requests`` measured requests from ``clients`` clients at once,
    after each client's warm-up request."""
    headers = _headers(scenario, auth)
    expect = scenario.get("expect", 200)
    body = scenario.get("body")
    paths = itertools.cycle(scenario["paths"])
    paths_lock = threading.Lock()
    remaining = [requests]
    latencies: list[float] = []
    errors: list[str] = []
    ready = threading.Barrier(clients + 1)
    start_signal = threading.Event()

    def one(connection: http.client.HTTPConnection, path: str) -> float:
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
                path = next(paths)
            one(connection, path)  # warm-up: connections, caches, the worker's first hit
            ready.wait()
            start_signal.wait()
            while True:
                with paths_lock:
                    if remaining[0] == 0:
                        return
                    remaining[0] -= 1
                    path = next(paths)
                latency = one(connection, path)
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
        return Result(latencies, 0.0, errors or ["a client failed to start"])
    started = time.perf_counter()
    start_signal.set()
    for thread in threads:
        thread.join()
    return Result(latencies, time.perf_counter() - started, errors)
