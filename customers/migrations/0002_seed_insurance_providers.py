from django.db import migrations

# The insurers German customers name most often; the admin maintains the list.
PROVIDERS = [
    ("AOK Baden-Württemberg", "statutory"),
    ("AOK Bayern", "statutory"),
    ("AOK Hessen", "statutory"),
    ("AOK Niedersachsen", "statutory"),
    ("AOK Nordost", "statutory"),
    ("AOK NordWest", "statutory"),
    ("AOK PLUS", "statutory"),
    ("AOK Rheinland/Hamburg", "statutory"),
    ("BARMER", "statutory"),
    ("DAK-Gesundheit", "statutory"),
    ("Techniker Krankenkasse (TK)", "statutory"),
    ("IKK classic", "statutory"),
    ("KKH Kaufmännische Krankenkasse", "statutory"),
    ("hkk Krankenkasse", "statutory"),
    ("BKK firmus", "statutory"),
    ("Mobil Krankenkasse", "statutory"),
    ("SBK Siemens-Betriebskrankenkasse", "statutory"),
    ("Knappschaft", "statutory"),
    ("Debeka", "private"),
    ("Allianz Private Krankenversicherung", "private"),
    ("AXA Krankenversicherung", "private"),
    ("DKV Deutsche Krankenversicherung", "private"),
    ("Signal Iduna", "private"),
    ("HUK-COBURG Krankenversicherung", "private"),
    ("Selbstzahler", "self_paying"),
]


def seed(apps, schema_editor):
    InsuranceProvider = apps.get_model("customers", "InsuranceProvider")
    for name, kind in PROVIDERS:
        InsuranceProvider.objects.get_or_create(name=name, defaults={"kind": kind})


class Migration(migrations.Migration):
    dependencies = [("customers", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
