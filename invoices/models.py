"""Invoices (UStG § 14, GoBD): a draft collects positions; issuing gives it
the next number of the year and copies who sells to whom, and from then on
nothing of it changes. A correction is a cancellation invoice (Storno) with
its own number, and a new invoice."""

from decimal import Decimal

import pghistory
from django.conf import settings
from django.contrib.postgres.indexes import GinIndex, OpClass
from django.db import models
from django.db.models import Q
from django.db.models.functions import Reverse, Upper
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from customers.models import Customer
from opticrm.lib.constraints import CheckConstraint
from opticrm.lib.models import TimeStampedModel
from opticrm.lib.pricing import MONEY, PricedLine, priced_line_constraints
from orders.models import Order
from products.models import Product

# The gross amount up to which a small-amount invoice suffices (§ 33 UStDV).
SMALL_AMOUNT = Decimal("250.00")

# A VAT identification number as the EU writes them: the member state's
# prefix (EL for Greece, XI for Northern Ireland), then 2 to 12 digits and
# letters (services.vat_id_errors checks each state's own form and check
# digit; this is the database's twin of its shape).
VAT_ID_PATTERN = (
    r"^(AT|BE|BG|CY|CZ|DE|DK|EE|EL|ES|FI|FR|HR|HU|IE|IT|LT|LU|LV|MT|NL|PL|PT|RO|SE|SI|SK|XI)"
    r"[0-9A-Z+*]{2,12}$"
)
VAT_ID_INVALID = _(
    "Please enter a valid VAT ID (the country's letters and the number, e.g. DE and 9 digits)."
)


class Kind(models.TextChoices):
    INVOICE = "invoice", _("Invoice")
    CANCELLATION = "cancellation", _("Cancellation invoice")


class Status(models.TextChoices):
    DRAFT = "draft", _("Draft")
    ISSUED = "issued", _("Issued")


# What an invoice is, as pages and lists show it, computed and never stored
# (selectors.invoice_state): "cancelled" is the existence of its
# cancellation invoice (or being one), the rest follows from its payments.
class State(models.TextChoices):
    DRAFT = "draft", _("Draft")
    OPEN = "open", pgettext_lazy("invoice state", "Open")
    PARTLY_PAID = "partly_paid", pgettext_lazy("invoice state", "Partly paid")
    PAID = "paid", pgettext_lazy("invoice state", "Paid")
    CANCELLED = "cancelled", pgettext_lazy("invoice state", "Cancelled")


def _when_issued(name: str) -> Q:
    """``name`` is set exactly when the invoice is issued."""
    return Q(status=Status.DRAFT, **{f"{name}__isnull": True}) | Q(
        status=Status.ISSUED, **{f"{name}__isnull": False}
    )


class Invoice(TimeStampedModel):
    kind = models.CharField(_("kind"), max_length=20, choices=Kind, default=Kind.INVOICE)
    status = models.CharField(_("status"), max_length=20, choices=Status, default=Status.DRAFT)
    # "{prefix}{year}-{sequence:06d}", given when issued (services.invoice_issue).
    number = models.CharField(
        _("invoice number"),
        max_length=30,
        unique=True,
        null=True,
        blank=True,
        editable=False,
        error_messages={"unique": _("An invoice of this number exists already.")},
    )
    year = models.PositiveSmallIntegerField(_("year"), null=True, blank=True, editable=False)
    sequence = models.PositiveIntegerField(
        _("sequence number"), null=True, blank=True, editable=False
    )
    # None: a counter sale to someone not in the customer file.
    customer = models.ForeignKey(
        Customer,
        verbose_name=_("customer"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="invoices",
    )
    order = models.ForeignKey(
        Order,
        verbose_name=_("order"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="invoices",
    )
    # Made from an order (its cancellation too): erasing the customer lets
    # go of the order (invoices.apps._forget_drafts), this stays. Such an
    # invoice is no counter sale: its goods left the stock with the order.
    from_order = models.BooleanField(
        _("made from an order"), default=False, db_default=False, editable=False
    )
    # A cancellation invoice names the invoice it cancels; one each.
    cancels = models.OneToOneField(
        "self",
        verbose_name=_("cancels invoice"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        editable=False,
        related_name="cancellation",
    )
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    issued_on = models.DateField(_("invoice date"), null=True, blank=True, editable=False)
    # The day of the delivery or service (Liefer-/Leistungsdatum).
    delivered_on = models.DateField(_("delivery date"), null=True, blank=True)
    # Copies made when the invoice is issued: a later change of the
    # customer's address or the shop's settings does not change it.
    customer_name = models.CharField(_("customer's name"), max_length=300, blank=True)
    customer_address = models.TextField(_("customer's address"), blank=True)
    shop_name = models.CharField(_("shop's name"), max_length=200, blank=True)
    shop_address = models.TextField(_("shop's address"), blank=True)
    shop_tax_number = models.CharField(_("tax number"), max_length=30, blank=True)
    shop_vat_id = models.CharField(_("VAT ID"), max_length=30, blank=True)
    # A business recipient (e.g. the employer paying for an employee's
    # screen-work glasses): entered on the draft, kept as issued. With a
    # company the invoice is made out to it, for the attention of the
    # customer, and it is an e-invoice (ZUGFeRD / Factur-X: is_e_invoice).
    # db_default: also for rows written by SQL (the benchmark's load).
    company_name = models.CharField(
        _("company"), max_length=200, blank=True, default="", db_default=""
    )
    company_vat_id = models.CharField(
        _("company's VAT ID"), max_length=20, blank=True, default="", db_default=""
    )
    # Empty: the customer's address.
    company_address = models.TextField(
        _("company's address"), blank=True, default="", db_default=""
    )
    # The buyer's reference (Leitweg-ID of a public buyer, order reference).
    buyer_reference = models.CharField(
        _("buyer's reference"), max_length=100, blank=True, default="", db_default=""
    )
    # The statutory insurer's share (GKV), deducted from what the customer pays.
    insurer_share = models.DecimalField(_("insurer's share"), default=Decimal("0.00"), **MONEY)
    # The gross amount, written once when the invoice is issued (it never
    # changes after): lists filter and show an invoice's payment state by it.
    gross = models.DecimalField(_("gross amount"), null=True, blank=True, editable=False, **MONEY)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )
    # Edit conflicts of drafts: a change names the version it was made from.
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("invoice")
        verbose_name_plural = _("invoices")
        # The booking list for the tax adviser (invoices.accounting_views);
        # the open items and the day report need only the invoice and
        # payment view rights, which the front desk has to close the till.
        permissions = [
            ("view_accounting", _("Can export the booking list for the tax adviser")),
        ]
        constraints = [
            CheckConstraint(
                condition=Q(kind__in=Kind.values),
                name="invoice_kind_valid",
                violation_error_message=_("Please choose one of the offered kinds."),
                field="kind",
            ),
            CheckConstraint(
                condition=Q(status__in=Status.values),
                name="invoice_status_valid",
                violation_error_message=_("Please choose one of the offered statuses."),
                field="status",
            ),
            CheckConstraint(
                condition=_when_issued("number"),
                name="invoice_number_when_issued",
                violation_error_message=_("An issued invoice, and only that, has a number."),
                field="status",
            ),
            CheckConstraint(
                condition=_when_issued("year"),
                name="invoice_year_when_issued",
                violation_error_message=_("An issued invoice, and only that, has a number."),
                field="status",
            ),
            CheckConstraint(
                condition=_when_issued("sequence"),
                name="invoice_sequence_when_issued",
                violation_error_message=_("An issued invoice, and only that, has a number."),
                field="status",
            ),
            CheckConstraint(
                condition=_when_issued("issued_on"),
                name="invoice_date_when_issued",
                violation_error_message=_("An issued invoice, and only that, has an invoice date."),
                field="status",
            ),
            CheckConstraint(
                condition=Q(kind=Kind.INVOICE, cancels__isnull=True)
                | Q(kind=Kind.CANCELLATION, cancels__isnull=False),
                name="invoice_cancels_only_cancellation",
                violation_error_message=_(
                    "A cancellation invoice names the invoice it cancels; an invoice does not."
                ),
                field="kind",
            ),
            # A company's details only with its name: one constraint per
            # detail (each with two columns the project's checks can try).
            *(
                CheckConstraint(
                    condition=Q(**{detail: ""}) | ~Q(company_name=""),
                    name=f"invoice_{detail}_needs_company",
                    violation_error_message=_("Please enter the company's name."),
                    field="company_name",
                )
                for detail in ("company_vat_id", "company_address", "buyer_reference")
            ),
            CheckConstraint(
                condition=Q(company_vat_id="") | Q(company_vat_id__regex=VAT_ID_PATTERN),
                name="invoice_company_vat_id_valid",
                violation_error_message=VAT_ID_INVALID,
                field="company_vat_id",
            ),
            models.UniqueConstraint(
                fields=["year", "sequence"],
                name="invoice_year_sequence_unique",
                violation_error_message=_("An invoice of this number exists already."),
            ),
        ]
        indexes = [
            models.Index(fields=["customer", "-created_at"], name="invoice_customer"),
            models.Index(fields=["order"], name="invoice_order"),
            # The invoice list, newest first, and its date range.
            models.Index(fields=["-created_at", "-id"], name="invoice_newest"),
            # The day report's and the booking list's invoices of a day or a
            # period, by number (the list's date range too).
            models.Index(fields=["issued_on", "year", "sequence"], name="invoice_day"),
            # A number searched by its start or its end (selectors._term):
            # the trigram index read every 2026 invoice's "202", "026" and
            # "26-" for a whole number (56 ms at five million).
            models.Index(
                OpClass(Upper("number"), name="text_pattern_ops"), name="invoice_number_start"
            ),
            models.Index(
                OpClass(Reverse(Upper("number")), name="text_pattern_ops"),
                name="invoice_number_end",
            ),
            # Its search by any part of the customer's name (and the number's).
            GinIndex(
                OpClass(Upper("number"), name="gin_trgm_ops"),
                OpClass(Upper("customer_name"), name="gin_trgm_ops"),
                name="invoice_search_trgm",
            ),
        ]

    def __str__(self) -> str:
        if self.number:
            return _("Invoice %(number)s") % {"number": self.number}
        return _("Invoice draft %(id)s") % {"id": self.pk}

    @property
    def is_issued(self) -> bool:
        return self.status == Status.ISSUED

    @property
    def is_e_invoice(self) -> bool:
        """Made out to a company: its PDF is a Factur-X PDF/A-3 with the
        invoice as EN 16931 XML (invoices.einvoice); a private customer's
        is the plain PDF."""
        return bool(self.company_name)


class InvoiceLine(PricedLine):
    """A position as orders price it: quantity × unit price (gross) less a
    discount, at a VAT rate (orders.rules.line_gross); a cancellation's
    quantities are negative."""

    invoice = models.ForeignKey(
        Invoice, verbose_name=_("invoice"), on_delete=models.CASCADE, related_name="lines"
    )
    position = models.PositiveSmallIntegerField(pgettext_lazy("order", "position"))
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
    quantity = models.SmallIntegerField(_("quantity"), default=1)

    class Meta:
        ordering = ["invoice", "position"]
        verbose_name = _("invoice position")
        verbose_name_plural = _("invoice positions")
        constraints = [
            models.UniqueConstraint(
                fields=["invoice", "position"],
                name="invoice_line_position_unique",
                violation_error_message=_("The invoice has a position of this number already."),
            ),
            CheckConstraint(
                condition=~Q(quantity=0),
                name="invoice_line_quantity_not_zero",
                violation_error_message=_("Please enter a quantity other than 0."),
                field="quantity",
            ),
            *priced_line_constraints("invoice_line"),
        ]

    def __str__(self) -> str:
        return f"{self.position}. {self.description}"


class InvoiceCounter(models.Model):
    """The last number given in a year: locked by each issue, in the issue's
    transaction, so numbers follow one another without a gap."""

    year = models.PositiveSmallIntegerField(_("year"), primary_key=True)
    last = models.PositiveIntegerField(_("last sequence number"), default=0)

    class Meta:
        verbose_name = _("invoice counter")
        verbose_name_plural = _("invoice counters")

    def __str__(self) -> str:
        return f"{self.year}: {self.last}"


class Method(models.TextChoices):
    CASH = "cash", _("Cash")
    EC = "ec", _("EC card")
    CREDIT_CARD = "credit_card", _("Credit card")
    TRANSFER = "transfer", _("Bank transfer")
    INSURER = "insurer", _("Health insurer")
    # The deposit of the order the invoice was made from (services.
    # invoice_from_order); how it was paid the order does not record.
    DEPOSIT = "deposit", _("Deposit of the order")


# What the payment form offers; the deposit is taken over, never entered.
ENTERED_METHODS = [choice for choice in Method.choices if choice[0] != Method.DEPOSIT]


# Booked and removed, never changed: both recorded by the database.
@pghistory.track(pghistory.InsertEvent(), pghistory.DeleteEvent())
class Payment(models.Model):
    """Money received for an invoice. OptiCRM is no cash register: cash is
    taken by the shop's certified till (TSE, § 146a AO) and only recorded
    here with the till's receipt number."""

    invoice = models.ForeignKey(
        Invoice, verbose_name=_("invoice"), on_delete=models.CASCADE, related_name="payments"
    )
    method = models.CharField(_("payment method"), max_length=20, choices=Method)
    amount = models.DecimalField(_("amount"), **MONEY)
    paid_on = models.DateField(_("paid on"))
    receipt_number = models.CharField(_("till receipt number"), max_length=40, blank=True)
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["paid_on", "id"]
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        constraints = [
            # Negative only where a cancellation carries an order's deposit
            # and payments back to the order (services._carry_back).
            CheckConstraint(
                condition=Q(amount__gt=0) | Q(amount__lt=0, method=Method.DEPOSIT),
                name="payment_amount_positive",
                violation_error_message=_("Please enter an amount greater than 0."),
                field="amount",
            ),
            CheckConstraint(
                condition=Q(method__in=Method.values),
                name="payment_method_valid",
                violation_error_message=_("Please choose one of the offered payment methods."),
                field="method",
            ),
            CheckConstraint(
                condition=~Q(method=Method.CASH) | ~Q(receipt_number=""),
                name="payment_cash_receipt",
                violation_error_message=_(
                    "Please enter the receipt number of the till that took the cash."
                ),
                field="receipt_number",
            ),
        ]
        # The day report's and the booking list's payments of a day or a
        # period, in the order they were booked.
        indexes = [models.Index(fields=["paid_on", "id"], name="payment_day")]

    def __str__(self) -> str:
        return f"{self.get_method_display()} {self.amount}"


class InvoiceDocument(models.Model):
    """The PDF of an issued invoice, drawn once in the issue's transaction
    and kept as it was sent (GoBD): the database refuses every change and
    deletion of a row (migration 0004)."""

    invoice = models.OneToOneField(
        Invoice, verbose_name=_("invoice"), on_delete=models.PROTECT, related_name="document"
    )
    pdf = models.BinaryField(_("PDF"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("invoice document")
        verbose_name_plural = _("invoice documents")

    def __str__(self) -> str:
        return str(self.invoice)


class Unsettled(models.Model):
    """An issued invoice not paid in full and not cancelled, with the sum of
    its payments: kept by the database alone (triggers of migration 0007,
    on every payment, issue and cancellation), so that the open invoices of
    a chain's millions are found without summing every invoice's payments.
    The state is still the rule of selectors.state_of; this is its index."""

    invoice = models.OneToOneField(
        Invoice,
        verbose_name=_("invoice"),
        primary_key=True,
        on_delete=models.DO_NOTHING,
        related_name="unsettled",
        editable=False,
    )
    paid = models.DecimalField(_("paid"), editable=False, **MONEY)
    # What each payer still owes, by the rule of selectors.open_for: the
    # insurer its share less its payments, the customer the rest.
    customer_open = models.DecimalField(_("open for the customer"), editable=False, **MONEY)
    insurer_open = models.DecimalField(_("open for the insurer"), editable=False, **MONEY)
    # The invoice's, for the lists' order and the due dates without a join.
    created_at = models.DateTimeField(_("created at"), editable=False)
    issued_on = models.DateField(_("invoice date"), editable=False)

    class Meta:
        verbose_name = _("unsettled invoice")
        verbose_name_plural = _("unsettled invoices")
        default_permissions = ()
        indexes = [
            models.Index(fields=["-created_at", "-invoice"], name="unsettled_newest"),
            models.Index(fields=["issued_on"], name="unsettled_issued_on"),
        ]

    def __str__(self) -> str:
        return str(self.invoice_id)


# A day's sums of a chain: thousands of invoices.
DAY_SUM = {"max_digits": 14, "decimal_places": 2}


class InvoiceDay(models.Model):
    """What the invoices issued on a day add up to, kept by the database
    (triggers of migration 0012, one function: invoices_day_add), for the
    day report (accounting.day_report) without reading a chain's day
    invoice by invoice: the invoices and cancellation invoices (their gross
    negative) and the order deposits they settle. An issued invoice never
    changes; a deposit row booked or removed on one later (the carry-back
    of a cancellation) is added or taken off by its own trigger."""

    day = models.DateField(_("day"), primary_key=True, editable=False)
    invoices = models.IntegerField(_("invoices"), editable=False)
    cancellations = models.IntegerField(_("cancellation invoices"), editable=False)
    invoiced = models.DecimalField(_("invoiced (gross)"), editable=False, **DAY_SUM)
    cancelled = models.DecimalField(_("cancelled (gross)"), editable=False, **DAY_SUM)
    deposits = models.IntegerField(_("deposits"), editable=False)
    deposits_total = models.DecimalField(_("deposits set off"), editable=False, **DAY_SUM)

    class Meta:
        verbose_name = _("invoices of a day")
        verbose_name_plural = _("invoices by day")
        default_permissions = ()

    def __str__(self) -> str:
        return f"{self.day:%d.%m.%Y}"


class InvoiceDayRate(models.Model):
    """The gross and VAT of the invoices issued on a day at one VAT rate,
    the VAT taken out once per invoice and rate (RateTotal.vat), kept with
    InvoiceDay by the same function."""

    day = models.DateField(_("day"), editable=False)
    vat_rate = models.PositiveSmallIntegerField(_("VAT rate"), editable=False)
    gross = models.DecimalField(_("gross"), editable=False, **DAY_SUM)
    vat = models.DecimalField(_("VAT"), editable=False, **DAY_SUM)

    class Meta:
        verbose_name = _("invoices of a day at a VAT rate")
        verbose_name_plural = _("invoices by day and VAT rate")
        default_permissions = ()
        constraints = [
            # The trigger adds to it (ON CONFLICT); also the index of a period.
            models.UniqueConstraint(
                fields=["day", "vat_rate"],
                name="invoice_day_rate",
                violation_error_message=_("This day has its sums at this VAT rate already."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.day:%d.%m.%Y} {self.vat_rate} %"
