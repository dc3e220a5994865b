import time

from django.core.management.base import BaseCommand
from django.db import close_old_connections

from opticrm.lib import schedule


class Command(BaseCommand):
    help = (
        "Run the jobs on a clock that are due: reminders and planned messages to the worker "
        "(every minute), expired export files, the retention review (monthly). Run it "
        "every minute (cron, a systemd timer) or with --every 60; several runs at once are safe."
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
            for line in schedule.run_due():
                if options["verbosity"] >= 1:
                    self.stdout.write(line)
            if every <= 0:
                return
            close_old_connections()
            time.sleep(every)
