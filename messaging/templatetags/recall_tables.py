"""The rows of the recall list, built in Python: as a template loop a page
of 25 customers cost a third of the page, and at 16 users at once on two
cores the list missed its 200 ms (issue 26), as the customer table did
before (customers.templatetags.customer_tables). The header and the empty
row stay in templates/messaging/recall_list.html."""

from django import template
from django.utils import timezone
from django.utils.formats import get_format
from django.utils.safestring import SafeString, mark_safe

from messaging.models import Channel
from opticrm.lib.fast_html import date_formatter, escape, pk_url_builder, table_cell
from opticrm.lib.phone import dial_target, format_phone, stored_number

register = template.Library()

_NONE = "—"


class _RowContext:
    """What every row of one page shares: labels, formats, the detail URL."""

    def __init__(self, context):
        self.labels = {
            name: escape(context[f"{name}_label"])
            for name in ("name", "age", "due", "measured", "reach", "recall")
        }
        self.unreachable = escape(context["unreachable_label"])
        self.channels = {value: escape(label) for value, label in Channel.choices}
        self.date = date_formatter(get_format("SHORT_DATE_FORMAT"))
        self.zone = timezone.get_current_timezone()
        self.detail = pk_url_builder("customers:detail")

    def day(self, value) -> str:
        return self.date(value) if value else _NONE


def _reach(page: _RowContext, row) -> str:
    if row.channels:
        return "".join(
            f'<span class="badge badge-channel badge-channel-{channel}">'
            f"{page.channels[channel]}</span>"
            for channel in row.channels
        )
    # Nobody to write to: the number to call instead.
    badge = f'<span class="badge badge-unreachable">{page.unreachable}</span>'
    number = stored_number(row.customer.phone_stored)
    shown = format_phone(number)
    if shown:
        badge += (
            f'<span class="recall-call"><a href="tel:{escape(dial_target(number))}">'
            f"{escape(shown)}</a></span>"
        )
    return badge


def _last_recall(page: _RowContext, row) -> str:
    if row.last_recall_at is None:
        return _NONE
    sent = page.date(timezone.localtime(row.last_recall_at, page.zone))
    channel = page.channels.get(row.last_recall_channel, "")
    return f'{sent} <span class="muted small">{channel}</span>'


def _row(page: _RowContext, row) -> str:
    labels = page.labels
    customer = row.customer
    pk = int(customer.pk)
    name = (
        f'<a href="{page.detail(pk)}"><strong>{escape(customer.last_name)}</strong>, '
        f"{escape(customer.first_name)}</a>"
    )
    cells = (
        table_cell(labels["name"], "cell-name", name),
        table_cell(labels["age"], "num", _NONE if row.age is None else str(row.age)),
        table_cell(labels["due"], "nowrap", page.day(row.due)),
        table_cell(labels["measured"], "nowrap", page.day(row.last_measured)),
        table_cell(
            labels["reach"],
            "recall-reach",
            f'<span class="recall-badges">{_reach(page, row)}</span>',
        ),
        table_cell(labels["recall"], "nowrap", _last_recall(page, row)),
    )
    return f'<tr id="recall-{pk}">{"".join(cells)}</tr>'


@register.simple_tag(takes_context=True)
def recall_rows(context, rows) -> SafeString:
    """One ``<tr>`` per row of the page (messaging.recall_views.RecallRow)."""
    page = _RowContext(context)
    return mark_safe("\n".join(_row(page, row) for row in rows))  # noqa: S308 (every value escaped above)
