"""The customers without a consent (messaging's list filter "ohne
Einwilligung"), in name order: the filter combined with a search or a status
reads their ids from this small index instead of every customer's row (a
search for "weber" with the filter read the whole table)."""

from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations, models


class Migration(migrations.Migration):
    # Built without locking writes: a chain's customers table is in use.
    atomic = False

    dependencies = [
        ("customers", "0020_consent_count"),
    ]

    operations = [
        AddIndexConcurrently(
            model_name="customer",
            index=models.Index(
                models.F("sort_name"),
                models.F("id"),
                condition=models.Q(("deleted_at__isnull", True), ("has_consent", False)),
                name="customer_without_consent",
            ),
        ),
    ]
