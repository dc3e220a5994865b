"""The start page "Heute" through Django's test client: the page and its
htmx partial, each tile's rows, the empty tiles in German, who sees which
tile, no health data for the front desk, and a query count that does not
grow with the data."""

import datetime
import re
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext, ngettext

from appointments.models import AppointmentStatus
from customers.models import Customer
from customers.tests import factories as customer_factories
from customers.validators import years_before
from messaging.models import Kind as MessageKind
from messaging.models import Purpose
from messaging.recall import months_before
from messaging.tests.test_message_views import failed_message
from orders import services as order_services
from orders.models import Kind, Status
from orders.selectors import overdue_orders
from orders.tests.factories import progressive_lens
from prescriptions.tests.factories import fitting, refraction
from products.models import Product
from today import selectors
from today.tests import factories
from today.tests.factories import ONE_DAY, at, today

pytestmark = pytest.mark.django_db
HOME = "/"
HTMX = {"HTTP_HX_REQUEST": "true"}


def page(client, **headers) -> str:
    response = client.get(HOME, **headers)
    assert response.status_code == 200
    return response.content.decode()


def tile(html: str, name: str) -> str:
    """The HTML of one tile (``data-tile``); "" when the page has none."""
    found = re.search(rf'<section[^>]*data-tile="{name}".*?</section>', html, re.S)
    return found.group(0) if found else ""


def date(day) -> str:
    return day.strftime("%d.%m.%Y")


# --- The page -----------------------------------------------------------------------


def test_anonymous_users_are_sent_to_log_in(client):
    response = client.get(HOME)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_home_is_the_start_page_and_the_menu_starts_with_it(optician_client):
    assert reverse("home") == HOME
    html = page(optician_client)
    assert "<title>Heute · OptiCRM</title>" in html
    nav = html.split('id="mainnav"')[1].split("</nav>")[0]
    first = re.search(r"<a [^>]*>([^<]+)</a>", nav)
    assert first.group(1) == "Heute"
    assert 'aria-current="page"' in first.group(0)
    assert 'class="brand" href="/"' in html
    # The day, as German dates are written.
    assert date(today()) in html.split("</h1>")[0]


def test_the_htmx_request_gets_the_tiles_alone_with_their_live_topics(optician_client):
    html = page(optician_client, **HTMX)
    assert html.lstrip().startswith('<div id="today-tiles"')
    assert "<html" not in html and "mainnav" not in html
    region = re.search(r'<div id="today-tiles"[^>]*>', html).group(0)
    assert 'data-live="customer appointment product prescription"' in region
    assert 'hx-get="/"' in region
    assert 'hx-trigger="every 60s"' in region


def test_only_get(optician_client):
    assert optician_client.post(HOME).status_code == 405


# --- The tiles ----------------------------------------------------------------------


def test_todays_appointments_by_staff_with_the_next_one_marked(
    noon, optician_client, optician, owner
):
    day = today()
    past = factories.appointment(optician, at(day, 9), status=AppointmentStatus.DONE)
    following = factories.appointment(
        optician, at(day, 15), customer=customer_factories.customer(last_name="Später")
    )
    upcoming = factories.appointment(
        optician, at(day, 14), customer=customer_factories.customer(last_name="Nächste")
    )
    colleague = factories.appointment(
        owner, at(day, 14, 30), customer=customer_factories.customer(last_name="Kollegin")
    )
    cancelled = factories.appointment(owner, at(day, 16), status=AppointmentStatus.CANCELLED)
    tomorrow = factories.appointment(optician, at(day + ONE_DAY, 10))

    html = tile(page(optician_client), "appointments")
    heading = re.search(r"<h2.*?</h2>", html, re.S).group(0)
    assert 'class="today-count">4<' in heading  # the past one counts, the cancelled one not
    assert f"date_from={day.isoformat()}&amp;date_to={day.isoformat()}" in heading
    shown = [int(pk) for pk in re.findall(r'data-appointment="(\d+)"', html)]
    # Ines Inhaber's before Otto Optiker's, each by time; what has passed is not listed.
    assert shown == [colleague.pk, upcoming.pk, following.pk]
    assert past.pk not in shown and cancelled.pk not in shown and tomorrow.pk not in shown
    next_row = re.search(r'<li class="today-row today-next"[^>]*>.*?</li>', html, re.S).group(0)
    assert f'data-appointment="{upcoming.pk}"' in next_row
    assert "14:00" in next_row and "Nächste" in next_row and "Nächster Termin" in next_row
    assert "Ines Inhaber" in html and "Otto Optiker" in html
    assert (
        ngettext("%(counter)s appointment today", "%(counter)s appointments today", 3)
        % {"counter": 3}
        in html
    )


def test_yesterdays_no_shows(noon, optician_client, optician):
    yesterday = today() - ONE_DAY
    missed = factories.appointment(
        optician,
        at(yesterday, 10, 30),
        status=AppointmentStatus.NO_SHOW,
        customer=customer_factories.customer(last_name="Vergesslich"),
    )
    factories.appointment(optician, at(yesterday, 11), status=AppointmentStatus.DONE)
    factories.appointment(optician, at(today(), 9), status=AppointmentStatus.NO_SHOW)

    html = tile(page(optician_client), "appointments")
    no_shows = html.split("today-subhead")[1]
    assert "status=no_show" in no_shows and f"date_from={yesterday.isoformat()}" in no_shows
    assert 'class="today-count">1<' in no_shows
    assert "10:30" in no_shows and "Vergesslich" in no_shows
    assert f'href="/customers/{missed.customer_id}/"' in no_shows


def test_orders_ready_and_overdue(optician_client, optician):
    ready = factories.ready_order(optician, last_name="Abholer")
    late = factories.overdue_order(optician, days=3, last_name="Wartend")
    factories.order(
        customer_factories.customer(last_name="Pünktlich"),
        optician,
        status=Status.LENSES_ORDERED,
        promised=today() + ONE_DAY,
    )
    factories.order(
        customer_factories.customer(last_name="Fertig"),
        optician,
        status=Status.READY,
        promised=today() - ONE_DAY,  # ready is never late
    )
    html = page(optician_client)

    ready_tile = tile(html, "ready")
    assert 'class="today-count">2<' in ready_tile
    assert "Abholer" in ready_tile and "Fertig" in ready_tile
    assert f'href="/orders/{ready.pk}/"' in ready_tile
    assert 'href="/orders/#board-ready"' in ready_tile
    assert gettext("Order %(number)s") % {"number": ready.pk} in ready_tile

    late_tile = tile(html, "overdue")
    assert 'class="today-count today-count-alert">1<' in late_tile
    assert "Wartend" in late_tile and "Pünktlich" not in late_tile and "Fertig" not in late_tile
    assert f'href="/orders/{late.pk}/"' in late_tile
    promised = gettext("promised for %(day)s") % {"day": date(today() - 3 * ONE_DAY)}
    assert promised in late_tile
    assert "Gläser bestellt" in late_tile


def test_recalls_due_this_week(noon, optician_client, optician):
    due = factories.due_for_eye_test(last_name="Fällig")
    customer_factories.customer(last_name="Überfällig", last_exam_date=years_before(today(), 3))
    customer_factories.customer(
        last_name="Nächstewoche", last_exam_date=years_before(today() + 7 * ONE_DAY, 2)
    )
    html = tile(page(optician_client), "recall")
    assert 'class="today-count">1<' in html
    assert "Fällig" in html and "Überfällig" not in html and "Nächstewoche" not in html
    assert f'href="/customers/{due.pk}/"' in html
    assert "Sehtest" in html
    assert gettext("due on %(day)s") % {"day": date(today())} in html
    assert "?rule=" not in html  # one rule due: the tile's link is its list


def test_the_optician_sees_the_contact_lens_checks_due_too(noon, optician_client, optician):
    monday, _sunday = selectors.week_of(today())
    # A day of this week that is no 29th to 31st: six months back and forth
    # lead to it again.
    day = next(monday + n * ONE_DAY for n in range(7) if (monday + n * ONE_DAY).day <= 28)
    lenses = customer_factories.customer(last_name="Linsenträgerin")
    fitting(lenses, optician, date=months_before(day, 6))
    factories.due_for_eye_test(last_name="Brillenträger")
    html = tile(page(optician_client), "recall")
    assert 'class="today-count">2<' in html
    assert "Linsenträgerin" in html and "Brillenträger" in html
    assert gettext("due on %(day)s") % {"day": date(day)} in html
    assert 'href="/recall/?rule=fitting">Kontaktlinsenkontrolle: 1</a>' in html
    assert 'href="/recall/?rule=eye_test">Sehtest: 1</a>' in html
    assert "rule=reorder" not in html  # none due


def test_products_below_minimum_stock(optician_client):
    low = factories.low_product(name="Brillenetui klein")
    factories.low_product(name="Altes Etui", active=False)
    factories.low_product(name="Genug da", minimum_stock=0)
    html = tile(page(optician_client), "stock")
    assert 'class="today-count">1<' in html
    assert "Brillenetui klein" in html and "Altes Etui" not in html and "Genug da" not in html
    assert f'href="/products/{low.pk}/"' in html
    assert 'href="/products/?below_minimum=on"' in html
    assert gettext("%(stock)s in stock, minimum %(minimum)s") % {"stock": 0, "minimum": 3} in html


def test_failed_messages(optician_client):
    message = factories.failed(last_name="Unerreichbar")
    html = tile(page(optician_client), "failed")
    assert 'class="today-count today-count-alert">1<' in html
    assert "Unerreichbar" in html and f'href="/customers/{message.customer_id}/"' in html
    assert 'href="/messaging/failed/"' in html
    assert "E-Mail" in html


def test_birthdays_of_customers_who_agreed_to_advertising(optician_client):
    greeted = factories.birthday_child(last_name="Geburtstagskind")
    factories.birthday_child(last_name="Nurservice", consent=Purpose.SERVICE)
    factories.birthday_child(last_name="Ohneeinwilligung", consent=None)
    gone = factories.birthday_child(last_name="Gelöscht")
    Customer.objects.filter(pk=gone.pk).update(deleted_at=timezone.now())
    html = tile(page(optician_client), "birthdays")
    assert 'class="today-count">1<' in html
    assert "Geburtstagskind" in html
    assert "Nurservice" not in html and "Ohneeinwilligung" not in html and "Gelöscht" not in html
    assert f'href="/customers/{greeted.pk}/"' in html
    assert gettext("turns %(age)s") % {"age": today().year - 1980} in html


def test_a_birthday_on_29_february_is_kept_on_the_28th_in_other_years():
    condition = str(selectors.birthday_on(datetime.date(2027, 2, 28)))
    assert "29" in condition
    assert "29" not in str(selectors.birthday_on(datetime.date(2028, 2, 28)))


def test_each_tile_says_in_german_that_it_is_empty(optician_client):
    html = page(optician_client)
    for text in (
        "No appointments today.",
        "Nobody missed an appointment yesterday.",
        "No order is ready for pick-up.",
        "No order is overdue.",
        "No recall is due this week.",
        "No birthdays today.",
        "No product is below its minimum stock.",
    ):
        assert gettext(text) in html, text
    # Translated already: the failed messages list says it the same way.
    assert "Keine fehlgeschlagenen Nachrichten: Alles ist versendet." in html
    for name in ("ready", "overdue", "recall", "birthdays", "stock", "failed"):
        assert 'class="today-count">0<' in tile(html, name)


def test_when_the_day_is_over_it_says_so(noon, optician_client, optician):
    factories.appointment(optician, at(today(), 9), status=AppointmentStatus.DONE)
    html = tile(page(optician_client), "appointments")
    assert gettext("No more appointments today.") in html
    assert 'class="today-count">1<' in html


# --- Who sees what ------------------------------------------------------------------


def test_the_front_desk_sees_names_times_and_counts_but_no_health_data(
    staff_client, optician, optician_client
):
    customer = customer_factories.customer(first_name="Gerda", last_name="Gleitsicht")
    exam = refraction(customer, optician, right_sphere=Decimal("-4.75"), right_axis=135)
    glasses = order_services.order_create(
        customer_id=customer.pk, kind=Kind.GLASSES, refraction_id=exam.pk, user=optician
    )
    lens = progressive_lens()
    Product.objects.filter(pk=lens.pk).update(minimum_stock=0)  # not on the stock tile
    order_services.line_save(
        order_id=glasses.pk, data={"kind": "lens", "product": lens, "eye": "right"}, version=None
    )
    factories.order(customer, optician, status=Status.READY)  # a second one, ready
    factories.due_for_eye_test(last_name="Sehtestfällig")
    failed_message(
        customer_factories.customer(last_name="Kontaktlinse"),
        kind=MessageKind.RECALL_CL_CHECK,
        purpose=Purpose.MARKETING,
    )

    html = page(staff_client)
    assert "Gleitsicht" in tile(html, "ready")
    # No tile reads health data for the front desk: no recall (when the eyes
    # were measured), no values, no lenses, no contact lens recall by name.
    assert tile(html, "recall") == "" and "Sehtestfällig" not in html
    # Not the page's tokens, nor links: a customer's id may contain "135".
    tiles = re.sub(r'(href|hx-get)="[^"]*"', "", html.split('id="today-tiles"')[1])
    for health in ("4,75", "-4.75", "135", "Zeiss", "Progressive", "Sph", "Zyl"):
        assert health not in tiles, health
    failed_tile = tile(html, "failed")
    assert "Kontaktlinse" in failed_tile
    assert "Recall contact lens check" not in failed_tile
    assert gettext("Recall contact lens check") not in failed_tile
    assert 'data-live="customer appointment product"' in html
    # The optician sees the recall, still no values in the order tiles.
    optician_html = page(optician_client)
    assert "Sehtestfällig" in tile(optician_html, "recall")
    optician_tiles = optician_html.split('id="today-tiles"')[1]
    assert "4,75" not in optician_tiles and "Zeiss" not in optician_tiles


def _user_with(django_user_model, *codenames):
    user = django_user_model.objects.create_user(username="_".join(codenames)[:150])
    user.user_permissions.set(Permission.objects.filter(codename__in=codenames))
    return user


def test_a_user_without_the_order_right_sees_no_order_tile(client, django_user_model, optician):
    factories.ready_order(optician, last_name="Abholer")
    user = _user_with(
        django_user_model, "view_customer", "view_appointment", "view_product", "view_message"
    )
    client.force_login(user)
    html = page(client)
    assert tile(html, "ready") == "" and tile(html, "overdue") == ""
    assert "Abholer" not in html
    for name in ("appointments", "birthdays", "stock", "failed"):
        assert tile(html, name), name


def test_only_the_tiles_of_the_apps_one_may_open(client, django_user_model):
    client.force_login(_user_with(django_user_model, "view_customer"))
    html = page(client)
    assert re.findall(r'data-tile="(\w+)"', html) == ["birthdays"]
    assert 'data-live="customer"' in html


def test_without_any_right_the_page_says_there_is_nothing(outsider_client):
    html = page(outsider_client)
    assert "data-tile" not in html
    assert (
        gettext(
            "There is nothing here for you: your account may not see appointments, orders, "
            "customers or products."
        )
        in html
    )


# --- Constant queries ---------------------------------------------------------------


def _fill(optician, owner, rows: int, *, after: int = 0) -> None:
    """``rows`` rows for every tile (more than a tile shows); the
    appointments follow the ``after`` made before."""
    day, yesterday = today(), today() - ONE_DAY
    for n in range(after, after + rows):
        staff = optician if n % 2 else owner
        factories.appointment(staff, at(day, 13) + n * datetime.timedelta(minutes=31))
        factories.appointment(
            staff,
            at(yesterday, 9) + n * datetime.timedelta(minutes=31),
            status=AppointmentStatus.NO_SHOW,
        )
        factories.ready_order(optician)
        factories.overdue_order(optician, days=n + 1)
        factories.due_for_eye_test()
        factories.low_product()
        factories.failed()
        factories.birthday_child()


def _queries(client) -> int:
    with CaptureQueriesContext(connection) as queries:
        page(client)
    return len(queries)


def test_the_page_costs_the_same_queries_with_more_rows(
    noon, optician_client, optician, owner, django_assert_max_num_queries
):
    _fill(optician, owner, selectors.ROWS + 2)
    with django_assert_max_num_queries(24):
        html = page(optician_client)
    for name in ("ready", "overdue", "recall", "birthdays", "stock", "failed"):
        rows = len(re.findall(r'<li class="today-row', tile(html, name)))
        assert rows == selectors.ROWS, name
        assert 'class="today-all"' in tile(html, name) or name == "birthdays", name
    assert len(re.findall(r'data-appointment="\d+"', html)) == selectors.ROWS
    before = _queries(optician_client)
    _fill(optician, owner, selectors.ROWS, after=selectors.ROWS + 2)
    assert _queries(optician_client) == before


# --- Indexes ------------------------------------------------------------------------


def _plan(queryset) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
    return queryset.explain()


def test_the_birthdays_are_read_from_their_index():
    factories.birthday_child()
    for _ in range(20):
        customer_factories.customer()
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE customers_customer")
    plan = _plan(Customer.objects.alive().filter(selectors.birthday_on(today())).order_by())
    assert "customer_birthday" in plan, plan


def test_the_overdue_orders_are_read_from_their_own_index():
    """In the tile's order, stopped at its rows: not every overdue order
    sorted (orders migration 0006). The test's table is empty: the planner
    is told what a chain's would make it choose."""
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_bitmapscan = off")
        cursor.execute("SET LOCAL enable_sort = off")
    plan = _plan(overdue_orders(today())[:8])
    assert "order_overdue" in plan and "Sort" not in plan, plan


# --- make bench ---------------------------------------------------------------------


def test_the_benchmark_measures_the_start_page(optician_client):
    from customers.models import InsuranceProvider
    from opticrm.bench.scenarios import scenarios

    # As the benchmark's data: a customer with an insurer (its list's filter).
    insured = customer_factories.customer(insurance_provider=InsuranceProvider.objects.first())
    marker = {
        "detail_customer_id": insured.pk,
        "busiest_day": today().isoformat(),
    }
    [scenario] = [s for s in scenarios(marker) if s["name"] == "start page"]
    assert scenario["method"] == "GET" and scenario["auth"] == "session"
    assert scenario["paths"] == [HOME] and scenario["group"] == "page"
    # Issue 30's target: p95 under 50 ms at 1 client, and that one only.
    assert scenario["targets"] == {1: 50.0}
    assert optician_client.get(scenario["paths"][0]).status_code == 200


def test_names_are_escaped_in_the_tiles(optician_client):
    # The tiles are a Jinja2 template: its autoescape must be on.
    factories.low_product(name='<script>alert("x")</script> & Etui')
    factories.failed(last_name="<b>Fett</b>")
    html = page(optician_client)
    assert "<script>alert" not in html and "<b>Fett</b>" not in html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; Etui" in tile(html, "stock")
    assert "&lt;b&gt;Fett&lt;/b&gt;" in tile(html, "failed")
