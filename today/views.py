"""The start page "Heute": what the day holds, one tile per app, each shown
only to who may open that app's page (the rights the main menu asks)."""

import datetime

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template import engines
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_http_methods

from messaging.recall import Rule
from opticrm.lib import health_data
from today import selectors

ONE_DAY = datetime.timedelta(days=1)
# The live topics (live.topics) each tile shows data of, names included:
# a change to one reloads the tiles in place. Orders and messages have no
# topic; the page also reloads itself every minute (the next appointment
# moves on with the clock).
LIVE_TOPICS = {
    "appointments": ("appointment", "customer"),
    "orders": ("customer",),
    "recall": ("customer", "appointment", "prescription"),
    "products": ("product",),
    "messages": ("customer",),
    "birthdays": ("customer",),
}
TOPIC_ORDER = ("customer", "appointment", "product", "prescription")


def visible_tiles(user) -> list[str]:
    """The tiles ``user`` sees: those whose app's list they may open."""
    may = {
        "appointments": user.has_perm("appointments.view_appointment"),
        "orders": user.has_perm("orders.view_order"),
        # Who is due reads when the eyes were last measured: health data, as
        # on the recall list (messaging.recall_views.recall_permission).
        "recall": user.has_perm("messaging.view_message") and health_data.may_see_recall(user),
        "products": user.has_perm("products.view_product"),
        "messages": user.has_perm("messaging.view_message"),
        "birthdays": user.has_perm("customers.view_customer"),
    }
    return [tile for tile, allowed in may.items() if allowed]


def recall_rules(user) -> list[str]:
    """The recall rules the user may see: the contact lens ones tell who
    wears contact lenses (the fitting right)."""
    if health_data.may_see_fittings(user):
        return [Rule.EYE_TEST, *Rule.CONTACT_LENSES]
    return [Rule.EYE_TEST]


@require_http_methods(["GET"])
def start_page(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    today = timezone.localdate(now)
    tiles = visible_tiles(request.user)
    context: dict = {
        "today": today,
        "yesterday": today - ONE_DAY,
        "tiles": tiles,
        "live_topics": " ".join(
            topic for topic in TOPIC_ORDER if any(topic in LIVE_TOPICS[tile] for tile in tiles)
        ),
    }
    if "appointments" in tiles:
        context["appointments"] = selectors.appointments_today(now)
        context["no_shows"] = selectors.no_shows(today - ONE_DAY)
    if "orders" in tiles:
        context["ready"] = selectors.orders_ready()
        context["overdue"] = selectors.orders_overdue(today)
    if "recall" in tiles:
        context["recall"] = selectors.recalls_this_week(today, recall_rules(request.user), now=now)
    if "products" in tiles:
        context["below_minimum"] = selectors.products_below_minimum()
    if "messages" in tiles:
        context["failed"] = selectors.messages_failed(
            contact_lenses=health_data.may_see_fittings(request.user)
        )
    if "birthdays" in tiles:
        context["birthdays"] = selectors.birthdays(today)
    # The tiles in Jinja2: in Django's template language they took a third
    # of the page's time (docs/benchmark.md, start page).
    context["may_open_customers"] = request.user.has_perm("customers.view_customer")
    tiles_html = engines["jinja2"].get_template("today/tiles.html").render(context, request)
    if request.htmx and not request.htmx.history_restore_request:
        return HttpResponse(tiles_html)
    context["tiles_html"] = mark_safe(tiles_html)  # noqa: S308 (Jinja2 escaped it)
    return render(request, "today/today.html", context)
