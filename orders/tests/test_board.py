"""The order board's columns through the page: which orders are cards, in
which order, with which filters, and the column's limit."""

import datetime
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from customers.tests import factories
from opticrm.lib.dates import start_of_day
from orders import selectors, services
from orders.models import Kind, Order, Status

pytestmark = pytest.mark.django_db


@pytest.fixture
def customer():
    return factories.customer(first_name="Erika", last_name="Muster")


def _order(customer, user, *, status=Status.ORDERED, promised=None, hours_in_status=1, **kwargs):
    order = services.order_create(customer_id=customer.pk, user=user, kind=Kind.REPAIR)
    now = timezone.now()
    Order.objects.filter(pk=order.pk).update(
        status=status,
        promised_date=promised,
        status_changed_at=now - datetime.timedelta(hours=hours_in_status),
        **kwargs,
    )
    return order.pk


def _column(html: str, status: str) -> list[int]:
    column = html.split(f'id="board-{status}"')[1].split("</section>")[0]
    return [int(pk) for pk in re.findall(r'id="board-order-(\d+)"', column)]


def test_a_column_lists_late_then_promised_then_undated_orders(optician_client, optician, customer):
    today = timezone.localdate()
    day = datetime.timedelta(days=1)
    undated_long = _order(customer, optician, hours_in_status=50)
    undated_short = _order(customer, optician, hours_in_status=2)
    later = _order(customer, optician, promised=today + 3 * day)
    soon_short = _order(customer, optician, promised=today + day, hours_in_status=1)
    soon_long = _order(customer, optician, promised=today + day, hours_in_status=30)
    late_a_week = _order(customer, optician, promised=today - 7 * day)
    late_a_day = _order(customer, optician, promised=today - day)
    page = optician_client.get(reverse("orders:board"))
    assert page.status_code == 200
    assert _column(page.content.decode(), Status.ORDERED) == [
        late_a_week,
        late_a_day,
        soon_long,
        soon_short,
        later,
        undated_long,
        undated_short,
    ]


def test_quotes_newest_first_and_old_ones_leave_the_board(optician_client, optician, customer):
    now = timezone.now()
    # Just before the first day the board shows (in Berlin: "91 days ago"
    # from the clock fell on that day late in the evening, when the summer
    # of 91 days ago was two hours ahead of UTC).
    first_day = timezone.localdate() - datetime.timedelta(days=selectors.QUOTE_DAYS)
    old = _order(
        customer,
        optician,
        status=Status.QUOTE,
        created_at=start_of_day(first_day) - datetime.timedelta(minutes=1),
    )
    older = _order(
        customer, optician, status=Status.QUOTE, created_at=now - datetime.timedelta(days=5)
    )
    newer = _order(
        customer, optician, status=Status.QUOTE, created_at=now - datetime.timedelta(days=1)
    )
    html = optician_client.get(reverse("orders:board")).content.decode()
    assert _column(html, Status.QUOTE) == [newer, older]
    assert old not in _column(html, Status.QUOTE)
    assert 'id="board-quote">Angebot <span class="board-count">2</span>' in html


def test_a_full_column_shows_its_first_cards_and_says_how_many_there_are(
    optician_client, optician, customer
):
    ready = [
        _order(customer, optician, status=Status.READY, hours_in_status=100 - n)
        for n in range(selectors.CARDS_PER_COLUMN + 2)
    ]
    html = optician_client.get(reverse("orders:board")).content.decode()
    # Waiting longest first; the two that waited shortest are left out.
    assert _column(html, Status.READY) == ready[: selectors.CARDS_PER_COLUMN]
    shown = selectors.CARDS_PER_COLUMN
    assert f"{shown} von {shown + 2} angezeigt" in html


def test_the_staff_and_date_filters_choose_the_cards(
    optician_client, optician, customer, django_user_model
):
    colleague = django_user_model.objects.create_user("kollegin", first_name="Karla")
    now = timezone.now()
    mine = _order(customer, optician)
    theirs = _order(customer, optician, staff=colleague)
    last_month = _order(
        customer, optician, staff=colleague, created_at=now - datetime.timedelta(days=40)
    )
    board = reverse("orders:board")
    html = optician_client.get(board, {"staff": colleague.pk}).content.decode()
    assert _column(html, Status.ORDERED) == [theirs, last_month]
    assert "Karla" in html.split(f'id="board-order-{theirs}"')[1].split("</li>")[0]
    since = (timezone.localdate() - datetime.timedelta(days=7)).strftime("%d.%m.%Y")
    html = optician_client.get(board, {"staff": colleague.pk, "since": since}).content.decode()
    assert _column(html, Status.ORDERED) == [theirs]
    until = (timezone.localdate() - datetime.timedelta(days=30)).strftime("%d.%m.%Y")
    html = optician_client.get(board, {"until": until}).content.decode()
    assert _column(html, Status.ORDERED) == [last_month]
    assert mine in _column(optician_client.get(board).content.decode(), Status.ORDERED)


def test_an_empty_board_says_so(optician_client):
    page = optician_client.get(reverse("orders:board"))
    assert page.status_code == 200
    assert page.content.decode().count("board-empty") == len(selectors.BOARD_STATUSES)
