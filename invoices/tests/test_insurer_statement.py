"""The statement to the statutory insurer (Abrechnung an die Krankenkasse):
only for an issued, uncancelled invoice with an insurer's share, through
the real URL; its PDF names the insurer, the customer's invoice, the insured
person and each lens with the order's fixed amount and co-payment, and
claims exactly the invoice's insurer's share; the buttons show only where
it applies."""

import datetime
import io
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import pgettext
from pypdf import PdfReader

from customers import services as customer_services
from customers.models import InsuranceProvider
from customers.tests import factories as customer_factories
from invoices import accounting, services
from invoices.models import Invoice, Method
from invoices.tests.factories import ADDRESS, issued
from opticrm.lib.display import money
from orders import services as order_services
from orders.models import FixedAmount, Order
from orders.models import Status as OrderStatus
from prescriptions.tests.factories import refraction
from products.models import Category
from products.tests.factories import product

pytestmark = pytest.mark.django_db

AID_NUMBER = "25.21.01.1002"


@pytest.fixture(autouse=True)
def terms(settings):
    settings.INVOICE_PAYMENT_DAYS = 14
    settings.SHOP_BANK_IBAN = "DE89370400440532013000"
    settings.SHOP_BANK_BIC = "COBADEFFXXX"
    settings.SHOP_BANK_NAME = "Commerzbank München"
    settings.SHOP_IK = "330912345"


@pytest.fixture
def insurer():
    return InsuranceProvider.objects.create(name="BKK Teststadt", kind="statutory")


@pytest.fixture
def erika(insurer):
    """An adult with more than 6 dpt: the insurer pays, less her co-payment."""
    return customer_factories.customer(
        first_name="Erika",
        last_name="Muster",
        date_of_birth=datetime.date(1971, 8, 23),
        insurance_provider=insurer,
        **ADDRESS,
    )


def german(day: datetime.date) -> str:
    return f"{day.day:02d}.{day.month:02d}.{day.year}"


def pdf_text(content: bytes) -> str:
    assert content.startswith(b"%PDF-")
    reader = PdfReader(io.BytesIO(content))
    return "\n".join((page.extract_text() or "") for page in reader.pages).replace("\xa0", " ")


def euro(amount: str) -> str:
    """``money`` as the PDF's text reads it back (a plain space before €)."""
    return money(Decimal(amount)).replace("\xa0", " ")


def gkv_order(customer, user, *, fixed="60.00", price="120.00", eyes=("right", "left")):
    """A placed glasses order of ``customer`` for an ophthalmologist's
    prescription (−7,00 / −6,50 dpt) with a lens per eye of ``eyes`` and the
    fixed amount ``fixed`` per lens in force."""
    prescribed = timezone.localdate() - datetime.timedelta(days=10)
    refraction(
        customer,
        user,
        kind="external",
        date=prescribed,
        prescriber="Dr. Augenarzt Geheim",
        right_sphere=Decimal("-7.00"),
        left_sphere=Decimal("-6.50"),
    )
    FixedAmount.objects.create(
        valid_from=datetime.date(2020, 1, 1),
        lens_type="single_vision",
        power_from=Decimal("6"),
        power_to=Decimal("10"),
        cylinder_to=Decimal("4"),
        amount=Decimal(fixed),
        aid_number=AID_NUMBER,
    )
    order = order_services.order_create(customer_id=customer.pk, user=user)
    order = order_services.order_update(
        order_id=order.pk, data={"insurance_number": "A123456789"}, version=order.version
    )
    lens = product(
        name="Einstärkenglas Klar",
        category=Category.SPECTACLE_LENS,
        spectacle_design="single_vision",
        lens_index=Decimal("1.67"),
        sale_price=Decimal(price),
    )
    order_services.lens_pair_add(
        order_id=order.pk, product_id=lens.pk, eyes=eyes, diameter=65, version=None
    )
    # Placed (a quote is not invoiced); placing glasses needs what the lab
    # needs, which these tests do not.
    Order.objects.filter(pk=order.pk).update(status=OrderStatus.ORDERED)
    order.refresh_from_db()
    order.prescribed = prescribed
    return order


def invoiced(order, user) -> Invoice:
    invoice = services.invoice_from_order(order_id=order.pk, user=user)
    return services.invoice_issue(invoice_id=invoice.pk, user=user)


def statement_url(invoice: Invoice) -> str:
    return reverse("invoices:insurer_statement_pdf", args=[invoice.pk])


def detail(client, invoice: Invoice) -> str:
    response = client.get(reverse("invoices:detail", args=[invoice.pk]))
    assert response.status_code == 200
    return response.content.decode()


# --- The PDF ---------------------------------------------------------------------------


def test_the_statement_claims_the_insurers_share_lens_by_lens(staff_client, optician, erika):
    order = gkv_order(erika, optician)
    invoice = invoiced(order, optician)
    # 2 × (60,00 fixed amount − 6,00 co-payment of an adult).
    assert invoice.insurer_share == Decimal("108.00")

    response = staff_client.get(statement_url(invoice))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["X-Content-Type-Options"] == "nosniff"
    with translation.override("de"):
        prefix = pgettext("file name", "Insurer statement")
    assert response["Content-Disposition"] == (
        f'attachment; filename="{prefix}-{invoice.number}.pdf"'
    )
    text = pdf_text(response.content)
    for expected in (
        # The insurer in the window, the shop and its tax details and IK.
        "BKK Teststadt",
        "Augenoptik Muster",
        "143/123/45678",
        "DE123456789",
        "330912345",
        # The customer's invoice it belongs to.
        invoice.number,
        german(invoice.issued_on),
        # The insured person and the prescription.
        "Erika Muster",
        "23.08.1971",
        "A123456789",
        german(order.prescribed),
        # Each lens: its aid position number, price, fixed amount,
        # co-payment and what the insurer pays.
        "Einstärkenglas Klar",
        AID_NUMBER,
        euro("120.00"),
        euro("60.00"),
        euro("6.00"),
        euro("54.00"),
        # The co-payments and the amount claimed: the invoice's share.
        euro("12.00"),
        money(invoice.insurer_share).replace("\xa0", " "),
        "108,00 €",
        # Payment terms and the bank account.
        "DE89 3704 0044 0532 0130 00",
        german(invoice.issued_on + datetime.timedelta(days=14)),
    ):
        assert expected in text, expected
    assert text.count(AID_NUMBER) == 2 and text.count("54,00 €") == 2
    # The prescriber's name is health data; the letter goes to the front desk too.
    assert "Augenarzt Geheim" not in text


def test_money_is_written_the_german_way(staff_client, optician, erika):
    order = gkv_order(erika, optician, fixed="650.00", price="700.00")
    invoice = invoiced(order, optician)
    # An adult's co-payment is at most 10,00 € per lens.
    assert invoice.insurer_share == Decimal("1280.00")

    text = pdf_text(staff_client.get(statement_url(invoice)).content)

    assert "1.280,00 €" in text and "650,00 €" in text and "640,00 €" in text


def test_what_the_insurer_paid_already_is_deducted(staff_client, optician, erika):
    invoice = invoiced(gkv_order(erika, optician), optician)
    services.payment_add(
        invoice_id=invoice.pk,
        method=Method.INSURER,
        amount=Decimal("100.00"),
        paid_on=timezone.localdate(),
    )

    text = pdf_text(staff_client.get(statement_url(invoice)).content)

    assert "108,00 €" in text and "\u2212100,00 €" in text and "8,00 €" in text


def test_lenses_changed_after_the_invoice_leave_the_claim_as_invoiced(
    staff_client, optician, erika
):
    order = gkv_order(erika, optician)
    invoice = invoiced(order, optician)
    # The order is still editable: a lens taken off changes its share now.
    left = order.lines.get(eye="left")
    order_services.line_remove(order_id=order.pk, line_id=left.pk, version=None)

    statement = accounting.insurer_statement(invoice.pk)
    assert statement.lenses == [] and statement.claimed == Decimal("108.00")
    text = pdf_text(staff_client.get(statement_url(invoice)).content)
    assert "108,00 €" in text and AID_NUMBER not in text


def test_an_erased_customers_invoice_claims_its_share_from_the_invoice_alone(
    staff_client, optician, erika
):
    """Erasing keeps the invoice (§ 147 AO) and its copy of the name, and
    lets go of the order: the claim stands, nothing else of the person."""
    invoice = invoiced(gkv_order(erika, optician), optician)
    customer_services.customer_erase(customer_id=erika.pk)

    statement = accounting.insurer_statement(invoice.pk)
    assert statement.lenses == [] and statement.insurer == ""
    assert statement.insured_born is None and statement.insurance_number == ""
    text = pdf_text(staff_client.get(statement_url(invoice)).content)
    assert invoice.customer_name in text and "108,00 €" in text
    assert "23.08.1971" not in text and "A123456789" not in text and "BKK" not in text


# --- Only where it applies -------------------------------------------------------------


def test_no_statement_without_share_for_a_draft_a_cancelled_invoice_or_its_cancellation(
    staff_client, owner_client, optician, erika
):
    without_share = issued(customer_factories.customer(**ADDRESS))
    order = gkv_order(erika, optician)
    draft = services.invoice_from_order(order_id=order.pk, user=optician)
    assert draft.insurer_share > 0
    assert staff_client.get(statement_url(draft)).status_code == 404
    assert "insurer-statement-pdf" not in detail(staff_client, draft)

    invoice = services.invoice_issue(invoice_id=draft.pk, user=optician)
    assert staff_client.get(statement_url(invoice)).status_code == 200
    cancellation = services.invoice_cancel(invoice_id=invoice.pk, reason="Falsche Gläser")

    for refused in (without_share, invoice, cancellation):
        assert owner_client.get(statement_url(refused)).status_code == 404
        assert accounting.insurer_statement(refused.pk) is None
        assert "insurer-statement-pdf" not in detail(owner_client, refused)
    missing = reverse("invoices:insurer_statement_pdf", args=[999999])
    assert staff_client.get(missing).status_code == 404


def test_the_invoice_page_offers_the_statement(staff_client, optician, erika):
    invoice = invoiced(gkv_order(erika, optician), optician)
    html = detail(staff_client, invoice)
    assert 'id="insurer-statement-pdf"' in html
    assert f'href="{statement_url(invoice)}"' in html


def test_the_insurers_tab_of_the_open_items_offers_it_per_row(staff_client, optician, erika):
    invoice = invoiced(gkv_order(erika, optician), optician)
    url = reverse("invoices:open_items")

    insurers = staff_client.get(url, {"show": "insurers"}).content.decode()
    assert f'href="{statement_url(invoice)}"' in insurers
    assert insurers.count("data-insurer-statement") == 1
    customers = staff_client.get(url).content.decode()
    assert "data-insurer-statement" not in customers


# --- Access ----------------------------------------------------------------------------


def test_anonymous_users_are_sent_to_the_login(client, optician, erika):
    invoice = invoiced(gkv_order(erika, optician), optician)
    response = client.get(statement_url(invoice))
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_users_who_may_not_see_invoices_are_refused(outsider_client, optician, erika):
    invoice = invoiced(gkv_order(erika, optician), optician)
    assert outsider_client.get(statement_url(invoice)).status_code == 403
