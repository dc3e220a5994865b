"""The unsettled invoices, kept by the database: an issued invoice (not a
cancellation) enters when it is issued unless its payments (a deposit
taken over) cover it already, its sum paid follows every payment booked or
removed, and it leaves when it is paid in full or cancelled. One function
decides (invoices_settle), with the rule of invoices.selectors.state_of:
paid < gross, not cancelled."""

import django.db.models.deletion
from django.db import migrations, models

SETTLE = """
CREATE OR REPLACE FUNCTION invoices_settle(target bigint) RETURNS void
LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
DECLARE
    invoice record;
    total numeric;
    insurer numeric;
BEGIN
    SELECT id, status, kind, gross, insurer_share, created_at, issued_on INTO invoice
    FROM invoices_invoice WHERE id = target;
    SELECT coalesce(sum(amount), 0), coalesce(sum(amount) FILTER (WHERE method = 'insurer'), 0)
    INTO total, insurer
    FROM invoices_payment WHERE invoice_id = target;
    IF invoice.id IS NOT NULL AND invoice.status = 'issued' AND invoice.kind = 'invoice'
       AND total < invoice.gross
       AND NOT EXISTS (SELECT 1 FROM invoices_invoice c WHERE c.cancels_id = target) THEN
        INSERT INTO invoices_unsettled (
            invoice_id, paid, customer_open, insurer_open, created_at, issued_on
        )
        VALUES (
            target, total, invoice.gross - invoice.insurer_share - (total - insurer),
            invoice.insurer_share - insurer, invoice.created_at, invoice.issued_on
        )
        ON CONFLICT (invoice_id) DO UPDATE SET
            paid = EXCLUDED.paid,
            customer_open = EXCLUDED.customer_open,
            insurer_open = EXCLUDED.insurer_open;
    ELSE
        DELETE FROM invoices_unsettled WHERE invoice_id = target;
    END IF;
END
$$;

CREATE OR REPLACE FUNCTION invoices_settle_payment() RETURNS trigger
LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
    PERFORM invoices_settle(CASE WHEN TG_OP = 'DELETE' THEN OLD.invoice_id ELSE NEW.invoice_id END);
    RETURN NULL;
END
$$;
CREATE TRIGGER invoices_settle_payment
AFTER INSERT OR DELETE ON invoices_payment
FOR EACH ROW EXECUTE FUNCTION invoices_settle_payment();

-- Issued: the invoice enters; a cancellation issued: its original leaves.
CREATE OR REPLACE FUNCTION invoices_settle_issue() RETURNS trigger
LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
    PERFORM invoices_settle(NEW.id);
    IF NEW.cancels_id IS NOT NULL THEN
        PERFORM invoices_settle(NEW.cancels_id);
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER invoices_settle_issue
AFTER UPDATE OF status ON invoices_invoice
FOR EACH ROW WHEN (NEW.status = 'issued' AND OLD.status IS DISTINCT FROM 'issued')
EXECUTE FUNCTION invoices_settle_issue();

INSERT INTO invoices_unsettled (
    invoice_id, paid, customer_open, insurer_open, created_at, issued_on
)
SELECT i.id, coalesce(p.total, 0),
    i.gross - i.insurer_share - (coalesce(p.total, 0) - coalesce(p.insurer, 0)),
    i.insurer_share - coalesce(p.insurer, 0), i.created_at, i.issued_on
FROM invoices_invoice i
LEFT JOIN (
    SELECT invoice_id, sum(amount) AS total,
        sum(amount) FILTER (WHERE method = 'insurer') AS insurer
    FROM invoices_payment GROUP BY invoice_id
) p ON p.invoice_id = i.id
WHERE i.status = 'issued' AND i.kind = 'invoice' AND coalesce(p.total, 0) < i.gross
  AND NOT EXISTS (SELECT 1 FROM invoices_invoice c WHERE c.cancels_id = i.id);
"""

UNSETTLE = """
DROP TRIGGER IF EXISTS invoices_settle_issue ON invoices_invoice;
DROP TRIGGER IF EXISTS invoices_settle_payment ON invoices_payment;
DROP FUNCTION IF EXISTS invoices_settle_issue();
DROP FUNCTION IF EXISTS invoices_settle_payment();
DROP FUNCTION IF EXISTS invoices_settle(bigint);
"""


class Migration(migrations.Migration):
    dependencies = [
        ("invoices", "0006_payment_carried_back"),
    ]

    operations = [
        migrations.CreateModel(
            name="Unsettled",
            fields=[
                (
                    "invoice",
                    models.OneToOneField(
                        editable=False,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        primary_key=True,
                        related_name="unsettled",
                        serialize=False,
                        to="invoices.invoice",
                        verbose_name="invoice",
                    ),
                ),
                (
                    "paid",
                    models.DecimalField(
                        decimal_places=2, editable=False, max_digits=10, verbose_name="paid"
                    ),
                ),
                (
                    "customer_open",
                    models.DecimalField(
                        decimal_places=2,
                        editable=False,
                        max_digits=10,
                        verbose_name="open for the customer",
                    ),
                ),
                (
                    "insurer_open",
                    models.DecimalField(
                        decimal_places=2,
                        editable=False,
                        max_digits=10,
                        verbose_name="open for the insurer",
                    ),
                ),
                ("created_at", models.DateTimeField(editable=False, verbose_name="created at")),
                ("issued_on", models.DateField(editable=False, verbose_name="invoice date")),
            ],
            options={
                "verbose_name": "unsettled invoice",
                "verbose_name_plural": "unsettled invoices",
                "default_permissions": (),
                "indexes": [
                    models.Index(fields=["-created_at", "-invoice"], name="unsettled_newest"),
                    models.Index(fields=["issued_on"], name="unsettled_issued_on"),
                ],
            },
        ),
        migrations.RunSQL(sql=SETTLE, reverse_sql=UNSETTLE),
    ]
