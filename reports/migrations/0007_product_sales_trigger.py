"""The sales of each product by day and by month (0006), kept by the
database as the revenue (0002): when an invoice or a cancellation invoice
becomes issued, its product positions are added to both tables in the same
transaction; an issued invoice never changes after. Invoices issued before
are added by one statement here. One function holds the rule
(reports_product_sales_add); reports.tests.test_stock computes the same
from the raw positions with the Python rule (reports.stock.position_net)
and compares.

The rule, per position with a product: its gross after its discount
(orders.rules.line_gross, a cancellation's negative), less its VAT taken
out of that gross and rounded to cents per position; the pieces are its
quantity (a cancellation's negative). Day: the invoice date."""

from django.db import migrations

ADD = """
CREATE OR REPLACE FUNCTION reports_product_sales_add(first_id bigint, last_id bigint)
RETURNS void LANGUAGE sql SET search_path FROM CURRENT AS $$
    WITH line AS (
        SELECT i.issued_on AS day, l.product_id, l.vat_rate, l.quantity,
               CASE WHEN l.quantity < 0 THEN -1 ELSE 1 END AS sign,
               round(abs(l.quantity) * l.unit_price, 2) AS before,
               l.discount_percent, l.discount_amount
        FROM invoices_invoice i
        JOIN invoices_invoiceline l ON l.invoice_id = i.id
        WHERE i.id BETWEEN first_id AND last_id AND i.status = 'issued'
          AND l.product_id IS NOT NULL
    ), priced AS (
        SELECT day, product_id, vat_rate, quantity, sign,
               before - least(before, coalesce(
                   round(before * discount_percent / 100, 2), discount_amount, 0)) AS gross
        FROM line
    ), per_position AS (
        SELECT day, product_id, quantity,
               sign * (gross - round(gross * vat_rate / (100 + vat_rate)::numeric, 2)) AS net
        FROM priced
    ), days AS (
        INSERT INTO reports_productsaleday AS r (day, product_id, net, quantity)
        SELECT day, product_id, sum(net), sum(quantity)
        FROM per_position
        GROUP BY day, product_id
        ORDER BY day, product_id
        ON CONFLICT (day, product_id) DO UPDATE SET
            net = r.net + EXCLUDED.net,
            quantity = r.quantity + EXCLUDED.quantity
    )
    INSERT INTO reports_productsalemonth AS r (month, product_id, net, quantity)
    SELECT date_trunc('month', day)::date, product_id, sum(net), sum(quantity)
    FROM per_position
    GROUP BY 1, 2
    ORDER BY 1, 2
    ON CONFLICT (month, product_id) DO UPDATE SET
        net = r.net + EXCLUDED.net,
        quantity = r.quantity + EXCLUDED.quantity;
$$;

CREATE OR REPLACE FUNCTION reports_product_sales_issue() RETURNS trigger
LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
    PERFORM reports_product_sales_add(NEW.id, NEW.id);
    RETURN NULL;
END
$$;
CREATE TRIGGER reports_product_sales_issue
AFTER UPDATE OF status ON invoices_invoice
FOR EACH ROW WHEN (NEW.status = 'issued' AND OLD.status IS DISTINCT FROM 'issued')
EXECUTE FUNCTION reports_product_sales_issue();

SELECT reports_product_sales_add(0, 9223372036854775807);
"""

DROP = """
DROP TRIGGER IF EXISTS reports_product_sales_issue ON invoices_invoice;
DROP FUNCTION IF EXISTS reports_product_sales_issue();
DROP FUNCTION IF EXISTS reports_product_sales_add(bigint, bigint);
"""


class Migration(migrations.Migration):
    dependencies = [
        ("reports", "0006_stock_report"),
        ("invoices", "0011_from_order"),
    ]

    operations = [migrations.RunSQL(sql=ADD, reverse_sql=DROP)]
