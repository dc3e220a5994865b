"""The calendar's empty slots, built in Python: a day of eight staff members
has some 400 of them, and as a template loop they took most of the page's
time (issue 8)."""

from django import template
from django.urls import reverse
from django.utils.dateformat import format as date_format
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext

register = template.Library()


@register.simple_tag(takes_context=True)
def slot_cells(context, column, slots) -> SafeString:
    """One cell per slot of ``column``; for those who may book, a link that
    opens "New appointment" at that time (and staff member)."""
    can_add = context["perms"]["appointments"]["add_appointment"]
    # Escaped once here; the rest (digits, dashes, colons, fixed class
    # names) needs no escaping, so no format_html per cell.
    create_url = escape(reverse("appointments:create"))
    label = escape(gettext("New appointment"))
    day = column.day.isoformat()
    day_label = escape(date_format(column.day, "d.m."))
    staff = f"&amp;staff={int(column.staff_id)}" if column.staff_id else ""
    cells = []
    for row, slot in enumerate(slots):
        time = f"{slot:%H:%M}"
        classes = "slot"
        if row not in column.open_rows:
            classes += " slot-closed"
        if slot.minute == 0:
            classes += " slot-hour"
        if not can_add:
            cells.append(f'<span class="{classes}"></span>')
            continue
        href = f"{create_url}?start={day}T{time}{staff}"
        cells.append(
            f'<a class="{classes}" href="{href}" hx-get="{href}" hx-target="#modal-content" '
            f'data-opens-modal title="{label} {time}"><span class="visually-hidden">{label} '
            f"{day_label} {time}</span></a>"
        )
    return mark_safe("".join(cells))  # noqa: S308 (the only text from outside is escaped)
