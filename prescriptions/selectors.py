"""Reads of refractions and fittings: the customer page's history in one
query each, and the recall filter of the customer list."""

from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import QuerySet

from opticrm.lib import health_data
from opticrm.lib.models import with_names_of
from opticrm.lib.prepared import Prepared
from prescriptions import display, optics
from prescriptions.models import CURRENT, ContactLensFitting, Record, Refraction


@dataclass
class HistoryEntry:
    record: Record
    # The next older current record of the same kind, to show what changed.
    previous: Record | None = None
    # Per eye: (label, cells) in the history table's columns.
    rows: list = field(default_factory=list)
    # Per column: empty in both eyes and unchanged (the phone layout leaves
    # such a value out of the record's card).
    blank: list = field(default_factory=list)


def _history(records: list[Record], group, columns) -> list[HistoryEntry]:
    """Newest first. Each current record is compared with the next older
    current record of the same group (refractions: the same kind, so an
    autorefractor reading is not compared with a subjective refraction)."""
    entries = [HistoryEntry(record) for record in records]
    last_seen: dict = {}
    for entry in reversed(entries):
        if entry.record.is_superseded:
            continue
        entry.previous = last_seen.get(group(entry.record))
        last_seen[group(entry.record)] = entry.record
    texts: dict = {}
    for entry in entries:
        entry.rows = display.eye_rows(entry.record, entry.previous, columns, texts=texts)
        entry.blank = [
            not any(cell.text or cell.changed for cell in column)
            for column in zip(*(cells for _label, cells in entry.rows), strict=True)
        ]
    return entries


def _joined(queryset: QuerySet, *, users=(), products=()) -> QuerySet:
    """``queryset`` with its users and products joined, of which the history
    shows only names: their other columns were a tenth of the ORM's work on
    a customer page of 20 refractions (issue 8)."""
    return with_names_of(queryset, users=users, others=dict.fromkeys(products, ("name",)))


def _newest_first(queryset: QuerySet) -> list[Record]:
    """The records in their model's order (newest first), sorted here rather
    than by PostgreSQL: with an ORDER BY, Django hashes every selected
    column while compiling the query, a third of its cost for these wide
    rows; a customer's few dozen records sort in microseconds."""
    records = list(queryset)
    records.sort(key=lambda record: (record.date, record.created_at, record.pk), reverse=True)
    return records


# A customer's records with their people's (and lenses') names, compiled
# once per process (opticrm.lib.prepared): the page reads them every view.
_REFRACTIONS = Prepared(
    lambda customer_id: _joined(
        Refraction.objects.filter(customer_id=customer_id), users=("examiner", "superseded_by")
    ).order_by()
)
_FITTINGS = Prepared(
    lambda customer_id: _joined(
        ContactLensFitting.objects.filter(customer_id=customer_id),
        users=("examiner", "superseded_by"),
        products=("right_product", "left_product"),
    ).order_by()
)


def refraction_history(customer) -> list[HistoryEntry]:
    records = _newest_first(_REFRACTIONS(customer.pk))
    return _history(records, lambda r: r.kind, display.REFRACTION_COLUMNS)


def fitting_history(customer) -> list[HistoryEntry]:
    records = _newest_first(_FITTINGS(customer.pk))
    return _history(records, lambda r: None, display.FITTING_COLUMNS)


def latest(history: list[HistoryEntry]) -> Record | None:
    return next((e.record for e in history if not e.record.is_superseded), None)


def latest_record(model, customer) -> Record | None:
    """The newest current refraction or fitting, for "take over values"."""
    return model.objects.filter(CURRENT, customer=customer).first()


def customer_prescriptions(customer, user, *, has_fittings: bool = True) -> dict:
    """The customer page's refraction and contact lens sections, each only
    for users allowed to see it (health data). ``has_fittings`` False: the
    caller knows there are none to read."""
    context = {}
    if health_data.may_see_refractions(user):
        history = refraction_history(customer)
        context["refractions"] = {
            "history": history,
            "latest": latest(history),
            # Translated once here, not once per cell (each names its column).
            "columns": [str(display.LABELS[name]) for name in display.REFRACTION_COLUMNS],
        }
    if health_data.may_see_fittings(user):
        history = fitting_history(customer) if has_fittings else []
        context["fittings"] = {
            "history": history,
            "latest": latest(history),
            "columns": [str(display.LABELS[name]) for name in display.FITTING_COLUMNS],
        }
    return context


def fitting_values_from_refraction(customer) -> dict:
    """Contact lens powers from the newest refraction, moved from the
    spectacle plane to the cornea at its vertex distance (12 mm if none)."""
    refraction = latest_record(Refraction, customer)
    if refraction is None:
        return {}
    vertex = refraction.vertex_distance or Decimal(12)
    values = {}
    for eye in refraction.eyes:
        if not eye.is_filled:
            continue
        spectacle = optics.SphCyl(eye.sphere, eye.cylinder or Decimal(0), eye.axis)
        lens = optics.contact_lens_sphcyl(spectacle, vertex)
        values[f"{eye.side}_sphere"] = lens.sphere
        if lens.cylinder:
            values[f"{eye.side}_cylinder"] = lens.cylinder
            values[f"{eye.side}_axis"] = lens.axis
        if eye.addition:
            values[f"{eye.side}_addition"] = eye.addition
    return values


def refraction_on(*, customer_id: int, day, kind: str) -> Refraction | None:
    """The customer's current refraction of this kind on this day, if any
    (an import's test for a record it brought over already)."""
    return (
        Refraction.objects.filter(CURRENT, customer_id=customer_id, date=day, kind=kind)
        .only("pk")
        .first()
    )


def refractions_of(customers: QuerySet) -> QuerySet[Refraction]:
    """The current refractions of ``customers`` (a filtered list), with the
    customer and the examiner's name, for the export."""
    return Refraction.objects.filter(
        CURRENT, customer__in=customers.order_by().values("pk")
    ).select_related("customer", "examiner")
