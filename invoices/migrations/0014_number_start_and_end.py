"""The invoice search's number by its start or its end (selectors._term):
two B-tree indexes instead of trigrams that every 2026 invoice shares.
Built concurrently: a chain's five million invoices stay writable; then
analysed, since an expression index has no statistics before, and the
search's planner estimate (pagination.match_before_sorting) would take a
number for 25,000 matches and walk all invoices (3 s)."""

import django.contrib.postgres.indexes
import django.db.models.functions.text
from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations, models


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("invoices", "0013_company_recipient"),
    ]

    operations = [
        AddIndexConcurrently(
            model_name="invoice",
            index=models.Index(
                django.contrib.postgres.indexes.OpClass(
                    django.db.models.functions.text.Upper("number"), name="text_pattern_ops"
                ),
                name="invoice_number_start",
            ),
        ),
        AddIndexConcurrently(
            model_name="invoice",
            index=models.Index(
                django.contrib.postgres.indexes.OpClass(
                    django.db.models.functions.text.Reverse(
                        django.db.models.functions.text.Upper("number")
                    ),
                    name="text_pattern_ops",
                ),
                name="invoice_number_end",
            ),
        ),
        migrations.RunSQL("ANALYZE invoices_invoice", migrations.RunSQL.noop),
    ]
