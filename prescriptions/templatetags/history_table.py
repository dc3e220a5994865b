"""The rows of the prescription history, built in Python: a customer with 20
refractions has some 400 value cells, and as a template loop they took most
of the customer page's time (issue 8). The table's head stays in
templates/prescriptions/_history_table.html."""

from django import template
from django.template.defaultfilters import floatformat
from django.utils import timezone
from django.utils.dateformat import format as date_format
from django.utils.formats import get_format
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext

from opticrm.lib.templatetags import pk_url

register = template.Library()


def history_cells(cells) -> str:
    """One ``<td>`` per value; a changed one is marked and says what it was
    before (as a tooltip, and as text for screen readers)."""
    before_text = gettext("before: %(before)s")
    html = []
    for cell in cells:
        text = escape(cell.text or "")
        if not cell.changed:
            html.append(f'<td class="num">{text}</td>')
            continue
        before = escape(before_text % {"before": cell.before or "—"})
        html.append(
            f'<td class="num changed" title="{before}">{text}'
            f'<span class="visually-hidden"> ({before})</span></td>'
        )
    return "".join(html)


def _name(user) -> str:
    if user is None:
        return ""
    return escape(user.get_full_name() or user.username)


def _record_cell(record, kind: str, date: str) -> str:
    parts = [f'<td rowspan="2" class="history-date"><strong>{date}</strong>']
    if kind == "refraction":
        parts.append(f'<span class="history-kind">{escape(record.get_kind_display())}</span>')
        if record.prescriber:
            parts.append(f'<span class="muted small">{escape(record.prescriber)}</span>')
    if record.is_superseded:
        when = date_format(
            timezone.localtime(record.superseded_at), get_format("SHORT_DATETIME_FORMAT")
        )
        note = gettext("superseded on %(when)s by %(who)s") % {
            "when": when,
            "who": record.superseded_by.get_full_name() or record.superseded_by.username
            if record.superseded_by
            else "—",
        }
        parts.append(f'<span class="superseded-note">{escape(note)}</span>')
    if record.replaces_id:
        corrected = escape(gettext("corrected version"))
        parts.append(f'<span class="muted small">{corrected}</span>')
    return "\n".join(parts) + "</td>"


def _actions(record, kind: str, perms) -> str:
    if record.is_superseded:
        return ""
    modal = 'hx-target="#modal-content" data-opens-modal'
    correct = escape(gettext("Correct"))
    links = []
    if kind == "refraction":
        card = pk_url("prescriptions:card", record.pk)
        card_label = escape(gettext("Card"))
        links.append(f'<a href="{card}">{card_label}</a>')
        if perms["prescriptions"]["change_refraction"]:
            url = pk_url("prescriptions:refraction_correct", record.pk)
            links.append(f'<a href="{url}" hx-get="{url}" {modal}>{correct}</a>')
    elif perms["prescriptions"]["change_contactlensfitting"]:
        url = pk_url("prescriptions:fitting_correct", record.pk)
        links.append(f'<a href="{url}" hx-get="{url}" {modal}>{correct}</a>')
    return "\n".join(links)


def _notes(record, columns: int) -> str:
    # Refractions and fittings have different notes.
    vertex_distance = getattr(record, "vertex_distance", None)
    binocular_notes = getattr(record, "binocular_notes", "")
    wearing_notes = getattr(record, "wearing_notes", "")
    remarks = getattr(record, "remarks", "")
    parts = []
    if vertex_distance:
        vertex_label = escape(gettext("HSA"))
        parts.append(f"{vertex_label} {floatformat(vertex_distance, 1)} mm")
    if binocular_notes:
        parts.append(f" · {escape(binocular_notes)}")
    if remarks:
        parts.append(f" · {escape(remarks)}")
    if wearing_notes:
        parts.append(escape(wearing_notes))
    if not parts:
        return ""
    return f'<tr class="history-notes"><td colspan="{columns + 4}">{"".join(parts)}</td></tr>'


@register.simple_tag(takes_context=True)
def history_rows(context, history, kind: str, columns) -> SafeString:
    """A ``<tbody>`` per record, newest first: two rows (right and left eye),
    changed values marked, then the record's notes."""
    perms = context["perms"]
    date = get_format("SHORT_DATE_FORMAT")
    bodies = []
    for entry in history:
        record = entry.record
        superseded = " superseded" if record.is_superseded else ""
        rows = []
        for number, (label, cells) in enumerate(entry.rows):
            row = ["<tr>"]
            if number == 0:
                row.append(_record_cell(record, kind, date_format(record.date, date)))
            row.append(f'<th scope="row" class="eye-label">{escape(label)}</th>')
            row.append(history_cells(cells))
            if number == 0:
                row.append(f'<td rowspan="2">{_name(record.examiner)}</td>')
                row.append(
                    f'<td rowspan="2" class="history-actions">{_actions(record, kind, perms)}</td>'
                )
            row.append("</tr>")
            rows.append("".join(row))
        rows.append(_notes(record, len(columns)))
        bodies.append(f'<tbody class="history-record{superseded}">{"".join(rows)}</tbody>')
    return mark_safe("\n".join(bodies))  # noqa: S308 (every value escaped above)
