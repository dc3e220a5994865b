"""The customers whose birthday is today (the start page "Heute"), by name:
one range of this index (month and day of the date of birth) instead of
every customer's row."""

from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations, models
from django.db.models.functions import ExtractDay, ExtractMonth


class Migration(migrations.Migration):
    # Built without locking writes: a chain's customers table is in use.
    atomic = False

    dependencies = [
        ("customers", "0029_cl_reorder_due"),
    ]

    operations = [
        AddIndexConcurrently(
            model_name="customer",
            index=models.Index(
                ExtractMonth("date_of_birth"),
                ExtractDay("date_of_birth"),
                models.F("sort_name"),
                models.F("id"),
                condition=models.Q(("deleted_at__isnull", True), ("date_of_birth__isnull", False)),
                name="customer_birthday",
            ),
        ),
    ]
