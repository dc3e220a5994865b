"""Keep customers.Customer.has_consent: whether the customer has an active
(not withdrawn) consent, for any channel and purpose, so that the customer
list's filter "ohne Einwilligung" reads a column of the row it walks anyway
and its total one row of CustomerCount (customers migration 0020), instead
of probing the consents of every customer. A trigger, as for the newest
refraction (prescriptions migration 0004): every path that writes consents
(giving, withdrawing, the unsubscribe link, the purge) keeps it right; the
customer is locked first so that two writes at once cannot leave a stale
value, and written only when the value changes (the count moves with it)."""

from django.db import migrations

KEEP = """
CREATE OR REPLACE FUNCTION messaging_has_consent(customer bigint) RETURNS boolean
LANGUAGE sql STABLE SET search_path FROM CURRENT AS $$
    -- The partial index of consent_one_active holds just the active ones.
    SELECT EXISTS (
        SELECT 1 FROM messaging_consent
        WHERE customer_id = customer AND withdrawn_at IS NULL
    )
$$;
CREATE OR REPLACE FUNCTION messaging_keep_has_consent() RETURNS trigger
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
    UPDATE customers_customer SET has_consent = messaging_has_consent(id)
    WHERE id = ANY(customers)
      AND has_consent IS DISTINCT FROM messaging_has_consent(id);
    RETURN NULL;
END
$$;
CREATE TRIGGER messaging_keep_has_consent_write
AFTER INSERT OR DELETE ON messaging_consent
FOR EACH ROW EXECUTE FUNCTION messaging_keep_has_consent();
CREATE TRIGGER messaging_keep_has_consent_update
AFTER UPDATE ON messaging_consent
FOR EACH ROW WHEN (
    OLD.customer_id IS DISTINCT FROM NEW.customer_id
    OR (OLD.withdrawn_at IS NULL) <> (NEW.withdrawn_at IS NULL)
) EXECUTE FUNCTION messaging_keep_has_consent();
"""

# In one statement, after the triggers: the count triggers on customers
# (customers migration 0013) move the consent count with it.
FILL = """
UPDATE customers_customer c SET has_consent = true
WHERE NOT c.has_consent AND EXISTS (
    SELECT 1 FROM messaging_consent k WHERE k.customer_id = c.id AND k.withdrawn_at IS NULL
);
"""

DROP = """
DROP TRIGGER IF EXISTS messaging_keep_has_consent_write ON messaging_consent;
DROP TRIGGER IF EXISTS messaging_keep_has_consent_update ON messaging_consent;
DROP FUNCTION IF EXISTS messaging_keep_has_consent();
DROP FUNCTION IF EXISTS messaging_has_consent(bigint);
"""


class Migration(migrations.Migration):
    dependencies = [
        ("messaging", "0004_gateway_id_index"),
        ("customers", "0020_consent_count"),
    ]

    operations = [migrations.RunSQL(sql=[KEEP, FILL], reverse_sql=DROP)]
