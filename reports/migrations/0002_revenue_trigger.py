"""The revenue by day, product group and staff member, kept by the
database (docs/rules.md "Reports"): when an invoice or a cancellation
invoice becomes issued, its positions are added to reports_revenueday in
the same transaction; an issued invoice never changes after (invoices
migration 0002), so what was added stays right. Invoices issued before are
added by one statement here. One function holds the rule
(reports_revenue_add); reports.tests.test_summary computes the same from
the raw positions with the Python rules (orders.rules) and compares.

The rule, per invoice: each position's gross after its discount
(orders.rules.line_gross, a cancellation's negative); the VAT taken out
once per VAT rate and invoice (RateTotal.vat) and shared among the
invoice's product groups at that rate by running sums (groups in the
order of their keys: each group's VAT is the rounded VAT of the running
gross up to it less that up to the group before), so that the groups of an
invoice add up to exactly its net. The cost: each product position's
purchase price (gross, products.Product) without the product's VAT,
times the quantity, rounded per position. The staff member: the order's,
else who made the invoice (a cancellation's: who made the invoice it
cancels, so that it counts against the same person)."""

from django.db import migrations

ADD = """
CREATE OR REPLACE FUNCTION reports_revenue_add(first_id bigint, last_id bigint) RETURNS void
LANGUAGE sql SET search_path FROM CURRENT AS $$
    WITH line AS (
        SELECT i.id AS invoice_id, i.issued_on AS day,
               coalesce(o.staff_id, c.created_by_id, i.created_by_id) AS staff_id, l.vat_rate,
               CASE p.category
                   WHEN 'frame' THEN 'frames'
                   WHEN 'spectacle_lens' THEN 'lenses'
                   WHEN 'contact_lens' THEN 'contact_lenses'
                   WHEN 'care' THEN 'care'
                   WHEN 'accessory' THEN 'care'
                   WHEN 'sunglasses' THEN 'sunglasses'
                   ELSE 'service'
               END AS category,
               CASE WHEN l.quantity < 0 THEN -1 ELSE 1 END AS sign,
               round(abs(l.quantity) * l.unit_price, 2) AS before,
               l.discount_percent, l.discount_amount,
               coalesce(round(abs(l.quantity) * p.purchase_price * 100
                              / (100 + p.vat_rate)::numeric, 2), 0) AS cost
        FROM invoices_invoice i
        JOIN invoices_invoiceline l ON l.invoice_id = i.id
        LEFT JOIN orders_order o ON o.id = i.order_id
        LEFT JOIN invoices_invoice c ON c.id = i.cancels_id
        LEFT JOIN products_product p ON p.id = l.product_id
        WHERE i.id BETWEEN first_id AND last_id AND i.status = 'issued'
    ), per_group AS (
        SELECT invoice_id, day, staff_id, vat_rate, category,
               sum(sign * (before - least(before, coalesce(
                   round(before * discount_percent / 100, 2), discount_amount, 0)))) AS gross,
               sum(sign * cost) AS cost, sum(sign) AS positions
        FROM line GROUP BY invoice_id, day, staff_id, vat_rate, category
    ), running AS (
        SELECT *, sum(gross) OVER (
                   PARTITION BY invoice_id, vat_rate ORDER BY category COLLATE "C"
               ) AS upto
        FROM per_group
    ), shared AS (
        SELECT day, staff_id, category, gross, cost, positions,
               round(upto * vat_rate / (100 + vat_rate)::numeric, 2)
               - round((upto - gross) * vat_rate / (100 + vat_rate)::numeric, 2) AS vat
        FROM running
    )
    INSERT INTO reports_revenueday AS r (day, category, staff_id, net, gross, cost, positions)
    SELECT day, category, staff_id, sum(gross - vat), sum(gross), sum(cost), sum(positions)
    FROM shared
    GROUP BY day, category, staff_id
    ORDER BY day, category, staff_id
    ON CONFLICT (day, category, staff_id) DO UPDATE SET
        net = r.net + EXCLUDED.net,
        gross = r.gross + EXCLUDED.gross,
        cost = r.cost + EXCLUDED.cost,
        positions = r.positions + EXCLUDED.positions;
$$;

CREATE OR REPLACE FUNCTION reports_revenue_issue() RETURNS trigger
LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
    PERFORM reports_revenue_add(NEW.id, NEW.id);
    RETURN NULL;
END
$$;
-- Issued by one UPDATE (invoices.services._issue), its positions in place:
-- an invoice cannot be inserted issued with positions (migration 0002).
CREATE TRIGGER reports_revenue_issue
AFTER UPDATE OF status ON invoices_invoice
FOR EACH ROW WHEN (NEW.status = 'issued' AND OLD.status IS DISTINCT FROM 'issued')
EXECUTE FUNCTION reports_revenue_issue();

SELECT reports_revenue_add(0, 9223372036854775807);
"""

DROP = """
DROP TRIGGER IF EXISTS reports_revenue_issue ON invoices_invoice;
DROP FUNCTION IF EXISTS reports_revenue_issue();
DROP FUNCTION IF EXISTS reports_revenue_add(bigint, bigint);
"""


class Migration(migrations.Migration):
    # The table's unique index (which ON CONFLICT names) is made at the end
    # of 0001: the function comes after it.
    dependencies = [
        ("reports", "0001_revenue_day"),
        ("invoices", "0011_from_order"),
        ("orders", "0005_board_staff_index"),
        ("products", "0012_spectacle_lenses"),
    ]

    operations = [migrations.RunSQL(sql=ADD, reverse_sql=DROP)]
