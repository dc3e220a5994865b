"""Triggers that move the change counters (see live.models.ChangeCounter).

Deferred to the commit, so a page that sees a counter move reads data that
is already visible, and the counter row stays locked only for the instant
of the commit; once per transaction and topic, so a bulk change of a
thousand rows costs one counter update.
"""

from django.db import migrations

# Frozen copy of live.topics.TOPICS as it was when this migration was written.
TABLES = {
    "customers_customer": "customer",
    "appointments_appointment": "appointment",
    "products_product": "product",
    "products_stockmovement": "product",
    "prescriptions_refraction": "prescription",
    "prescriptions_contactlensfitting": "prescription",
}

FUNCTION = """
CREATE OR REPLACE FUNCTION live_count_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF current_setting('opticrm_live.' || TG_ARGV[0], true) IS DISTINCT FROM 'counted' THEN
        PERFORM set_config('opticrm_live.' || TG_ARGV[0], 'counted', true);
        EXECUTE format(
            'INSERT INTO live_changecounter AS c (id, %1$I) VALUES (1, 1) '
            'ON CONFLICT (id) DO UPDATE SET %1$I = c.%1$I + 1',
            TG_ARGV[0]
        );
    END IF;
    RETURN NULL;
END
$$;
"""


def _create_triggers() -> str:
    return "\n".join(
        f"CREATE CONSTRAINT TRIGGER live_count_{table} "
        f"AFTER INSERT OR UPDATE OR DELETE ON {table} "
        "DEFERRABLE INITIALLY DEFERRED FOR EACH ROW "
        f"EXECUTE FUNCTION live_count_change('{topic}');"
        for table, topic in TABLES.items()
    )


def _drop_triggers() -> str:
    return "\n".join(f"DROP TRIGGER IF EXISTS live_count_{table} ON {table};" for table in TABLES)


class Migration(migrations.Migration):
    dependencies = [
        ("live", "0001_initial"),
        ("customers", "0007_customerevent_customer_insert_insert_and_more"),
        ("appointments", "0004_appointmentevent_appointment_insert_insert_and_more"),
        ("products", "0005_history_without_stock"),
        ("prescriptions", "0003_contactlensfittingevent_refractionevent_and_more"),
    ]

    operations = [
        migrations.RunSQL(
            sql=[
                FUNCTION,
                _create_triggers(),
                "INSERT INTO live_changecounter (id) VALUES (1) ON CONFLICT DO NOTHING;",
            ],
            reverse_sql=[_drop_triggers(), "DROP FUNCTION IF EXISTS live_count_change();"],
        ),
    ]
