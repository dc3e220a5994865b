"""A payment is booked or removed, never changed (GoBD): the database refuses
every UPDATE of a payment's row, whatever path writes; the history records
each booking and removal (pghistory)."""

from django.db import migrations

KEEP = """
CREATE OR REPLACE FUNCTION invoices_keep_payments() RETURNS trigger
LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
    RAISE EXCEPTION 'payment % cannot be changed; remove it and book it anew', OLD.id
        USING ERRCODE = 'restrict_violation';
END
$$;
CREATE TRIGGER invoices_keep_payments
BEFORE UPDATE ON invoices_payment
FOR EACH ROW EXECUTE FUNCTION invoices_keep_payments();
"""

DROP = """
DROP TRIGGER IF EXISTS invoices_keep_payments ON invoices_payment;
DROP FUNCTION IF EXISTS invoices_keep_payments();
"""


class Migration(migrations.Migration):
    dependencies = [("invoices", "0004_keep_documents")]

    operations = [migrations.RunSQL(sql=KEEP, reverse_sql=DROP)]
