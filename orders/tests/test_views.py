"""The order screens through the test client, as a user takes them: full
pages and htmx partials, the modals' saves and refusals, health data only
for the refraction right, constant queries."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from customers.models import InsuranceProvider
from customers.tests import factories
from orders import services
from orders.models import FixedAmount, Kind, Order, Status
from orders.tests.factories import progressive_lens
from prescriptions.models import HealthDataAccess, Refraction
from prescriptions.tests.factories import refraction
from products import services as product_services
from products.models import Category
from products.tests.factories import product

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def customer():
    return factories.customer(first_name="Erika", last_name="Muster")


@pytest.fixture
def frame():
    frame = product(name="Lindberg 9700", sale_price=Decimal("289.00"))
    product_services.stock_move(product_id=frame.pk, kind="receipt", quantity=1)
    return frame


@pytest.fixture
def progressive():
    return progressive_lens()


def _order(customer, user, **kwargs) -> Order:
    return services.order_create(customer_id=customer.pk, user=user, **kwargs)


def test_new_order_from_the_customer_page_defaults_to_the_newest_subjective_refraction(
    optician_client, optician, customer
):
    older = refraction(customer, optician, date=datetime.date(2025, 1, 10))
    newest = refraction(customer, optician, right_sphere=Decimal("-2.25"))
    page = optician_client.get(reverse("customers:detail", args=[customer.pk]))
    create_url = reverse("orders:create", args=[customer.pk])
    assert create_url in page.content.decode()
    assert "Neuer Auftrag" in page.content.decode()

    modal = optician_client.get(create_url, **HTMX)
    html = modal.content.decode()
    assert "<html" not in html
    assert f'value="{newest.pk}" selected' in html
    assert f'value="{older.pk}"' in html

    response = optician_client.post(create_url, {"kind": "glasses", "refraction": older.pk}, **HTMX)
    order = Order.objects.get(customer=customer)
    assert response.status_code == 200
    assert response["HX-Redirect"] == reverse("orders:detail", args=[order.pk])
    assert (order.refraction, order.status) == (older, Status.QUOTE)


def test_a_foreign_refraction_gets_a_german_message_and_no_order(
    optician_client, optician, customer
):
    other = factories.customer(first_name="Otto", last_name="Anders")
    theirs = refraction(other, optician)
    refraction(customer, optician)
    response = optician_client.post(
        reverse("orders:create", args=[customer.pk]),
        {"kind": "glasses", "refraction": theirs.pk},
        **HTMX,
    )
    assert response.status_code == 200
    assert "Auswahl" in response.content.decode() or "wählen" in response.content.decode()
    assert not Order.objects.exists()


def test_the_order_page_shows_values_positions_totals_and_logs_the_health_data_access(
    optician_client, optician, customer, frame, progressive
):
    refraction(customer, optician, right_sphere=Decimal("-1.25"), right_addition=Decimal("2.00"))
    order = _order(customer, optician)
    services.order_update(order_id=order.pk, data={"frame": frame}, version=None)
    services.lens_pair_add(
        order_id=order.pk, product_id=progressive.pk, eyes=("right",), diameter=70, version=None
    )
    page = optician_client.get(reverse("orders:detail", args=[order.pk]))
    html = page.content.decode()
    assert page.status_code == 200
    assert "−1,25" in html
    assert "Lindberg 9700" in html
    # The lens is priced for the eye's power from the price list.
    assert "249,00\xa0€" in html
    # The frame is a position by itself: 289 € + 249 € = 538 €, the VAT of
    # 19 % taken out of the gross once: 85,90 €.
    assert "289,00\xa0€" in html
    assert "538,00\xa0€" in html and "85,90\xa0€" in html
    assert HealthDataAccess.objects.filter(
        customer_number=customer.pk, where=HealthDataAccess.Where.ORDER
    ).exists()
    partial = optician_client.get(reverse("orders:detail", args=[order.pk]), **HTMX)
    assert "<html" not in partial.content.decode()
    assert 'id="order-page"' in partial.content.decode()


def test_front_desk_sees_the_order_but_no_measured_values(staff_client, optician, customer):
    refraction(customer, optician, right_sphere=Decimal("-4.75"))
    order = _order(customer, optician)
    page = staff_client.get(reverse("orders:detail", args=[order.pk]))
    html = page.content.decode()
    assert page.status_code == 200
    assert "−4,75" not in html
    assert "Zentrierung" not in html
    assert staff_client.get(reverse("orders:centration", args=[order.pk])).status_code == 403
    assert staff_client.get(reverse("orders:oma", args=[order.pk])).status_code == 403
    assert (
        staff_client.get(reverse("orders:document", args=[order.pk, "glasbestellung"])).status_code
        == 403
    )
    assert not HealthDataAccess.objects.filter(where=HealthDataAccess.Where.ORDER).exists()


def test_without_the_order_right_nothing_opens(outsider_client, optician, customer):
    order = _order(customer, optician)
    for url in (
        reverse("orders:board"),
        reverse("orders:detail", args=[order.pk]),
        reverse("orders:create", args=[customer.pk]),
    ):
        assert outsider_client.get(url).status_code == 403


def test_centration_outside_a_plausibility_limit_needs_a_reason(
    optician_client, optician, customer
):
    refraction(customer, optician)
    order = _order(customer, optician)
    url = reverse("orders:centration", args=[order.pk])
    data = {"version": order.version, "right_pd": "39,5", "left_pd": "31"}
    refused = optician_client.post(url, data, **HTMX)
    assert "auffällig" in refused.content.decode() or "Grund" in refused.content.decode()
    order.refresh_from_db()
    assert order.right_pd != Decimal("39.5")

    # Out of the measurable range: a hard limit no reason overrides.
    hard = optician_client.post(url, {**data, "right_pd": "55", "plausibility_reason": "x"}, **HTMX)
    assert hard.status_code == 200
    assert "HX-Trigger" not in hard

    saved = optician_client.post(url, {**data, "plausibility_reason": "zweimal gemessen"}, **HTMX)
    assert "closeModal" in saved["HX-Trigger"]
    order.refresh_from_db()
    assert (order.right_pd, order.plausibility_reason) == (Decimal("39.5"), "zweimal gemessen")


def test_a_stale_version_is_refused_and_the_form_keeps_the_input(
    optician_client, optician, customer
):
    order = _order(customer, optician)
    url = reverse("orders:line_create", args=[order.pk])
    stale = order.version
    services.line_save(
        order_id=order.pk,
        data={"kind": "service", "description": "Werkstatt", "unit_price": Decimal("15")},
        version=None,
    )
    response = optician_client.post(
        url,
        {
            "version": stale,
            "kind": "other",
            "description": "Etui",
            "quantity": 1,
            "unit_price": "9,90",
            "vat_rate": 19,
        },
        **HTMX,
    )
    html = response.content.decode()
    assert "inzwischen" in html
    assert 'value="Etui"' in html
    assert order.lines.count() == 1
    current = Order.objects.get(pk=order.pk).version
    assert f'name="version" value="{current}"' in html


def test_a_position_by_scanned_ean_takes_the_article_price(optician_client, optician, customer):
    care = product(
        name="All-in-one 360 ml",
        category=Category.CARE,
        ean="4006381333931",
        sale_price=Decimal("12.95"),
    )
    order = _order(customer, optician, kind=Kind.CONTACT_LENSES)
    response = optician_client.post(
        reverse("orders:line_create", args=[order.pk]),
        {
            "version": order.version,
            "code": care.ean,
            "kind": "other",
            "quantity": 2,
            "vat_rate": 19,
        },
        **HTMX,
    )
    assert "closeModal" in response["HX-Trigger"]
    line = order.lines.get()
    assert (line.product, line.unit_price, line.description) == (
        care,
        Decimal("12.95"),
        "All-in-one 360 ml",
    )
    unknown = optician_client.post(
        reverse("orders:line_create", args=[order.pk]),
        {"version": order.version, "code": "123", "kind": "other", "quantity": 1, "vat_rate": 19},
        **HTMX,
    )
    assert "Kein Artikel" in unknown.content.decode()


def test_status_buttons_take_the_frame_and_a_cancellation_needs_its_reason(
    optician_client, optician, customer, frame
):
    refraction(customer, optician)
    order = _order(customer, optician)
    services.order_update(order_id=order.pk, data={"frame": frame}, version=None)
    services.line_save(
        order_id=order.pk,
        data={"kind": "service", "description": "Anpassung", "unit_price": Decimal("20")},
        version=None,
    )
    order.refresh_from_db()
    url = reverse("orders:status", args=[order.pk])
    response = optician_client.post(url, {"status": "ordered", "version": order.version}, **HTMX)
    assert "orderSaved" in response["HX-Trigger"]
    frame.refresh_from_db()
    assert frame.stock == 0

    order.refresh_from_db()
    modal = optician_client.get(url, {"status": "cancelled"}, **HTMX)
    assert 'name="reason"' in modal.content.decode()
    refused = optician_client.post(
        url, {"status": "cancelled", "version": order.version, "reason": ""}, **HTMX
    )
    assert "Grund" in refused.content.decode()
    done = optician_client.post(
        url,
        {"status": "cancelled", "version": order.version, "reason": "Kunde verzichtet"},
        **HTMX,
    )
    assert "closeModal" in done["HX-Trigger"]
    frame.refresh_from_db()
    assert frame.stock == 1

    # A bad status value is a 404, not an error page.
    assert optician_client.post(url, {"status": "nonsense"}).status_code == 404


def test_the_board_shows_open_orders_per_status_overdue_first_in_constant_queries(
    optician_client, optician, customer
):
    today = timezone.localdate()
    orders = []
    for days in (3, -2, 1):
        order = _order(customer, optician, kind=Kind.REPAIR)
        services.order_update(
            order_id=order.pk,
            data={"promised_date": today + datetime.timedelta(days=days)},
            version=None,
        )
        orders.append(order)
    _order(customer, optician)  # a quote: the first column has cards too
    page = optician_client.get(reverse("orders:board"))
    html = page.content.decode()
    assert page.status_code == 200
    # The repair taken in ("angenommen") is in the "Auftrag" column, the late one first.
    column = html.split('id="board-ordered"')[1].split("</section>")[0]
    first, second = orders[1].pk, orders[2].pk
    assert column.index(f"board-order-{first}") < column.index(f"board-order-{second}")
    assert "überfällig" in column

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            optician_client.get(reverse("orders:board"), **HTMX)
        return len(captured)

    before = queries()
    for _ in range(5):
        _order(customer, optician)
    assert queries() == before

    filtered = optician_client.get(reverse("orders:board"), {"staff": "x", "since": "gestern"})
    assert filtered.status_code == 200


def test_the_order_page_answers_in_constant_queries(optician_client, optician, customer):
    refraction(customer, optician)
    order = _order(customer, optician)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            response = optician_client.get(reverse("orders:detail", args=[order.pk]))
        assert response.status_code == 200
        return len(captured)

    services.line_save(
        order_id=order.pk,
        data={"kind": "service", "description": "A", "unit_price": Decimal("1")},
        version=None,
    )
    before = queries()
    for index in range(6):
        services.line_save(
            order_id=order.pk,
            data={
                "kind": "product",
                "description": f"P{index}",
                "unit_price": Decimal("2"),
                "product": product(name=f"Artikel {index}"),
            },
            version=None,
        )
    assert queries() == before


def test_gkv_share_for_a_fifteen_year_old(optician_client, optician, progressive):
    insurer = InsuranceProvider.objects.create(name="AOK Testland", kind="statutory")
    today = timezone.localdate()
    child = factories.customer(
        first_name="Paul",
        last_name="Jung",
        date_of_birth=today.replace(year=today.year - 15) - datetime.timedelta(days=3),
        insurance_provider=insurer,
    )
    refraction(
        child,
        optician,
        kind=Refraction.Kind.EXTERNAL,
        right_addition=Decimal("1.00"),
        left_addition=Decimal("1.00"),
    )
    FixedAmount.objects.create(
        valid_from=datetime.date(2020, 1, 1),
        lens_type="multifocal",
        power_from=Decimal("0"),
        power_to=Decimal("6"),
        cylinder_to=Decimal("2"),
        amount=Decimal("58.00"),
        aid_number="25.21.02.2001",
    )
    order = _order(child, optician)
    services.lens_pair_add(
        order_id=order.pk,
        product_id=progressive.pk,
        eyes=("right", "left"),
        diameter=70,
        version=None,
    )
    html = optician_client.get(reverse("orders:detail", args=[order.pk])).content.decode()
    assert "unter 18" in html
    assert "25.21.02.2001" in html
    # Two lenses at 249 €, 58 € each from the insurer, no co-payment under 18.
    assert "116,00\xa0€" in html
    assert "382,00\xa0€" in html
    assert "eKV" in html


def test_ready_sends_the_ready_message_once_or_says_to_call(optician_client, optician):
    from messaging import services as messaging_services
    from messaging.models import Message

    reachable = factories.customer(
        first_name="Rita", last_name="Reich", email="rita@example.org", phone=""
    )
    messaging_services.consent_give(
        customer_id=reachable.pk,
        channel="email",
        purpose="service",
        method="in_store",
        text="Einverstanden",
        user=None,
    )
    unreachable = factories.customer(first_name="Udo", last_name="Ohne", email="", phone="")
    for customer, expected in ((reachable, "E-Mail"), (unreachable, "kann nicht benachrichtigt")):
        order = _order(customer, optician, kind=Kind.REPAIR)
        response = optician_client.post(
            reverse("orders:status", args=[order.pk]),
            {"status": "ready", "version": order.version},
            **HTMX,
        )
        assert "orderSaved" in response["HX-Trigger"]
        assert expected in response.content.decode()
        page = optician_client.get(reverse("orders:detail", args=[order.pk])).content.decode()
        assert f"customer={customer.pk}&amp;type=" in page
    message = Message.objects.get(customer=reachable)
    ordered = Order.objects.get(customer=reachable)
    assert (message.kind, message.channel) == ("ready", "email")
    assert message.key == f"ready:order:{ordered.pk}:{ordered.version}"
    assert not Message.objects.filter(customer=unreachable).exists()


def _pdf_text(response) -> str:
    import io

    from pypdf import PdfReader

    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)


def test_front_desk_prints_the_quote_without_the_measured_values(
    staff_client, optician_client, optician, customer
):
    refraction(customer, optician, right_sphere=Decimal("-7.25"), right_pd=Decimal("31.5"))
    order = _order(customer, optician)
    url = reverse("orders:document", args=[order.pk, "angebot"])
    theirs = _pdf_text(staff_client.get(url))
    assert "Angebot Nr." in theirs
    assert "7,25" not in theirs and "31,5" not in theirs
    assert not HealthDataAccess.objects.exists()
    ours = _pdf_text(optician_client.get(url))
    assert "7,25" in ours


def test_a_scanned_article_keeps_its_vat_rate_unless_changed(optician_client, optician, customer):
    book = product(
        name="Fachbuch Sehen",
        category=Category.ACCESSORY,
        ean="9783161484100",
        sale_price=Decimal("19.90"),
        vat_rate=7,
    )
    order = _order(customer, optician, kind=Kind.REPAIR)
    url = reverse("orders:line_create", args=[order.pk])
    form = optician_client.get(url, **HTMX).content.decode()
    # The form as the browser posts it: VAT 19 % preselected, the code scanned.
    assert 'name="vat_rate"' in form
    optician_client.post(
        url,
        {
            "version": order.version,
            "code": book.ean,
            "kind": "other",
            "quantity": 1,
            "vat_rate": 19,
            "initial-vat_rate": 19,
        },
        **HTMX,
    )
    line = order.lines.get()
    assert (line.vat_rate, line.unit_price, line.kind) == (7, Decimal("19.90"), "product")


def test_a_post_without_the_version_saves_nothing(optician_client, optician, customer):
    order = _order(customer, optician, kind=Kind.REPAIR)
    response = optician_client.post(
        reverse("orders:line_create", args=[order.pk]),
        {
            "kind": "service",
            "description": "Löten",
            "quantity": 1,
            "unit_price": "12",
            "vat_rate": 19,
        },
        **HTMX,
    )
    assert "neu" in response.content.decode()
    assert not order.lines.exists()
    status = optician_client.post(
        reverse("orders:status", args=[order.pk]), {"status": "ready", "version": "abc"}, **HTMX
    )
    assert status.status_code == 200
    assert Order.objects.get(pk=order.pk).status == Status.ORDERED


def test_the_board_ignores_dates_no_order_can_have(optician_client):
    for until in ("31.12.9999", "9999-12-31", "01.01.0001"):
        assert optician_client.get(reverse("orders:board"), {"until": until}).status_code == 200


def test_the_order_page_with_the_insurers_share_answers_in_constant_queries(
    optician_client, optician, progressive
):
    insurer = InsuranceProvider.objects.create(name="IKK Test", kind="statutory")
    today = timezone.localdate()
    child = factories.customer(
        first_name="Mia",
        last_name="Klein",
        date_of_birth=today.replace(year=today.year - 10),
        insurance_provider=insurer,
    )
    refraction(
        child,
        optician,
        kind=Refraction.Kind.EXTERNAL,
        right_addition=Decimal("1.00"),
        left_addition=Decimal("1.00"),
    )
    order = _order(child, optician)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            response = optician_client.get(reverse("orders:detail", args=[order.pk]))
        assert response.status_code == 200
        return len(captured)

    services.lens_pair_add(
        order_id=order.pk, product_id=progressive.pk, eyes=("right",), diameter=70, version=None
    )
    before = queries()
    services.lens_pair_add(
        order_id=order.pk, product_id=progressive.pk, eyes=("left",), diameter=70, version=None
    )
    for index in range(3):
        services.line_save(
            order_id=order.pk,
            data={"kind": "service", "description": f"S{index}", "unit_price": Decimal("5")},
            version=None,
        )
    assert queries() == before


def test_front_desk_sees_the_insurers_share_but_not_why(staff_client, optician):
    insurer = InsuranceProvider.objects.create(name="DAK Test", kind="statutory")
    adult = factories.customer(
        first_name="Sehr",
        last_name="Kurzsichtig",
        date_of_birth=datetime.date(1970, 1, 1),
        insurance_provider=insurer,
    )
    refraction(adult, optician, kind=Refraction.Kind.EXTERNAL, right_sphere=Decimal("-8.00"))
    order = _order(adult, optician)
    html = staff_client.get(reverse("orders:detail", args=[order.pk])).content.decode()
    assert "Kassenanteil (GKV)" in html and "Anspruch" in html
    assert "dpt" not in html
