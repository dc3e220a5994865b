"""Keep what the recall asks of every customer (messaging.recall) on the
customer's row, as the newest refraction's date is (0004):
``last_fitting_date``, the newest current contact lens fitting's date (a
check is recorded as a fitting), and ``wears_correction``, whether the
customer wears contact lenses (any current fitting) or glasses (the newest
current refraction corrects something: a sphere, a cylinder or an
addition). Triggers, so that every path that writes prescriptions keeps
them right; the customer is locked first, as in 0004."""

from django.db import migrations

KEEP = """
CREATE OR REPLACE FUNCTION prescriptions_last_fitting(customer bigint) RETURNS date
LANGUAGE sql STABLE SET search_path FROM CURRENT AS $$
    SELECT max(date) FROM prescriptions_contactlensfitting
    WHERE customer_id = customer AND superseded_at IS NULL
$$;
CREATE OR REPLACE FUNCTION prescriptions_wears_correction(customer bigint) RETURNS boolean
LANGUAGE sql STABLE SET search_path FROM CURRENT AS $$
    SELECT EXISTS (
        SELECT 1 FROM prescriptions_contactlensfitting
        WHERE customer_id = customer AND superseded_at IS NULL
    ) OR coalesce((
        SELECT coalesce(right_sphere, 0) <> 0 OR coalesce(right_cylinder, 0) <> 0
            OR coalesce(left_sphere, 0) <> 0 OR coalesce(left_cylinder, 0) <> 0
            OR coalesce(right_addition, 0) <> 0 OR coalesce(left_addition, 0) <> 0
        FROM prescriptions_refraction
        WHERE customer_id = customer AND superseded_at IS NULL
        ORDER BY date DESC, id DESC LIMIT 1
    ), false)
$$;
CREATE OR REPLACE FUNCTION prescriptions_keep_recall_facts() RETURNS trigger
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
    UPDATE customers_customer
    SET last_fitting_date = prescriptions_last_fitting(id),
        wears_correction = prescriptions_wears_correction(id)
    WHERE id = ANY(customers)
      AND (last_fitting_date IS DISTINCT FROM prescriptions_last_fitting(id)
           OR wears_correction IS DISTINCT FROM prescriptions_wears_correction(id));
    RETURN NULL;
END
$$;
CREATE TRIGGER prescriptions_keep_recall_facts_fitting_write
AFTER INSERT OR DELETE ON prescriptions_contactlensfitting
FOR EACH ROW EXECUTE FUNCTION prescriptions_keep_recall_facts();
CREATE TRIGGER prescriptions_keep_recall_facts_fitting_update
AFTER UPDATE ON prescriptions_contactlensfitting
FOR EACH ROW WHEN (
    OLD.customer_id IS DISTINCT FROM NEW.customer_id
    OR OLD.date IS DISTINCT FROM NEW.date
    OR OLD.superseded_at IS DISTINCT FROM NEW.superseded_at
) EXECUTE FUNCTION prescriptions_keep_recall_facts();
CREATE TRIGGER prescriptions_keep_recall_facts_refraction_write
AFTER INSERT OR DELETE ON prescriptions_refraction
FOR EACH ROW EXECUTE FUNCTION prescriptions_keep_recall_facts();
CREATE TRIGGER prescriptions_keep_recall_facts_refraction_update
AFTER UPDATE ON prescriptions_refraction
FOR EACH ROW WHEN (
    OLD.customer_id IS DISTINCT FROM NEW.customer_id
    OR OLD.date IS DISTINCT FROM NEW.date
    OR OLD.superseded_at IS DISTINCT FROM NEW.superseded_at
    OR OLD.right_sphere IS DISTINCT FROM NEW.right_sphere
    OR OLD.right_cylinder IS DISTINCT FROM NEW.right_cylinder
    OR OLD.right_addition IS DISTINCT FROM NEW.right_addition
    OR OLD.left_sphere IS DISTINCT FROM NEW.left_sphere
    OR OLD.left_cylinder IS DISTINCT FROM NEW.left_cylinder
    OR OLD.left_addition IS DISTINCT FROM NEW.left_addition
) EXECUTE FUNCTION prescriptions_keep_recall_facts();
"""

# In sets, not per customer: one pass over each table (a correlated
# subquery per customer took minutes at a million customers).
FILL = """
UPDATE customers_customer c SET last_fitting_date = newest.date
FROM (
    SELECT customer_id, max(date) AS date FROM prescriptions_contactlensfitting
    WHERE superseded_at IS NULL GROUP BY customer_id
) newest
WHERE c.id = newest.customer_id;
UPDATE customers_customer c SET wears_correction = true
FROM (
    SELECT DISTINCT ON (customer_id) customer_id, right_sphere, right_cylinder,
        right_addition, left_sphere, left_cylinder, left_addition
    FROM prescriptions_refraction
    WHERE superseded_at IS NULL
    ORDER BY customer_id, date DESC, id DESC
) newest
WHERE c.id = newest.customer_id AND NOT c.wears_correction AND (
    coalesce(newest.right_sphere, 0) <> 0 OR coalesce(newest.right_cylinder, 0) <> 0
    OR coalesce(newest.left_sphere, 0) <> 0 OR coalesce(newest.left_cylinder, 0) <> 0
    OR coalesce(newest.right_addition, 0) <> 0 OR coalesce(newest.left_addition, 0) <> 0
);
UPDATE customers_customer SET wears_correction = true
WHERE last_fitting_date IS NOT NULL AND NOT wears_correction;
"""

DROP = """
DROP TRIGGER IF EXISTS prescriptions_keep_recall_facts_fitting_write ON prescriptions_contactlensfitting;
DROP TRIGGER IF EXISTS prescriptions_keep_recall_facts_fitting_update ON prescriptions_contactlensfitting;
DROP TRIGGER IF EXISTS prescriptions_keep_recall_facts_refraction_write ON prescriptions_refraction;
DROP TRIGGER IF EXISTS prescriptions_keep_recall_facts_refraction_update ON prescriptions_refraction;
DROP FUNCTION IF EXISTS prescriptions_keep_recall_facts();
DROP FUNCTION IF EXISTS prescriptions_wears_correction(bigint);
DROP FUNCTION IF EXISTS prescriptions_last_fitting(bigint);
"""


class Migration(migrations.Migration):
    dependencies = [
        ("prescriptions", "0005_constraint_messages"),
        ("customers", "0019_recall_facts"),
    ]

    operations = [migrations.RunSQL(sql=[KEEP, FILL], reverse_sql=DROP)]
