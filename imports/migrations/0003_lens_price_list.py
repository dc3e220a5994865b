# The import kind "Glaspreisliste" (lens_prices): a new choice, no change
# to the tables.

from django.db import migrations, models

KINDS = [
    ("customers", "Customers"),
    ("refractions", "Refractions"),
    ("products", "Products (a supplier's price list)"),
    ("lens_prices", "Lens price list (spectacle lens prices by power)"),
    ("appointments", "Appointments (future ones)"),
]


class Migration(migrations.Migration):
    dependencies = [
        ("imports", "0002_erasure"),
    ]

    operations = [
        migrations.AlterField(
            model_name="importjob",
            name="kind",
            field=models.CharField(
                choices=KINDS, default="customers", max_length=20, verbose_name="kind"
            ),
        ),
        migrations.AlterField(
            model_name="importmapping",
            name="kind",
            field=models.CharField(
                choices=KINDS, default="customers", max_length=20, verbose_name="kind"
            ),
        ),
    ]
