"""``make bench``: the shop chain's numbers (issue 8). See docs/benchmark.md."""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from opticrm.bench import report
from opticrm.bench.run import Options, default_workers, run


def _clients(value: str) -> tuple[int, ...]:
    try:
        counts = tuple(int(part) for part in value.split(","))
    except ValueError:
        counts = ()
    if not counts or min(counts) < 1:
        raise CommandError("--clients takes numbers of at least 1, separated by commas: 1,16")
    return counts


class Command(BaseCommand):
    help = (
        "Load a separate benchmark database (1,000,000 customers by default), serve it with "
        "gunicorn and production settings, measure every list, page and API call at 1 and 16 "
        "concurrent clients, and write the table as JSON and Markdown."
    )

    def add_arguments(self, parser):
        parser.add_argument("--customers", type=int, default=1_000_000)
        parser.add_argument("--appointments", type=int, default=2_000_000)
        parser.add_argument("--products", type=int, default=20_000)
        parser.add_argument("--seed", type=int, default=8)
        parser.add_argument("--reload", action="store_true", help="load the data again")
        parser.add_argument("--clients", default="1,16", help="concurrent clients, e.g. 1,16")
        parser.add_argument(
            "--requests", type=int, default=200, help="measured requests per row of the table"
        )
        parser.add_argument(
            "--workers",
            type=int,
            default=default_workers(),
            help="gunicorn workers (default: WEB_CONCURRENCY, else cores + 1)",
        )
        parser.add_argument(
            "--only",
            default="",
            help="only scenarios whose name contains this (several: separated by |)",
        )
        parser.add_argument(
            "--database", default="", help="benchmark database name (default: <this one>_bench)"
        )
        parser.add_argument(
            "--out", default=str(Path(settings.BASE_DIR) / ".data" / "bench"), help="output folder"
        )
        parser.add_argument(
            "--drop", action="store_true", help="drop the benchmark database afterwards"
        )
        parser.add_argument("--check", action="store_true", help="fail when a target is missed")

    def handle(self, *args, **o):
        if (
            min(o["customers"], o["requests"], o["workers"]) < 1
            or min(o["appointments"], o["products"]) < 0
        ):
            raise CommandError("--customers, --requests and --workers must be at least 1.")
        options = Options(
            customers=o["customers"],
            appointments=o["appointments"],
            products=o["products"],
            seed=o["seed"],
            reload=o["reload"],
            clients=_clients(o["clients"]),
            requests=o["requests"],
            workers=o["workers"],
            only=o["only"],
            database=o["database"],
            out=Path(o["out"]),
            drop=o["drop"],
        )
        try:
            result = run(options, log=lambda line: self.stderr.write(line))
        except RuntimeError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(report.text_table(result))
        if result["summary"]:
            self.stdout.write("\n".join(report.summary_lines(result)))
        as_json, as_markdown = report.write(result, options.out)
        self.stdout.write(f"Written: {as_json} and {as_markdown}")
        if o["check"] and not report.all_met(result):
            raise CommandError("Targets missed; see the table.")
