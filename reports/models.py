"""The summary tables the reports read. The database fills them in the
transaction that changes what they sum: RevenueDay when an invoice is
issued (migrations 0002 and 0005; an issued invoice never changes, invoices
migration 0002, so a row once added to stays right), AppointmentDay when an
appointment is booked, changed or deleted (migration 0004: the old row
taken out, the new one added). CustomerFigure is the exception: a snapshot
of all customers, recomputed by the task queue (reports.services)."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from opticrm.lib.constraints import CheckConstraint

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
    """The revenue of a day and a product group, or of a day and a staff
    member, summed over the issued invoices and cancellation invoices
    (negative) of that day: net and gross, the net purchase cost of the
    products sold, and the number of positions (a cancellation's count
    negative). Each invoice counts in two rows, its groups' (no staff
    member) and its staff member's (product group "", staff member none
    too): a chain's year by day, group and staff member would be half a
    million rows (migration 0005)."""

    day = models.DateField(_("day"), editable=False)
    # "" in a staff member's row.
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
            # One row per day and group, one per day and staff member ("no
            # one" too): the trigger adds to them (ON CONFLICT); also the
            # index of a period.
            models.UniqueConstraint(
                fields=["day", "category", "staff"],
                name="revenueday_unique",
                nulls_distinct=False,
            ),
            CheckConstraint(
                condition=Q(category="") | Q(staff__isnull=True),
                name="revenueday_group_or_staff",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.category} {self.staff_id}"


class AppointmentDay(models.Model):
    """The appointments of a day (their start's day in Berlin) and an
    appointment type, or of a day and a staff member: how many were booked
    (every one not deleted, cancelled ones too), done, no-shows and
    cancelled, and the minutes booked by those not cancelled (end less
    start, whole minutes). Each appointment counts in two rows, its type's
    (no staff member) and its staff member's (no type): a chain's year by
    day, type and staff member would be as many rows as appointments."""

    day = models.DateField(_("day"), editable=False)
    # No foreign keys in the database: a summary never blocks a deletion.
    type = models.ForeignKey(
        "appointments.AppointmentType",
        verbose_name=_("appointment type"),
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        editable=False,
        related_name="+",
    )
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("staff member"),
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        editable=False,
        related_name="+",
    )
    booked = models.IntegerField(_("booked"), editable=False)
    done = models.IntegerField(_("done"), editable=False)
    no_show = models.IntegerField(_("no-shows"), editable=False)
    cancelled = models.IntegerField(_("cancelled"), editable=False)
    minutes = models.IntegerField(_("booked minutes"), editable=False)

    class Meta:
        verbose_name = _("appointments of a day")
        verbose_name_plural = _("appointments by day")
        default_permissions = ()
        constraints = [
            # One row per day and type, one per day and staff member: the
            # trigger adds to them (ON CONFLICT); also the index of a period.
            models.UniqueConstraint(
                fields=["day", "type", "staff"],
                name="appointmentday_unique",
                nulls_distinct=False,
            ),
            CheckConstraint(
                condition=Q(type__isnull=True) ^ Q(staff__isnull=True),
                name="appointmentday_type_or_staff",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.type_id} {self.staff_id}"


class Dimension(models.TextChoices):
    """What a row of the customer snapshot counts the customers by."""

    STATUS = "status", _("status")
    INSURER = "insurer", _("insurance provider")
    BIRTH = "birth", _("date of birth")
    CREATED = "created", _("created on")


class CustomerFigure(models.Model):
    """The number of customers of one status, one insurer (key: its id, ""
    for none) or one date of birth (day; none when not known), not deleted;
    or of the customers created on one day (day, in Berlin; deleted and
    erased ones too: they were new then). A chain's million customers are
    a few ten thousand rows: the customer report sums these instead of
    reading every customer on each view. Written only by
    reports.services.customer_figures_refresh (the task queue, every
    CUSTOMER_FIGURES_MINUTES)."""

    dimension = models.CharField(_("dimension"), max_length=10, choices=Dimension, editable=False)
    key = models.CharField(_("key"), max_length=20, blank=True, editable=False)
    day = models.DateField(_("day"), null=True, editable=False)
    count = models.PositiveIntegerField(_("count"), editable=False)

    class Meta:
        verbose_name = _("customer figure")
        verbose_name_plural = _("customer figures")
        default_permissions = ()
        indexes = [models.Index(fields=["dimension", "day"], name="customerfigure_day")]

    def __str__(self) -> str:
        return f"{self.dimension} {self.key} {self.day}: {self.count}"


# The customer report's snapshot (models.CustomerFigure).
CUSTOMER_SNAPSHOT = "customers"


class Snapshot(models.Model):
    """When a snapshot table (by name) was last computed: the report's
    "Stand"."""

    name = models.CharField(_("name"), max_length=40, primary_key=True, editable=False)
    refreshed_at = models.DateTimeField(_("refreshed at"), editable=False)

    class Meta:
        verbose_name = _("snapshot")
        verbose_name_plural = _("snapshots")
        default_permissions = ()

    def __str__(self) -> str:
        return f"{self.name} {self.refreshed_at}"


# --- Stock report (Lager): the sales of each product -----------------------------------


class ProductSales(models.Model):
    """The net sales revenue and the pieces sold of a product on a day
    (ProductSaleDay) or in a month (ProductSaleMonth, its first day), summed
    over the issued invoices and cancellation invoices (negative) with that
    product: the stock report's ABC analysis (reports.stock.abc_analysis)
    reads whole months from the month rows and the days at a period's edges
    from the day rows, so a chain's year is some 250,000 rows, not two
    million positions. Filled by the database when an invoice is issued
    (migration 0007: reports_product_sales_add); nothing in Python writes
    them."""

    # No foreign key in the database: a summary never blocks a deletion.
    product = models.ForeignKey(
        "products.Product",
        verbose_name=_("product"),
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        editable=False,
        related_name="+",
    )
    net = models.DecimalField(_("net"), editable=False, **SUM)
    quantity = models.IntegerField(_("quantity"), editable=False)

    class Meta:
        abstract = True


class ProductSaleDay(ProductSales):
    day = models.DateField(_("day"), editable=False)

    class Meta:
        verbose_name = _("sales of a product on a day")
        verbose_name_plural = _("sales of products by day")
        default_permissions = ()
        constraints = [
            # The trigger adds to the row (ON CONFLICT); also the index of a
            # period, which the report reads without the table (INCLUDE).
            models.UniqueConstraint(
                fields=["day", "product"],
                include=["net", "quantity"],
                name="productsaleday_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.product_id}"


class ProductSaleMonth(ProductSales):
    # The first day of the month.
    month = models.DateField(_("month"), editable=False)

    class Meta:
        verbose_name = _("sales of a product in a month")
        verbose_name_plural = _("sales of products by month")
        default_permissions = ()
        constraints = [
            models.UniqueConstraint(
                fields=["month", "product"],
                include=["net", "quantity"],
                name="productsalemonth_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.month} {self.product_id}"
