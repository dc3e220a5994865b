"""/api/v1/invoices: invoices (Rechnungen) to read, with their positions,
totals per VAT rate, payments and computed state as the invoice page shows
them (invoices.selectors); the PDF kept since the issue, byte for byte; and
payments, booked and removed through invoices.services, so the open amount,
the cancelled invoice, the till's receipt number and the order's deposit
follow the screens' rules. An invoice itself is never changed through the
API: drafts are made and issued on the screens, and an issued invoice
changes no more (GoBD); a correction is a cancellation invoice."""

import datetime
import hashlib
import json
from decimal import Decimal
from typing import Literal

from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from api import invoices_selectors
from api.auth import require_write
from api.errors import field_errors
from api.orders import MONEY, RateTotalOut
from api.schemas import (
    TOTAL_IS_ESTIMATE,
    Detail,
    Errors,
    Input,
    LocalDateTime,
    api_page,
    describe,
    document,
)
from invoices import documents, selectors, services
from invoices.models import (
    ENTERED_METHODS,
    Invoice,
    InvoiceDocument,
    InvoiceLine,
    Kind,
    Method,
    Payment,
    State,
)
from invoices.models import Status as IssueStatus
from opticrm.lib.pagination import TablePaginator, page_rows

router = Router(tags=["invoices"])

InvoiceKind = Literal[tuple(Kind.values)]
InvoiceStatus = Literal[tuple(IssueStatus.values)]
InvoiceState = Literal[tuple(State.values)]
PaymentMethod = Literal[tuple(Method.values)]
# What a payment booked through the API may be: the order's deposit is taken
# over with the order, never entered (as the payment form offers them).
EnteredMethod = Literal[tuple(value for value, _label in ENTERED_METHODS)]

STATE = describe(
    "Zustand, berechnet, nie gespeichert: draft (Entwurf), open (offen), partly_paid "
    "(teilweise bezahlt), paid (bezahlt), cancelled (storniert: es gibt eine "
    "Stornorechnung, oder es ist eine)",
    "State, computed, never stored: draft, open, partly_paid, paid, cancelled (it has "
    "a cancellation invoice, or is one)",
)
PDF_MEDIA_TYPE = "application/pdf"


# --- Answers ---------------------------------------------------------------------------


class InvoicePositionOut(Schema):
    id: int
    position: int
    product: int | None = Field(description=describe("Artikel-ID", "Product id"))
    description: str
    quantity: int = Field(
        description=describe(
            "Menge; in einer Stornorechnung negativ",
            "Quantity; negative in a cancellation invoice",
        )
    )
    unit_price: Decimal = Field(description=MONEY)
    discount_percent: Decimal | None
    discount_amount: Decimal | None = Field(description=MONEY)
    discount_reason: str
    vat_rate: int
    discount: Decimal = Field(
        description=describe("Rabatt in Euro (nur lesen)", "Discount in euros (read-only)")
    )
    total: Decimal = Field(
        description=describe(
            "Menge × Einzelpreis − Rabatt, brutto, einmal gerundet (nur lesen)",
            "Quantity × unit price − discount, gross, rounded once (read-only)",
        )
    )

    @staticmethod
    def resolve_product(obj: InvoiceLine) -> int | None:
        return obj.product_id


class PaymentOut(Schema):
    id: int
    method: PaymentMethod = Field(
        description=describe(
            "Zahlungsart; deposit: die Anzahlung des Auftrags (kann nicht entfernt werden)",
            "Payment method; deposit: the order's deposit (cannot be removed)",
        )
    )
    amount: Decimal = Field(description=MONEY)
    paid_on: datetime.date
    receipt_number: str
    note: str
    created_by_name: str | None = Field(
        description=describe(
            "Wer die Zahlung erfasst hat (null: über die API)",
            "Who recorded the payment (null: through the API)",
        )
    )
    created_at: LocalDateTime

    @staticmethod
    def resolve_created_by_name(obj: Payment) -> str | None:
        if obj.created_by is None:
            return None
        return obj.created_by.get_full_name() or obj.created_by.get_username()


class InvoiceTotalsOut(Schema):
    rates: list[RateTotalOut] = Field(
        description=describe(
            "Je MwSt.-Satz, höchster zuerst (die MwSt. einmal je Satz gerechnet)",
            "Per VAT rate, highest first (the VAT computed once per rate)",
        )
    )
    net: Decimal = Field(description=describe("Summe netto", "Total net"))
    vat: Decimal = Field(description=describe("Enthaltene MwSt.", "VAT included"))
    gross: Decimal = Field(description=describe("Summe brutto", "Total gross"))
    discount: Decimal = Field(description=describe("Rabatte zusammen", "Discounts together"))
    insurer_share: Decimal = Field(
        description=describe(
            "Anteil der gesetzlichen Krankenkasse", "The statutory insurer's share"
        )
    )
    customer_pays: Decimal = Field(
        description=describe(
            "Zahlt der Kunde: brutto − Kassenanteil", "The customer pays: gross − insurer's share"
        )
    )
    paid: Decimal = Field(
        description=describe("Summe der Zahlungen", "Sum of the payments (all payers)")
    )
    open: Decimal = Field(
        description=describe(
            "Offen: brutto − Zahlungen (von Kunde und Kasse); bedeutsam, solange der Zustand "
            "open oder partly_paid ist",
            "Open: gross − payments (of customer and insurer); meaningful while the state is "
            "open or partly_paid",
        )
    )
    customer_open: Decimal = Field(
        description=describe(
            "Offen für den Kunden: brutto − Kassenanteil − seine Zahlungen; mehr nimmt eine "
            "Zahlung (außer der Kasse) nicht an",
            "Open for the customer: gross − insurer's share − their payments; a payment "
            "(other than the insurer's) takes no more",
        )
    )


class InvoiceOut(Schema):
    id: int
    number: str | None = Field(
        description=describe(
            "Rechnungsnummer, bei der Ausstellung vergeben; null für einen Entwurf",
            "Invoice number, given at the issue; null for a draft",
        )
    )
    kind: InvoiceKind = Field(
        description=describe(
            "invoice (Rechnung) oder cancellation (Stornorechnung)",
            "invoice or cancellation (cancellation invoice)",
        )
    )
    status: InvoiceStatus = Field(
        description=describe(
            "draft (Entwurf) oder issued (ausgestellt, unveränderlich)",
            "draft or issued (never changes again)",
        )
    )
    state: InvoiceState = Field(description=STATE)
    customer: int | None = Field(
        description=describe("Kunden-ID; null: Barverkauf", "Customer id; null: counter sale")
    )
    customer_name: str = Field(
        description=describe(
            "Name des Kunden, wie bei der Ausstellung übernommen (Entwurf: der aktuelle); "
            "leer bei einem Barverkauf",
            "Customer's name as copied at the issue (a draft: the current one); empty for a "
            "counter sale",
        )
    )
    order: int | None = Field(description=describe("Auftrags-ID", "Order id"))
    cancels: int | None = Field(
        description=describe(
            "Stornorechnung: ID der stornierten Rechnung",
            "Cancellation invoice: id of the invoice it cancels",
        )
    )
    cancelled_by: int | None = Field(
        description=describe(
            "ID der Stornorechnung dieser Rechnung", "Id of this invoice's cancellation invoice"
        )
    )
    issued_on: datetime.date | None
    delivered_on: datetime.date | None
    gross: Decimal = Field(
        description=describe(
            "Summe brutto (ausgestellt: wie bei der Ausstellung festgehalten)",
            "Total gross (issued: as written at the issue)",
        )
    )
    paid: Decimal = Field(description=describe("Summe der Zahlungen", "Sum of the payments"))
    created_at: LocalDateTime
    updated_at: LocalDateTime

    @staticmethod
    def resolve_customer(obj: Invoice) -> int | None:
        return obj.customer_id

    @staticmethod
    def resolve_customer_name(obj: Invoice) -> str:
        if obj.customer_name or obj.customer is None:
            return obj.customer_name
        return obj.customer.shown_name

    @staticmethod
    def resolve_order(obj: Invoice) -> int | None:
        return obj.order_id

    @staticmethod
    def resolve_cancels(obj: Invoice) -> int | None:
        return obj.cancels_id

    @staticmethod
    def resolve_cancelled_by(obj: Invoice) -> int | None:
        # A list row carries the id (selectors.invoice_list); one invoice
        # reads the reverse one-to-one with the row (select_related).
        if "cancellation_pk" in obj.__dict__:
            return obj.cancellation_pk
        cancellation = getattr(obj, "cancellation", None)
        return cancellation.pk if cancellation is not None else None

    @staticmethod
    def resolve_gross(obj: Invoice) -> Decimal:
        return obj.shown_gross


class InvoiceDetail(InvoiceOut):
    customer_address: str = Field(
        description=describe(
            "Anschrift des Kunden, bei der Ausstellung übernommen (Zeilen getrennt durch \\n)",
            "Customer's address as copied at the issue (lines separated by \\n)",
        )
    )
    shop_name: str
    shop_address: str
    shop_tax_number: str
    shop_vat_id: str
    company_name: str = Field(
        description=describe(
            "Firma als Rechnungsempfänger (z. B. der Arbeitgeber einer Bildschirmarbeitsplatz"
            "brille); leer: der Kunde selbst",
            "Company the invoice is made out to (e.g. the employer paying for screen-work "
            "glasses); empty: the customer themself",
        )
    )
    company_vat_id: str = Field(description=describe("USt-IdNr. der Firma", "The company's VAT ID"))
    company_address: str = Field(
        description=describe(
            "Anschrift der Firma (Zeilen getrennt durch \\n); leer: die des Kunden",
            "The company's address (lines separated by \\n); empty: the customer's",
        )
    )
    buyer_reference: str = Field(
        description=describe(
            "Zeichen des Empfängers (Leitweg-ID, Bestellzeichen)",
            "The buyer's reference (Leitweg-ID, order reference)",
        )
    )
    e_invoice: bool = Field(
        description=describe(
            "E-Rechnung: das PDF enthält die Rechnung als XML (ZUGFeRD/Factur-X, EN 16931); "
            "für eine Rechnung an eine Firma",
            "E-invoice: the PDF carries the invoice as XML (ZUGFeRD/Factur-X, EN 16931); for "
            "an invoice to a company",
        )
    )
    reason: str = Field(
        description=describe(
            "Stornorechnung: Grund der Stornierung", "Cancellation invoice: the reason"
        )
    )
    small_amount: bool = Field(
        description=describe(
            "Kleinbetragsrechnung (§ 33 UStDV): höchstens 250 € brutto",
            "Small-amount invoice (§ 33 UStDV): at most 250 € gross",
        )
    )
    lacks_address: bool = Field(
        description=describe(
            "Entwurf über 250 €, dessen Kunde keine Anschrift hat: so nicht ausstellbar "
            "(UStG § 14 (4))",
            "A draft over 250 € whose customer has no postal address: it cannot be issued "
            "so (UStG § 14 (4))",
        )
    )
    pdf: str | None = Field(
        description=describe(
            "Adresse des PDFs (ausgestellt); null für einen Entwurf",
            "Address of the PDF (issued); null for a draft",
        )
    )
    lines: list[InvoicePositionOut] = Field(description=describe("Positionen", "Positions"))
    totals: InvoiceTotalsOut
    payments: list[PaymentOut] = Field(
        description=describe(
            "Zahlungen nach Datum; auch einer stornierten Rechnung (sie bleiben)",
            "Payments by date; a cancelled invoice's too (they stay)",
        )
    )

    @staticmethod
    def resolve_e_invoice(obj: Invoice) -> bool:
        return obj.is_e_invoice

    @staticmethod
    def resolve_small_amount(obj: Invoice) -> bool:
        return obj.page.small_amount

    @staticmethod
    def resolve_lacks_address(obj: Invoice) -> bool:
        return selectors.lacks_address(obj, obj.page.totals.gross)

    @staticmethod
    def resolve_pdf(obj: Invoice) -> str | None:
        if not obj.is_issued:
            return None
        return reverse("api-v1:invoice_pdf", args=[obj.pk])

    @staticmethod
    def resolve_lines(obj: Invoice) -> list[InvoiceLine]:
        return obj.page.lines

    @staticmethod
    def resolve_totals(obj: Invoice) -> dict:
        page = obj.page
        totals = page.totals
        return {
            "rates": [
                {"rate": rate.rate, "gross": rate.gross, "net": rate.net, "vat": rate.vat}
                for rate in totals.rates
            ],
            "net": totals.net,
            "vat": totals.vat,
            "gross": totals.gross,
            "discount": totals.discount,
            "insurer_share": totals.insurer_share,
            "customer_pays": totals.customer_pays,
            "paid": page.paid,
            "open": page.open,
            "customer_open": page.customer_open,
        }

    @staticmethod
    def resolve_payments(obj: Invoice) -> list[Payment]:
        return obj.page.payments


for _schema in (InvoiceOut, InvoiceDetail):
    document(_schema, Invoice)
document(InvoicePositionOut, InvoiceLine)
document(PaymentOut, Payment)


class InvoicePage(Schema):
    items: list[InvoiceOut]
    total: int
    total_is_estimate: bool = TOTAL_IS_ESTIMATE
    page: int
    page_size: int


# --- Requests --------------------------------------------------------------------------


class InvoiceQuery(Input):
    page: int = Field(1, ge=1, le=1_000_000)
    page_size: int = Field(25, ge=1, le=100)
    state: InvoiceState | None = Field(None, description=STATE)
    customer: int | None = Field(None, description=describe("Kunden-ID", "Customer id"))
    year: int | None = Field(
        None,
        ge=1900,
        le=2999,
        description=describe(
            "Jahr des Rechnungsdatums (wie die Nummer zählt)",
            "Year of the invoice date (as the number counts)",
        ),
    )
    date_from: datetime.date | None = Field(
        None, description=describe("Rechnungsdatum ab (einschließlich)", "Invoice date from")
    )
    date_to: datetime.date | None = Field(
        None, description=describe("Rechnungsdatum bis (einschließlich)", "Invoice date until")
    )
    search: str | None = Field(
        None,
        max_length=80,
        description=describe(
            "Anfang oder Ende der Rechnungsnummer (ein Wort mit Ziffer) oder Teil des "
            "Kundennamens (bis zu 5 Wörter, alle müssen passen)",
            "The invoice number's start or end (a word with a digit) or part of the "
            "customer's name (up to 5 words, all must match)",
        ),
    )


class PaymentIn(Input):
    method: EnteredMethod = Field(
        description=describe(
            "Zahlungsart: cash (bar, nur mit Belegnummer der Kasse), ec, credit_card, transfer, "
            "insurer (Krankenkasse, gegen ihren Anteil)",
            "Payment method: cash (only with the till's receipt number), ec, credit_card, "
            "transfer, insurer (the health insurer, against its share)",
        )
    )
    amount: Decimal = Field(
        description=describe(
            "Betrag in Euro, mehr als 0 und nicht mehr als offen ist (für die Kasse: ihr "
            "Anteil; für alle anderen: customer_open)",
            "Amount in euros, more than 0 and no more than is open (for the insurer: its "
            "share; for everyone else: customer_open)",
        )
    )
    paid_on: datetime.date | None = Field(
        None,
        description=describe(
            "Zahlungstag, nicht in der Zukunft; leer: heute",
            "Day of payment, not in the future; empty: today",
        ),
    )
    receipt_number: str = Field(
        "",
        description=describe(
            "Belegnummer der zertifizierten Kasse (TSE) des Geschäfts; nötig bei Barzahlung, "
            "denn OptiCRM ist keine Kasse (§ 146a AO)",
            "Receipt number of the shop's certified till (TSE); required for cash, as "
            "OptiCRM is no cash register (§ 146a AO)",
        ),
    )
    note: str = ""


document(PaymentIn, Payment)


# --- Helpers ---------------------------------------------------------------------------


def _read(invoice_id: int) -> Invoice:
    invoice = invoices_selectors.invoice_detail(invoice_id)
    if invoice is None:
        raise Http404
    return invoice


def _answer(invoice_id: int, response: HttpResponse) -> Invoice:
    """The invoice as GET answers it, with an ETag that changes whenever
    the answer does (a payment changes no version of an issued invoice)."""
    invoice = _read(invoice_id)
    data = InvoiceDetail.from_orm(invoice).model_dump()
    digest = hashlib.sha256(json.dumps(data, cls=DjangoJSONEncoder, sort_keys=True).encode())
    response["ETag"] = f'"{digest.hexdigest()[:32]}"'
    return invoice


def _refused(error: ValidationError) -> Status:
    if hasattr(error, "error_dict"):
        return Status(422, {"detail": field_errors(error.message_dict)})
    return Status(422, {"detail": [{"field": None, "message": m} for m in error.messages]})


# --- Operations ------------------------------------------------------------------------


@router.get(
    "",
    response={200: InvoicePage, 422: Errors},
    summary="List invoices",
    description=(
        "Newest first, as the invoice list shows them. Filters: ``state`` (computed: draft, "
        "open, partly_paid, paid, cancelled), ``customer``, ``year`` and ``date_from`` / "
        "``date_to`` (the invoice date, inclusive; drafts have none), ``search`` (part of the "
        "number or the customer's name). Each invoice with its gross amount and the sum paid."
    ),
)
def list_invoices(request: HttpRequest, filters: Query[InvoiceQuery]):
    invoices = invoices_selectors.invoice_filtered(
        state=filters.state,
        customer_id=filters.customer,
        year=filters.year,
        since=filters.date_from,
        until=filters.date_to,
        query=filters.search or "",
    )
    filtered = bool(filters.state or filters.search) or any(
        value is not None
        for value in (filters.customer, filters.year, filters.date_from, filters.date_to)
    )
    # The page's ids along the list's order, counted exactly when filtered
    # (else estimated at a chain's size); then only the page's rows, with
    # customer, cancellation and the sum paid, and the drafts' positions
    # in one query more.
    known = invoices_selectors.invoice_filtered_count(
        state=filters.state,
        customer_id=filters.customer,
        year=filters.year,
        since=filters.date_from,
        until=filters.date_to,
        query=filters.search or "",
    )
    paginator = TablePaginator(
        invoices_selectors.invoice_ids(invoices),
        filters.page_size,
        filtered=filtered,
        known_count=known,
    )
    page = paginator.get_page(filters.page)
    page.object_list = selectors.list_rows(page_rows(page, invoices_selectors.invoice_rows()))
    return api_page(page, filters)


@router.get(
    "/{int:invoice_id}",
    response={200: InvoiceDetail, 404: Detail},
    summary="One invoice",
    description=(
        "Header (with the copies of the customer's and the shop's details made at the issue), "
        "positions, totals per VAT rate, payments and the computed state. The ETag changes "
        "whenever the answer does (a payment, a cancellation). Invoices cannot be changed "
        "through the API (PUT, PATCH and DELETE: 405)."
    ),
)
def get_invoice(request: HttpRequest, invoice_id: int, response: HttpResponse):
    return _answer(invoice_id, response)


@router.get(
    "/{int:invoice_id}/pdf",
    response={200: None, 404: Detail},
    url_name="invoice_pdf",
    summary="The invoice's PDF",
    description=(
        "The PDF of an issued invoice or cancellation invoice as it was drawn at the issue "
        "and sent, byte for byte (its SHA-256 is the ETag); a download "
        "(Content-Disposition: attachment). A draft has no PDF yet: 404."
    ),
    openapi_extra={
        "responses": {
            200: {
                "description": "PDF",
                "content": {PDF_MEDIA_TYPE: {"schema": {"type": "string", "format": "binary"}}},
            }
        }
    },
)
def get_invoice_pdf(request: HttpRequest, invoice_id: int):
    document = (
        InvoiceDocument.objects.select_related("invoice")
        .only("pdf", "sha256", "invoice__number", "invoice__kind")
        .filter(invoice_id=invoice_id)
        .first()
    )
    if document is None:
        status = Invoice.objects.filter(pk=invoice_id).values_list("status", flat=True).first()
        if status == IssueStatus.DRAFT:
            detail = _("This invoice is a draft; it has no PDF until it is issued.")
            return Status(404, {"detail": detail})
        if status is None:
            raise Http404
        # Issued, but its drawing after the issue failed: drawn now, once.
        document = services.invoice_document(invoice_id=invoice_id)
    response = HttpResponse(bytes(document.pdf), content_type=PDF_MEDIA_TYPE)
    # The file's name as the invoice page's download names it.
    name = documents.invoice_file_name(document.invoice)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["X-Content-Type-Options"] = "nosniff"
    response["ETag"] = f'"{document.sha256}"'
    response["Cache-Control"] = "private, no-store"
    return response


@router.post(
    "/{int:invoice_id}/payments",
    response={201: InvoiceDetail, 403: Detail, 404: Detail, 422: Errors},
    summary="Record a payment",
    description=(
        "Money received for an issued invoice that is not cancelled: more than 0, never more "
        "than is open for the payer (the insurer: its share less its payments; everyone else: "
        "``customer_open``), not dated in the future; cash only with the receipt number of "
        "the shop's certified till. Answers the whole invoice (new state and payments; the "
        "new payment has the highest id). Refused: 422 with the reason."
    ),
)
def add_payment(request: HttpRequest, invoice_id: int, payload: PaymentIn, response: HttpResponse):
    require_write(request)
    invoice = get_object_or_404(Invoice.objects.only("pk"), pk=invoice_id)
    try:
        services.payment_add(
            invoice_id=invoice.pk,
            method=payload.method,
            amount=payload.amount,
            paid_on=payload.paid_on or timezone.localdate(),
            receipt_number=payload.receipt_number,
            note=payload.note,
        )
    except ValidationError as error:
        return _refused(error)
    except Invoice.DoesNotExist:
        raise Http404 from None  # deleted meanwhile (a draft)
    return Status(201, _answer(invoice.pk, response))


@router.delete(
    "/{int:invoice_id}/payments/{int:payment_id}",
    response={200: InvoiceDetail, 403: Detail, 404: Detail, 422: Errors},
    summary="Remove a payment",
    description=(
        "A payment recorded by mistake (the change history keeps that it was there). Not the "
        "order's deposit, and not of a cancelled invoice (its payments stay): 422. Answers "
        "the whole invoice."
    ),
)
def remove_payment(request: HttpRequest, invoice_id: int, payment_id: int, response: HttpResponse):
    require_write(request)
    invoice = get_object_or_404(Invoice.objects.only("pk"), pk=invoice_id)
    try:
        services.payment_remove(invoice_id=invoice.pk, payment_id=payment_id)
    except ValidationError as error:
        return _refused(error)
    except (Invoice.DoesNotExist, Payment.DoesNotExist):
        raise Http404 from None
    return _answer(invoice.pk, response)
