"""A business recipient on an invoice (issue 29): the company, its VAT
ID, its address and the buyer's reference, entered on the draft; with a
company the invoice is an e-invoice (ZUGFeRD / Factur-X). Nothing to add to
the triggers of migration 0002: ``invoices_keep_issued`` compares the whole
row, so an issued invoice's new columns are refused a change like the rest
(test_immutability)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("invoices", "0012_day_sums")]

    operations = [
        migrations.AddField(
            model_name="invoice",
            name="buyer_reference",
            field=models.CharField(
                blank=True,
                db_default="",
                default="",
                max_length=100,
                verbose_name="buyer's reference",
            ),
        ),
        migrations.AddField(
            model_name="invoice",
            name="company_address",
            field=models.TextField(
                blank=True, db_default="", default="", verbose_name="company's address"
            ),
        ),
        migrations.AddField(
            model_name="invoice",
            name="company_name",
            field=models.CharField(
                blank=True, db_default="", default="", max_length=200, verbose_name="company"
            ),
        ),
        migrations.AddField(
            model_name="invoice",
            name="company_vat_id",
            field=models.CharField(
                blank=True,
                db_default="",
                default="",
                max_length=20,
                verbose_name="company's VAT ID",
            ),
        ),
        *(
            migrations.AddConstraint(
                model_name="invoice",
                constraint=models.CheckConstraint(
                    condition=models.Q(
                        (detail, ""),
                        models.Q(("company_name", ""), _negated=True),
                        _connector="OR",
                    ),
                    name=f"invoice_{detail}_needs_company",
                    violation_error_message="Please enter the company's name.",
                ),
            )
            for detail in ("company_vat_id", "company_address", "buyer_reference")
        ),
        migrations.AddConstraint(
            model_name="invoice",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("company_vat_id", ""),
                    (
                        "company_vat_id__regex",
                        "^(AT|BE|BG|CY|CZ|DE|DK|EE|EL|ES|FI|FR|HR|HU|IE|IT|LT|LU|LV|MT|NL|PL|PT|RO|SE|SI|SK|XI)[0-9A-Z+*]{2,12}$",
                    ),
                    _connector="OR",
                ),
                name="invoice_company_vat_id_valid",
                violation_error_message=(
                    "Please enter a valid VAT ID (the country's letters and the number, "
                    "e.g. DE and 9 digits)."
                ),
            ),
        ),
    ]
