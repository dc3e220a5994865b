"""The day report at a chain's scale (issue 29): its lists of a day read
along an index in the order they show, the first rows only.

- ``invoice_day`` (issued on, year, number's sequence) replaces
  ``invoice_issued_on``: the day's invoices by number;
- ``payment_day`` (paid on, id) replaces 0008's ``payment_paid_on``: the
  day's payments as they were booked.
"""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("invoices", "0009_staff_group")]

    operations = [
        migrations.RemoveIndex(model_name="invoice", name="invoice_issued_on"),
        migrations.AddIndex(
            model_name="invoice",
            index=models.Index(fields=["issued_on", "year", "sequence"], name="invoice_day"),
        ),
        migrations.AddIndex(
            model_name="payment",
            index=models.Index(fields=["paid_on", "id"], name="payment_day"),
        ),
        migrations.RunSQL(
            sql="DROP INDEX IF EXISTS payment_paid_on;",
            reverse_sql="CREATE INDEX IF NOT EXISTS payment_paid_on ON invoices_payment (paid_on);",
        ),
    ]
