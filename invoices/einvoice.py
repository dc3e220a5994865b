"""The e-invoice of an invoice to a company (issue 29): ZUGFeRD 2 / Factur-X,
profile EN 16931 (ZUGFeRD's "COMFORT"): the invoice as UN/CEFACT CII XML,
embedded in its PDF drawn as PDF/A-3 (invoices.documents), so that the
buyer's accounting reads it and people read the same pages as always.

The XML is built here from the issued invoice, as the PDF is: the seller
as copied at the issue, the company as buyer, each position, the VAT per
rate, the totals and what is due. The factur-x library (Akretion) checks it
against the official schema, embeds it (``factur-x.xml``, AFRelationship
/Data) and writes the XMP metadata that marks the PDF as PDF/A-3 B with the
Factur-X extension schema.

Prices here are gross (orders.rules: a position is quantity × unit price
less its discount, VAT included, and the VAT is taken out once per rate),
while EN 16931 states net amounts. So:
- the VAT per rate (BT-116, BT-117) is exactly the PDF's (RateTotal.net,
  .vat), and the positions' net amounts (BT-131) are their gross less VAT,
  the rounding cents of a rate put on its largest position, so that they
  add up to that rate's net amount as EN 16931 asks (BR-S-08, BR-CO-10);
- a position's discount is a line allowance (BG-27) of its net, the net
  price (BT-146) what the position costs before it, per piece;
- the statutory insurer's share is no price reduction (the VAT is due on
  the full price, and the PDF taxes it so): it is paid by a third party,
  the insurer, so it goes with the payments received by the issue (the
  order's deposit) into the prepaid amount (BT-113), and the amount due
  (BT-115) is what the PDF asks the customer to pay.

A cancellation invoice becomes a credit note (type code 381) with positive
amounts, naming the invoice it cancels (BG-3): it reverses that invoice in
full, which the buyer's accounting books as a credit note. 384 ("corrected
invoice") would mean a new version replacing the original, which a full
cancellation is not. Its amounts are the cancellation's with the sign
turned, so they equal the original's.
"""

import re
from collections.abc import Sequence
from decimal import Decimal

import facturx
from django.conf import settings
from django.utils.translation import gettext as _
from lxml import etree

from invoices.documents import amounts_due, due_date, payment_terms_text
from invoices.models import Invoice, InvoiceLine, Kind, Payment
from invoices.selectors import invoice_totals, recipient_address
from opticrm.lib.display import money
from opticrm.lib.documents import short_date
from orders.rules import cents

ZERO = Decimal("0.00")
PROFILE = "urn:cen.eu:en16931:2017"
INVOICE = "380"
CREDIT_NOTE = "381"
# UNTDID 4461: SEPA credit transfer.
SEPA_TRANSFER = "58"
# UN/ECE Recommendation 20: piece.
PIECE = "H87"
NS = {
    "rsm": "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100",
    "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100",
    "qdt": "urn:un:unece:uncefact:data:standard:QualifiedDataType:100",
    "udt": "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100",
}
# The VAT ID's prefix and the ISO 3166 country it stands for, where they differ.
VAT_PREFIX_COUNTRY = {"EL": "GR", "XI": "GB"}
# "80331 München", "A-1010 Wien", "1010 Wien": a postcode (with a digit) and a town.
POSTCODE_TOWN = re.compile(r"^(?P<postcode>(?:[A-Z]{1,2}-)?\S*\d\S*)\s+(?P<town>.+)$")


def category(rate: int) -> str:
    """The VAT category (UNCL 5305): S, standard rated (19 % and 7 %); Z,
    zero rated, for a rate of 0 % (none of the shop's: VatRate)."""
    return "S" if rate else "Z"


def amount(value: Decimal) -> str:
    """Two decimals, point, no "-0.00"."""
    return f"{cents(value) + ZERO:.2f}"


def price(value: Decimal) -> str:
    """A net price: two decimals, up to four where a piece's price needs them."""
    exact = value.quantize(Decimal("0.0001")).normalize()
    return f"{exact:.2f}" if exact == cents(exact) else f"{exact:f}"


def day(value) -> str:
    return value.strftime("%Y%m%d")


def address_parts(text: str) -> dict[str, str]:
    """An address as written ("Hauptstraße 1, 80331 München" or one line
    each) in CII's parts: street line(s), postcode, town. A line after the
    town (a country's name) is left out: the country is given as a code."""
    parts = [part.strip() for line in text.splitlines() for part in line.split(",")]
    parts = [part for part in parts if part]
    for index in range(len(parts) - 1, -1, -1):
        found = POSTCODE_TOWN.match(parts[index])
        if found and index > 0:
            return {
                "postcode": found["postcode"],
                "lines": parts[:index][:3],
                "town": found["town"],
            }
    return {"postcode": "", "lines": parts[:3], "town": ""}


def buyer_country(invoice: Invoice) -> str:
    """The company's country: its VAT ID's (a company registered for VAT in
    a member state sits there), else Germany."""
    prefix = invoice.company_vat_id[:2]
    return VAT_PREFIX_COUNTRY.get(prefix, prefix) if prefix else "DE"


class _Builder:
    def __init__(self):
        self.root = etree.Element(f"{{{NS['rsm']}}}CrossIndustryInvoice", nsmap=NS)

    @staticmethod
    def add(parent, name: str, text: str | None = None, **attributes) -> etree._Element:
        prefix, local = name.split(":")
        element = etree.SubElement(parent, f"{{{NS[prefix]}}}{local}", **attributes)
        if text is not None:
            element.text = text
        return element

    def date(self, parent, name: str, value, *, qualified: bool = False) -> None:
        holder = self.add(parent, name)
        self.add(
            holder, f"{'qdt' if qualified else 'udt'}:DateTimeString", day(value), format="102"
        )

    def address(self, parent, text: str, country: str) -> None:
        parts = address_parts(text)
        postal = self.add(parent, "ram:PostalTradeAddress")
        if parts["postcode"]:
            self.add(postal, "ram:PostcodeCode", parts["postcode"])
        for name, line in zip(("LineOne", "LineTwo", "LineThree"), parts["lines"], strict=False):
            self.add(postal, f"ram:{name}", line)
        if parts["town"]:
            self.add(postal, "ram:CityName", parts["town"])
        self.add(postal, "ram:CountryID", country)

    def tax_ids(self, parent, vat_id: str, tax_number: str = "") -> None:
        if vat_id:
            registration = self.add(parent, "ram:SpecifiedTaxRegistration")
            self.add(registration, "ram:ID", vat_id, schemeID="VA")
        if tax_number:
            registration = self.add(parent, "ram:SpecifiedTaxRegistration")
            self.add(registration, "ram:ID", tax_number, schemeID="FC")


def line_nets(lines: Sequence[InvoiceLine], rates) -> list[Decimal]:
    """Each position's net amount: its gross less VAT, the cents a rate's
    rounding leaves put on its largest position, so that a rate's positions
    add up to its net amount (RateTotal.net, as the PDF states it)."""
    nets = [cents(line.total * 100 / (100 + line.vat_rate)) for line in lines]
    for rate in rates:
        of_rate = [index for index, line in enumerate(lines) if line.vat_rate == rate.rate]
        rest = rate.net - sum((nets[index] for index in of_rate), ZERO)
        if rest and of_rate:
            largest = max(of_rate, key=lambda index: abs(lines[index].total))
            nets[largest] += rest
    return nets


def cii_xml(invoice: Invoice, lines: Sequence[InvoiceLine], payments: Sequence[Payment]) -> bytes:
    """The issued invoice as Factur-X EN 16931 CII XML. ``lines``: priced
    (selectors.priced_lines); ``payments``: those the PDF deducts. Strings
    in the active language (the caller's: the shop's)."""
    credit_note = invoice.kind == Kind.CANCELLATION
    # A credit note states the cancellation's amounts with the sign turned.
    sign = -1 if credit_note else 1
    totals = invoice_totals(invoice, lines)
    received, due = amounts_due(invoice, totals, payments)
    nets = line_nets(lines, totals.rates)

    xml = _Builder()
    add = xml.add
    context = add(xml.root, "rsm:ExchangedDocumentContext")
    add(add(context, "ram:GuidelineSpecifiedDocumentContextParameter"), "ram:ID", PROFILE)

    document = add(xml.root, "rsm:ExchangedDocument")
    add(document, "ram:ID", invoice.number)
    add(document, "ram:TypeCode", CREDIT_NOTE if credit_note else INVOICE)
    xml.date(document, "ram:IssueDateTime", invoice.issued_on)
    notes = []
    if credit_note and invoice.cancels_id:
        notes.append(cancels_text(invoice))
        if invoice.reason:
            notes.append(_("Reason: %(reason)s") % {"reason": invoice.reason})
    if invoice.insurer_share:
        notes.append(
            f"{_('Share of your health insurer, billed to it')}: "
            f"{money(sign * invoice.insurer_share)}"
        )
    for text in notes:
        add(add(document, "ram:IncludedNote"), "ram:Content", text)

    transaction = add(xml.root, "rsm:SupplyChainTradeTransaction")
    for line, net in zip(lines, nets, strict=True):
        quantity = sign * line.quantity
        allowance = sign * cents(line.discount * 100 / (100 + line.vat_rate))
        item = add(transaction, "ram:IncludedSupplyChainTradeLineItem")
        add(add(item, "ram:AssociatedDocumentLineDocument"), "ram:LineID", str(line.position))
        add(add(item, "ram:SpecifiedTradeProduct"), "ram:Name", line.description)
        agreement = add(item, "ram:SpecifiedLineTradeAgreement")
        net_price = add(agreement, "ram:NetPriceProductTradePrice")
        add(net_price, "ram:ChargeAmount", price((sign * net + allowance) / quantity))
        delivery = add(item, "ram:SpecifiedLineTradeDelivery")
        add(delivery, "ram:BilledQuantity", str(quantity), unitCode=PIECE)
        settlement = add(item, "ram:SpecifiedLineTradeSettlement")
        tax = add(settlement, "ram:ApplicableTradeTax")
        add(tax, "ram:TypeCode", "VAT")
        add(tax, "ram:CategoryCode", category(line.vat_rate))
        add(tax, "ram:RateApplicablePercent", str(line.vat_rate))
        if allowance:
            reduction = add(settlement, "ram:SpecifiedTradeAllowanceCharge")
            add(add(reduction, "ram:ChargeIndicator"), "udt:Indicator", "false")
            add(reduction, "ram:ActualAmount", amount(allowance))
            add(reduction, "ram:Reason", line.discount_reason or _("Discount"))
        summation = add(settlement, "ram:SpecifiedTradeSettlementLineMonetarySummation")
        add(summation, "ram:LineTotalAmount", amount(sign * net))

    agreement = add(transaction, "ram:ApplicableHeaderTradeAgreement")
    if invoice.buyer_reference:
        add(agreement, "ram:BuyerReference", invoice.buyer_reference)
    seller = add(agreement, "ram:SellerTradeParty")
    add(seller, "ram:Name", invoice.shop_name)
    if settings.SHOP_PHONE:
        contact = add(seller, "ram:DefinedTradeContact")
        phone = add(contact, "ram:TelephoneUniversalCommunication")
        add(phone, "ram:CompleteNumber", settings.SHOP_PHONE)
    xml.address(seller, invoice.shop_address, "DE")
    xml.tax_ids(seller, invoice.shop_vat_id, invoice.shop_tax_number)
    buyer = add(agreement, "ram:BuyerTradeParty")
    add(buyer, "ram:Name", invoice.company_name)
    if invoice.customer_name:
        contact = add(buyer, "ram:DefinedTradeContact")
        add(contact, "ram:PersonName", invoice.customer_name)
    xml.address(buyer, recipient_address(invoice), buyer_country(invoice))
    xml.tax_ids(buyer, invoice.company_vat_id)
    if invoice.order_id:
        add(
            add(agreement, "ram:SellerOrderReferencedDocument"),
            "ram:IssuerAssignedID",
            str(invoice.order_id),
        )

    delivery = add(transaction, "ram:ApplicableHeaderTradeDelivery")
    event = add(delivery, "ram:ActualDeliverySupplyChainEvent")
    xml.date(event, "ram:OccurrenceDateTime", invoice.delivered_on or invoice.issued_on)

    settlement = add(transaction, "ram:ApplicableHeaderTradeSettlement")
    if not credit_note:
        add(settlement, "ram:PaymentReference", invoice.number)
    add(settlement, "ram:InvoiceCurrencyCode", "EUR")
    if not credit_note and due > 0 and settings.SHOP_BANK_IBAN:
        means = add(settlement, "ram:SpecifiedTradeSettlementPaymentMeans")
        add(means, "ram:TypeCode", SEPA_TRANSFER)
        account = add(means, "ram:PayeePartyCreditorFinancialAccount")
        add(account, "ram:IBANID", settings.SHOP_BANK_IBAN)
        if settings.SHOP_BANK_BIC:
            institution = add(means, "ram:PayeeSpecifiedCreditorFinancialInstitution")
            add(institution, "ram:BICID", settings.SHOP_BANK_BIC)
    for rate in totals.rates:
        tax = add(settlement, "ram:ApplicableTradeTax")
        add(tax, "ram:CalculatedAmount", amount(sign * rate.vat))
        add(tax, "ram:TypeCode", "VAT")
        add(tax, "ram:BasisAmount", amount(sign * rate.net))
        add(tax, "ram:CategoryCode", category(rate.rate))
        add(tax, "ram:RateApplicablePercent", str(rate.rate))
    # BR-CO-25: an amount due has a due date or payment terms.
    terms = add(settlement, "ram:SpecifiedTradePaymentTerms")
    if credit_note:
        add(terms, "ram:Description", cancels_text(invoice))
    else:
        add(terms, "ram:Description", payment_terms_text(invoice, due))
        if due > 0:
            xml.date(terms, "ram:DueDateDateTime", due_date(invoice))
    summation = add(settlement, "ram:SpecifiedTradeSettlementHeaderMonetarySummation")
    add(summation, "ram:LineTotalAmount", amount(sign * totals.net))
    add(summation, "ram:TaxBasisTotalAmount", amount(sign * totals.net))
    add(summation, "ram:TaxTotalAmount", amount(sign * totals.vat), currencyID="EUR")
    add(summation, "ram:GrandTotalAmount", amount(sign * totals.gross))
    prepaid = sign * (invoice.insurer_share + received)
    if prepaid:
        add(summation, "ram:TotalPrepaidAmount", amount(prepaid))
    add(summation, "ram:DuePayableAmount", amount(sign * due))
    if credit_note and invoice.cancels_id:
        reference = add(settlement, "ram:InvoiceReferencedDocument")
        add(reference, "ram:IssuerAssignedID", invoice.cancels.number)
        xml.date(reference, "ram:FormattedIssueDateTime", invoice.cancels.issued_on, qualified=True)
    return etree.tostring(xml.root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def cancels_text(invoice: Invoice) -> str:
    original = invoice.cancels
    return _("This cancellation invoice cancels invoice no. %(number)s of %(date)s in full.") % {
        "number": original.number,
        "date": short_date(original.issued_on),
    }


def facturx_pdf(invoice: Invoice, pdf: bytes, xml: bytes, *, title: str) -> bytes:
    """The PDF/A-3 ``pdf`` with ``xml`` embedded as Factur-X EN 16931,
    checked against the schema first (a wrong XML raises, nothing is kept)."""
    return facturx.generate_from_binary(
        pdf,
        xml,
        flavor="factur-x",
        level="en16931",
        check_xsd=True,
        pdf_metadata={
            "author": invoice.shop_name,
            "keywords": "Factur-X, ZUGFeRD, EN 16931",
            "title": title,
            "subject": title,
        },
        lang=settings.LANGUAGE_CODE,
    )
