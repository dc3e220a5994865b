"""The calendar's empty slots, built in Python: a day of eight staff members
has some 400 of them, and as a template loop they took most of the page's
time (issue 8)."""

from django import template
from django.urls import reverse
from django.utils.dateformat import format as date_format
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext

register = template.Library()


@register.simple_tag(takes_context=True)
def slot_cells(context, column, slots) -> SafeString:
    """One cell per slot of ``column``; for those who may book, a link that
    opens "New appointment" at that time (and staff member)."""
    can_add = context["perms"]["appointments"]["add_appointment"]
    create_url = reverse("appointments:create")
    label = gettext("New appointment")
    day = column.day.isoformat()
    day_label = date_format(column.day, "d.m.")
    staff = f"&staff={column.staff_id}" if column.staff_id else ""
    cells = []
    for row, slot in enumerate(slots):
        time = f"{slot:%H:%M}"
        classes = "slot"
        if row not in column.open_rows:
            classes += " slot-closed"
        if slot.minute == 0:
            classes += " slot-hour"
        if not can_add:
            cells.append(format_html('<span class="{}"></span>', classes))
            continue
        href = f"{create_url}?start={day}T{time}{staff}"
        cells.append(
            format_html(
                '<a class="{}" href="{}" hx-get="{}" hx-target="#modal-content" data-opens-modal '
                'title="{} {}"><span class="visually-hidden">{} {} {}</span></a>',
                classes,
                href,
                href,
                label,
                time,
                label,
                day_label,
                time,
            )  # fmt: skip
        )
    return mark_safe("".join(cells))  # noqa: S308 (each cell escaped by format_html)
