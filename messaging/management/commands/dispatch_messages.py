import time

from django.core.management.base import BaseCommand
from django.db import close_old_connections

from messaging.services import messages_dispatch


class Command(BaseCommand):
    help = (
        "Plan the reminders now due and hand every message whose time has come to the "
        "worker (db_worker). Run it every minute (cron, a systemd timer) or with --every 60; "
        "several runs at once share the work."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--every",
            type=int,
            default=0,
            metavar="SECONDS",
            help="Keep running, once every SECONDS (0: once, then exit).",
        )

    def handle(self, *args, every: int, **options):
        while True:
            report = messages_dispatch()
            if options["verbosity"] >= 1 and (
                report.planned or report.queued or report.interrupted
            ):
                self.stdout.write(
                    f"{report.planned} reminder(s) planned, {report.queued} message(s) queued, "
                    f"{report.interrupted} interrupted send(s) marked failed"
                )
            if every <= 0:
                return
            close_old_connections()
            time.sleep(every)
