from django.db import migrations, models


class Migration(migrations.Migration):
    """The free-text prescription becomes the customer's notes, text unchanged:
    structured refractions live in the prescriptions app from now on, and what
    opticians wrote before must not be lost."""

    dependencies = [
        ("customers", "0005_sort_name_byte_order"),
    ]

    operations = [
        migrations.RenameField(model_name="customer", old_name="prescription", new_name="notes"),
        migrations.AlterField(
            model_name="customer",
            name="notes",
            field=models.TextField(blank=True, verbose_name="notes"),
        ),
    ]
