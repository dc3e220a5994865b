"""The accounting side of invoices, read only (issue 29): the open items
(Offene Posten) of customers and of statutory insurers, the day report
(Tagesbericht) and the DATEV-style booking list for the tax adviser
(docs/datev.md). Nothing here writes.

Money follows the invoices' own rules: what is open is
invoices.selectors.open_for's split (with_open for a whole list); an
invoice's net and VAT per rate are invoice_totals' (the VAT taken out of
the gross once per rate and invoice), summed over the day's invoices in
SQL (_PER_INVOICE_RATE), a cancellation invoice's amounts negative.

An order's deposit (payment method "deposit") is money received earlier,
with the order; the invoice only settles it. It counts when the invoice is
issued (the day report and the booking list of that day), never as money
taken on a day.
"""

import datetime
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from django.db.models import Count, F, Prefetch, QuerySet, Sum
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from invoices import selectors
from invoices.models import (
    Invoice,
    InvoiceDay,
    InvoiceDayRate,
    Kind,
    Method,
    Payment,
    Status,
    Unsettled,
)
from opticrm.lib.models import one_or_none
from orders import gkv
from orders import selectors as order_selectors

ZERO = Decimal("0.00")
# Days a payment reminder gives from its date.
REMINDER_DAYS = 10
# The longest period one booking list covers.
EXPORT_MAX_DAYS = 366


def payment_days() -> int:
    return settings.INVOICE_PAYMENT_DAYS


def due_on(issued_on: datetime.date) -> datetime.date:
    """The day an invoice is due: its date plus the payment terms."""
    return issued_on + datetime.timedelta(days=payment_days())


def reminder_due_on(today: datetime.date) -> datetime.date:
    return today + datetime.timedelta(days=REMINDER_DAYS)


# --- Open items ------------------------------------------------------------------------


def _standing(query: str = "") -> QuerySet[Invoice]:
    """Issued invoices (not cancellation invoices) that no cancellation
    cancels, found by the invoice list's search (number or customer name),
    each with ``customer_open`` and ``insurer_open`` (as models.Unsettled keeps them)
    and ``customer_paid`` and ``insurer_paid``,
    oldest first: the most overdue on top."""
    invoices = selectors.invoice_matches(query=query).prefetch_related(None)
    # Among the database's list of the unsettled ones (models.Unsettled):
    # an invoice open for either payer is paid less than its gross. The
    # chain's five million invoices are not summed up one by one.
    # Its amounts open per payer are kept there too (open_for's rule).
    return (
        invoices.filter(unsettled__isnull=False)
        .annotate(
            customer_open=F("unsettled__customer_open"),
            insurer_open=F("unsettled__insurer_open"),
            # What each has paid: its part less what it still owes.
            customer_paid=F("gross") - F("insurer_share") - F("unsettled__customer_open"),
            insurer_paid=F("insurer_share") - F("unsettled__insurer_open"),
        )
        .order_by("unsettled__issued_on", "unsettled__invoice_id")
    )


def _cutoff(today: datetime.date) -> datetime.date:
    """Invoices dated before this day are overdue (the due date is the
    invoice date plus the terms)."""
    return today - datetime.timedelta(days=payment_days())


def _overdue(invoices: QuerySet[Invoice], today: datetime.date) -> QuerySet[Invoice]:
    """Due before today."""
    return invoices.filter(unsettled__issued_on__lt=_cutoff(today))


def customer_open_items(
    *, query: str = "", overdue_only: bool = False, today: datetime.date
) -> QuerySet[Invoice]:
    """Invoices whose customer's part is still open (the gross less the
    insurer's share less the customer's payments), oldest first."""
    invoices = _standing(query).filter(unsettled__customer_open__gt=0)
    return _overdue(invoices, today) if overdue_only else invoices


def insurer_open_items(
    *, query: str = "", overdue_only: bool = False, today: datetime.date
) -> QuerySet[Invoice]:
    """Invoices whose statutory insurer has not yet paid all of its share
    (payments of method "insurer" count against the share), oldest first."""
    invoices = _standing(query).filter(unsettled__insurer_open__gt=0)
    invoices = invoices.select_related("customer__insurance_provider")
    return _overdue(invoices, today) if overdue_only else invoices


@dataclass(frozen=True)
class OpenSum:
    count: int
    total: Decimal


def open_sum(
    invoices: QuerySet[Invoice],
    amount: str,
    *,
    query: str = "",
    overdue_only: bool = False,
    today: datetime.date | None = None,
) -> OpenSum:
    """How many invoices and how much of ``amount`` (``customer_open`` or
    ``insurer_open``) are open, in one query: without a search, from the
    database's list of unsettled invoices alone (a chain's 20,000, not
    joined to their invoices one by one)."""
    if query:
        found = invoices.order_by().aggregate(count=Count("pk"), total=Sum(amount))
    else:
        rows = Unsettled.objects.filter(**{f"{amount}__gt": 0})
        if overdue_only:
            rows = rows.filter(issued_on__lt=_cutoff(today or timezone.localdate()))
        found = rows.aggregate(count=Count("pk"), total=Sum(amount))
    return OpenSum(found["count"], found["total"] or ZERO)


def open_rows(invoices: Iterable[Invoice], *, today: datetime.date) -> list[Invoice]:
    """The invoices of a page, each with ``due_on`` and ``days_overdue``
    (0 until the due date has passed)."""
    rows = list(invoices)
    for invoice in rows:
        invoice.due_on = due_on(invoice.issued_on)
        invoice.days_overdue = max((today - invoice.due_on).days, 0)
    return rows


def reminder_invoice(pk: int) -> Invoice | None:
    """An invoice the customer still owes something of (as in the open
    items), with its customer and ``customer_open``; None for any other."""
    return (
        _standing().filter(pk=pk, unsettled__customer_open__gt=0).select_related("customer").first()
    )


# --- The day report --------------------------------------------------------------------


@dataclass
class RateSum:
    """Net, VAT and gross at one VAT rate, each summed over the invoices
    (whose VAT is computed once per rate and invoice)."""

    rate: int
    net: Decimal = ZERO
    vat: Decimal = ZERO
    gross: Decimal = ZERO


@dataclass
class MethodSum:
    method: str
    label: str
    count: int = 0
    amount: Decimal = ZERO


@dataclass
class DayReport:
    """A day's sums, all of the day, and its lists: each of them the first
    ``limit`` rows on the screen (a chain's day has thousands: the PDF and
    the CSV file list them all), with how many there are."""

    day: datetime.date
    # Invoices and cancellation invoices issued that day, by number.
    documents: list[Invoice] = field(default_factory=list)
    invoice_count: int = 0
    cancellation_count: int = 0
    invoiced: Decimal = ZERO
    # The cancellations' gross (negative).
    cancelled: Decimal = ZERO
    rates: list[RateSum] = field(default_factory=list)
    # The payments of the day, deposits not among them, as they were booked.
    payments: list[Payment] = field(default_factory=list)
    payment_count: int = 0
    methods: list[MethodSum] = field(default_factory=list)
    # Deposits of orders settled by the invoices issued that day.
    deposits: list[Payment] = field(default_factory=list)
    deposit_count: int = 0
    deposits_total: Decimal = ZERO

    @property
    def document_count(self) -> int:
        return self.invoice_count + self.cancellation_count

    @property
    def invoices(self) -> list[Invoice]:
        return [doc for doc in self.documents if doc.kind == Kind.INVOICE]

    @property
    def cancellations(self) -> list[Invoice]:
        return [doc for doc in self.documents if doc.kind == Kind.CANCELLATION]

    @property
    def net(self) -> Decimal:
        return sum((rate.net for rate in self.rates), ZERO)

    @property
    def vat(self) -> Decimal:
        return sum((rate.vat for rate in self.rates), ZERO)

    @property
    def gross(self) -> Decimal:
        return sum((rate.gross for rate in self.rates), ZERO)

    @property
    def received(self) -> Decimal:
        """Money taken that day (the deposits were taken before)."""
        return sum((method.amount for method in self.methods), ZERO)

    @property
    def cash(self) -> Decimal:
        return sum((m.amount for m in self.methods if m.method == Method.CASH), ZERO)

    @property
    def shortened(self) -> bool:
        return (
            len(self.documents) < self.document_count
            or len(self.payments) < self.payment_count
            or len(self.deposits) < self.deposit_count
        )


# The day report's and the booking list's order of the methods.
METHODS = [Method.CASH, Method.EC, Method.CREDIT_CARD, Method.TRANSFER, Method.INSURER]
# The rows of each list the day report's page shows.
DAY_LIST_LIMIT = 50

# Each issued invoice's gross per VAT rate in the period, and its VAT taken
# out of that once (one row per invoice and rate). The SQL twin of
# orders.rules.line_gross and RateTotal.vat, which the invoice itself was
# drawn with: a chain's day (2,700 invoices) is not read position by
# position into Python. PostgreSQL's round() of a numeric rounds half away
# from zero, as ROUND_HALF_UP does; a negative quantity (a cancellation's
# position) is the positive one's amounts negated, as there.
# test_day_report.test_the_sql_twin_of_the_rule compares the two.
_PER_INVOICE_RATE = """
    WITH line AS (
        SELECT l.invoice_id, l.vat_rate, CASE WHEN l.quantity < 0 THEN -1 ELSE 1 END AS sign,
               round(abs(l.quantity) * l.unit_price, 2) AS before,
               l.discount_percent, l.discount_amount
        FROM invoices_invoiceline l
        JOIN invoices_invoice i ON i.id = l.invoice_id
        WHERE i.status = %(issued)s AND i.issued_on BETWEEN %(since)s AND %(until)s
    ), per_rate AS (
        SELECT invoice_id, vat_rate, sum(sign * (before - least(before, coalesce(
                   round(before * discount_percent / 100, 2), discount_amount, 0)))) AS gross
        FROM line GROUP BY invoice_id, vat_rate
    )
    SELECT invoice_id, vat_rate, gross,
           round(gross * vat_rate / (100 + vat_rate)::numeric, 2) AS vat
    FROM per_rate
"""


def _rate_query(sql: str, since: datetime.date, until: datetime.date) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, {"issued": Status.ISSUED, "since": since, "until": until})
        return cursor.fetchall()


def rates_between(since: datetime.date, until: datetime.date) -> list[RateSum]:
    """Net, VAT and gross per VAT rate of the invoices and cancellations
    issued in the period, highest rate first: from the days' sums the
    database keeps (InvoiceDayRate, the rule's twin of _PER_INVOICE_RATE)."""
    rows = (
        InvoiceDayRate.objects.filter(day__gte=since, day__lte=until)
        .values_list("vat_rate")
        .annotate(gross=Sum("gross"), vat=Sum("vat"))
        .order_by("-vat_rate")
    )
    return [RateSum(rate, gross - vat, vat, gross) for rate, gross, vat in rows]


@dataclass(frozen=True)
class DocumentRate:
    """One issued invoice's amounts at one VAT rate."""

    invoice_id: int
    rate: int
    net: Decimal
    vat: Decimal
    gross: Decimal


def document_rates_between(since: datetime.date, until: datetime.date) -> list[DocumentRate]:
    """Each invoice's and cancellation's amounts per VAT rate, in the order
    of _issued_between and highest rate first (one query)."""
    rows = _rate_query(
        f"SELECT r.* FROM ({_PER_INVOICE_RATE}) AS r "
        "JOIN invoices_invoice i ON i.id = r.invoice_id "
        "ORDER BY i.issued_on, i.year, i.sequence, r.vat_rate DESC",
        since,
        until,
    )
    return [
        DocumentRate(invoice, rate, gross - vat, vat, gross) for invoice, rate, gross, vat in rows
    ]


def _issued_between(since: datetime.date, until: datetime.date) -> QuerySet[Invoice]:
    """Invoices and cancellation invoices issued in the period, by number,
    with the invoice a cancellation cancels."""
    return (
        Invoice.objects.filter(status=Status.ISSUED, issued_on__gte=since, issued_on__lte=until)
        .select_related("cancels")
        .order_by("issued_on", "year", "sequence")
    )


def _paid_between(since: datetime.date, until: datetime.date) -> QuerySet[Payment]:
    """Payments dated in the period, the deposits not among them, with
    their invoice (one query)."""
    return (
        Payment.objects.filter(paid_on__gte=since, paid_on__lte=until)
        .exclude(method=Method.DEPOSIT)
        .select_related("invoice")
        .order_by("paid_on", "id")
    )


def _deposits_settled(day: datetime.date) -> QuerySet[Payment]:
    """The order deposits the invoices issued on ``day`` settle, in the
    invoices' order."""
    return (
        Payment.objects.filter(
            method=Method.DEPOSIT, invoice__status=Status.ISSUED, invoice__issued_on=day
        )
        .select_related("invoice")
        .order_by("invoice__year", "invoice__sequence", "id")
    )


def _first(rows: QuerySet, limit: int | None) -> list:
    return list(rows if limit is None else rows[:limit])


# What the day report's lists show of each row (screen, PDF, CSV).
DOCUMENT_COLUMNS = ("kind", "number", "customer_name", "gross", "cancels")
PAYMENT_COLUMNS = (
    "invoice",
    "method",
    "amount",
    "paid_on",
    "receipt_number",
    "note",
    "invoice__number",
    "invoice__customer_name",
)


def day_report(day: datetime.date, *, limit: int | None = None) -> DayReport:
    """What was invoiced, cancelled and received on ``day``: the sums of
    all (InvoiceDay, InvoiceDayRate: kept by the database), the lists'
    first ``limit`` rows (all with None). Six queries, however busy the day."""
    report = DayReport(day)
    # The day's sums as the database keeps them (InvoiceDay): a chain's day
    # is thousands of invoices, summed when each was issued.
    sums = one_or_none(InvoiceDay.objects.filter(day=day))
    if sums is not None:
        report.invoice_count = sums.invoices
        report.cancellation_count = sums.cancellations
        report.invoiced = sums.invoiced
        report.cancelled = sums.cancelled
        report.deposit_count = sums.deposits
        report.deposits_total = sums.deposits_total
    # The lists' columns only: a busy day's 150 rows of whole invoices
    # took a fifth of the page's time to read into models.
    report.documents = _first(
        _issued_between(day, day).only(*DOCUMENT_COLUMNS, "cancels__number"), limit
    )
    report.rates = rates_between(day, day)

    payments = _paid_between(day, day)
    methods = {method: MethodSum(method, str(method.label)) for method in METHODS}
    for row in (
        payments.order_by().values("method").annotate(count=Count("pk"), amount=Sum("amount"))
    ):
        methods[row["method"]].count = row["count"]
        methods[row["method"]].amount = row["amount"]
    report.methods = list(methods.values())
    report.payment_count = sum(method.count for method in report.methods)
    report.payments = _first(payments.only(*PAYMENT_COLUMNS), limit)

    report.deposits = _first(_deposits_settled(day).only(*PAYMENT_COLUMNS), limit)
    return report


# --- The DATEV-style booking list ------------------------------------------------------

DEBIT = "S"
CREDIT = "H"
# The list's columns, as DATEV's booking batch (Buchungsstapel) names its
# fields: a file format's words, the same in every language.
DATEV_COLUMNS = [
    "Umsatz (ohne Soll/Haben-Kz)",
    "Soll/Haben-Kennzeichen",
    "WKZ Umsatz",
    "Konto",
    "Gegenkonto (ohne BU-Schlüssel)",
    "BU-Schlüssel",
    "Belegdatum",
    "Belegfeld 1",
    "Belegfeld 2",
    "Buchungstext",
]
# DATEV takes up to 60 characters of booking text.
TEXT_LENGTH = 60


@dataclass(frozen=True)
class Booking:
    """One row: ``amount`` (always positive) is booked to the debit of
    ``account`` and the credit of ``contra`` when ``side`` is "S", the
    other way round when "H"."""

    amount: Decimal
    side: str
    account: str
    contra: str
    date: datetime.date
    document: str
    text: str
    reference: str = ""
    tax_key: str = ""

    @property
    def signed(self) -> Decimal:
        """The amount as seen from ``account``: debit positive."""
        return self.amount if self.side == DEBIT else -self.amount


def _booking(amount: Decimal, account: str, contra: str, **kwargs) -> Booking:
    """A booking of ``amount`` to the debit of ``account``; a negative
    amount (a cancellation) is the same amount the other way round."""
    side = DEBIT if amount >= 0 else CREDIT
    return Booking(abs(amount), side, account, contra, **kwargs)


def revenue_account(rate: int) -> str:
    try:
        return settings.DATEV_REVENUE_ACCOUNTS[rate]
    except KeyError:
        raise ImproperlyConfigured(
            f"DATEV_REVENUE_ACCOUNTS has no account for VAT rate {rate} %."
        ) from None


def payment_account(method: str) -> str:
    return {
        Method.CASH: settings.DATEV_CASH_ACCOUNT,
        Method.EC: settings.DATEV_CARD_ACCOUNT,
        Method.CREDIT_CARD: settings.DATEV_CARD_ACCOUNT,
        Method.TRANSFER: settings.DATEV_BANK_ACCOUNT,
        Method.INSURER: settings.DATEV_BANK_ACCOUNT,
        Method.DEPOSIT: settings.DATEV_DEPOSIT_ACCOUNT,
    }[method]


def _text(text: str) -> str:
    return " ".join(text.split())[:TEXT_LENGTH]


def _with_rates(since: datetime.date, until: datetime.date) -> list[Invoice]:
    """The invoices and cancellations issued in the period, each with its
    ``rates`` (DocumentRate) and ``deposits`` settled (three queries)."""
    documents = list(
        _issued_between(since, until).prefetch_related(
            Prefetch(
                "payments",
                queryset=Payment.objects.filter(method=Method.DEPOSIT).order_by("id"),
                to_attr="deposits",
            )
        )
    )
    rates: dict[int, list[DocumentRate]] = {}
    for rate in document_rates_between(since, until):
        rates.setdefault(rate.invoice_id, []).append(rate)
    for document in documents:
        document.rates = rates.get(document.pk, [])
    return documents


def _document_bookings(document: Invoice) -> list[Booking]:
    """An invoice's (or cancellation's) revenue per VAT rate, gross, to
    the customers' debtor account (the revenue accounts work out the VAT);
    the insurer's share moved to the insurers' account; the order's deposit
    settled."""
    debtor, insurer = settings.DATEV_DEBTOR_ACCOUNT, settings.DATEV_INSURER_ACCOUNT
    day, number = document.issued_on, document.number
    if document.kind == Kind.CANCELLATION:
        text = _("Cancellation %(number)s of invoice %(original)s") % {
            "number": number,
            "original": document.cancels.number if document.cancels_id else "",
        }
    else:
        text = _("Invoice %(number)s") % {"number": number}
    text = _text(f"{text} {document.customer_name}")
    bookings = [
        _booking(
            rate.gross, debtor, revenue_account(rate.rate), date=day, document=number, text=text
        )
        for rate in document.rates
        if rate.gross
    ]
    if document.insurer_share:
        share_text = _("Insurer's share of %(number)s") % {"number": number}
        bookings.append(
            _booking(
                document.insurer_share,
                insurer,
                debtor,
                date=day,
                document=number,
                text=_text(share_text),
            )
        )
    for deposit in document.deposits:
        deposit_text = _("Deposit settled with %(number)s") % {"number": number}
        bookings.append(
            _booking(
                deposit.amount,
                payment_account(Method.DEPOSIT),
                debtor,
                date=day,
                document=number,
                text=_text(deposit_text),
            )
        )
    return bookings


def _payment_booking(payment: Payment) -> Booking:
    """Money received: to the account of its method, from the insurers'
    account (the insurer's payments) or the customers'."""
    if payment.method == Method.INSURER:
        contra = settings.DATEV_INSURER_ACCOUNT
    else:
        contra = settings.DATEV_DEBTOR_ACCOUNT
    text = _("Payment %(method)s %(number)s") % {
        "method": payment.get_method_display(),
        "number": payment.invoice.number,
    }
    return _booking(
        payment.amount,
        payment_account(payment.method),
        contra,
        date=payment.paid_on,
        document=payment.invoice.number or "",
        text=_text(text),
        reference=payment.receipt_number,
    )


def datev_bookings(since: datetime.date, until: datetime.date) -> list[Booking]:
    """The booking list of the period, by date: each invoice and
    cancellation invoice issued in it (per VAT rate, with the insurer's
    share and the deposit it settles) and each payment dated in it
    (deposits not: they are settled with their invoice). Texts in the
    shop's language. Four queries."""
    with translation.override(settings.LANGUAGE_CODE):
        bookings = [
            booking
            for document in _with_rates(since, until)
            for booking in _document_bookings(document)
        ]
        bookings += [_payment_booking(payment) for payment in _paid_between(since, until)]
    # Stable: a day's invoices before its payments, each in its order.
    return sorted(bookings, key=lambda booking: booking.date)


@dataclass
class AccountSum:
    account: str
    debit: Decimal = ZERO
    credit: Decimal = ZERO


def account_sums(bookings: Iterable[Booking]) -> list[AccountSum]:
    """Debit and credit per account over the list (account and contra
    account of every row), by account number: a check for the page."""
    sums: dict[str, AccountSum] = {}
    for booking in bookings:
        debited, credited = (
            (booking.account, booking.contra)
            if booking.side == DEBIT
            else (booking.contra, booking.account)
        )
        sums.setdefault(debited, AccountSum(debited)).debit += booking.amount
        sums.setdefault(credited, AccountSum(credited)).credit += booking.amount
    return [sums[account] for account in sorted(sums, key=lambda number: (len(number), number))]


# --- The statement to the insurer ------------------------------------------------------


def insurer_statement_invoice(pk: int) -> Invoice | None:
    """An invoice whose statutory insurer is billed for its share: issued,
    not a cancellation invoice, not cancelled, with an insurer's share; with
    its customer, the customer's insurer and the order. None for any other
    (a draft, a cancelled invoice, a cancellation, no share)."""
    return (
        Invoice.objects.filter(
            pk=pk,
            status=Status.ISSUED,
            kind=Kind.INVOICE,
            cancellation__isnull=True,
            insurer_share__gt=0,
        )
        .select_related("customer__insurance_provider", "order__customer__insurance_provider")
        .first()
    )


@dataclass(frozen=True)
class InsurerStatement:
    """What the statement to the insurer (Abrechnung an die Krankenkasse)
    says: the amount claimed is the invoice's insurer's share, never worked
    out again; ``lenses`` show per lens how the order's rules arrive at it
    (orders.selectors.insurance_share: fixed amount, co-payment, what the
    insurer pays), given only while they still add up to that share (the
    order's lenses or the customer may have changed since, or the order is
    gone with an erased customer)."""

    invoice: Invoice
    # The customer's insurer as the customer record names it ("" if none).
    insurer: str
    # The insured person: the customer record's name (the invoice's copy
    # once the customer is anonymised) and birth date.
    insured_name: str
    insured_born: datetime.date | None
    insurance_number: str
    # The date of the ophthalmologist's prescription the order was made for.
    prescribed_on: datetime.date | None
    lenses: list = field(default_factory=list)
    # What the insurer still owes of its share (open_for's rule).
    open: Decimal = ZERO

    @property
    def claimed(self) -> Decimal:
        return self.invoice.insurer_share

    @property
    def received(self) -> Decimal:
        """The insurer's payments on the invoice so far."""
        return self.claimed - self.open

    @property
    def co_payment(self) -> Decimal:
        """The statutory co-payment the insured person paid for the lenses."""
        return sum((lens.co_payment for lens in self.lenses), ZERO)


def _prescribed_on(order) -> datetime.date | None:
    prescription = (order.prescription or {}) if order is not None else {}
    if prescription.get("kind") != gkv.EXTERNAL:
        return None
    try:
        return datetime.date.fromisoformat(str(prescription.get("date")))
    except ValueError:
        return None


def insurer_statement(pk: int) -> InsurerStatement | None:
    """The statement of insurer_statement_invoice's invoice ``pk``, None
    where there is none."""
    invoice = insurer_statement_invoice(pk)
    if invoice is None:
        return None
    customer, order = invoice.customer, invoice.order
    lenses = []
    if order is not None:
        share = order_selectors.insurance_share(order)
        if share is not None and share.payable == invoice.insurer_share:
            # The lenses the insurer pays for; one without a fixed amount is no part of it.
            lenses = [lens for lens in share.lenses if lens.fixed is not None]
    if customer is not None and customer.anonymised_at is None:
        name, born = customer.full_name, customer.date_of_birth
        insurer = customer.insurance_provider.name if customer.insurance_provider_id else ""
    else:
        name, born, insurer = invoice.customer_name, None, ""
    return InsurerStatement(
        invoice=invoice,
        insurer=insurer,
        insured_name=name,
        insured_born=born,
        insurance_number=order.insurance_number if order is not None else "",
        prescribed_on=_prescribed_on(order),
        lenses=lenses,
        open=selectors.open_for(invoice, insurer=True),
    )
