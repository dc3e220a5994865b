"""Issued invoices are never changed (GoBD; UStG § 14): the database refuses
every UPDATE or DELETE of an issued invoice's row, and every INSERT, UPDATE
or DELETE of its positions, whatever path writes (the services refuse the
same first, with a German message: invoices.services._refuse_unless_draft).
A draft may change, and becomes issued by one UPDATE (the number given);
from then on its row is final, but for its link to an order that is erased
with its customer. A position's write locks its invoice's row
(FOR SHARE), so a position cannot slip in while the invoice is being issued.
The counter of numbers starts at 0, only counts up, one at a time, and is never deleted:
a number once given is not given again."""

from django.db import migrations

KEEP = """
CREATE OR REPLACE FUNCTION invoices_keep_issued() RETURNS trigger
LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
    IF OLD.status = 'issued' THEN
        -- The one change an issued invoice takes: the link to its order
        -- dropped when the order goes with its erased customer (DSGVO
        -- Art. 17). The invoice keeps its own copy of all it says.
        IF TG_OP = 'UPDATE' AND OLD.order_id IS NOT NULL AND NEW.order_id IS NULL THEN
            NEW.order_id := OLD.order_id;
            IF NEW IS NOT DISTINCT FROM OLD THEN
                NEW.order_id := NULL;
                RETURN NEW;
            END IF;
        END IF;
        RAISE EXCEPTION 'invoice % is issued: it cannot be changed or deleted', OLD.number
            USING ERRCODE = 'restrict_violation';
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER invoices_keep_issued
BEFORE UPDATE OR DELETE ON invoices_invoice
FOR EACH ROW EXECUTE FUNCTION invoices_keep_issued();

CREATE OR REPLACE FUNCTION invoices_keep_issued_lines() RETURNS trigger
LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
DECLARE
    invoices bigint[];
    issued text;
BEGIN
    IF TG_OP <> 'INSERT' THEN
        invoices := array[OLD.invoice_id];
    END IF;
    IF TG_OP <> 'DELETE' THEN
        invoices := invoices || NEW.invoice_id;
    END IF;
    SELECT min(number) INTO issued FROM (
        SELECT number, status FROM invoices_invoice
        WHERE id = ANY(invoices) ORDER BY id FOR SHARE
    ) locked WHERE status = 'issued';
    IF issued IS NOT NULL THEN
        RAISE EXCEPTION 'invoice % is issued: its positions cannot be changed', issued
            USING ERRCODE = 'restrict_violation';
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER invoices_keep_issued_lines
BEFORE INSERT OR UPDATE OR DELETE ON invoices_invoiceline
FOR EACH ROW EXECUTE FUNCTION invoices_keep_issued_lines();

CREATE OR REPLACE FUNCTION invoices_counter_counts_up() RETURNS trigger
LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        IF NEW.last <> 0 THEN
            RAISE EXCEPTION 'the invoice counter of % starts at 0', NEW.year
                USING ERRCODE = 'restrict_violation';
        END IF;
        RETURN NEW;
    END IF;
    IF TG_OP = 'DELETE' OR NEW.year <> OLD.year OR NEW.last <> OLD.last + 1 THEN
        RAISE EXCEPTION 'the invoice counter of % only counts up by one', OLD.year
            USING ERRCODE = 'restrict_violation';
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER invoices_counter_counts_up
BEFORE INSERT OR UPDATE OR DELETE ON invoices_invoicecounter
FOR EACH ROW EXECUTE FUNCTION invoices_counter_counts_up();
"""

DROP = """
DROP TRIGGER IF EXISTS invoices_counter_counts_up ON invoices_invoicecounter;
DROP TRIGGER IF EXISTS invoices_keep_issued_lines ON invoices_invoiceline;
DROP TRIGGER IF EXISTS invoices_keep_issued ON invoices_invoice;
DROP FUNCTION IF EXISTS invoices_counter_counts_up();
DROP FUNCTION IF EXISTS invoices_keep_issued_lines();
DROP FUNCTION IF EXISTS invoices_keep_issued();
"""


class Migration(migrations.Migration):
    dependencies = [("invoices", "0001_initial")]

    operations = [migrations.RunSQL(sql=KEEP, reverse_sql=DROP)]
