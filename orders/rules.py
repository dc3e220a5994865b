"""The rules of orders that need no database: the way through the statuses,
and the money of an order (each position rounded once, VAT taken out of the
gross per rate, as German retail prices are gross)."""

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.utils.translation import pgettext_lazy

from orders.models import Kind, Status

CENT = Decimal("0.01")
ZERO = Decimal("0.00")

# Where an order may go from each status (Angebot → Auftrag → Gläser bestellt
# → eingetroffen → Werkstatt → abholbereit → abgeholt; storniert; a
# complaint reopens a picked-up order). Stock lenses skip the lab, contact
# lenses and repairs the lenses' steps.
TRANSITIONS: dict[str, tuple[str, ...]] = {
    Status.QUOTE: (Status.ORDERED, Status.CANCELLED),
    Status.ORDERED: (Status.LENSES_ORDERED, Status.WORKSHOP, Status.READY, Status.CANCELLED),
    Status.LENSES_ORDERED: (Status.LENSES_ARRIVED, Status.CANCELLED),
    # A wrong delivery, or a lens broken while edging: ordered again.
    Status.LENSES_ARRIVED: (
        Status.WORKSHOP,
        Status.READY,
        Status.LENSES_ORDERED,
        Status.CANCELLED,
    ),
    Status.WORKSHOP: (Status.READY, Status.LENSES_ORDERED, Status.CANCELLED),
    Status.READY: (Status.PICKED_UP, Status.WORKSHOP, Status.CANCELLED),
    Status.PICKED_UP: (Status.COMPLAINT,),
    Status.COMPLAINT: (Status.LENSES_ORDERED, Status.WORKSHOP, Status.READY, Status.PICKED_UP),
    Status.CANCELLED: (),
}
# A status the order only reaches with a reason given.
NEEDS_REASON = (Status.CANCELLED, Status.COMPLAINT)
# Statuses in which the frame is out of stock for the order (taken when the
# quote becomes an order, put back when it is cancelled).
FRAME_TAKEN_FROM = Status.ORDERED
# While these, positions, frame, prescription and centration may change (a
# complaint's remake may need other values or another frame).
EDITABLE = (Status.QUOTE, Status.ORDERED, Status.COMPLAINT)


# Steps an order of a kind never takes: contact lenses are not edged,
# a repair needs no lenses (and is taken in as an order right away).
SKIPPED = {
    Kind.GLASSES: (),
    Kind.CONTACT_LENSES: (Status.WORKSHOP,),
    Kind.REPAIR: (Status.QUOTE, Status.LENSES_ORDERED, Status.LENSES_ARRIVED),
}
# A repair's steps have the workshop's words.
REPAIR_LABELS = {
    Status.ORDERED: pgettext_lazy("repair status", "accepted"),
    Status.WORKSHOP: pgettext_lazy("repair status", "in progress"),
    Status.READY: pgettext_lazy("repair status", "done"),
}
CONTACT_LENS_LABELS = {
    Status.LENSES_ORDERED: pgettext_lazy("order status", "Lenses ordered"),
    Status.LENSES_ARRIVED: pgettext_lazy("order status", "Lenses arrived"),
}


def may_move(current: str, new: str, kind: str = Kind.GLASSES) -> bool:
    return new in next_statuses(current, kind)


def next_statuses(current: str, kind: str = Kind.GLASSES) -> tuple[str, ...]:
    """Where an order of ``kind`` may go from ``current``, the usual next
    step first."""
    return tuple(
        status for status in TRANSITIONS.get(current, ()) if status not in SKIPPED.get(kind, ())
    )


def status_label(status: str, kind: str = Kind.GLASSES) -> str:
    labels = {Kind.REPAIR: REPAIR_LABELS, Kind.CONTACT_LENSES: CONTACT_LENS_LABELS}.get(kind, {})
    return str(labels.get(status, Status(status).label))


def cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def line_gross(quantity: int, unit_price: Decimal, percent, amount) -> tuple[Decimal, Decimal]:
    """A position's (discount, total), both gross and rounded once: the
    discount never more than the position. A negative quantity (a
    cancellation invoice's position) gives the same amounts negated."""
    if quantity < 0:
        discount, total = line_gross(-quantity, unit_price, percent, amount)
        return ZERO - discount, ZERO - total  # not "-0.00"
    before = cents(Decimal(quantity) * unit_price)
    if percent is not None:
        discount = cents(before * percent / 100)
    elif amount is not None:
        discount = amount
    else:
        discount = Decimal("0.00")
    discount = min(discount, before)
    return discount, before - discount


@dataclass
class RateTotal:
    rate: int
    gross: Decimal = Decimal("0.00")

    @property
    def vat(self) -> Decimal:
        """The VAT in the gross, computed once per rate (not per position)."""
        return cents(self.gross * self.rate / (100 + self.rate))

    @property
    def net(self) -> Decimal:
        return self.gross - self.vat


@dataclass
class Totals:
    rates: dict[int, RateTotal] = field(default_factory=dict)
    discount: Decimal = Decimal("0.00")
    deposit: Decimal = Decimal("0.00")

    @property
    def gross(self) -> Decimal:
        return sum((rate.gross for rate in self.rates.values()), Decimal("0.00"))

    def add(self, rate: int, discount: Decimal, total: Decimal) -> None:
        self.rates.setdefault(rate, RateTotal(rate)).gross += total
        self.discount += discount


def totals(lines, deposit: Decimal) -> Totals:
    """The order's totals from its positions (objects with quantity,
    unit_price, discount_percent, discount_amount, vat_rate)."""
    result = Totals(deposit=deposit)
    for line in lines:
        discount, total = line_gross(
            line.quantity, line.unit_price, line.discount_percent, line.discount_amount
        )
        result.add(line.vat_rate, discount, total)
    result.rates = dict(sorted(result.rates.items(), reverse=True))
    return result
