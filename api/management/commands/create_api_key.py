from django.core.management.base import BaseCommand, CommandError

from api import services


class Command(BaseCommand):
    help = "Create an API key and print it once; only its hash is stored."

    def add_arguments(self, parser):
        parser.add_argument("name", help="Who uses the key, e.g. 'Online booking'")
        parser.add_argument("--read-only", action="store_true", help="The key may only read")
        parser.add_argument(
            "--health-data",
            action="store_true",
            help="The key may read and write the customers' 'prescription' notes (health data)",
        )

    def handle(self, *args, name: str, read_only: bool, health_data: bool, **options):
        if not name.strip():
            raise CommandError("Please give the key a name.")
        key, raw = services.api_key_create(name=name, read_only=read_only, health_data=health_data)
        kind = ("read-only " if read_only else "") + ("health-data " if health_data else "")
        self.stdout.write(
            f"Created {kind}API key “{key.name}” (id {key.pk}). "
            "Store it now; it is not shown again:"
        )
        self.stdout.write(raw)
