import datetime

from django.db import migrations

# (name, minutes, colour, reminder, eye exam): see shared/DOMAIN.md.
TYPES = [
    ("Sehtest", 30, "#2f6fb3", True, True),
    ("Kontaktlinsenanpassung", 45, "#7b4bb7", True, False),
    ("Kontaktlinsenkontrolle", 20, "#9a6fd1", True, False),
    ("Brillenberatung", 30, "#1f8a70", False, False),
    ("Brillenabholung", 15, "#d08a1e", True, False),
    ("Service/Reparatur", 15, "#6b7280", False, False),
    ("Führerschein-Sehtest", 15, "#c2410c", True, True),
]
# A usual German shop week; the admin changes it.
HOURS = [(day, "09:00", "18:30") for day in range(5)] + [(5, "09:00", "14:00")]


def seed(apps, schema_editor):
    AppointmentType = apps.get_model("appointments", "AppointmentType")
    OpeningHours = apps.get_model("appointments", "OpeningHours")
    for position, (name, minutes, colour, reminder, exam) in enumerate(TYPES):
        AppointmentType.objects.get_or_create(
            name=name,
            defaults={
                "duration_minutes": minutes,
                "colour": colour,
                "sends_reminder": reminder,
                "is_eye_exam": exam,
                "position": position,
            },
        )
    if not OpeningHours.objects.exists():
        for weekday, opens, closes in HOURS:
            OpeningHours.objects.create(
                weekday=weekday,
                opens=datetime.time.fromisoformat(opens),
                closes=datetime.time.fromisoformat(closes),
            )


class Migration(migrations.Migration):
    dependencies = [("appointments", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
