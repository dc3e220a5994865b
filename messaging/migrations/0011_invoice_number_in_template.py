"""The invoice e-mail names the invoice's number ({rechnungsnummer}): a
template that still reads as 0010 wrote it (in German or English) gets the
new wording; one the owner changed stays as it is."""

from django.conf import settings
from django.db import migrations
from django.utils import translation

KIND = "invoice"
# 0010's wording, as it was then in both languages.
EARLIER = {
    ("Ihre Rechnung von {filiale}", (
        "{anrede},\n\nanbei erhalten Sie unsere Rechnung als PDF-Datei.\n\nBei Fragen dazu "
        "erreichen Sie uns telefonisch unter {telefon}."
    )),
    ("Your invoice from {filiale}", (
        "{anrede},\n\nplease find attached our invoice as a PDF file.\n\nIf you have any "
        "questions about it, please call us at {telefon}."
    )),
}  # fmt: skip


def forward(apps, schema_editor):
    from messaging.defaults import default_wording

    MessageTemplate = apps.get_model("messaging", "MessageTemplate")
    with translation.override(settings.LANGUAGE_CODE):
        for template in MessageTemplate.objects.filter(kind=KIND):
            if (template.subject, template.body) in EARLIER:
                template.subject, template.body = default_wording(KIND, template.channel)
                template.save(update_fields=["subject", "body"])


class Migration(migrations.Migration):
    dependencies = [("messaging", "0010_invoice_templates")]

    operations = [migrations.RunPython(forward, migrations.RunPython.noop)]
