"""Keep when a customer's contact lenses run out on the customer's row, for
the recall rule "Nachbestellung fällig" (messaging.recall), as
prescriptions 0006 keeps the newest fitting: ``cl_reorder_due`` is the
latest ``reorder_due`` of the customer's contact lens orders that are not
cancelled (NULL when there is none). A trigger, so that every path that
writes orders (the order page, the API, the admin, an import) keeps it
right; an order moved to another customer changes both. The customer is
locked first, as in prescriptions 0004: two orders placed for one customer
at once are counted one after the other."""

from django.db import migrations

KEEP = """
CREATE OR REPLACE FUNCTION orders_cl_reorder_due(customer bigint) RETURNS date
LANGUAGE sql STABLE SET search_path FROM CURRENT AS $$
    SELECT max(reorder_due) FROM orders_order
    WHERE customer_id = customer AND kind = 'contact_lenses' AND status <> 'cancelled'
$$;
CREATE OR REPLACE FUNCTION orders_keep_cl_reorder_due() RETURNS trigger
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
    SET cl_reorder_due = orders_cl_reorder_due(id)
    WHERE id = ANY(customers)
      AND cl_reorder_due IS DISTINCT FROM orders_cl_reorder_due(id);
    RETURN NULL;
END
$$;
-- Only an order that counts (contact lenses, a reorder date, not
-- cancelled) before or after the write can change the date: glasses and
-- repairs, most of the orders, leave the customers alone.
CREATE TRIGGER orders_keep_cl_reorder_due_insert
AFTER INSERT ON orders_order
FOR EACH ROW WHEN (
    NEW.kind = 'contact_lenses' AND NEW.reorder_due IS NOT NULL AND NEW.status <> 'cancelled'
) EXECUTE FUNCTION orders_keep_cl_reorder_due();
CREATE TRIGGER orders_keep_cl_reorder_due_delete
AFTER DELETE ON orders_order
FOR EACH ROW WHEN (
    OLD.kind = 'contact_lenses' AND OLD.reorder_due IS NOT NULL AND OLD.status <> 'cancelled'
) EXECUTE FUNCTION orders_keep_cl_reorder_due();
CREATE TRIGGER orders_keep_cl_reorder_due_update
AFTER UPDATE OF reorder_due, status, kind, customer_id ON orders_order
FOR EACH ROW WHEN (
    (
        OLD.customer_id IS DISTINCT FROM NEW.customer_id
        OR OLD.reorder_due IS DISTINCT FROM NEW.reorder_due
        OR OLD.status IS DISTINCT FROM NEW.status
        OR OLD.kind IS DISTINCT FROM NEW.kind
    ) AND (
        (OLD.kind = 'contact_lenses' AND OLD.reorder_due IS NOT NULL
         AND OLD.status <> 'cancelled')
        OR (NEW.kind = 'contact_lenses' AND NEW.reorder_due IS NOT NULL
            AND NEW.status <> 'cancelled')
    )
) EXECUTE FUNCTION orders_keep_cl_reorder_due();
"""

# In a set, not per customer (prescriptions 0006): one pass over the orders.
# The column is new (customers 0029): only the customers with a date are written.
FILL = """
UPDATE customers_customer c SET cl_reorder_due = due.date
FROM (
    SELECT customer_id, max(reorder_due) AS date FROM orders_order
    WHERE kind = 'contact_lenses' AND status <> 'cancelled' AND reorder_due IS NOT NULL
    GROUP BY customer_id
) due
WHERE c.id = due.customer_id AND c.cl_reorder_due IS DISTINCT FROM due.date;
"""

DROP = """
DROP TRIGGER IF EXISTS orders_keep_cl_reorder_due_insert ON orders_order;
DROP TRIGGER IF EXISTS orders_keep_cl_reorder_due_delete ON orders_order;
DROP TRIGGER IF EXISTS orders_keep_cl_reorder_due_update ON orders_order;
DROP FUNCTION IF EXISTS orders_keep_cl_reorder_due();
DROP FUNCTION IF EXISTS orders_cl_reorder_due(bigint);
UPDATE customers_customer SET cl_reorder_due = NULL WHERE cl_reorder_due IS NOT NULL;
"""


class Migration(migrations.Migration):
    dependencies = [
        ("orders", "0003_staff_group"),
        ("customers", "0029_cl_reorder_due"),
    ]

    operations = [migrations.RunSQL(sql=[KEEP, FILL], reverse_sql=DROP)]
