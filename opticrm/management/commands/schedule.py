from django.core.management.base import BaseCommand

from opticrm.lib import schedule


class Command(BaseCommand):
    help = (
        "Run the jobs on a clock that are due: reminders and planned messages to the worker "
        "(every minute), expired export files, the retention review (monthly). Run it every "
        "minute (cron, a systemd timer) or with --every 60; several runs at once are safe."
    )

    def add_arguments(self, parser):
        schedule.add_every_argument(parser)

    def handle(self, *args, every: int, **options):
        quiet = options["verbosity"] < 1
        schedule.loop(
            schedule.run_due, every=every, write=lambda line: quiet or self.stdout.write(line)
        )
