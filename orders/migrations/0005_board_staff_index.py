"""The board filtered by a staff member reads its counts and cards per
status from (staff, status, promised_date); the staff column's own index
goes, the new one leads with it (a user's deletion still finds the orders)."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("orders", "0004_keep_reorder_due"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        # The new index first: the staff column is never without one.
        migrations.AddIndex(
            model_name="order",
            index=models.Index(
                fields=["staff", "status", "promised_date"], name="order_staff_status"
            ),
        ),
        migrations.AlterField(
            model_name="order",
            name="staff",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
                verbose_name="staff member",
            ),
        ),
    ]
