"""``manage.py faults``: the load and fault figures of docs/load-and-faults.md."""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from opticrm.bench.run import default_workers
from opticrm.faults import report
from opticrm.faults.run import Options, run
from opticrm.faults.scenarios import SCENARIOS, Sizes


def _only(value: str) -> tuple[str, ...]:
    names = tuple(part.strip() for part in value.split(",") if part.strip())
    unknown = sorted(set(names) - set(SCENARIOS))
    if not names or unknown:
        raise CommandError(f"--only takes some of {', '.join(SCENARIOS)}, separated by commas.")
    return names


class Command(BaseCommand):
    help = (
        "Serve a scratch database with gunicorn and production settings and repeat the load "
        "and fault figures: concurrent bookings of one slot, concurrent sales, concurrent "
        "edits of one customer, and a restart of the embedded PostgreSQL under load. Writes "
        "faults.json and faults.md; fails when an expectation is not met."
    )

    def add_arguments(self, parser):
        defaults = Sizes()
        parser.add_argument(
            "--only",
            default=",".join(SCENARIOS),
            help=f"scenarios to run, separated by commas (default: {','.join(SCENARIOS)})",
        )
        parser.add_argument(
            "--bookings", type=int, default=defaults.bookings, help="concurrent bookings"
        )
        parser.add_argument(
            "--sales", type=int, default=defaults.sales, help="stock and concurrent sales"
        )
        parser.add_argument(
            "--editors", type=int, default=defaults.editors, help="concurrent PUTs of a customer"
        )
        parser.add_argument(
            "--writers",
            type=int,
            default=defaults.writers,
            help="clients creating customers during the restart",
        )
        parser.add_argument(
            "--seconds",
            type=float,
            default=defaults.seconds,
            help="how long they write (the restart comes after a third)",
        )
        parser.add_argument(
            "--workers",
            type=int,
            default=default_workers(),
            help="gunicorn workers (default: WEB_CONCURRENCY, else cores + 1)",
        )
        parser.add_argument(
            "--database", default="", help="scratch database name (default: <this one>_faults)"
        )
        parser.add_argument("--keep", action="store_true", help="keep the scratch database")
        parser.add_argument(
            "--out", default=str(Path(settings.BASE_DIR) / ".data" / "faults"), help="output folder"
        )

    def handle(self, *args, **o):
        if min(o["bookings"], o["sales"], o["editors"], o["writers"], o["workers"]) < 1:
            raise CommandError(
                "--bookings, --sales, --editors, --writers and --workers must be at least 1."
            )
        if not 1 <= o["seconds"] <= 600:
            raise CommandError("--seconds must be between 1 and 600.")
        options = Options(
            sizes=Sizes(
                bookings=o["bookings"],
                sales=o["sales"],
                editors=o["editors"],
                writers=o["writers"],
                seconds=o["seconds"],
            ),
            workers=o["workers"],
            out=Path(o["out"]),
            only=_only(o["only"]),
            database=o["database"],
            keep=o["keep"],
        )
        try:
            result = run(options, log=lambda line: self.stderr.write(line))
        except RuntimeError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(report.text_table(result))
        as_json, as_markdown = report.write(result, options.out)
        self.stdout.write(f"Written: {as_json} and {as_markdown}")
        if not report.all_met(result):
            raise CommandError("Expectations failed; see the table.")
