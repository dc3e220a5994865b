"""The calendar's empty slots, built in Python: a day of eight staff members
has some 400 of them, and as a template loop they took most of the page's
time (issue 8)."""

from django import template
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext

from appointments.models import Appointment
from opticrm.lib.fast_html import date_formatter, escape, pk_url_builder

register = template.Library()


def _times(context, slots) -> list[str]:
    """Each slot's HH:MM, once per page: every column has the same rows."""
    key = ("calendar_grid.times", id(slots))
    if key not in context.render_context:
        context.render_context[key] = [f"{slot:%H:%M}" for slot in slots]
    return context.render_context[key]


@register.simple_tag(takes_context=True)
def time_axis(context, slots) -> SafeString:
    """The grid's time labels: one row per slot, a label at each full hour."""
    return mark_safe(  # noqa: S308 (digits and colons only)
        "".join(
            f'<div class="calendar-time">{time if slot.minute == 0 else ""}</div>'
            for slot, time in zip(slots, _times(context, slots), strict=True)
        )
    )


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
    day_label = escape(date_formatter("d.m.")(column.day))
    staff = f"&amp;staff={int(column.staff_id)}" if column.staff_id else ""
    cells = []
    for row, (slot, time) in enumerate(zip(slots, _times(context, slots), strict=True)):
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


@register.simple_tag(takes_context=True)
def appointment_blocks(context, column) -> SafeString:
    """The appointments of ``column``, placed on the grid: some 64 on a day
    of eight staff members, in Python for the reason the slots are."""
    can_change = context["perms"]["appointments"]["change_appointment"]
    # The photo's view asks for the customer right: no broken image without it.
    # Only in the day view: a week's seven columns leave no room beside the name.
    with_photos = context.get("view") == "day" and context["perms"]["customers"]["view_customer"]
    with_staff = context.get("view") == "week" and not column.staff_id
    # get_status_display() rebuilds the field's choices on every call.
    statuses = {status: escape(label) for status, label in Appointment.Status.choices}
    edit_url = pk_url_builder("appointments:update")
    blocks = []
    for block in column.blocks:
        appointment = block.item
        classes = f"appointment status-{escape(appointment.status)}"
        if block.height < 1.5:
            classes += " is-compact"
        if block.lanes > 1:
            classes += " is-narrow"
        times = escape(appointment.time_range)
        customer = escape(appointment.customer_name)
        kind = escape(appointment.type_name)
        staff = escape(appointment.staff_name)
        title = f"{times} {customer} · {kind} · {staff} · {statuses[appointment.status]}"
        style = (
            f"--top: {block.top}; --height: {block.height}; --lane: {block.lane}; "
            f"--lanes: {block.lanes}; --colour: {escape(appointment.type_colour)}"
        )
        link = ""
        if can_change:
            url = edit_url(appointment.pk)
            link = f' href="{url}" hx-get="{url}" hx-target="#modal-content" data-opens-modal'
        done = " ✓" if appointment.status == "done" else ""
        if with_staff:
            # A week of every staff member: their blocks share the day's
            # width, so each says who (initials), when and whom (surname);
            # the title (hover) and the modal (tap) have the rest.
            initials = escape(appointment.staff_initials)
            start = escape(appointment.time_range.split("–")[0])
            surname = escape(appointment.customer_surname)
            blocks.append(
                f'<a class="{classes} is-week-all" id="appointment-{int(appointment.pk)}"\n'
                f'   title="{title}"\n   style="{style}"\n  {link}>\n'
                f'  <span class="appointment-initials">{initials}</span>\n'
                f'  <span class="appointment-time">{start}{done}</span>\n'
                f'  <strong class="appointment-customer">{surname}</strong>\n</a>'
            )
            continue
        photo = ""
        if with_photos and appointment.customer_photo and block.height >= 2 and block.lanes == 1:
            # Small, lazy, a fixed size: a busy day has dozens of blocks.
            photo = (
                f'  <img class="appointment-thumb" src="{escape(appointment.customer_photo)}" '
                f'width="24" height="24" loading="lazy" alt="">\n'
            )
        blocks.append(
            f'<a class="{classes}" id="appointment-{int(appointment.pk)}"\n'
            f'   title="{title}"\n   style="{style}"\n  {link}>\n'
            f"{photo}"
            f'  <span class="appointment-time">{times}{done}</span>\n'
            f'  <strong class="appointment-customer">{customer}</strong>\n'
            f'  <span class="appointment-type">{kind}</span>\n</a>'
        )
    return mark_safe("\n".join(blocks))  # noqa: S308 (every value escaped above)


@register.simple_tag
def inactive_items(appointments) -> SafeString:
    """The ``<li>`` of each cancelled or no-show appointment of the day
    (dozens on a busy day of a big shop), in Python for the same reason."""
    statuses = {status: escape(label) for status, label in Appointment.Status.choices}
    edit_url = pk_url_builder("appointments:update")
    zone = timezone.get_current_timezone()
    items = []
    for appointment in appointments:
        url = edit_url(appointment.pk)
        start = f"{appointment.start.astimezone(zone):%H:%M}"
        what = f"{escape(appointment.customer_name)} · {escape(appointment.type_name)}"
        items.append(
            f'<li><a href="{url}" hx-get="{url}" hx-target="#modal-content" data-opens-modal>'
            f"{start} {what}</a> "
            f'<span class="badge">{statuses[appointment.status]}</span></li>'
        )
    return mark_safe("\n".join(items))  # noqa: S308 (every value escaped above)
