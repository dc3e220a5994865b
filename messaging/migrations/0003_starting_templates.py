"""The templates and settings a shop starts with, in the shop's language."""

from django.conf import settings
from django.db import migrations
from django.utils import translation


def seed(apps, schema_editor):
    from messaging.defaults import default_wording, offered

    MessageTemplate = apps.get_model("messaging", "MessageTemplate")
    MessageSettings = apps.get_model("messaging", "MessageSettings")
    # The kinds known at this migration: a later kind's templates come with
    # its own migration (its kind is not allowed in the table yet).
    known = {value for value, _label in MessageTemplate._meta.get_field("kind").choices}
    with translation.override(settings.LANGUAGE_CODE):
        for kind, channel in offered():
            if kind not in known:
                continue
            subject, body = default_wording(kind, channel)
            MessageTemplate.objects.get_or_create(
                kind=kind, channel=channel, defaults={"subject": subject, "body": body}
            )
    MessageSettings.objects.get_or_create(pk=1)


class Migration(migrations.Migration):
    dependencies = [("messaging", "0002_messages")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
