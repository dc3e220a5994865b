"""The revenue by day and product group and by day and staff member, as
the appointments (0004): each invoice's sums go into two rows, its day's
row of the product group (no staff member) and its day's row of the staff
member (product group ''), so that the report's sums per period, group and
staff member read a few thousand rows of a chain's year, not one per day,
group and staff member. reports_revenue_add (0002) keeps the rule and
changes only where it adds; the table is emptied and refilled by it."""

from importlib import import_module

from django.db import migrations, models

# 0002's function up to its trigger (which stays): the way back.
BEFORE = import_module("reports.migrations.0002_revenue_trigger").ADD.split(
    "CREATE OR REPLACE FUNCTION reports_revenue_issue"
)[0]
ADD_FROM = "    INSERT INTO reports_revenueday AS r"
assert BEFORE.count(ADD_FROM) == 1

# The same rule; the sums of each group and invoice added twice.
ADD = """\
    INSERT INTO reports_revenueday AS r (day, category, staff_id, net, gross, cost, positions)
    SELECT day, k.category, k.staff_id, sum(gross - vat), sum(gross), sum(cost), sum(positions)
    FROM shared
    CROSS JOIN LATERAL (VALUES (shared.category, NULL), ('', shared.staff_id))
        AS k (category, staff_id)
    GROUP BY day, k.category, k.staff_id
    ORDER BY day, k.category, k.staff_id
    ON CONFLICT (day, category, staff_id) DO UPDATE SET
        net = r.net + EXCLUDED.net,
        gross = r.gross + EXCLUDED.gross,
        cost = r.cost + EXCLUDED.cost,
        positions = r.positions + EXCLUDED.positions;
$$;
"""
AFTER = BEFORE.split(ADD_FROM)[0] + ADD

REFILL = """
TRUNCATE reports_revenueday;
SELECT reports_revenue_add(0, 9223372036854775807);
"""


class Migration(migrations.Migration):
    dependencies = [
        ("reports", "0004_appointment_trigger"),
    ]

    # The constraint after the refill, and taken off before the way back.
    operations = [
        migrations.RunSQL(sql=AFTER + REFILL, reverse_sql=BEFORE + REFILL),
        migrations.AddConstraint(
            model_name="revenueday",
            constraint=models.CheckConstraint(
                condition=models.Q(("category", ""), ("staff__isnull", True), _connector="OR"),
                name="revenueday_group_or_staff",
            ),
        ),
    ]
