"""Accounting (issue 29): the permission for the booking list for the tax
adviser (``view_accounting``; the owner, a superuser, has it), and the
indexes the reports read by:

- ``payment_paid_on``: the day report's and the booking list's payments of
  a day or a period;
- ``invoice_open_items``: the issued invoices (not cancellation invoices)
  oldest first, as the open items list them, overdue ones first.

The indexes are SQL of their own, not ``Meta.indexes``, as the models
stayed untouched here; moving them to ``Payment.Meta`` / ``Invoice.Meta``
later means an ``AddIndex`` with the same name and dropping these first.
"""

from django.db import migrations

INDEXES = """
CREATE INDEX IF NOT EXISTS payment_paid_on ON invoices_payment (paid_on);
CREATE INDEX IF NOT EXISTS invoice_open_items ON invoices_invoice (issued_on, id)
    WHERE status = 'issued' AND kind = 'invoice';
"""

DROP = """
DROP INDEX IF EXISTS invoice_open_items;
DROP INDEX IF EXISTS payment_paid_on;
"""


class Migration(migrations.Migration):
    dependencies = [("invoices", "0007_unsettled")]

    operations = [
        migrations.AlterModelOptions(
            name="invoice",
            options={
                "ordering": ["-created_at", "-id"],
                "permissions": [
                    ("view_accounting", "Can export the booking list for the tax adviser")
                ],
                "verbose_name": "invoice",
                "verbose_name_plural": "invoices",
            },
        ),
        migrations.RunSQL(sql=INDEXES, reverse_sql=DROP),
    ]
