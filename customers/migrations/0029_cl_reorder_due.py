"""When a customer's contact lenses run out (``cl_reorder_due``), for the
recall rule "Nachbestellung fällig", with its recall index as
customer_recall_fitting has (0023). The column is empty here: the index is
built over no rows (one read of the table, no sort); orders migration 0004
fills the column and keeps it with a trigger."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("customers", "0028_retention_review")]

    operations = [
        migrations.AddField(
            model_name="customer",
            name="cl_reorder_due",
            field=models.DateField(
                editable=False, null=True, verbose_name="contact lens reorder due"
            ),
        ),
        migrations.AddIndex(
            model_name="customer",
            index=models.Index(
                condition=models.Q(("deleted_at__isnull", True), ("cl_reorder_due__isnull", False)),
                fields=["cl_reorder_due", "id"],
                include=(
                    "date_of_birth",
                    "wears_correction",
                    "status",
                    "next_appointment_at",
                    "phone_takes_sms",
                ),
                name="customer_recall_reorder",
            ),
        ),
    ]
