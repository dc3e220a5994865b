"""Keep customers.Customer.last_refraction_date: the date of the customer's
newest current (not superseded) refraction, so that the customer list's
recall filter ("refraction older than 2 years") reads an index instead of
joining every customer's refractions. A trigger, as for the next
appointment (appointments migration 0005): every path that writes
refractions keeps it right; the customer is locked first so that two
writes at once cannot leave a stale date."""

from django.db import migrations

KEEP = """
CREATE OR REPLACE FUNCTION prescriptions_last_refraction(customer bigint) RETURNS date
LANGUAGE sql STABLE SET search_path FROM CURRENT AS $$
    SELECT max(date) FROM prescriptions_refraction
    WHERE customer_id = customer AND superseded_at IS NULL
$$;
CREATE OR REPLACE FUNCTION prescriptions_keep_last_refraction() RETURNS trigger
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
    PERFORM 1 FROM customers_customer WHERE id = ANY(customers) ORDER BY id FOR NO KEY UPDATE;
    UPDATE customers_customer SET last_refraction_date = prescriptions_last_refraction(id)
    WHERE id = ANY(customers)
      AND last_refraction_date IS DISTINCT FROM prescriptions_last_refraction(id);
    RETURN NULL;
END
$$;
CREATE TRIGGER prescriptions_keep_last_refraction_write
AFTER INSERT OR DELETE ON prescriptions_refraction
FOR EACH ROW EXECUTE FUNCTION prescriptions_keep_last_refraction();
CREATE TRIGGER prescriptions_keep_last_refraction_update
AFTER UPDATE ON prescriptions_refraction
FOR EACH ROW WHEN (
    OLD.customer_id IS DISTINCT FROM NEW.customer_id
    OR OLD.date IS DISTINCT FROM NEW.date
    OR OLD.superseded_at IS DISTINCT FROM NEW.superseded_at
) EXECUTE FUNCTION prescriptions_keep_last_refraction();
"""

FILL = """
UPDATE customers_customer c SET last_refraction_date = newest.date
FROM (
    SELECT customer_id, max(date) AS date FROM prescriptions_refraction
    WHERE superseded_at IS NULL GROUP BY customer_id
) newest
WHERE c.id = newest.customer_id;
"""

DROP = """
DROP TRIGGER IF EXISTS prescriptions_keep_last_refraction_write ON prescriptions_refraction;
DROP TRIGGER IF EXISTS prescriptions_keep_last_refraction_update ON prescriptions_refraction;
DROP FUNCTION IF EXISTS prescriptions_keep_last_refraction();
DROP FUNCTION IF EXISTS prescriptions_last_refraction(bigint);
"""


class Migration(migrations.Migration):
    dependencies = [
        ("prescriptions", "0003_contactlensfittingevent_refractionevent_and_more"),
        ("customers", "0010_last_refraction_date"),
        ("live", "0003_counter_function_search_path"),
    ]

    operations = [migrations.RunSQL(sql=[KEEP, FILL], reverse_sql=DROP)]
