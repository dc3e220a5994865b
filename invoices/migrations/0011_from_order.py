"""An invoice keeps that it was made from an order (``from_order``), after
erasing the customer has let go of the order too: cancelling it later books
nothing back into stock (its goods left with the order, not at the
counter). Earlier invoices keep ``False``: an order's still has its order
link, and the ones of erased customers cannot be told apart any more."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("invoices", "0010_day_indexes")]

    operations = [
        migrations.AddField(
            model_name="invoice",
            name="from_order",
            # Also for rows written by SQL (the benchmark's load).
            field=models.BooleanField(
                default=False, db_default=False, editable=False, verbose_name="made from an order"
            ),
        ),
    ]
