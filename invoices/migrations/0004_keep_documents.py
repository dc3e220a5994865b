"""An issued invoice's PDF is kept as it was sent (GoBD): the database
refuses every UPDATE or DELETE of an invoice document's row, whatever path
writes. A row is only ever inserted, in the transaction that issues its
invoice (invoices.services._issue)."""

from django.db import migrations

KEEP = """
CREATE OR REPLACE FUNCTION invoices_keep_documents() RETURNS trigger
LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
    RAISE EXCEPTION 'the document of invoice % cannot be changed or deleted', OLD.invoice_id
        USING ERRCODE = 'restrict_violation';
END
$$;
CREATE TRIGGER invoices_keep_documents
BEFORE UPDATE OR DELETE ON invoices_invoicedocument
FOR EACH ROW EXECUTE FUNCTION invoices_keep_documents();
"""

DROP = """
DROP TRIGGER IF EXISTS invoices_keep_documents ON invoices_invoicedocument;
DROP FUNCTION IF EXISTS invoices_keep_documents();
"""


class Migration(migrations.Migration):
    dependencies = [("invoices", "0003_payments_documents")]

    operations = [migrations.RunSQL(sql=KEEP, reverse_sql=DROP)]
