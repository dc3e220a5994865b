"""A position priced as the shop prices it, in one place: an order's and an
invoice's positions (orders.models.OrderLine, invoices.models.InvoiceLine)
are unit price (gross) less a discount, at a VAT rate, worked out by
orders.rules.line_gross, and must hold the same rules in the database."""

from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from opticrm.lib.constraints import CheckConstraint

MONEY = {"max_digits": 10, "decimal_places": 2}


class VatRate(models.IntegerChoices):
    STANDARD = 19, _("19 %")
    REDUCED = 7, _("7 %")


class PricedLine(models.Model):
    """The price fields of a position. The quantity is each model's own:
    an order's is at least 1, a cancellation invoice's is negative."""

    unit_price = models.DecimalField(
        _("unit price (gross)"), validators=[MinValueValidator(Decimal("0"))], **MONEY
    )
    discount_percent = models.DecimalField(
        _("discount (%)"),
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
    )
    discount_amount = models.DecimalField(
        _("discount (€)"),
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0"))],
        **MONEY,
    )
    discount_reason = models.CharField(_("reason for the discount"), max_length=200, blank=True)
    vat_rate = models.PositiveSmallIntegerField(
        _("VAT rate"), choices=VatRate, default=VatRate.STANDARD
    )

    class Meta:
        abstract = True


def priced_line_constraints(prefix: str) -> list[CheckConstraint]:
    """PricedLine's rules as check constraints named ``<prefix>_…``: an
    abstract Meta could only name them after the class, and the names
    the database has are ``order_line_…`` and ``invoice_line_…``."""
    return [
        CheckConstraint(
            condition=Q(discount_percent__isnull=True) | Q(discount_amount__isnull=True),
            name=f"{prefix}_one_discount",
            violation_error_message=_("A discount in percent or in euros, not both."),
            field="discount_amount",
        ),
        CheckConstraint(
            condition=(Q(discount_percent__isnull=True) & Q(discount_amount__isnull=True))
            | ~Q(discount_reason=""),
            name=f"{prefix}_discount_reason",
            violation_error_message=_("Please give a reason for the discount."),
            field="discount_reason",
        ),
        CheckConstraint(
            condition=Q(unit_price__gte=0)
            & (Q(discount_amount__isnull=True) | Q(discount_amount__gte=0))
            & (
                Q(discount_percent__isnull=True)
                | Q(discount_percent__gte=0, discount_percent__lte=100)
            ),
            name=f"{prefix}_money_not_negative",
            violation_error_message=_("Prices and discounts cannot be negative."),
            field="unit_price",
        ),
        CheckConstraint(
            condition=Q(vat_rate__in=VatRate.values),
            name=f"{prefix}_vat_rate_valid",
            violation_error_message=_("Please choose one of the offered VAT rates."),
            field="vat_rate",
        ),
    ]
