"""The summary tables the reports read. The database fills them (triggers of
migration 0001) in the transaction that issues an invoice; an issued
invoice never changes (invoices migration 0002), so a row once added to
stays right. Nothing in Python writes them."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

# Sums of a chain's day: wider than an invoice's amounts.
SUM = {"max_digits": 14, "decimal_places": 2}


class Group(models.TextChoices):
    """The report's six product groups (docs/rules.md "Reports"), from
    products.models.Category: accessories (cases, cloths, cords) are counted
    with the care products; positions without a product are services."""

    FRAMES = "frames", pgettext_lazy("product group", "Frames")
    LENSES = "lenses", pgettext_lazy("product group", "Spectacle lenses")
    CONTACT_LENSES = "contact_lenses", pgettext_lazy("product group", "Contact lenses")
    CARE = "care", pgettext_lazy("product group", "Care products and accessories")
    SUNGLASSES = "sunglasses", pgettext_lazy("product group", "Sunglasses")
    SERVICE = "service", pgettext_lazy("product group", "Service")


# products.models.Category -> Group; anything else (no product) is SERVICE.
# The SQL twin is the CASE of migration 0001's reports_revenue_add.
CATEGORY_GROUPS = {
    "frame": Group.FRAMES,
    "spectacle_lens": Group.LENSES,
    "contact_lens": Group.CONTACT_LENSES,
    "care": Group.CARE,
    "accessory": Group.CARE,
    "sunglasses": Group.SUNGLASSES,
}


class RevenueDay(models.Model):
    """The revenue of a day, a product group and a staff member, summed
    over the issued invoices and cancellation invoices (negative) of that
    day: net and gross, the net purchase cost of the products sold, and the
    number of positions (a cancellation's count negative)."""

    day = models.DateField(_("day"), editable=False)
    category = models.CharField(_("product group"), max_length=20, choices=Group, editable=False)
    # The order's staff member, else who made the invoice (for a
    # cancellation: who made the invoice it cancels); kept as when issued.
    # No foreign key in the database: a summary never blocks a user's
    # deletion (an order's staff member is SET_NULL there).
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("staff member"),
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        editable=False,
        related_name="+",
    )
    net = models.DecimalField(_("net"), editable=False, **SUM)
    gross = models.DecimalField(_("gross"), editable=False, **SUM)
    cost = models.DecimalField(_("purchase cost (net)"), editable=False, **SUM)
    positions = models.IntegerField(_("positions"), editable=False)

    class Meta:
        verbose_name = _("revenue of a day")
        verbose_name_plural = _("revenue by day")
        default_permissions = ()
        permissions = [("view_reports", _("Can view reports"))]
        constraints = [
            # One row per day, group and staff member ("no one" too): the
            # trigger adds to it (ON CONFLICT); also the index of a period.
            models.UniqueConstraint(
                fields=["day", "category", "staff"],
                name="revenueday_unique",
                nulls_distinct=False,
            ),
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.category} {self.staff_id}"
