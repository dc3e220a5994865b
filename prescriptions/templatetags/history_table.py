"""The rows of the prescription history, built in Python: a customer with 20
refractions has some 400 value cells, and as a template loop they took most
of the customer page's time (issue 8). Texts, labels and URL patterns are
looked up once per table, not once per record or cell. The table's head
stays in templates/prescriptions/_history_table.html."""

from django import template
from django.template.defaultfilters import floatformat
from django.utils import timezone
from django.utils.formats import get_format
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext

from opticrm.lib.fast_html import date_formatter, pk_url_builder
from opticrm.lib.fast_html import escape as _escape

register = template.Library()

MODAL = 'hx-target="#modal-content" data-opens-modal'


class _Table:
    """What every record of one history table shares."""

    def __init__(self, kind: str, perms, columns=()):
        self.kind = kind
        # Each value cell names its column, for the card layout on a phone.
        self.labels = [_escape(label) for label in columns]
        self.examiner = _escape(gettext("Examiner"))
        self.date = date_formatter(get_format("SHORT_DATE_FORMAT"))
        self.datetime = date_formatter(get_format("SHORT_DATETIME_FORMAT"))
        self.before = gettext("before: %(before)s")
        self.superseded = gettext("superseded on %(when)s by %(who)s")
        self.corrected = _escape(gettext("corrected version"))
        self.vertex = _escape(gettext("HSA"))
        self.correct = _escape(gettext("Correct"))
        self.card = _escape(gettext("Card"))
        self.card_url = pk_url_builder("prescriptions:card")
        if kind == "refraction":
            may_correct = perms["prescriptions"]["change_refraction"]
            self.correct_url = pk_url_builder("prescriptions:refraction_correct")
        else:
            may_correct = perms["prescriptions"]["change_contactlensfitting"]
            self.correct_url = pk_url_builder("prescriptions:fitting_correct")
        self.may_correct = bool(may_correct)
        self._labels: dict[str, str] = {}
        self._names: dict[int, str] = {}

    def kind_label(self, record) -> str:
        if record.kind not in self._labels:
            self._labels[record.kind] = _escape(record.get_kind_display())
        return self._labels[record.kind]

    def name(self, user) -> str:
        if user is None:
            return ""
        if user.pk not in self._names:
            self._names[user.pk] = _escape(user.get_full_name() or user.username)
        return self._names[user.pk]


def _blank_columns(rows) -> list[bool]:
    """Per column: empty in both eyes and unchanged (the phone layout leaves
    such a value out of the record's card)."""
    return [
        not any(cell.text or cell.changed for cell in column)
        for column in zip(*(cells for _label, cells in rows), strict=True)
    ]


def history_cells(table: _Table, cells, blank=()) -> str:
    """One ``<td>`` per value, named by its column's ``data-label`` (the
    phone layout shows it); a changed one is marked and says what it was
    before (as a tooltip, and as text for screen readers). ``blank``: the
    columns empty in both eyes."""
    parts = []
    blank = blank or [False] * len(cells)
    for cell, label, empty in zip(cells, table.labels, blank, strict=True):
        text = _escape(cell.text or "")
        if not cell.changed:
            css = "num blank" if empty else "num"
            parts.append(f'<td class="{css}" data-label="{label}">{text}</td>')
            continue
        before = _escape(table.before % {"before": cell.before or "—"})
        # "cleared": the value was removed; a dash shows it.
        css = "num changed" if text else "num changed cleared"
        parts.append(
            f'<td class="{css}" title="{before}" data-label="{label}">{text}'
            f'<span class="visually-hidden"> ({before})</span></td>'
        )
    return "".join(parts)


def _record_cell(table: _Table, record) -> str:
    date = table.date(record.date)
    parts = [f'<td rowspan="2" class="history-date"><strong>{date}</strong>']
    if table.kind == "refraction":
        parts.append(f'<span class="history-kind">{table.kind_label(record)}</span>')
        if record.prescriber:
            parts.append(f'<span class="muted small">{_escape(record.prescriber)}</span>')
    if record.is_superseded:
        when = table.datetime(timezone.localtime(record.superseded_at))
        who = record.superseded_by
        note = table.superseded % {
            "when": when,
            "who": (who.get_full_name() or who.username) if who else "—",
        }
        parts.append(f'<span class="superseded-note">{_escape(note)}</span>')
    if record.replaces_id:
        parts.append(f'<span class="muted small">{table.corrected}</span>')
    return "\n".join(parts) + "</td>"


def _actions(table: _Table, record) -> str:
    if record.is_superseded:
        return ""
    links = []
    if table.kind == "refraction":
        links.append(f'<a href="{table.card_url(record.pk)}">{table.card}</a>')
    if table.may_correct:
        url = table.correct_url(record.pk)
        links.append(f'<a href="{url}" hx-get="{url}" {MODAL}>{table.correct}</a>')
    return "\n".join(links)


def _notes(table: _Table, record, columns: int) -> str:
    # Refractions and fittings have different notes.
    vertex_distance = getattr(record, "vertex_distance", None)
    binocular_notes = getattr(record, "binocular_notes", "")
    wearing_notes = getattr(record, "wearing_notes", "")
    remarks = getattr(record, "remarks", "")
    parts = []
    if vertex_distance:
        parts.append(f"{table.vertex} {floatformat(vertex_distance, 1)} mm")
    if binocular_notes:
        parts.append(f" · {_escape(binocular_notes)}")
    if remarks:
        parts.append(f" · {_escape(remarks)}")
    if wearing_notes:
        parts.append(_escape(wearing_notes))
    if not parts:
        return ""
    return f'<tr class="history-notes"><td colspan="{columns + 4}">{"".join(parts)}</td></tr>'


@register.simple_tag(takes_context=True)
def history_rows(context, history, kind: str, columns) -> SafeString:
    """A ``<tbody>`` per record, newest first: two rows (right and left eye),
    changed values marked, then the record's notes."""
    table = _Table(kind, context["perms"], columns)
    bodies = []
    for entry in history:
        record = entry.record
        superseded = " superseded" if record.is_superseded else ""
        rows = []
        blank = _blank_columns(entry.rows)
        for number, (label, cells) in enumerate(entry.rows):
            row = ["<tr>"]
            if number == 0:
                row.append(_record_cell(table, record))
            row.append(f'<th scope="row" class="eye-label">{_escape(label)}</th>')
            row.append(history_cells(table, cells, blank))
            if number == 0:
                row.append(
                    f'<td rowspan="2" class="history-examiner" data-label="{table.examiner}">'
                    f"{table.name(record.examiner)}</td>"
                )
                row.append(
                    f'<td rowspan="2" class="history-actions">{_actions(table, record)}</td>'
                )
            row.append("</tr>")
            rows.append("".join(row))
        rows.append(_notes(table, record, len(columns)))
        bodies.append(f'<tbody class="history-record{superseded}">{"".join(rows)}</tbody>')
    return mark_safe("\n".join(bodies))  # noqa: S308 (every value escaped above)
