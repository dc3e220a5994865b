"""What open but idle pages cost: ``--tabs`` simulated tabs poll a running
server once a second for ``--seconds``, as live.js does, while nothing
changes; the command reports the answers, their latency and the database
transactions and connections the server needed meanwhile.

Start the server first (e.g. gunicorn with production settings), then e.g.
``.venv/bin/python manage.py live_idle_cost --url http://127.0.0.1:8001``.
The figure in docs/live-updates.md comes from this command."""

import http.client
import statistics
import threading
import time
import urllib.parse
from collections import Counter

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model
from django.contrib.sessions.backends.db import SessionStore
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.urls import reverse

from live import access
from live.topics import visible_topics

STATS = """
    SELECT xact_commit + xact_rollback, sessions FROM pg_stat_database
    WHERE datname = current_database()
"""


def _database_activity() -> tuple[int, int]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute(STATS)
        return cursor.fetchone()


class Command(BaseCommand):
    help = "Measure what idle open pages (the live-update poll) cost a running server."

    def add_arguments(self, parser):
        parser.add_argument("--url", default="http://127.0.0.1:8000")
        parser.add_argument("--tabs", type=int, default=50)
        parser.add_argument("--seconds", type=int, default=60)
        parser.add_argument("--username", help="whose session the tabs use (default: a superuser)")

    def _session(self, username: str | None) -> tuple[str, str]:
        users = get_user_model().objects.filter(is_active=True)
        user = users.filter(username=username).first() if username else None
        user = user or users.filter(is_superuser=True).first()
        if user is None:
            raise CommandError("No such active user; run seed_demo or pass --username.")
        session = SessionStore()
        session[SESSION_KEY] = str(user.pk)
        session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        session.create()
        return session.session_key, access.pass_for(
            user.pk, session.session_key, visible_topics(user)
        )

    def handle(self, *args, url, tabs, seconds, username, **options):
        target = urllib.parse.urlsplit(url)
        path = reverse("live:changes")
        session_key, poll_pass = self._session(username)
        headers = {
            "Cookie": f"{settings.SESSION_COOKIE_NAME}={session_key}",
            "X-Live-Pass": poll_pass,
        }
        statuses: Counter[int] = Counter()
        latencies: list[float] = []
        lock = threading.Lock()
        start = time.monotonic() + 1

        def tab(number: int) -> None:
            etag = ""
            client = http.client.HTTPConnection(target.hostname, target.port or 80, timeout=10)
            # Spread over the second, as the timers of real tabs are.
            tick = start + number / tabs
            while tick < start + seconds:
                time.sleep(max(0.0, tick - time.monotonic()))
                began = time.perf_counter()
                try:
                    client.request("GET", path, headers={**headers, "If-None-Match": etag})
                    response = client.getresponse()
                    response.read()
                    status = response.status
                    etag = response.getheader("ETag") or etag
                except OSError:
                    status = 0
                    client.close()
                with lock:
                    statuses[status] += 1
                    latencies.append(time.perf_counter() - began)
                tick += 1

        before = _database_activity()
        threads = [threading.Thread(target=tab, args=(n,)) for n in range(tabs)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        time.sleep(2)  # the server's connections report their statistics on closing
        after = _database_activity()
        SessionStore(session_key).delete()

        ordered = sorted(latencies)
        self.stdout.write(f"{tabs} tabs x {seconds} s against {url}{path}")
        self.stdout.write(f"answers: {dict(sorted(statuses.items()))}")
        self.stdout.write(
            f"latency: p50 {statistics.median(ordered) * 1000:.1f} ms, "
            f"p95 {ordered[int(0.95 * (len(ordered) - 1))] * 1000:.1f} ms"
        )
        self.stdout.write(
            f"database: {after[0] - before[0]} transactions, "
            f"{after[1] - before[1]} new connections "
            "(including this command's own two reads)"
        )
