"""Keep customers.Customer.next_appointment_at: the start of the customer's
earliest upcoming planned or confirmed appointment, so that the customer
table sorts by it from an index.

A trigger, not Python: every path that writes appointments (views, API,
admin, bulk loads) keeps it right. Once that appointment has begun, the
value is stale until customers.services.refresh_passed_next_appointments
moves it on; the table runs that before it sorts by the column.
"""

from django.db import migrations

NEXT_START = """
CREATE OR REPLACE FUNCTION appointments_next_start(customer bigint) RETURNS timestamptz
LANGUAGE sql STABLE SET search_path FROM CURRENT AS $$
    SELECT min(start) FROM appointments_appointment
    WHERE customer_id = customer AND start >= now() AND status IN ('planned', 'confirmed')
$$;
"""

KEEP = """
CREATE OR REPLACE FUNCTION appointments_keep_next_start() RETURNS trigger
LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
DECLARE
    customers bigint[];
BEGIN
    IF TG_OP <> 'INSERT' THEN
        customers := array[OLD.customer_id];
    END IF;
    IF TG_OP <> 'DELETE' THEN
        customers := customers || NEW.customer_id;
    END IF;
    -- Lock the customers first: the UPDATE then takes a new snapshot that
    -- sees every appointment of theirs committed while this one waited, so
    -- two bookings at once cannot leave a stale value.
    PERFORM 1 FROM customers_customer WHERE id = ANY(customers) ORDER BY id FOR NO KEY UPDATE;
    UPDATE customers_customer SET next_appointment_at = appointments_next_start(id)
    WHERE id = ANY(customers)
      AND next_appointment_at IS DISTINCT FROM appointments_next_start(id);
    RETURN NULL;
END
$$;
CREATE TRIGGER appointments_keep_next_start_write
AFTER INSERT OR DELETE ON appointments_appointment
FOR EACH ROW EXECUTE FUNCTION appointments_keep_next_start();
CREATE TRIGGER appointments_keep_next_start_update
AFTER UPDATE ON appointments_appointment
FOR EACH ROW WHEN (
    OLD.customer_id IS DISTINCT FROM NEW.customer_id
    OR OLD.start IS DISTINCT FROM NEW.start
    OR OLD.status IS DISTINCT FROM NEW.status
) EXECUTE FUNCTION appointments_keep_next_start();
"""

FILL = """
UPDATE customers_customer c SET next_appointment_at = upcoming.first
FROM (
    SELECT customer_id, min(start) AS first FROM appointments_appointment
    WHERE start >= now() AND status IN ('planned', 'confirmed')
    GROUP BY customer_id
) upcoming
WHERE c.id = upcoming.customer_id;
"""

DROP = """
DROP TRIGGER IF EXISTS appointments_keep_next_start_write ON appointments_appointment;
DROP TRIGGER IF EXISTS appointments_keep_next_start_update ON appointments_appointment;
DROP FUNCTION IF EXISTS appointments_keep_next_start();
DROP FUNCTION IF EXISTS appointments_next_start(bigint);
"""


class Migration(migrations.Migration):
    dependencies = [
        ("appointments", "0004_appointmentevent_appointment_insert_insert_and_more"),
        ("customers", "0009_next_appointment_at"),
        ("live", "0003_counter_function_search_path"),
    ]

    operations = [
        migrations.RunSQL(sql=[NEXT_START, KEEP, FILL], reverse_sql=DROP),
    ]
