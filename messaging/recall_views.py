"""The recall list ("Recall"): who is due for an eye test, a contact lens
check or a contact lens reorder, filtered by rule, due month, reachability
and age group, with the
batch actions on the whole filtered list: send the e-mails and SMS (in the
background), print the letters (PDF), export a CSV.

The due rule reads when a customer's eyes were last measured, which is
health data: every view needs ``messaging.view_message`` and
opticrm.lib.health_data.may_see_recall; the actions that write need
``messaging.send_message`` as well. The rules themselves live in
messaging.recall and messaging.services."""

import csv
import datetime
import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import wraps
from itertools import islice
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from customers.models import Customer
from messaging import services
from messaging.models import Channel, Purpose
from messaging.recall import (
    Reach,
    RecallQuery,
    Rule,
    capped_keys,
    due_customers,
    due_date,
    due_keys,
    electronically_reachable,
    page_customers,
)
from messaging.recall_forms import RecallFilterForm
from messaging.selectors import message_settings, reachable_channels, usable_channels
from messaging.tasks import queue_recall
from opticrm.lib import health_data
from opticrm.lib.forms import PageSizeForm
from opticrm.lib.htmx import close_modal, render_page_or_partial
from opticrm.lib.pagination import TablePaginator
from opticrm.lib.phone import format_phone
from opticrm.lib.spreadsheet import spreadsheet_text

logger = logging.getLogger(__name__)

VIEW_MESSAGES = "messaging.view_message"
SEND_MESSAGES = "messaging.send_message"
TEMPLATE = "messaging/recall_list.html"
DEFAULT_PAGE_SIZE = 25
# The list's count stops here ("mehr als 1.000"): see _list_context.
COUNT_UP_TO = 1_000
# The confirmation counts the recipients up to here ("more than 10,000").
COUNT_AT_MOST = 10_000
CSV_CHUNK = 2000
# The order channels are shown in, as badges and in the CSV.
CHANNEL_ORDER = (Channel.EMAIL, Channel.SMS, Channel.LETTER)


def recall_permission(view):
    """``messaging.view_message`` and the health-data right the due rule
    needs; 403 otherwise (anonymous users are sent to log in before)."""

    @permission_required(VIEW_MESSAGES, raise_exception=True)
    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs):
        if not health_data.may_see_recall(request.user):
            raise PermissionDenied
        # The contact lens rules show fitting dates and tell who wears
        # contact lenses: health data of their own.
        data = request.POST if request.method == "POST" else request.GET
        if data.get("rule") in Rule.CONTACT_LENSES and not health_data.may_see_fittings(
            request.user
        ):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapped


def _today() -> datetime.date:
    return timezone.localdate()


def _filter_form(data) -> RecallFilterForm:
    return RecallFilterForm(data, today=_today())


def _list_url(form: RecallFilterForm) -> str:
    """The list with the form's filters (the ones left empty left out)."""
    query = urlencode([(name, value) for name, value in form.hidden_values() if value])
    return reverse("recall:list") + (f"?{query}" if query else "")


def _page_size(request: HttpRequest) -> int:
    form = PageSizeForm(request.GET, sizes=settings.TABLE_PAGE_SIZES)
    if form.is_valid() and form.cleaned_data.get("page_size"):
        return form.cleaned_data["page_size"]
    return DEFAULT_PAGE_SIZE


def age_on(born: datetime.date | None, today: datetime.date) -> int | None:
    if born is None:
        return None
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def last_measured(customer: Customer, rule: str) -> datetime.date | None:
    """The newest exam/refraction (eye test) or fitting (the contact lens
    rules): what the check counts from, and for a reorder the fitting the
    lenses were fitted by (the date of the order is not on the row)."""
    return customer.last_fitting_date if rule in Rule.CONTACT_LENSES else customer.eye_test_base


def channels_in_order(reachable: set[str]) -> list[str]:
    return [channel for channel in CHANNEL_ORDER if channel in reachable]


@dataclass(slots=True)
class RecallRow:
    customer: Customer
    age: int | None
    due: datetime.date | None
    last_measured: datetime.date | None
    channels: list[str]  # in CHANNEL_ORDER
    last_recall_at: datetime.datetime | None
    last_recall_channel: str | None


def _rows(keys: list[tuple], query: RecallQuery) -> list[RecallRow]:
    """The page's rows, from its (date, id) keys (due_keys) in one query."""
    customers = page_customers([pk for _date, pk in keys], query.kind)
    return [
        RecallRow(
            customer=customer,
            age=age_on(customer.date_of_birth, query.today),
            due=due_date(customer, query.rule, query.today),
            last_measured=last_measured(customer, query.rule),
            channels=channels_in_order(usable_channels(customer, customer.consented)),
            last_recall_at=customer.last_recall_at,
            last_recall_channel=customer.last_recall_channel,
        )
        for customer in customers
    ]


def _customers(query: RecallQuery):
    return due_customers(query, pause_weeks=message_settings().recall_pause_weeks).defer(
        "notes", "search_text"
    )


def _estimate_key(query: RecallQuery, pause_weeks: int) -> tuple[str, str]:
    """What the list's reused count estimate is kept under (one key per
    filter and day, see opticrm.lib.pagination.unfiltered_estimate)."""
    return "recall", f"{sorted(query.as_dict().items())} {pause_weeks}"


def _list_context(request: HttpRequest, form: RecallFilterForm) -> dict:
    page_size = _page_size(request)
    context = {
        "form": form,
        "page": None,
        "rows": [],
        "page_size": page_size,
        "page_sizes": settings.TABLE_PAGE_SIZES,
        "table_id": "#recall-table",
    }
    if not form.is_valid():
        return context
    query = form.query()
    pause_weeks = message_settings().recall_pause_weeks
    if query.month is None:
        # Due by the end of this month: filtered=False, so a chain's list of
        # 300,000 due customers shows "ca." from the planner's estimate
        # instead of counting them on every page.
        paginator = TablePaginator(
            due_keys(query, pause_weeks=pause_weeks),
            page_size,
            filtered=False,
            estimate_key=_estimate_key(query, pause_weeks),
        )
    else:
        # A due month: the planner cannot estimate it (430 for 10,000), and
        # a capped count read the 13 months between the two rules' ranges
        # (180 ms at a million customers). Counted and paged from its first
        # COUNT_UP_TO keys, read per rule's range; beyond, "mehr als 1.000",
        # paged as far.
        keys, exact = capped_keys(query, pause_weeks=pause_weeks, at_most=COUNT_UP_TO)
        paginator = TablePaginator(keys, page_size, filtered=True, known_count=len(keys))
        paginator.more_than = not exact
    page = paginator.get_page(request.GET.get("page"))
    context |= {
        "query": query,
        "page": page,
        "rows": _rows(list(page.object_list), query),
        "is_fitting": query.rule == Rule.FITTING,
        "is_reorder": query.rule == Rule.REORDER,
        "list_url": _list_url(form),
        "export_query": urlencode([(n, v) for n, v in form.hidden_values() if v]),
    }
    return context


@recall_permission
@require_http_methods(["GET"])
def recall_list(request: HttpRequest) -> HttpResponse:
    form = _filter_form(request.GET)
    return render_page_or_partial(request, TEMPLATE, "table", _list_context(request, form))


# --- Send the e-mails and SMS (in the background) -------------------------------


def _electronic_count(query: RecallQuery) -> int:
    """How many on the list get an e-mail or SMS, counted up to COUNT_AT_MOST + 1."""
    return _customers(query).filter(electronically_reachable())[: COUNT_AT_MOST + 1].count()


def _invalid_filters(request: HttpRequest, form: RecallFilterForm) -> HttpResponse:
    for errors in form.errors.values():
        for error in errors:
            messages.error(request, error)
    url = reverse("recall:list")
    if request.htmx:
        return close_modal(request)
    return redirect(url)


@recall_permission
@permission_required(SEND_MESSAGES, raise_exception=True)
@require_http_methods(["GET", "POST"])
def recall_send(request: HttpRequest) -> HttpResponse:
    """GET: the confirmation (a modal; without htmx the list with it on
    top). POST: hand the list's e-mails and SMS to the background worker."""
    if request.method == "POST":
        form = _filter_form(request.POST)
        if not form.is_valid():
            return _invalid_filters(request, form)
        queue_recall.enqueue(query=form.query().as_dict(), user_id=request.user.pk)
        messages.success(
            request,
            _(
                "The recall is being sent in the background. The messages appear on each "
                "customer's page; at night they go out after the quiet hours."
            ),
        )
        if request.htmx:
            return close_modal(request)
        return redirect(_list_url(form))
    form = _filter_form(request.GET)
    if not form.is_valid():
        return _invalid_filters(request, form)
    count = _electronic_count(form.query())
    confirm = {
        "confirm_form": form,
        "recipients": count,
        "too_many_to_count": count > COUNT_AT_MOST,
        "count_at_most": COUNT_AT_MOST,
        "cancel_url": _list_url(form),
    }
    if request.htmx:
        return render_page_or_partial(request, TEMPLATE, "send_modal", confirm)
    return render_page_or_partial(
        request, TEMPLATE, "table", _list_context(request, form) | confirm
    )


# --- Letters (PDF) ---------------------------------------------------------------------


@recall_permission
@permission_required(SEND_MESSAGES, raise_exception=True)
@require_POST
def recall_letters(request: HttpRequest) -> HttpResponse:
    """The letters of everyone on the list who is reached by letter only, as
    one PDF to print; each letter is logged as sent."""
    form = _filter_form(request.POST)
    if not form.is_valid():
        return _invalid_filters(request, form)
    try:
        pdf = services.recall_letters(query=form.query(), user=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect(_list_url(form))
    response = HttpResponse(pdf, content_type="application/pdf")
    # Translators: the start of the PDF file's name, lower case without spaces.
    name = _("recall-letters")
    response["Content-Disposition"] = f'attachment; filename="{name}-{_today():%Y-%m-%d}.pdf"'
    return response


# --- CSV -------------------------------------------------------------------------------


class _Echo:
    """A file that hands back what is written: csv.writer for a stream."""

    def write(self, value: str) -> str:
        return value


def _chunks(items: Iterable, size: int) -> Iterator[list]:
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


def _csv_lines(query: RecallQuery, language: str) -> Iterator[str]:
    # Streamed after the view has returned: in the request's language still.
    with translation.override(language):
        yield from _csv_rows(query)


def _csv_rows(query: RecallQuery) -> Iterator[str]:
    writer = csv.writer(_Echo(), delimiter=";")
    field = Customer._meta.get_field
    yield "\ufeff"  # BOM: Excel reads UTF-8
    yield writer.writerow(
        [
            _("Customer number"),
            capfirst(field("salutation").verbose_name),
            _("First name"),
            _("Last name"),
            _("Street"),
            _("Postcode"),
            _("Town"),
            _("Email"),
            _("Phone"),
            _("Rule"),
            # As the list's headings: a reorder is due on its date, and
            # the contact lens rules show the newest fitting.
            _("Reorder due") if query.rule == Rule.REORDER else _("Due on"),
            _("Last fitting") if query.rule in Rule.CONTACT_LENSES else _("Last exam"),
            _("Reachable by"),
        ]
    )
    rules = dict(Rule.CHOICES)
    labels = dict(Channel.choices)
    unreachable = dict(Reach.CHOICES)[Reach.NONE]
    rule = str(rules[query.rule])
    day = "SHORT_DATE_FORMAT"
    customers = _customers(query).iterator(chunk_size=CSV_CHUNK)
    for chunk in _chunks(customers, CSV_CHUNK):
        reach = reachable_channels(chunk, Purpose.MARKETING)
        for customer in chunk:
            due = due_date(customer, query.rule, query.today)
            measured = last_measured(customer, query.rule)
            channels = channels_in_order(reach[customer.pk])
            yield writer.writerow(
                [
                    customer.pk,
                    spreadsheet_text(
                        str(customer.get_salutation_display()) if customer.salutation else ""
                    ),
                    spreadsheet_text(customer.first_name),
                    spreadsheet_text(customer.last_name),
                    spreadsheet_text(customer.street),
                    spreadsheet_text(customer.postcode),
                    spreadsheet_text(customer.town),
                    spreadsheet_text(customer.email),
                    spreadsheet_text(format_phone(customer.phone)),
                    rule,
                    formats.date_format(due, day) if due else "",
                    formats.date_format(measured, day) if measured else "",
                    ", ".join(str(labels[c]) for c in channels) or str(unreachable),
                ]
            )


@recall_permission
@require_http_methods(["GET"])
def recall_export(request: HttpRequest) -> HttpResponse:
    """The filtered list as CSV for Excel (semicolons, UTF-8 with BOM),
    streamed in chunks: a chain's list does not sit in memory."""
    form = _filter_form(request.GET)
    if not form.is_valid():
        return _invalid_filters(request, form)
    response = StreamingHttpResponse(
        _csv_lines(form.query(), translation.get_language()), content_type="text/csv; charset=utf-8"
    )
    # Translators: the start of the CSV file's name, lower case without spaces.
    name = _("recall")
    response["Content-Disposition"] = f'attachment; filename="{name}-{_today():%Y-%m-%d}.csv"'
    return response
