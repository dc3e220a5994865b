"""The customer page's appointment lists, built in Python (a long-standing
customer has dozens; see customers.templatetags.customer_tables)."""

from django import template
from django.utils import timezone
from django.utils.dates import WEEKDAYS_ABBR
from django.utils.safestring import SafeString, mark_safe

from opticrm.lib.fast_html import escape, pk_url_builder

register = template.Library()


@register.simple_tag
def appointment_items(appointments) -> SafeString:
    """The ``<li>`` of each appointment in the customer page's lists (a
    long-standing customer has dozens), in Python for the same reason."""
    modal = 'hx-target="#modal-content" data-opens-modal'
    # "Mo 01.03.2027, 10:00": the weekday's short name once per day of the week.
    weekdays = [escape(str(WEEKDAYS_ABBR[day])) for day in range(7)]
    edit_url = pk_url_builder("appointments:update")
    zone = timezone.get_current_timezone()
    items = []
    for appointment in appointments:
        url = edit_url(appointment.pk)
        start = timezone.localtime(appointment.start, zone)
        when = f"{weekdays[start.weekday()]} {start:%d.%m.%Y, %H:%M}"
        items.append(
            f'<li>\n    <span class="type-dot" style="background-color: '
            f'{escape(appointment.type_colour)}" aria-hidden="true"></span>\n'
            f'    <a href="{url}" hx-get="{url}" {modal}>\n      {when}</a>\n'
            f"    · {escape(appointment.type_name)} · {escape(appointment.staff_name)}\n"
            f'    <span class="badge">{escape(appointment.status_label)}</span>\n  </li>'
        )
    return mark_safe("\n".join(items))  # noqa: S308 (every value escaped above)
