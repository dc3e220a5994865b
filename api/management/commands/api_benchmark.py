"""Latency of the customer API at chain scale: p50/p95 of list, detail,
create and update with (by default) 100,000 customers in the database.

Not a timed test: run it against a realistic database and server, e.g.
``make run`` in one shell, then ``.venv/bin/python manage.py api_benchmark``.
Requests go through the whole Django stack in-process (middleware, API,
PostgreSQL), without the network."""

import datetime
import json
import random
import statistics
import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.test import Client, override_settings

from api import services as api_services
from customers.demo import FIRST_NAMES, LAST_NAMES
from customers.models import Customer

DOMAIN = "benchmark.invalid"  # RFC 2606: never a real customer's address
BATCH = 5000


def _percentile(samples: list[float], share: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


class Command(BaseCommand):
    help = (
        "Measure p50/p95 latency of the customer API (list, detail, create, update) "
        "with many customers; benchmark customers are removed afterwards."
    )

    def add_arguments(self, parser):
        parser.add_argument("--customers", type=int, default=100_000)
        parser.add_argument("--rounds", type=int, default=200, help="requests per operation")
        parser.add_argument("--keep", action="store_true", help="keep the benchmark customers")
        parser.add_argument("--seed", type=int, default=1)

    def handle(self, *args, customers: int, rounds: int, keep: bool, seed: int, **options):
        if customers < 1 or rounds < 1:
            raise CommandError("--customers and --rounds must be at least 1.")
        rng = random.Random(seed)
        self._fill(customers, rng)
        key, raw = api_services.api_key_create(name="Benchmark")
        host = next(
            (h for h in settings.ALLOWED_HOSTS if h != "*" and not h.startswith(".")), "localhost"
        )
        client = Client(SERVER_NAME=host, HTTP_AUTHORIZATION=f"Bearer {raw}")
        ids = list(
            Customer.objects.alive()
            .filter(email__endswith=f"@{DOMAIN}")
            .values_list("pk", flat=True)
        )
        try:
            with override_settings(API_RATE_LIMIT=f"{10 * rounds * 4}/min"):
                results = self._measure(client, rng, ids, rounds)
        finally:
            api_services.api_key_revoke(key_id=key.pk)
            if not keep:
                deleted, _ = Customer.objects.filter(email__endswith=f"@{DOMAIN}").delete()
                self.stdout.write(f"Removed {deleted} benchmark rows.")
        total = Customer.objects.count() + (0 if keep else len(ids))
        self.stdout.write(f"Customers in the database during the run: {total}")
        self.stdout.write(f"{'operation':<10} {'n':>5} {'p50 ms':>8} {'p95 ms':>8}")
        for name, samples in results.items():
            p50 = statistics.median(samples) * 1000
            p95 = _percentile(samples, 0.95) * 1000
            self.stdout.write(f"{name:<10} {len(samples):>5} {p50:>8.1f} {p95:>8.1f}")

    def _fill(self, wanted: int, rng: random.Random) -> None:
        """Benchmark customers until ``wanted`` exist, in batches (bulk insert)."""
        have = Customer.objects.filter(email__endswith=f"@{DOMAIN}").count()
        missing = wanted - have
        if missing <= 0:
            return
        self.stdout.write(f"Creating {missing} benchmark customers …")
        for start in range(0, missing, BATCH):
            batch = []
            for number in range(have + start, have + min(start + BATCH, missing)):
                customer = Customer(
                    first_name=rng.choice(FIRST_NAMES),
                    last_name=rng.choice(LAST_NAMES),
                    email=f"kunde{number}@{DOMAIN}",
                    date_of_birth=datetime.date(1940, 1, 1)
                    + datetime.timedelta(days=rng.randrange(365 * 65)),
                    status=rng.choice(["active", "active", "active", "inactive", "prospect"]),
                )
                customer.refresh_derived_fields()
                batch.append(customer)
            with transaction.atomic():
                Customer.objects.bulk_create(batch)

    def _measure(self, client: Client, rng: random.Random, ids: list[int], rounds: int) -> dict:
        url = "/api/v1/customers"
        results: dict[str, list[float]] = {"list": [], "detail": [], "create": [], "update": []}
        searches = ["", "", "müller", "schmidt anna", "kunde1"]

        def timed(name: str, expected: int, method: str, path: str, *data, **options) -> None:
            started = time.perf_counter()
            response = getattr(client, method)(path, *data, **options)
            results[name].append(time.perf_counter() - started)
            if response.status_code != expected:
                raise CommandError(
                    f"{name}: HTTP {response.status_code} {response.content[:200]!r}"
                )

        as_json = {"content_type": "application/json"}
        for number in range(rounds):
            query = {"page": rng.randint(1, 20), "search": rng.choice(searches)}
            timed("list", 200, "get", url, query)
            pk = rng.choice(ids)
            timed("detail", 200, "get", f"{url}/{pk}")
            new = {
                "first_name": "Bea",
                "last_name": f"Benchmark{number}",
                "email": f"neu{number}@{DOMAIN}",
            }
            timed("create", 201, "post", url, json.dumps(new), **as_json)
            change = {"status": rng.choice(["active", "inactive"])}
            timed("update", 200, "put", f"{url}/{pk}", json.dumps(change), **as_json)
        return results
