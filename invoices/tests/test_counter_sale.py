"""A sale at the counter: products by a scanned EAN or their name, one more
of the same when scanned again, free positions, the customer chosen by
search; the stock booked out when the sale is issued and back when it is
cancelled."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.html import escape
from django.utils.translation import gettext as _

from customers.tests import factories as customer_factories
from invoices import selectors, services
from invoices.models import Invoice, InvoiceCounter, InvoiceLine, Status
from invoices.tests.factories import ADDRESS
from products import services as product_services
from products.models import Category, Product, StockMovement
from products.tests.factories import product

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def stocked(quantity=5, **fields) -> Product:
    item = product(**fields)
    product_services.stock_move(
        product_id=item.pk, kind=StockMovement.Kind.RECEIPT, quantity=quantity
    )
    item.refresh_from_db()
    return item


@pytest.fixture
def care():
    return stocked(
        category=Category.CARE,
        name="All-in-one Lösung 360 ml",
        brand="Menicon",
        ean="4006209050309",
        sale_price=Decimal("12.95"),
        vat_rate=19,
    )


@pytest.fixture
def sunglasses():
    return stocked(
        quantity=1,
        category=Category.SUNGLASSES,
        name="Ray-Ban Wayfarer",
        brand="Ray-Ban",
        ean="8053672611779",
        sale_price=Decimal("149.00"),
    )


def lines_of(invoice):
    return list(
        InvoiceLine.objects.filter(invoice=invoice)
        .order_by("position")
        .values_list("description", "quantity", "unit_price", "vat_rate")
    )


# --- Services --------------------------------------------------------------------------


def test_a_product_is_added_at_its_price_and_again_as_one_more(care, sunglasses):
    sale = services.invoice_create()
    services.invoice_product_add(invoice_id=sale.pk, product_id=care.pk)
    services.invoice_product_add(invoice_id=sale.pk, product_id=sunglasses.pk)
    services.invoice_product_add(invoice_id=sale.pk, product_id=care.pk)
    assert lines_of(sale) == [
        ("All-in-one Lösung 360 ml", 2, Decimal("12.95"), 19),
        ("Ray-Ban Wayfarer", 1, Decimal("149.00"), 19),
    ]
    # A position given a discount meanwhile is not counted up: a new one.
    InvoiceLine.objects.filter(invoice=sale, product=care).update(
        discount_percent=Decimal("10"), discount_reason="Aktion"
    )
    services.invoice_product_add(invoice_id=sale.pk, product_id=care.pk)
    assert [line[1] for line in lines_of(sale)] == [2, 1, 1]


def test_lenses_and_products_no_longer_sold_are_refused():
    lens = product(category=Category.SPECTACLE_LENS, name="Zeiss SV 1.6")
    retired = product(category=Category.ACCESSORY, name="Etui alt", active=False)
    sale = services.invoice_create()
    for item, message in (
        (lens, _("A spectacle lens is priced by its power; please sell it with an order.")),
        (retired, _("This product is not sold any more.")),
    ):
        with pytest.raises(ValidationError) as refused:
            services.invoice_product_add(invoice_id=sale.pk, product_id=item.pk)
        assert refused.value.messages == [message]
    assert not sale.lines.exists()


def test_issuing_books_the_stock_out_and_the_cancellation_back(care, sunglasses):
    sale = services.invoice_create()
    for item in (care, care, sunglasses):
        services.invoice_product_add(invoice_id=sale.pk, product_id=item.pk)
    sale = services.invoice_issue(invoice_id=sale.pk)
    care.refresh_from_db()
    sunglasses.refresh_from_db()
    assert (care.stock, sunglasses.stock) == (3, 0)
    out = StockMovement.objects.get(product=care, kind=StockMovement.Kind.SALE)
    assert out.quantity == -2 and sale.number in out.note

    cancellation = services.invoice_cancel(invoice_id=sale.pk, reason="Umtausch")
    care.refresh_from_db()
    sunglasses.refresh_from_db()
    assert (care.stock, sunglasses.stock) == (5, 1)
    back = StockMovement.objects.get(product=sunglasses, kind=StockMovement.Kind.RETURN)
    assert back.quantity == 1 and cancellation.number in back.note


def test_without_stock_the_sale_is_not_issued_and_no_number_is_used():
    case = stocked(quantity=1, category=Category.ACCESSORY, name="Etui", sale_price=Decimal("9"))
    sale = services.invoice_create()
    services.invoice_product_add(invoice_id=sale.pk, product_id=case.pk)
    services.invoice_product_add(invoice_id=sale.pk, product_id=case.pk)
    with pytest.raises(ValidationError) as refused:
        services.invoice_issue(invoice_id=sale.pk)
    assert refused.value.messages[0].startswith("Etui: 1")
    sale.refresh_from_db()
    case.refresh_from_db()
    assert (sale.status, sale.number, case.stock) == (Status.DRAFT, None, 1)
    assert not InvoiceCounter.objects.filter(last__gt=0).exists()


def test_an_orders_invoice_leaves_the_stock_to_the_order(care):
    from invoices.tests.factories import repair_order

    customer = customer_factories.customer(**ADDRESS)
    invoice = services.invoice_from_order(order_id=repair_order(customer).pk)
    services.invoice_product_add(invoice_id=invoice.pk, product_id=care.pk)
    services.invoice_issue(invoice_id=invoice.pk)
    care.refresh_from_db()
    assert care.stock == 5


def test_a_code_finds_the_product_by_ean_article_number_or_a_unique_name(care, sunglasses):
    assert selectors.sale_product("4006209050309") == care
    assert selectors.sale_product(care.article_number.lower()) == care
    assert selectors.sale_product("wayfarer") == sunglasses
    assert selectors.sale_product("nichts") is None
    stocked(category=Category.SUNGLASSES, name="Ray-Ban Clubmaster", brand="Ray-Ban")
    assert selectors.sale_product("ray-ban") is None  # two match: choose from the list
    assert len(selectors.sale_products("ray-ban")) == 2


# --- Screens ---------------------------------------------------------------------------


def test_anonymous_and_outsiders_cannot_sell(client, outsider_client, care):
    sale = services.invoice_create()
    urls = [
        reverse("invoices:sale_add", args=[sale.pk]),
        reverse("invoices:line_add", args=[sale.pk]),
        reverse("invoices:customer", args=[sale.pk]),
        reverse("invoices:new"),
    ]
    for url in urls:
        response = client.post(url, {"code": care.ean})
        assert response.status_code == 302 and "/login/" in response["Location"]
        assert outsider_client.post(url, {"code": care.ean}).status_code == 403
    assert not sale.lines.exists()
    assert Invoice.objects.count() == 1


def test_new_counter_sale_from_the_list(staff_client):
    page = staff_client.get(reverse("invoices:list")).content.decode()
    assert reverse("invoices:new") in page
    response = staff_client.post(reverse("invoices:new"))
    sale = Invoice.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "invoices:detail", args=[sale.pk]
    )
    assert (sale.status, sale.customer_id, sale.order_id) == (Status.DRAFT, None, None)
    htmx = staff_client.post(reverse("invoices:new"), **HTMX)
    assert htmx["HX-Redirect"].startswith("/invoices/")


def test_a_scanned_ean_adds_the_product_and_the_page_shows_it(staff_client, care):
    sale = services.invoice_create()
    url = reverse("invoices:sale_add", args=[sale.pk])
    page = staff_client.get(reverse("invoices:detail", args=[sale.pk])).content.decode()
    assert f'action="{url}"' in page and 'id="invoice-scan"' in page

    response = staff_client.post(url, {"code": " 4006209050309 "}, **HTMX)
    assert response.status_code == 200 and "invoiceSaved" in response["HX-Trigger"]
    staff_client.post(url, {"code": "4006209050309"})
    assert lines_of(sale) == [("All-in-one Lösung 360 ml", 2, Decimal("12.95"), 19)]
    page = staff_client.get(reverse("invoices:detail", args=[sale.pk])).content.decode()
    assert "25,90" in page


def test_an_unknown_or_ambiguous_code_says_so(staff_client, care):
    stocked(category=Category.CARE, name="All-in-one Lösung 100 ml", brand="Menicon")
    sale = services.invoice_create()
    url = reverse("invoices:sale_add", args=[sale.pk])
    response = staff_client.post(url, {"code": "9999999999999"}, follow=True)
    assert (
        escape(_("No product has the code or name “%(code)s”.") % {"code": "9999999999999"})
        in response.content.decode()
    )
    response = staff_client.post(url, {"code": "all-in-one"}, follow=True)
    assert (
        escape(
            _("Several products match “%(code)s”; please choose one from the list.")
            % {"code": "all-in-one"}
        )
        in response.content.decode()
    )
    assert not sale.lines.exists()


def test_the_product_search_lists_what_may_be_sold(staff_client, care):
    product(category=Category.SPECTACLE_LENS, name="Menicon Glas")
    sale = services.invoice_create()
    url = reverse("invoices:sale_products", args=[sale.pk])
    response = staff_client.get(url, {"code": "menicon"}, **HTMX)
    text = response.content.decode()
    assert response.status_code == 200 and "<html" not in text
    assert f'data-product-option="{care.pk}"' in text and "Menicon Glas" not in text
    staff_client.post(reverse("invoices:sale_add", args=[sale.pk]), {"product": care.pk})
    assert sale.lines.get().product_id == care.pk
    # Without htmx, the page itself.
    assert staff_client.get(url, {"code": "menicon"}).status_code == 302


def test_a_free_position_is_added_in_its_modal(staff_client):
    sale = services.invoice_create()
    url = reverse("invoices:line_add", args=[sale.pk])
    modal = staff_client.get(url, **HTMX)
    assert modal.status_code == 200 and "<html" not in modal.content.decode()
    invalid = staff_client.post(
        url,
        {
            "description": "Reparatur",
            "quantity": "1",
            "unit_price": "20,00",
            "vat_rate": "19",
            "discount_amount": "5,00",
        },
        **HTMX,
    )
    assert "invoiceSaved" not in invalid.get("HX-Trigger", "")
    assert escape(_("Please give a reason for the discount.")) in invalid.content.decode()
    assert not sale.lines.exists()
    valid = staff_client.post(
        url,
        {
            "description": "Reparatur Bügel",
            "quantity": "1",
            "unit_price": "20,00",
            "vat_rate": "19",
            "discount_amount": "5,00",
            "discount_reason": "Stammkunde",
        },
        **HTMX,
    )
    assert "invoiceSaved" in valid["HX-Trigger"]
    sale.refresh_from_db()
    assert selectors.invoice_totals(sale).gross == Decimal("15.00")


def test_a_position_is_removed_from_a_draft_only(staff_client, care):
    sale = services.invoice_create()
    line = services.invoice_product_add(invoice_id=sale.pk, product_id=care.pk)
    url = reverse("invoices:line_remove", args=[sale.pk, line.pk])
    assert staff_client.post(url).status_code == 302
    assert not sale.lines.exists()
    assert staff_client.post(url).status_code == 404
    line = services.invoice_product_add(invoice_id=sale.pk, product_id=care.pk)
    services.invoice_issue(invoice_id=sale.pk)
    url = reverse("invoices:line_remove", args=[sale.pk, line.pk])
    staff_client.post(url)
    assert sale.lines.filter(pk=line.pk).exists()
    page = staff_client.get(reverse("invoices:detail", args=[sale.pk])).content.decode()
    assert 'id="invoice-scan"' not in page and url not in page


def test_the_customer_is_found_chosen_and_taken_off_again(staff_client):
    erika = customer_factories.customer(**ADDRESS, first_name="Erika", last_name="Kassen")
    sale = services.invoice_create()
    url = reverse("invoices:customer", args=[sale.pk])
    modal = staff_client.get(url, **HTMX)
    assert modal.status_code == 200 and 'id="invoice-customer-search"' in modal.content.decode()
    results = staff_client.get(url, {"q": "Kassen"}, **HTMX).content.decode()
    assert f'data-customer-option="{erika.pk}"' in results and "<html" not in results
    staff_client.post(url, {"customer": erika.pk, "version": sale.version})
    sale.refresh_from_db()
    assert sale.customer_id == erika.pk
    staff_client.post(url, {"customer": "", "version": sale.version})
    sale.refresh_from_db()
    assert sale.customer_id is None


def test_an_issued_invoice_has_no_sale_screens(staff_client, care):
    sale = services.invoice_create()
    services.invoice_product_add(invoice_id=sale.pk, product_id=care.pk)
    services.invoice_issue(invoice_id=sale.pk)
    for name in ("invoices:line_add", "invoices:customer"):
        assert staff_client.get(reverse(name, args=[sale.pk])).status_code == 404
    assert (
        staff_client.post(
            reverse("invoices:sale_add", args=[sale.pk]), {"code": care.ean}
        ).status_code
        == 404
    )


def test_a_draft_page_reads_the_same_number_of_queries_however_many_positions(staff_client, care):
    sale = services.invoice_create()
    url = reverse("invoices:detail", args=[sale.pk])
    services.invoice_product_add(invoice_id=sale.pk, product_id=care.pk)
    staff_client.get(url)
    with CaptureQueriesContext(connection) as one:
        staff_client.get(url)
    for number in range(8):
        services.invoice_line_add(
            invoice_id=sale.pk,
            data={"description": f"Pos {number}", "unit_price": Decimal("1.00")},
        )
    with CaptureQueriesContext(connection) as nine:
        staff_client.get(url)
    assert len(nine) == len(one)


def test_the_customer_page_links_to_the_customers_invoices_and_sells_to_them(staff_client):
    erika = customer_factories.customer(**ADDRESS, first_name="Erika", last_name="Kassen")
    other = customer_factories.customer(**ADDRESS, first_name="Otto", last_name="Anders")
    page = staff_client.get(reverse("customers:detail", args=[erika.pk])).content.decode()
    link = f"{reverse('invoices:list')}?customer={erika.pk}"
    assert link in page
    staff_client.post(reverse("invoices:new"), {"customer": erika.pk})
    sale = Invoice.objects.get()
    assert sale.customer_id == erika.pk
    services.invoice_create(customer_id=other.pk)
    listed = staff_client.get(link).content.decode()
    assert 'id="invoice-list-customer"' in listed
    assert reverse("invoices:detail", args=[sale.pk]) in listed
    assert f"/invoices/{sale.pk + 1}/" not in listed
