from django.core.management.base import BaseCommand

from opticrm.lib import schedule


class Command(BaseCommand):
    help = (
        "Plan the reminders now due and hand every message whose time has come to the "
        "worker (db_worker): the messages part of `manage.py schedule`. Run it every minute "
        "(cron, a systemd timer) or with --every 60; several runs at once share the work."
    )

    def add_arguments(self, parser):
        schedule.add_every_argument(parser)

    def handle(self, *args, every: int, **options):
        quiet = options["verbosity"] < 1
        schedule.loop(
            lambda: [line.removeprefix("messages: ") for line in schedule.run_due(only="messages")],
            every=every,
            write=lambda line: quiet or self.stdout.write(line),
        )
