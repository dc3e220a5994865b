from django.core.management.base import BaseCommand, CommandError

from api import services


class Command(BaseCommand):
    help = "Create an API key and print it once; only its hash is stored."

    def add_arguments(self, parser):
        parser.add_argument("name", help="Who uses the key, e.g. 'Online booking'")
        parser.add_argument("--read-only", action="store_true", help="The key may only read")

    def handle(self, *args, name: str, read_only: bool, **options):
        if not name.strip():
            raise CommandError("Please give the key a name.")
        key, raw = services.api_key_create(name=name, read_only=read_only)
        kind = "read-only " if read_only else ""
        self.stdout.write(
            f"Created {kind}API key “{key.name}” (id {key.pk}). "
            "Store it now; it is not shown again:"
        )
        self.stdout.write(raw)
