"""The e-mail template of the new kind "Rechnung", in the shop's language,
as 0003 wrote the first ones: a shop running already gets it too. A
template the owner made meanwhile stays."""

from django.conf import settings
from django.db import migrations
from django.utils import translation

KIND = "invoice"


def seed(apps, schema_editor):
    from messaging.defaults import default_wording, offered

    MessageTemplate = apps.get_model("messaging", "MessageTemplate")
    with translation.override(settings.LANGUAGE_CODE):
        for kind, channel in offered():
            if kind != KIND:
                continue
            subject, body = default_wording(kind, channel)
            MessageTemplate.objects.get_or_create(
                kind=kind, channel=channel, defaults={"subject": subject, "body": body}
            )


def unseed(apps, schema_editor):
    apps.get_model("messaging", "MessageTemplate").objects.filter(kind=KIND).delete()


class Migration(migrations.Migration):
    dependencies = [("messaging", "0009_invoice_mail")]

    operations = [migrations.RunPython(seed, unseed)]
