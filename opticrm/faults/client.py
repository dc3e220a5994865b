"""The tester's HTTP client: urllib on loopback, one connection per request,
every request bounded by a timeout, and bursts of requests released at the
same moment from threads waiting on a barrier."""

import contextlib
import dataclasses
import http.client
import json
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Callable

# No proxy from the environment: the requests must reach the server on loopback.
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))
TIMEOUT = 30.0


@dataclasses.dataclass
class Answer:
    status: int | None  # None: no HTTP answer (connection refused, reset, timed out)
    body: dict | list | None = None  # the JSON body, None when it was not JSON
    headers: dict[str, str] = dataclasses.field(default_factory=dict)
    error: str = ""  # why there was no answer, or the start of a body that was not JSON
    started: float = 0.0  # time.monotonic() when the request was sent
    seconds: float = 0.0

    @property
    def kind(self) -> str:
        """How the table counts it: "201", "409", "500 (not JSON)", "connection error"."""
        if self.status is None:
            return "connection error"
        return str(self.status) if self.body is not None else f"{self.status} (not JSON)"


class Api:
    """The REST API v1 of one server, with one API key."""

    def __init__(self, port: int, key: str):
        self.base = f"http://127.0.0.1:{port}"
        self.key = key

    def call(
        self, method: str, path: str, body: dict | None = None, headers: dict | None = None
    ) -> Answer:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(
            self.base + path,
            data=data,
            method=method,
            headers={
                "Host": "127.0.0.1",
                "Authorization": f"Bearer {self.key}",
                "Accept": "application/json",
                **({"Content-Type": "application/json"} if data is not None else {}),
                **(headers or {}),
            },
        )
        started = time.monotonic()
        try:
            with _OPENER.open(request, timeout=TIMEOUT) as response:
                status, raw, answer_headers = response.status, response.read(), response.headers
        except urllib.error.HTTPError as error:  # 4xx and 5xx
            status, raw, answer_headers = error.code, error.read(), error.headers
        except (OSError, http.client.HTTPException) as error:  # refused, reset, timed out
            return Answer(
                None, error=f"{type(error).__name__}: {error}"[:200], started=started,
                seconds=time.monotonic() - started,
            )  # fmt: skip
        answer = Answer(
            status,
            headers=dict(answer_headers.items()),
            started=started,
            seconds=time.monotonic() - started,
        )
        try:
            answer.body = json.loads(raw) if raw else {}
        except ValueError:
            answer.error = raw[:200].decode(errors="replace")
        return answer

    def get(self, path: str, **options) -> Answer:
        return self.call("GET", path, **options)

    def post(self, path: str, body: dict, **options) -> Answer:
        return self.call("POST", path, body, **options)

    def put(self, path: str, body: dict, **options) -> Answer:
        return self.call("PUT", path, body, **options)


def expect(answer: Answer, status: int, what: str) -> dict:
    """The JSON body of a set-up request that must succeed."""
    if answer.status != status or not isinstance(answer.body, dict):
        raise RuntimeError(
            f"{what}: expected {status}, got {answer.kind}: {answer.body or answer.error}"
        )
    return answer.body


def burst(calls: list[Callable[[], Answer]], *, timeout: float = 120) -> list[Answer]:
    """Run every call in a thread of its own, all released at once; the
    answers in the order of ``calls``. Each request has its own timeout, so
    the burst ends by itself."""
    answers: list[Answer | None] = [None] * len(calls)
    start = threading.Barrier(len(calls))

    def run(index: int, call: Callable[[], Answer]) -> None:
        # One that started late is still sent, only less at once.
        with contextlib.suppress(threading.BrokenBarrierError):
            start.wait(timeout=30)
        answers[index] = call()

    threads = [
        threading.Thread(target=run, args=(index, call), daemon=True)
        for index, call in enumerate(calls)
    ]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + timeout
    for thread in threads:
        thread.join(timeout=max(0.0, deadline - time.monotonic()))
    return [
        answer if answer is not None else Answer(None, error="no answer within the burst's time")
        for answer in answers
    ]


def counts(answers: list[Answer]) -> dict[str, int]:
    """How many answers of each kind, e.g. {"201": 1, "409": 49}."""
    return dict(sorted(Counter(answer.kind for answer in answers).items()))
