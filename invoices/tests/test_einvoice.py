"""The e-invoice of an invoice to a company (issue 29): the draft's
business recipient entered in its modal (the VAT ID checked), the issued
invoice's kept PDF a Factur-X PDF/A-3 whose EN 16931 XML passes the
library's schema check and states the invoice's own amounts, a
cancellation's a credit note; a private customer's PDF stays as it was.

The XSD checks the structure only; EN 16931's arithmetic rules (the
schematron's BR-CO-10 … 16, BR-S-08, BR-CO-17) are checked here on the
amounts read back, since the schematron needs a Saxon server."""

import datetime
import io
from decimal import Decimal

import facturx
import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import translation
from django.utils.html import escape
from lxml import etree
from pypdf import PdfReader

from customers.tests import factories as customer_factories
from invoices import einvoice, selectors, services
from invoices.models import VAT_ID_INVALID, Invoice, InvoiceDocument, Kind
from invoices.tests.factories import (
    BOOK,
    DISCOUNTED,
    FRAME,
    draft,
    issued,
    kept_document,
    repair_order,
)

# The shop's bank (invoices.tests.conftest.bank): the payment terms name it.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("bank")]

HTMX = {"HTTP_HX_REQUEST": "true"}
NS = einvoice.NS
RATES = "//ram:ApplicableHeaderTradeSettlement/ram:ApplicableTradeTax"
# A VAT ID with its check digit right (DE123456789's is not).
GOOD_VAT_ID = "DE136695976"
# Three at 0,10 €: each 0,08 net, the rate 0,25 net: a rounding cent to place.
CLOTH = {"description": "Putztuch", "unit_price": Decimal("0.10"), "vat_rate": 19}
COMPANY = {
    "company_name": "Muster Versicherungs GmbH",
    "company_vat_id": "de 136 695 976",
    "company_address": "Personalabteilung\nIndustriestraße 5\n80939 München",
    "buyer_reference": "04011000-12345-06",
}


@pytest.fixture
def customer():
    return customer_factories.customer(
        first_name="Erika",
        last_name="Muster",
        salutation="ms",
        street="Lindenweg 3",
        postcode="80331",
        town="München",
    )


def edit(client, invoice: Invoice, **fields):
    invoice.refresh_from_db()
    data = {"delivered_on": "", "version": invoice.version, **fields}
    return client.post(reverse("invoices:edit", args=[invoice.pk]), data, **HTMX)


def issue_by_page(client, invoice: Invoice) -> Invoice:
    invoice.refresh_from_db()
    url = reverse("invoices:issue", args=[invoice.pk])
    response = client.post(url, {"version": invoice.version}, **HTMX)
    assert "closeModal" in response["HX-Trigger"]
    invoice.refresh_from_db()
    assert invoice.is_issued
    return invoice


def download(client, invoice: Invoice) -> bytes:
    kept_document(invoice)  # the worker's part
    response = client.get(reverse("invoices:pdf", args=[invoice.pk]))
    assert response.status_code == 200
    return response.content


def xml_of(pdf: bytes) -> etree._Element:
    name, xml = facturx.get_xml_from_pdf(pdf, check_xsd=False)
    assert name == "factur-x.xml"
    assert facturx.xml_check_xsd(xml, flavor="factur-x", level="en16931")
    return etree.fromstring(xml)


def value(root, path: str) -> str:
    found = root.xpath(path, namespaces=NS)
    assert len(found) == 1, path
    return found[0].text


def money_at(root, path: str) -> Decimal:
    return Decimal(value(root, path))


def sums(root) -> dict[str, Decimal]:
    base = "//ram:SpecifiedTradeSettlementHeaderMonetarySummation/ram:"
    return {
        name: Decimal(found[0].text) if (found := root.xpath(base + name, namespaces=NS)) else None
        for name in (
            "LineTotalAmount",
            "TaxBasisTotalAmount",
            "TaxTotalAmount",
            "GrandTotalAmount",
            "TotalPrepaidAmount",
            "DuePayableAmount",
        )
    }


def assert_en16931_arithmetic(root) -> None:
    """The schematron's calculation rules, on the amounts as written."""
    lines = [
        Decimal(element.text)
        for element in root.xpath(
            "//ram:SpecifiedTradeSettlementLineMonetarySummation/ram:LineTotalAmount",
            namespaces=NS,
        )
    ]
    total = sums(root)
    assert total["LineTotalAmount"] == sum(lines)  # BR-CO-10
    assert total["TaxBasisTotalAmount"] == total["LineTotalAmount"]  # BR-CO-13, no allowances
    assert total["GrandTotalAmount"] == total["TaxBasisTotalAmount"] + total["TaxTotalAmount"]
    prepaid = total["TotalPrepaidAmount"] or Decimal("0.00")
    assert total["DuePayableAmount"] == total["GrandTotalAmount"] - prepaid  # BR-CO-16
    vat = Decimal("0.00")
    for tax in root.xpath(
        "//ram:ApplicableHeaderTradeSettlement/ram:ApplicableTradeTax", namespaces=NS
    ):
        rate = Decimal(value(tax, "ram:RateApplicablePercent"))
        basis = Decimal(value(tax, "ram:BasisAmount"))
        calculated = Decimal(value(tax, "ram:CalculatedAmount"))
        of_rate = root.xpath(
            "//ram:IncludedSupplyChainTradeLineItem[.//ram:RateApplicablePercent = $rate]"
            "//ram:LineTotalAmount",
            namespaces=NS,
            rate=str(rate.normalize()),
        )
        assert basis == sum(Decimal(element.text) for element in of_rate)  # BR-S-08
        assert abs(calculated - basis * rate / 100) <= Decimal("0.01")  # BR-CO-17
        vat += calculated
    assert total["TaxTotalAmount"] == vat  # BR-CO-14
    for price in root.xpath("//ram:NetPriceProductTradePrice/ram:ChargeAmount", namespaces=NS):
        assert Decimal(price.text) >= 0  # BR-27


def test_a_company_invoice_is_a_factur_x_pdf_with_the_invoices_own_amounts(staff_client, customer):
    invoice = draft(customer, lines=(FRAME, BOOK, DISCOUNTED, CLOTH, CLOTH, CLOTH))
    assert "closeModal" in edit(staff_client, invoice, **COMPANY)["HX-Trigger"]
    invoice.refresh_from_db()
    assert invoice.company_vat_id == GOOD_VAT_ID  # kept compact
    page = staff_client.get(reverse("invoices:detail", args=[invoice.pk])).content.decode()
    assert 'id="invoice-e-invoice"' in page and "Muster Versicherungs GmbH" in page

    invoice = issue_by_page(staff_client, invoice)
    pdf = download(staff_client, invoice)
    root = xml_of(pdf)
    totals = selectors.invoice_totals(invoice)

    assert value(root, "//rsm:ExchangedDocument/ram:TypeCode") == "380"
    assert value(root, "//rsm:ExchangedDocument/ram:ID") == invoice.number
    assert value(root, "//ram:GuidelineSpecifiedDocumentContextParameter/ram:ID") == (
        "urn:cen.eu:en16931:2017"
    )
    assert value(root, "//ram:BuyerTradeParty/ram:Name") == "Muster Versicherungs GmbH"
    assert value(root, "//ram:BuyerTradeParty//ram:ID[@schemeID='VA']") == GOOD_VAT_ID
    assert value(root, "//ram:BuyerTradeParty//ram:PostcodeCode") == "80939"
    assert value(root, "//ram:BuyerTradeParty//ram:CityName") == "München"
    assert value(root, "//ram:BuyerTradeParty//ram:PersonName") == "Frau Erika Muster"
    assert value(root, "//ram:BuyerReference") == "04011000-12345-06"
    assert value(root, "//ram:SellerTradeParty//ram:ID[@schemeID='VA']") == "DE123456789"
    assert value(root, "//ram:SellerTradeParty//ram:ID[@schemeID='FC']") == "143/123/45678"
    assert value(root, "//ram:SellerTradeParty//ram:PostcodeCode") == "80331"
    assert value(root, "//ram:IBANID") == "DE89370400440532013000"
    assert value(root, "//ram:SpecifiedTradeSettlementPaymentMeans/ram:TypeCode") == "58"
    due_on = invoice.issued_on + datetime.timedelta(days=14)
    assert value(root, "//ram:DueDateDateTime/udt:DateTimeString") == due_on.strftime("%Y%m%d")

    total = sums(root)
    assert total["GrandTotalAmount"] == totals.gross == invoice.gross
    assert total["TaxBasisTotalAmount"] == totals.net
    assert total["TaxTotalAmount"] == totals.vat
    assert total["DuePayableAmount"] == totals.gross
    assert total["TotalPrepaidAmount"] is None
    by_rate = {
        int(value(tax, "ram:RateApplicablePercent")): (
            Decimal(value(tax, "ram:BasisAmount")),
            Decimal(value(tax, "ram:CalculatedAmount")),
        )
        for tax in root.xpath(
            "//ram:ApplicableHeaderTradeSettlement/ram:ApplicableTradeTax", namespaces=NS
        )
    }
    assert by_rate == {rate.rate: (rate.net, rate.vat) for rate in totals.rates}
    assert_en16931_arithmetic(root)
    # The discount: a line allowance with its reason.
    assert value(root, "//ram:SpecifiedTradeAllowanceCharge/ram:Reason") == "Stammkunde"

    # PDF/A-3 B: identified in the XMP, the sRGB output intent, the fonts embedded.
    reader = PdfReader(io.BytesIO(pdf))
    catalog = reader.trailer["/Root"]
    xmp = catalog["/Metadata"].get_object().get_data().decode()
    assert "<pdfaid:part>3</pdfaid:part>" in xmp
    assert "<pdfaid:conformance>B</pdfaid:conformance>" in xmp
    assert "urn:factur-x:pdfa:CrossIndustryDocument:invoice:1p0#" in xmp
    assert "EN 16931" in xmp
    assert catalog["/OutputIntents"][0].get_object()["/S"] == "/GTS_PDFA1"
    filespec = catalog["/AF"][0].get_object()
    assert filespec["/AFRelationship"] == "/Data"
    fonts = reader.pages[0]["/Resources"]["/Font"]
    for font in fonts.values():
        descendant = font.get_object()["/DescendantFonts"][0].get_object()
        assert "/FontFile2" in descendant["/FontDescriptor"]
    # The pages say what the XML says: the company in the address window.
    text = reader.pages[0].extract_text()
    assert "Muster Versicherungs GmbH" in text and GOOD_VAT_ID in text

    # Kept as drawn: downloaded again, the same bytes.
    assert download(staff_client, invoice) == pdf
    assert (
        InvoiceDocument.objects.get(invoice=invoice).sha256
        in (staff_client.get(reverse("invoices:pdf", args=[invoice.pk]))["ETag"])
    )


def test_the_insurers_share_and_the_deposit_are_prepaid(customer, settings):
    settings.SHOP_PHONE = "089 123456"
    order = repair_order(customer, deposit=Decimal("50.00"))
    invoice = services.invoice_from_order(order_id=order.pk)
    Invoice.objects.filter(pk=invoice.pk).update(insurer_share=Decimal("42.50"))
    services.invoice_update(invoice_id=invoice.pk, data=COMPANY, version=None)
    invoice = services.invoice_issue(invoice_id=invoice.pk)
    root = xml_of(bytes(kept_document(invoice).pdf))

    total = sums(root)
    assert total["GrandTotalAmount"] == Decimal("289.00")
    # What the PDF asks: 289,00 − 42,50 (the insurer's) − 50,00 (the deposit).
    assert total["TotalPrepaidAmount"] == Decimal("92.50")
    assert total["DuePayableAmount"] == Decimal("196.50")
    assert value(root, "//ram:SellerOrderReferencedDocument/ram:IssuerAssignedID") == str(order.pk)
    assert value(root, "//ram:SellerTradeParty//ram:CompleteNumber") == "089 123456"
    # The PDF's own words, in the XML too.
    assert "42,50" in value(root, "//rsm:ExchangedDocument/ram:IncludedNote/ram:Content")
    assert_en16931_arithmetic(root)


def test_a_private_customers_pdf_has_no_xml(customer):
    invoice = issued(customer, lines=(FRAME, BOOK))
    assert not invoice.is_e_invoice
    pdf = bytes(kept_document(invoice).pdf)
    assert facturx.get_xml_from_pdf(pdf, check_xsd=False) == (False, False)
    reader = PdfReader(io.BytesIO(pdf))
    assert "/OutputIntents" not in reader.trailer["/Root"]
    assert "/AF" not in reader.trailer["/Root"]
    assert reader.pdf_header == "%PDF-1.4"  # as before: no PDF/A (that is 1.7)
    assert b"pdfaid" not in pdf
    text = reader.pages[0].extract_text()
    assert "Frau Erika Muster" in text and "z. Hd." not in text


def test_the_cancellation_of_a_company_invoice_is_a_credit_note(staff_client, customer):
    invoice = draft(customer, lines=(FRAME, DISCOUNTED))
    services.invoice_update(invoice_id=invoice.pk, data=COMPANY, version=None)
    invoice = services.invoice_issue(invoice_id=invoice.pk)
    original = sums(xml_of(bytes(kept_document(invoice).pdf)))

    response = staff_client.post(
        reverse("invoices:cancel", args=[invoice.pk]), {"reason": "Falscher Empfänger"}
    )
    assert response.status_code == 302
    cancellation = Invoice.objects.get(cancels=invoice)
    assert cancellation.kind == Kind.CANCELLATION
    assert cancellation.company_name == invoice.company_name
    root = xml_of(download(staff_client, cancellation))

    assert value(root, "//rsm:ExchangedDocument/ram:TypeCode") == "381"
    assert value(root, "//rsm:ExchangedDocument/ram:ID") == cancellation.number
    reference = "//ram:InvoiceReferencedDocument/ram:IssuerAssignedID"
    assert value(root, reference) == invoice.number
    # A credit note's amounts are positive: the cancellation's, sign turned.
    assert sums(root) == original
    assert cancellation.gross == -original["GrandTotalAmount"]
    assert not root.xpath("//ram:SpecifiedTradeSettlementPaymentMeans", namespaces=NS)
    assert [q.text for q in root.xpath("//ram:BilledQuantity", namespaces=NS)] == ["1", "1"]
    assert_en16931_arithmetic(root)


def test_the_draft_form_checks_the_vat_id_and_saves_the_company(staff_client, customer):
    invoice = draft(customer)
    with translation.override("de"):
        refused = edit(
            staff_client, invoice, company_name="Muster GmbH", company_vat_id="DE12345678"
        )
        assert refused.status_code == 200
        html = refused.content.decode()
        assert "field-error" in html and escape(str(VAT_ID_INVALID)) in html
    # A wrong check digit is refused too; nothing saved.
    assert (
        edit(
            staff_client, invoice, company_name="Muster GmbH", company_vat_id="DE123456789"
        ).status_code
        == 200
    )
    invoice.refresh_from_db()
    assert (invoice.company_name, invoice.company_vat_id) == ("", "")

    # Company details need the company's name.
    nameless = edit(staff_client, invoice, company_vat_id=GOOD_VAT_ID)
    assert nameless.status_code == 200 and "field-error" in nameless.content.decode()

    saved = edit(
        staff_client, invoice, company_name=" Muster GmbH ", company_vat_id="DE 136.695.976"
    )
    assert "closeModal" in saved["HX-Trigger"]
    invoice.refresh_from_db()
    assert (invoice.company_name, invoice.company_vat_id) == ("Muster GmbH", GOOD_VAT_ID)
    # Other member states' VAT IDs (Austria's here) are taken as well.
    assert (
        "closeModal"
        in edit(staff_client, invoice, company_name="Muster GmbH", company_vat_id="ATU13585627")[
            "HX-Trigger"
        ]
    )

    # Emptied again: a private customer's invoice.
    assert "closeModal" in edit(staff_client, invoice)["HX-Trigger"]
    invoice.refresh_from_db()
    assert not invoice.is_e_invoice and invoice.company_vat_id == ""


def test_an_invoice_to_a_company_needs_its_address(staff_client):
    counter_sale = draft(None, lines=(BOOK,))
    services.invoice_update(
        invoice_id=counter_sale.pk, data={"company_name": "Muster GmbH"}, version=None
    )
    with pytest.raises(ValidationError):
        services.invoice_issue(invoice_id=counter_sale.pk)
    counter_sale.refresh_from_db()
    assert counter_sale.number is None
    services.invoice_update(
        invoice_id=counter_sale.pk,
        data={"company_name": "Muster GmbH", "company_address": "Marktplatz 2, 80331 München"},
        version=None,
    )
    done = services.invoice_issue(invoice_id=counter_sale.pk)
    root = xml_of(bytes(kept_document(done).pdf))
    assert value(root, "//ram:BuyerTradeParty//ram:LineOne") == "Marktplatz 2"
    assert value(root, "//ram:BuyerTradeParty//ram:CountryID") == "DE"
    assert not root.xpath("//ram:BuyerTradeParty/ram:DefinedTradeContact", namespaces=NS)


def test_an_issued_company_invoice_is_read_only_in_the_admin(admin_client, customer):
    invoice = draft(customer)
    services.invoice_update(invoice_id=invoice.pk, data=COMPANY, version=None)
    invoice = services.invoice_issue(invoice_id=invoice.pk)
    html = admin_client.get(
        reverse("admin:invoices_invoice_change", args=[invoice.pk])
    ).content.decode()
    assert "Muster Versicherungs GmbH" in html and GOOD_VAT_ID in html
    for name in services.COMPANY_FIELDS:
        assert f'name="{name}"' not in html


@pytest.mark.parametrize(
    ("written", "parts"),
    [
        ("Hauptstraße 1, 80331 München", (["Hauptstraße 1"], "80331", "München")),
        ("Abt. Personal\nRing 2\n80939 München", (["Abt. Personal", "Ring 2"], "80939", "München")),
        ("Ring 2\n1010 Wien\nÖSTERREICH", (["Ring 2"], "1010", "Wien")),
        ("Postfach", (["Postfach"], "", "")),
    ],
)
def test_an_address_in_cii_parts(written, parts):
    found = einvoice.address_parts(written)
    assert (found["lines"], found["postcode"], found["town"]) == parts


def test_vat_ids():
    assert services.vat_id_compact(" de 136.695.976 ") == GOOD_VAT_ID
    assert services.vat_id_is_valid(GOOD_VAT_ID)
    assert not services.vat_id_is_valid("DE123456789")  # the check digit
    assert not services.vat_id_is_valid("US136695976")  # not a member state
    assert einvoice.buyer_country(Invoice(company_vat_id="ATU13585627")) == "AT"
    assert einvoice.buyer_country(Invoice(company_vat_id="EL094259216")) == "GR"
    assert einvoice.buyer_country(Invoice()) == "DE"


def test_the_invoice_page_reads_as_many_queries_for_a_company(staff_client, customer):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    private = draft(customer)
    company = draft(customer)
    services.invoice_update(invoice_id=company.pk, data=COMPANY, version=None)

    def queries(invoice) -> int:
        with CaptureQueriesContext(connection) as captured:
            response = staff_client.get(reverse("invoices:detail", args=[invoice.pk]))
        assert response.status_code == 200
        return len(captured)

    assert queries(company) == queries(private)
    services.invoice_issue(invoice_id=private.pk)
    services.invoice_issue(invoice_id=company.pk)
    assert queries(company) == queries(private)


def test_an_invoice_paid_with_the_order_asks_for_nothing(customer):
    order = repair_order(customer, deposit=Decimal("289.00"))
    invoice = services.invoice_from_order(order_id=order.pk)
    services.invoice_update(invoice_id=invoice.pk, data=COMPANY, version=None)
    invoice = services.invoice_issue(invoice_id=invoice.pk)
    root = xml_of(bytes(kept_document(invoice).pdf))

    assert sums(root)["TotalPrepaidAmount"] == Decimal("289.00")
    assert sums(root)["DuePayableAmount"] == Decimal("0.00")
    assert not root.xpath("//ram:SpecifiedTradeSettlementPaymentMeans", namespaces=NS)
    assert not root.xpath("//ram:DueDateDateTime", namespaces=NS)
    assert root.xpath("//ram:SpecifiedTradePaymentTerms/ram:Description", namespaces=NS)
    assert_en16931_arithmetic(root)


def test_the_admin_sets_a_drafts_company_through_the_service(customer, owner_client):
    from invoices.tests.test_immutability import change_form

    invoice = draft(customer)
    url = reverse("admin:invoices_invoice_change", args=[invoice.pk])
    data = change_form(invoice, customer=customer.pk, company_name="Muster GmbH")
    wrong = owner_client.post(url, {**data, "company_vat_id": "DE 123 456 789"})
    assert wrong.status_code == 302  # refused by the service, with its message
    invoice.refresh_from_db()
    assert invoice.company_name == ""
    answer = owner_client.post(url, {**data, "company_vat_id": "de 136 695 976"})
    assert answer.status_code == 302
    invoice.refresh_from_db()
    assert (invoice.company_name, invoice.company_vat_id) == ("Muster GmbH", GOOD_VAT_ID)
