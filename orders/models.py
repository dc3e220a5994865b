"""Orders (Aufträge, issue 28): what a customer buys — glasses made for a
refraction, contact lenses, a repair — with its positions, prices and the
way through the lab to "abgeholt"."""

from decimal import Decimal

import pghistory
from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from customers.models import Customer
from opticrm.lib.constraints import CheckConstraint
from opticrm.lib.models import TimeStampedModel
from opticrm.lib.pricing import MONEY, PricedLine, priced_line_constraints
from prescriptions.models import ContactLensFitting
from products.models import Product, StockMovement


def _measure(label, low: str, high: str, places: int = 1):
    return models.DecimalField(
        label,
        max_digits=4,
        decimal_places=places,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal(low)), MaxValueValidator(Decimal(high))],
    )


# Centration per eye (DOMAIN.md): the limits of what can be measured.
CENTRATION = {
    "pd": (_("PD (mm)"), "25", "40"),
    "fitting_height": (_("fitting height (mm)"), "5", "45"),
    "vertex_distance": (_("vertex distance (mm)"), "5", "25"),
    "pantoscopic_tilt": (_("pantoscopic tilt (°)"), "0", "25"),
    "wrap_angle": (_("wrap angle (°)"), "0", "30"),
}
SIDES = ("right", "left")
# The order's centration columns, "right_pd" … "left_wrap_angle".
CENTRATION_FIELDS = tuple(f"{side}_{name}" for side in SIDES for name in CENTRATION)
# What of an order is health data (DSGVO Art. 9): the measured values and
# the copy of the refraction — for those with the refraction right only.
MEASURED_FIELDS = (*CENTRATION_FIELDS, "plausibility_reason")
HEALTH_FIELDS = ("refraction", "prescription", *MEASURED_FIELDS)


class Status(models.TextChoices):
    QUOTE = "quote", _("Quote")
    ORDERED = "ordered", _("Order placed")
    LENSES_ORDERED = "lenses_ordered", _("Lenses ordered")
    LENSES_ARRIVED = "lenses_arrived", _("Lenses arrived")
    WORKSHOP = "workshop", _("In the workshop")
    READY = "ready", _("Ready for pick-up")
    PICKED_UP = "picked_up", _("Picked up")
    CANCELLED = "cancelled", pgettext_lazy("order status", "Cancelled")
    COMPLAINT = "complaint", _("Complaint")


# Orders still to be worked on or picked up (the board, "open orders").
OPEN_STATUSES = [
    s for s in Status.values if s not in (Status.PICKED_UP, Status.CANCELLED, Status.QUOTE)
]
# Open and not yet ready: what can be late.
OVERDUE_STATUSES = tuple(status for status in OPEN_STATUSES if status != Status.READY)


class Kind(models.TextChoices):
    GLASSES = "glasses", _("Glasses")
    CONTACT_LENSES = "contact_lenses", _("Contact lenses")
    REPAIR = "repair", _("Repair")


class Order(TimeStampedModel):
    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.PROTECT, related_name="orders"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind, default=Kind.GLASSES)
    status = models.CharField(_("status"), max_length=20, choices=Status, default=Status.QUOTE)
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("staff member"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        # order_staff_status leads with it and serves the user's deletion too.
        db_index=False,
    )
    # The day the customer was promised ("Fertig bis"); overdue after it.
    promised_date = models.DateField(_("ready by"), null=True, blank=True)
    # The refraction the glasses are made for, and its values as they were
    # when the order was made: a later correction does not change an order.
    refraction = models.ForeignKey(
        "prescriptions.Refraction",
        verbose_name=_("refraction"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    prescription = models.JSONField(_("prescription values"), default=dict, blank=True)
    # The frame: a product from stock, or the customer's own.
    frame = models.ForeignKey(
        Product,
        verbose_name=_("frame"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    own_frame = models.CharField(_("customer's own frame"), max_length=200, blank=True)
    # The ledger lines of the frame taken from stock and put back.
    frame_out = models.OneToOneField(
        StockMovement,
        verbose_name=_("frame taken from stock"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )
    frame_back = models.OneToOneField(
        StockMovement,
        verbose_name=_("frame put back"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )
    deposit = models.DecimalField(
        _("deposit received"),
        default=Decimal("0"),
        validators=[MinValueValidator(Decimal("0"))],
        **MONEY,
    )
    notes = models.TextField(_("notes"), blank=True)
    # Centration values outside a plausibility limit (services.plausibility)
    # are kept only with the optician's reason.
    plausibility_reason = models.CharField(
        _("reason for unusual values"), max_length=200, blank=True
    )
    # The insured's number (Krankenversichertennummer) for the cost estimate.
    insurance_number = models.CharField(
        _("insurance number"),
        max_length=10,
        blank=True,
        validators=[
            RegexValidator(
                r"^[A-Z][0-9]{9}$",
                _("The insurance number is a capital letter and nine digits, e.g. A123456789."),
            )
        ],
    )
    # Contact lenses: the fitting they are ordered from, and when the
    # customer's supply runs out (set when the order is placed).
    fitting = models.ForeignKey(
        ContactLensFitting,
        verbose_name=_("contact lens fitting"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    reorder_due = models.DateField(_("reorder due"), null=True, blank=True)
    # Repairs: the customer's item and what is to be done.
    item = models.CharField(_("item"), max_length=200, blank=True)
    work = models.TextField(_("work to be done"), blank=True)
    # A complaint's remake the lab pays for (recorded with the complaint).
    lab_pays_remake = models.BooleanField(_("remake at the lab's cost"), default=False)
    # Why the order was cancelled or complained about (the last reason).
    status_reason = models.CharField(_("reason"), max_length=200, blank=True)
    status_changed_at = models.DateTimeField(_("status since"), null=True, editable=False)
    # Optimistic locking, as for customers: a change names the version it
    # was made from.
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("order")
        verbose_name_plural = _("orders")
        constraints = [
            CheckConstraint(
                condition=Q(status__in=Status.values),
                name="order_status_valid",
                violation_error_message=_("Please choose one of the offered statuses."),
                field="status",
            ),
            CheckConstraint(
                condition=Q(kind__in=Kind.values),
                name="order_kind_valid",
                violation_error_message=_("Please choose one of the offered kinds."),
                field="kind",
            ),
            CheckConstraint(
                condition=Q(frame__isnull=True) | Q(own_frame=""),
                name="order_one_frame",
                violation_error_message=_(
                    "Either a frame from stock or the customer's own frame, not both."
                ),
                field="own_frame",
            ),
            CheckConstraint(
                condition=~Q(status__in=[Status.CANCELLED, Status.COMPLAINT])
                | ~Q(status_reason=""),
                name="order_reason_given",
                violation_error_message=_("Please give the reason."),
                field="status_reason",
            ),
            CheckConstraint(
                condition=Q(deposit__gte=0),
                name="order_deposit_not_negative",
                violation_error_message=_("The deposit cannot be negative."),
                field="deposit",
            ),
        ]
        indexes = [
            models.Index(fields=["customer", "-created_at"], name="order_customer"),
            # The API's list, newest first.
            models.Index(fields=["-created_at", "-id"], name="order_newest"),
            models.Index(fields=["status", "promised_date"], name="order_status"),
            # The board filtered by staff member: counts and cards per status.
            models.Index(fields=["staff", "status", "promised_date"], name="order_staff_status"),
            # The board's quotes of the last weeks, and its date filter.
            models.Index(fields=["status", "created_at"], name="order_status_created"),
            # The start page's overdue orders, the longest overdue first:
            # read in order and stopped at the tile's few (not a sort of all).
            models.Index(
                fields=["promised_date", "id"],
                name="order_overdue",
                condition=Q(status__in=OVERDUE_STATUSES),
            ),
            # The contact lens customers whose supply runs out (the recall).
            models.Index(
                fields=["reorder_due"],
                name="order_reorder_due",
                condition=Q(reorder_due__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return _("Order %(number)s") % {"number": self.pk}


# Both eyes carry the same columns; generating them keeps R and L identical.
for _side in SIDES:
    for _name, (_label, _low, _high) in CENTRATION.items():
        Order.add_to_class(f"{_side}_{_name}", _measure(_label, _low, _high))
# Tracked after the eye fields exist, so the history copies them too; a new
# version alone (a position changed) is no change of the order.
pghistory.track(exclude=["updated_at", "version"])(Order)


class LineKind(models.TextChoices):
    FRAME = "frame", _("Frame")
    LENS = "lens", _("Spectacle lens")
    CONTACT_LENS = "contact_lens", _("Contact lenses")
    PRODUCT = "product", _("Product")
    SERVICE = "service", _("Service")
    OTHER = "other", _("Other")


@pghistory.track()
class OrderLine(PricedLine):
    """A position: quantity × unit price (gross, as the shop prices), less a
    discount (percent or amount, with its reason), at a VAT rate."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveSmallIntegerField(pgettext_lazy("order", "position"))
    kind = models.CharField(_("kind"), max_length=20, choices=LineKind, default=LineKind.OTHER)
    # Lenses: which eye ("" for both or none).
    eye = models.CharField(
        _("eye"),
        max_length=5,
        blank=True,
        choices=[("right", _("right")), ("left", _("left"))],
    )
    product = models.ForeignKey(
        Product,
        verbose_name=_("product"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    description = models.CharField(
        _("description"),
        max_length=200,
        error_messages={"blank": _("Please describe the position.")},
    )
    quantity = models.PositiveSmallIntegerField(
        _("quantity"), default=1, validators=[MinValueValidator(1)]
    )
    # Spectacle lenses: the diameter ordered (mm).
    diameter = models.PositiveSmallIntegerField(
        _("diameter (mm)"),
        null=True,
        blank=True,
        validators=[MinValueValidator(40), MaxValueValidator(90)],
    )
    # Contact lenses and care products: how many days the position lasts.
    supply_days = models.PositiveSmallIntegerField(
        _("lasts (days)"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(730)],
    )

    class Meta:
        ordering = ["order", "position"]
        verbose_name = _("order position")
        verbose_name_plural = _("order positions")
        constraints = [
            models.UniqueConstraint(
                fields=["order", "position"],
                name="order_line_position_unique",
                violation_error_message=_("The order has a position of this number already."),
            ),
            CheckConstraint(
                condition=Q(quantity__gte=1),
                name="order_line_quantity_positive",
                violation_error_message=_("Please enter a quantity of at least 1."),
                field="quantity",
            ),
            CheckConstraint(
                condition=Q(kind__in=LineKind.values) & Q(eye__in=["", "right", "left"]),
                name="order_line_kind_valid",
                violation_error_message=_("Please choose one of the offered kinds."),
                field="kind",
            ),
            *priced_line_constraints("order_line"),
        ]

    def __str__(self) -> str:
        return f"{self.position}. {self.description}"


class LensType(models.TextChoices):
    SINGLE_VISION = "single_vision", _("Single vision")
    MULTIFOCAL = "multifocal", _("Multifocal (progressive, bifocal)")


class FixedAmount(models.Model):
    """The statutory insurers' fixed amount per spectacle lens (Festbetrag,
    GKV), by lens type and power range, valid from a day on: maintained in
    the admin from the published table (Hilfsmittelverzeichnis, product
    group 25). The newest row valid on the order's day applies."""

    valid_from = models.DateField(_("valid from"))
    lens_type = models.CharField(_("lens type"), max_length=20, choices=LensType)
    # The strongest principal meridian (absolute, dpt) and the cylinder
    # (absolute) the row covers.
    power_from = models.DecimalField(
        _("power from (dpt)"), max_digits=5, decimal_places=2, default=Decimal("0")
    )
    power_to = models.DecimalField(_("power to (dpt)"), max_digits=5, decimal_places=2)
    cylinder_to = models.DecimalField(
        _("cylinder up to (dpt)"), max_digits=5, decimal_places=2, default=Decimal("0")
    )
    amount = models.DecimalField(
        _("fixed amount per lens"), validators=[MinValueValidator(Decimal("0"))], **MONEY
    )
    aid_number = models.CharField(
        _("aid position number"),
        max_length=20,
        help_text=_("The position in the aids directory, e.g. 25.21.01.1001."),
    )

    class Meta:
        ordering = ["-valid_from", "lens_type", "power_from", "cylinder_to"]
        verbose_name = _("fixed amount (GKV)")
        verbose_name_plural = _("fixed amounts (GKV)")
        constraints = [
            CheckConstraint(
                condition=Q(power_to__gte=models.F("power_from")),
                name="fixed_amount_range",
                violation_error_message=_("The range must not end before it begins."),
                field="power_to",
            ),
            CheckConstraint(
                condition=Q(lens_type__in=LensType.values),
                name="fixed_amount_lens_type_valid",
                violation_error_message=_("Please choose one of the offered lens types."),
                field="lens_type",
            ),
        ]
        indexes = [models.Index(fields=["lens_type", "-valid_from"], name="fixed_amount_lookup")]

    def __str__(self) -> str:
        return f"{self.aid_number} ({self.get_lens_type_display()})"
