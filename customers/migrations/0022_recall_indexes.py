"""The recall's indexes and the SMS flag of the customers saved before
0019, without holding a lock on a chain's customers table: the flag is
filled in batches that commit one by one, the indexes are built
concurrently (IF NOT EXISTS: a database that got them with an earlier
version of 0019 keeps them)."""

from django.db import migrations, models

from opticrm.lib.phone import takes_sms


def fill_phone_takes_sms(apps, schema_editor):
    """Customers saved before: whether an SMS reaches their number."""
    Customer = apps.get_model("customers", "Customer")
    last = 0
    while True:
        batch = list(
            Customer.objects.filter(pk__gt=last)
            .exclude(phone="")
            .order_by("pk")
            .only("pk", "phone")[:2000]
        )
        if not batch:
            return
        mobile = [customer.pk for customer in batch if takes_sms(customer.phone)]
        Customer.objects.filter(pk__in=mobile, phone_takes_sms=False).update(phone_takes_sms=True)
        last = batch[-1].pk


def concurrent_index(name: str, column: str) -> migrations.SeparateDatabaseAndState:
    condition = models.Q(("deleted_at__isnull", True), (f"{column}__isnull", False))
    return migrations.SeparateDatabaseAndState(
        database_operations=[
            migrations.RunSQL(
                f'CREATE INDEX CONCURRENTLY IF NOT EXISTS "{name}" ON "customers_customer" '
                f'("{column}", "id") WHERE ("deleted_at" IS NULL AND "{column}" IS NOT NULL)',
                reverse_sql=f'DROP INDEX CONCURRENTLY IF EXISTS "{name}"',
            )
        ],
        state_operations=[
            migrations.AddIndex(
                model_name="customer",
                index=models.Index(
                    models.F(column), models.F("id"), condition=condition, name=name
                ),
            )
        ],
    )


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("customers", "0021_without_consent_index")]

    operations = [
        migrations.RunPython(fill_phone_takes_sms, migrations.RunPython.noop),
        concurrent_index("customer_recall_eye_test", "eye_test_base"),
        concurrent_index("customer_recall_fitting", "last_fitting_date"),
    ]
