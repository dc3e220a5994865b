"""Every write to invoices goes through here (admin now, screens and API
later): drafts are made and changed, issued with the next number of the
year, and cancelled by a cancellation invoice; an issued invoice is never
changed (the database refuses it too: migration 0002)."""

import datetime
import hashlib
import re
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from stdnum.eu import vat as eu_vat

from customers.models import Customer, postal_address_lines
from invoices import documents, selectors
from invoices.models import (
    SMALL_AMOUNT,
    VAT_ID_INVALID,
    VAT_ID_PATTERN,
    Invoice,
    InvoiceCounter,
    InvoiceDocument,
    InvoiceLine,
    Kind,
    Method,
    Payment,
    Status,
)
from opticrm.lib.display import money
from orders.models import Order
from orders.models import Status as OrderStatus
from orders.selectors import order_lines, order_money
from products import services as product_services
from products.models import Category, Product, StockMovement

LINE_FIELDS = (
    "product",
    "description",
    "quantity",
    "unit_price",
    "discount_percent",
    "discount_amount",
    "discount_reason",
    "vat_rate",
)
# The business recipient (Invoice.company_name …): with a company the
# invoice is an e-invoice (Invoice.is_e_invoice).
COMPANY_FIELDS = ("company_name", "company_vat_id", "company_address", "buyer_reference")
# What of a draft may change by hand; the rest comes from its order, the
# issue or the cancellation.
DRAFT_FIELDS = ("customer", "delivered_on", *COMPANY_FIELDS)


class InvoiceConflict(Exception):
    """Someone else changed the draft since it was loaded."""

    def __init__(self, current: Invoice):
        self.current = current
        super().__init__(f"invoice {current.pk} is at version {current.version}")


def vat_id_compact(value: str) -> str:
    """A VAT ID as it is kept: "de 136.695.976" → "DE136695976"."""
    return re.sub(r"[\s.\-/]", "", value or "").upper()


def vat_id_is_valid(value: str) -> bool:
    """An EU VAT ID (compact): the member state's prefix and the number in
    that state's form with its check digit (python-stdnum); the database
    holds the shape (Invoice: VAT_ID_PATTERN)."""
    return bool(re.fullmatch(VAT_ID_PATTERN, value)) and eu_vat.is_valid(value)


def _clean_company(data: dict[str, Any]) -> None:
    """The business recipient's fields as they are kept (trimmed, the VAT
    ID compact), a VAT ID refused unless valid."""
    for name in COMPANY_FIELDS:
        if name in data:
            data[name] = (data[name] or "").strip()
    if "company_address" in data:
        lines = (line.strip() for line in data["company_address"].splitlines())
        data["company_address"] = "\n".join(line for line in lines if line)
    if data.get("company_vat_id"):
        data["company_vat_id"] = vat_id_compact(data["company_vat_id"])
        if not vat_id_is_valid(data["company_vat_id"]):
            raise ValidationError({"company_vat_id": VAT_ID_INVALID})


def invoice_check_version(invoice: Invoice, expected_version: int | None) -> None:
    """The edit conflict rule of invoices (``None``: no version named)."""
    if expected_version is not None and invoice.version != expected_version:
        raise InvoiceConflict(invoice)


def _locked(invoice_id: int, version: int | None = None) -> Invoice:
    invoice = Invoice.objects.select_for_update(no_key=True).get(pk=invoice_id)
    invoice_check_version(invoice, version)
    return invoice


def _refuse_unless_draft(invoice: Invoice) -> None:
    if invoice.status != Status.DRAFT:
        raise ValidationError(
            _(
                "Invoice %(number)s has been issued and can no longer be changed; "
                "correct it with a cancellation invoice."
            )
            % {"number": invoice.number}
        )


def _save(invoice: Invoice, fields: set[str]) -> None:
    invoice.version += 1
    invoice.full_clean()
    invoice.save(update_fields=[*fields, "version", "updated_at"])


def _next_position(invoice: Invoice) -> int:
    return (invoice.lines.aggregate(last=Max("position"))["last"] or 0) + 1


@transaction.atomic
def invoice_create(*, customer_id: int | None = None, user=None) -> Invoice:
    """An empty draft, for a customer or a counter sale (``None``)."""
    customer = None
    if customer_id is not None:
        customer = Customer.objects.alive().filter(pk=customer_id).first()
        if customer is None:
            raise ValidationError({"customer": _("This customer has been deleted.")})
    invoice = Invoice(customer=customer, created_by=user)
    invoice.full_clean()
    invoice.save()
    return invoice


@transaction.atomic
def invoice_from_order(*, order_id: int, user=None) -> Invoice:
    """A draft with the order's positions as they are priced there, and the
    insurer's share the order's money names (orders.selectors.order_money)."""
    order = (
        Order.objects.select_related("customer", "customer__insurance_provider")
        .select_for_update(of=("self",), no_key=True)
        .get(pk=order_id)
    )
    if order.status in (OrderStatus.QUOTE, OrderStatus.CANCELLED):
        raise ValidationError(
            _("A quote or a cancelled order is not invoiced; place the order first.")
        )
    current = selectors.live_invoices(order.pk).first()
    if current is not None:
        raise ValidationError(
            _("The order has an invoice already (%(invoice)s); cancel it first.")
            % {"invoice": current}
        )
    lines = list(order_lines(order.pk).select_related("product"))
    if not lines:
        raise ValidationError(_("The order has no positions to invoice."))
    money = order_money(order, lines)
    invoice = Invoice(
        customer=order.customer,
        order=order,
        from_order=True,
        created_by=user,
        insurer_share=money.insurer,
    )
    invoice.full_clean()
    invoice.save()
    for position, line in enumerate(lines, start=1):
        copy = InvoiceLine(
            invoice=invoice,
            position=position,
            **{name: getattr(line, name) for name in LINE_FIELDS},
        )
        copy.full_clean()
        copy.save()
    # The deposit received with the order, and what the customer paid on
    # the order's cancelled invoices, is carried to this one (at most its
    # amount): selectors.order_credit.
    received, carried = selectors.order_credit(order)
    credit = min(received + carried, money.gross - money.insurer)
    if credit > 0:
        with translation.override(settings.LANGUAGE_CODE):  # kept as written
            if carried:
                note = _("Deposit and payments of order %(number)s") % {"number": order.pk}
            else:
                note = _("Deposit of order %(number)s") % {"number": order.pk}
        Payment.objects.create(
            invoice=invoice,
            method=Method.DEPOSIT,
            amount=credit,
            paid_on=timezone.localdate(order.created_at) if not carried else timezone.localdate(),
            note=note,
            created_by=user,
        )
    return invoice


@transaction.atomic
def invoice_update(
    *, invoice_id: int, data: Mapping[str, Any], version: int | None, user=None
) -> Invoice:
    """Change a draft's own fields (DRAFT_FIELDS in ``data``): its customer,
    delivery date and business recipient (a company, for whom it becomes an
    e-invoice; its VAT ID checked: vat_id_is_valid)."""
    invoice = _locked(invoice_id, version)
    unknown = set(data) - set(DRAFT_FIELDS)
    if unknown:
        raise ValueError(f"not invoice fields: {sorted(unknown)}")
    _refuse_unless_draft(invoice)
    data = dict(data)
    _clean_company(data)
    if "customer" in data:
        customer = data["customer"]
        customer_id = getattr(customer, "pk", customer)
        if invoice.order_id is not None and customer_id != invoice.customer_id:
            raise ValidationError(
                {"customer": _("An order's invoice is made out to the order's customer.")}
            )
        if customer_id is not None and not Customer.objects.alive().filter(pk=customer_id).exists():
            raise ValidationError({"customer": _("This customer has been deleted.")})
    for name, value in data.items():
        setattr(invoice, name, value)
    _save(invoice, set(data))
    return invoice


@transaction.atomic
def invoice_line_add(
    *, invoice_id: int, data: Mapping[str, Any], version: int | None = None, user=None
) -> InvoiceLine:
    """A position at the end of a draft (a product's name and price where
    not given)."""
    invoice = _locked(invoice_id, version)
    _refuse_unless_draft(invoice)
    unknown = set(data) - set(LINE_FIELDS)
    if unknown:
        raise ValueError(f"not position fields: {sorted(unknown)}")
    line = InvoiceLine(invoice=invoice, position=_next_position(invoice))
    for name, value in data.items():
        setattr(line, name, value)
    if line.product is not None:
        line.description = line.description or line.product.name
        if line.unit_price is None:
            line.unit_price = line.product.sale_price
        if "vat_rate" not in data:
            line.vat_rate = line.product.vat_rate
    line.discount_reason = (line.discount_reason or "").strip()
    line.full_clean()
    # A cancellation's negative positions are made by invoice_cancel alone.
    if line.quantity < 0:
        raise ValidationError({"quantity": _("Please enter a quantity of at least 1.")})
    if line.discount_amount is not None and line.discount_amount > line.quantity * line.unit_price:
        raise ValidationError(
            {"discount_amount": _("The discount is more than the position costs.")}
        )
    line.save()
    _save(invoice, set())
    return line


@transaction.atomic
def invoice_product_add(
    *, invoice_id: int, product_id: int, version: int | None = None, user=None
) -> InvoiceLine:
    """One piece of a product sold at the counter (found by name or a
    scanned EAN): at its sale price and VAT rate; the same product again,
    one more of its position (unless that position has a discount or
    another price by now)."""
    invoice = _locked(invoice_id, version)
    _refuse_unless_draft(invoice)
    product = Product.objects.filter(pk=product_id, active=True).first()
    if product is None:
        raise ValidationError(_("This product is not sold any more."))
    if product.category == Category.SPECTACLE_LENS:
        raise ValidationError(
            _("A spectacle lens is priced by its power; please sell it with an order.")
        )
    same = (
        invoice.lines.filter(
            product=product,
            unit_price=product.sale_price,
            discount_percent__isnull=True,
            discount_amount__isnull=True,
        )
        .order_by("position")
        .first()
    )
    if same is None:
        return invoice_line_add(invoice_id=invoice.pk, data={"product": product}, user=user)
    same.quantity += 1
    same.full_clean()
    same.save(update_fields=["quantity"])
    _save(invoice, set())
    return same


def is_counter_sale(invoice: Invoice) -> bool:
    """Sold at the counter: not made from an order (invoices made before
    ``from_order`` was kept count by their order link alone)."""
    return not invoice.from_order and invoice.order_id is None


def _stock_moves(invoice: Invoice, *, kind: str, note: str, user=None) -> None:
    """A counter sale's products leave the stock when it is issued, and come
    back when it is cancelled (an order books its frame itself; spectacle
    lenses are made by the lab, never stocked). Products in id order: two
    sales of the same products wait for each other, never deadlock."""
    wanted: dict[int, int] = {}
    for product_id, quantity in (
        invoice.lines.filter(product__isnull=False)
        .exclude(product__category=Category.SPECTACLE_LENS)
        .values_list("product_id", "quantity")
    ):
        wanted[product_id] = wanted.get(product_id, 0) + abs(quantity)
    names = dict(Product.objects.filter(pk__in=wanted).values_list("pk", "name"))
    for product_id in sorted(wanted):
        try:
            product_services.stock_move(
                product_id=product_id, kind=kind, quantity=wanted[product_id], note=note, user=user
            )
        except ValidationError as error:
            stock = Product.objects.values_list("stock", flat=True).get(pk=product_id)
            raise ValidationError(
                _(
                    "%(product)s: %(stock)d in stock, %(wanted)d sold. Please book the "
                    "stock first (goods received or a correction)."
                )
                % {"product": names[product_id], "stock": stock, "wanted": wanted[product_id]}
            ) from error


@transaction.atomic
def invoice_line_remove(
    *, invoice_id: int, line_id: int, version: int | None = None, user=None
) -> None:
    invoice = _locked(invoice_id, version)
    _refuse_unless_draft(invoice)
    deleted, _kinds = InvoiceLine.objects.filter(pk=line_id, invoice=invoice).delete()
    if not deleted:
        raise InvoiceLine.DoesNotExist(f"invoice {invoice_id} has no position {line_id}")
    _save(invoice, set())


@transaction.atomic
def invoice_draft_delete(*, invoice_id: int, user=None) -> None:
    """A draft has no number yet: it may go. An issued invoice stays."""
    invoice = _locked(invoice_id)
    _refuse_unless_draft(invoice)
    invoice.delete()


def invoice_number(year: int, sequence: int, prefix: str | None = None) -> str:
    """ "{prefix}{year}-{sequence:06d}", e.g. 2026-000123 or RE2026-000123."""
    if prefix is None:
        prefix = settings.INVOICE_NUMBER_PREFIX
    return f"{prefix}{year}-{sequence:06d}"


def _next_sequence(year: int) -> int:
    """The year's next number, counted in the caller's transaction: the
    counter row stays locked until it commits (the next issue waits), and
    a rollback gives the number back, so none is skipped or given twice.
    The year's first issue creates the row; two at once create it once.
    One statement on all but the year's first issue: the row is locked for
    the rest of the issue, and every statement less before the commit is a
    shorter wait for the next till (it took three, each compiled by the ORM). The
    database's rule (migration 0002) has the row start at 0 and count up
    by one."""
    table = connection.ops.quote_name(InvoiceCounter._meta.db_table)
    count_up = f"UPDATE {table} SET last = last + 1 WHERE year = %s RETURNING last"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(count_up, [year])
        counted = cursor.fetchone()
        if counted is None:
            cursor.execute(
                f"INSERT INTO {table} (year, last) VALUES (%s, 0) ON CONFLICT (year) DO NOTHING",  # noqa: S608
                [year],
            )
            cursor.execute(count_up, [year])
            counted = cursor.fetchone()
    return counted[0]


def _refuse_without_shop_details() -> None:
    """UStG § 14 (4): the supplier's name, address and tax number or VAT ID."""
    if not (settings.SHOP_NAME and settings.SHOP_ADDRESS):
        raise ValidationError(
            _("Please set the shop's name and address (SHOP_NAME, SHOP_ADDRESS) first.")
        )
    if not (settings.SHOP_TAX_NUMBER or settings.SHOP_VAT_ID):
        raise ValidationError(
            _("Please set the shop's tax number or VAT ID (SHOP_TAX_NUMBER, SHOP_VAT_ID) first.")
        )


def _issue(invoice: Invoice, *, customer_copy: tuple[str, str] | None = None) -> None:
    """Number, date and the copies of who sells to whom (``customer_copy``:
    the name and address to print instead of the customer's current ones),
    the gross amount; the caller holds the invoice's row lock and, once
    committed, draws the PDF (invoice_document)."""
    _refuse_without_shop_details()
    positions = list(selectors.invoice_lines(invoice.pk))
    if not positions:
        raise ValidationError(_("An invoice needs at least one position."))
    invoice.gross = selectors.invoice_totals(invoice, positions).gross
    if customer_copy is not None:
        invoice.customer_name, invoice.customer_address = customer_copy
    elif invoice.customer_id is not None:
        lines = postal_address_lines(invoice.customer)
        invoice.customer_name, invoice.customer_address = lines[0], "\n".join(lines[1:])
    if invoice.is_e_invoice and customer_copy is None and not selectors.recipient_address(invoice):
        # EN 16931 (BR-10) and UStG § 14 (4): the buyer's postal address.
        raise ValidationError(
            _(
                "An invoice to a company names its postal address; please enter the "
                "company's address or choose a customer with an address."
            )
        )
    if abs(invoice.gross) > SMALL_AMOUNT:
        # UStG § 14 (4): only a small-amount invoice (§ 33 UStDV) may leave
        # out the customer's name and address. A cancellation repeats the
        # original's, whatever they were. A company is named by its name.
        if not (invoice.company_name or invoice.customer_name).strip():
            raise ValidationError(
                _("An invoice over %(limit)s names the customer; please choose the customer first.")
                % {"limit": money(SMALL_AMOUNT)}
            )
        if customer_copy is None and not selectors.recipient_address(invoice):
            raise ValidationError(
                _(
                    "An invoice over %(limit)s needs the customer's postal address; "
                    "please add it to the customer record first."
                )
                % {"limit": money(SMALL_AMOUNT)}
            )
    today = timezone.localdate()
    invoice.issued_on = today
    invoice.delivered_on = invoice.delivered_on or today
    invoice.shop_name = settings.SHOP_NAME
    invoice.shop_address = settings.SHOP_ADDRESS
    invoice.shop_tax_number = settings.SHOP_TAX_NUMBER
    invoice.shop_vat_id = settings.SHOP_VAT_ID
    invoice.status = Status.ISSUED
    invoice.version += 1
    # Checked before the number is taken: from then on the year's counter
    # row is locked and every other till waits (the number's uniqueness
    # is the counter's, and the database's constraints stand behind it).
    number_fields = ["number", "year", "sequence"]
    invoice.full_clean(exclude=number_fields)
    invoice.year = today.year
    invoice.sequence = _next_sequence(today.year)
    invoice.number = invoice_number(invoice.year, invoice.sequence)
    invoice.save(
        update_fields=[
            *number_fields,
            "status",
            "issued_on",
            "delivered_on",
            "customer_name",
            "customer_address",
            "shop_name",
            "shop_address",
            "shop_tax_number",
            "shop_vat_id",
            "gross",
            "version",
            "updated_at",
        ]
    )


def invoice_issue(*, invoice_id: int, version: int | None = None, user=None) -> Invoice:
    """Issue a draft: the next number of the year (gap-free, _next_sequence),
    today's date, the delivery date (today unless given) and the copies of
    the customer's name and address and the shop's details; its PDF
    (invoice_document) is drawn in the background."""
    with transaction.atomic():
        invoice = _locked(invoice_id, version)
        _refuse_unless_draft(invoice)
        # Queued first: the worker sees it only with the commit, and the
        # year's counter, locked from the number on, is not held for it.
        _draw_later(invoice)
        _issue(invoice)
        if is_counter_sale(invoice):
            with translation.override(settings.LANGUAGE_CODE):  # kept as written
                note = _("Invoice %(number)s") % {"number": invoice.number}
            _stock_moves(invoice, kind=StockMovement.Kind.SALE, note=note, user=user)
    return invoice


def _draw_later(invoice: Invoice) -> None:
    """Queue the drawing of an issued invoice's PDF, committed with the
    issue (the queue is a table of the same database). Until the worker has
    drawn it, the first download or e-mail draws it (invoice_document: once,
    whoever comes first)."""
    from invoices.tasks import draw_invoice_document

    draw_invoice_document.enqueue(invoice_id=invoice.pk)


@transaction.atomic
def invoice_document(*, invoice_id: int) -> InvoiceDocument:
    """The PDF of an issued invoice, drawn once and kept (InvoiceDocument,
    never changed: migration 0004). Drawn after the issue's transaction by
    the background worker (_draw_later), so that the year's numbers wait
    5 ms for an issue, not the 70 ms of drawing, and a till does not wait
    for it either; from what never changes after the issue and the payments
    booked before it (the deposit), so that whoever draws it first (the
    worker, a download, an e-mail) draws the same."""
    invoice = Invoice.objects.select_for_update(no_key=True).get(pk=invoice_id)
    kept = InvoiceDocument.objects.filter(invoice_id=invoice.pk).first()
    if kept is not None:
        return kept
    if not invoice.is_issued:
        raise ValidationError(_("A draft has no PDF; it is drawn when the invoice is issued."))
    positions = list(selectors.invoice_lines(invoice.pk))
    payments = [
        payment
        for payment in selectors.invoice_payments(invoice.pk)
        if payment.created_at <= invoice.updated_at
    ]
    pdf = documents.invoice_pdf(invoice, positions, payments)
    return InvoiceDocument.objects.create(
        invoice=invoice, pdf=pdf, sha256=hashlib.sha256(pdf).hexdigest()
    )


@transaction.atomic
def invoice_cancel(*, invoice_id: int, reason: str, user=None) -> Invoice:
    """Cancel an issued invoice (GoBD: never changed, never deleted): a
    cancellation invoice, issued at once with its own number, naming the
    original and repeating its positions with negative quantities and its
    insurer's share negated, its PDF drawn in the background as an issued
    invoice's. Once per invoice; a cancellation is not cancelled."""
    original = _locked(invoice_id)
    if original.status != Status.ISSUED:
        raise ValidationError(_("Only an issued invoice can be cancelled; delete the draft."))
    if original.kind == Kind.CANCELLATION:
        raise ValidationError(_("A cancellation invoice cannot be cancelled."))
    if Invoice.objects.filter(cancels=original).exists():
        raise ValidationError(
            _("Invoice %(number)s has been cancelled already.") % {"number": original.number}
        )
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": _("Please give the reason.")})
    paid = selectors.payments_by_payer(original.pk)
    if original.order_id is not None and paid.insurer:
        # Its share would be asked of the insurer again on the order's next invoice.
        raise ValidationError(
            _(
                "The insurer has paid %(amount)s on this invoice. Please remove that payment "
                "first and book it on the new invoice."
            )
            % {"amount": money(paid.insurer)}
        )
    cancellation = Invoice(
        kind=Kind.CANCELLATION,
        cancels=original,
        reason=reason,
        customer_id=original.customer_id,
        order_id=original.order_id,
        from_order=original.from_order,
        delivered_on=original.delivered_on,
        insurer_share=-original.insurer_share,
        # The same business recipient: its e-invoice is the credit note.
        **{name: getattr(original, name) for name in COMPANY_FIELDS},
        created_by=user,
    )
    cancellation.full_clean()
    cancellation.save()
    InvoiceLine.objects.bulk_create(
        [
            InvoiceLine(
                invoice=cancellation,
                position=line.position,
                quantity=-line.quantity,
                **{name: getattr(line, name) for name in LINE_FIELDS if name != "quantity"},
            )
            for line in original.lines.order_by("position")
        ]
    )
    # The cancellation names whom the original was for, as it was then.
    _issue(cancellation, customer_copy=(original.customer_name, original.customer_address))
    if original.order_id is not None and paid.customer > 0:
        _carry_back(original, cancellation, paid.customer, user=user)
    if is_counter_sale(original):
        with translation.override(settings.LANGUAGE_CODE):  # kept as written
            note = _("Cancellation invoice %(number)s") % {"number": cancellation.number}
        _stock_moves(cancellation, kind=StockMovement.Kind.RETURN, note=note, user=user)
    _draw_later(cancellation)
    return cancellation


def _carry_back(original: Invoice, cancellation: Invoice, amount: Decimal, *, user=None) -> None:
    """What the customer paid on an order's cancelled invoice goes back to
    the order, for its next invoice (invoice_from_order, selectors.
    order_credit): a negative deposit row on the cancellation, so that the
    order's deposit and payments are set against its invoices once (day
    report, DATEV). A counter sale's money is paid back at the till."""
    with translation.override(settings.LANGUAGE_CODE):  # kept as written
        note = _("Carried back to order %(number)s") % {"number": original.order_id}
    payment = Payment(
        invoice=cancellation,
        method=Method.DEPOSIT,
        amount=-amount,
        paid_on=timezone.localdate(),
        note=note,
        created_by=user,
    )
    payment.full_clean()
    payment.save()


# --- Payments --------------------------------------------------------------------------


def _locked_for_payment(invoice_id: int) -> Invoice:
    """The invoice, its row locked (no change of it: an issued invoice's row
    never changes), so that two payments booked at once see each other."""
    return (
        Invoice.objects.select_related("cancellation")
        .select_for_update(of=("self",), no_key=True)
        .get(pk=invoice_id)
    )


def _refuse_if_cancelled(invoice: Invoice) -> None:
    # Asked after the lock, in a statement of its own: a cancellation made
    # while this waited for the lock is not in the locking query's snapshot
    # (the original's row is locked, never updated, by invoice_cancel).
    if invoice.kind == Kind.CANCELLATION or Invoice.objects.filter(cancels_id=invoice.pk).exists():
        raise ValidationError(
            _("Invoice %(number)s has been cancelled; its payments stay as they are.")
            % {"number": invoice.number}
        )


@transaction.atomic
def payment_add(
    *,
    invoice_id: int,
    method: str,
    amount: Decimal,
    paid_on: datetime.date,
    receipt_number: str = "",
    note: str = "",
    user=None,
) -> Payment:
    """Record money received for an issued invoice: never more than is
    still open, never in the future; cash only with the receipt number of
    the shop's certified till (OptiCRM is no cash register, § 146a AO)."""
    invoice = _locked_for_payment(invoice_id)
    if invoice.status != Status.ISSUED:
        raise ValidationError(_("Please issue the invoice before recording a payment."))
    _refuse_if_cancelled(invoice)
    if method == Method.DEPOSIT:
        raise ValidationError({"method": _("Please choose one of the offered payment methods.")})
    payment = Payment(
        invoice=invoice,
        method=method,
        amount=amount,
        paid_on=paid_on,
        receipt_number=(receipt_number or "").strip(),
        note=(note or "").strip(),
        created_by=user,
    )
    payment.full_clean()
    if paid_on > timezone.localdate():
        raise ValidationError({"paid_on": _("A payment cannot be dated in the future.")})
    open_amount = selectors.open_for(invoice, insurer=method == Method.INSURER)
    if payment.amount > open_amount:
        raise ValidationError(
            {
                "amount": _("The payment is more than the amount open (%(open)s).")
                % {"open": money(max(open_amount, Decimal("0.00")))}
            }
        )
    payment.save()
    return payment


@transaction.atomic
def payment_remove(*, invoice_id: int, payment_id: int, user=None) -> None:
    """Remove a payment recorded by mistake (the history keeps that it was
    there); a cancelled invoice's payments stay."""
    invoice = _locked_for_payment(invoice_id)
    if invoice.status != Status.ISSUED:
        raise ValidationError(_("A draft has no payments to remove."))
    _refuse_if_cancelled(invoice)
    payments = Payment.objects.filter(pk=payment_id, invoice=invoice)
    if payments.filter(method=Method.DEPOSIT).exists():
        # Taken with the order, not booked here: it could not be entered again.
        raise ValidationError(_("The deposit of the order cannot be removed from its invoice."))
    deleted, _kinds = payments.delete()
    if not deleted:
        raise Payment.DoesNotExist(f"invoice {invoice_id} has no payment {payment_id}")
