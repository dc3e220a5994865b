"""The geometry of a bar chart drawn as SVG by a template
(templates/reports/_bar_chart.html), with no Django in it: two bars per
period (this period and the comparison), a zero line, a scale of round
numbers. Drawn at its own size in pixels (no scaling, so that its text
stays readable on a phone): a long chart scrolls sideways instead."""

import math
from dataclasses import dataclass, field
from decimal import Decimal

HEIGHT = 260
TOP, BOTTOM = 16, 44  # room for the scale's top label and the period labels
LEFT, RIGHT = 64, 12  # room for the scale's labels
# Width of one period: two bars and a gap; a year's months still fit a
# phone (340 px) at their own size, more periods scroll sideways. A wide
# screen gets a second drawing of the same bars, with wider periods.
WIDE_SLOT, NARROW_SLOT, PHONE_PLOT = 44, 22, 264
DESKTOP_SLOT, DESKTOP_PLOT = 72, 880
# The label of one period takes about this many pixels.
LABEL_WIDTH = 44


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float


@dataclass
class Slot:
    label: str
    value: Decimal
    compare: Decimal | None
    bar: Bar
    compare_bar: Bar | None
    label_x: float
    show_label: bool
    label_y: float = 0


@dataclass
class Chart:
    width: int
    height: int
    zero_y: float
    plot_left: int
    plot_right: int
    label_y: float
    # The drawing grows up to max_width to fill its card, never below its size.
    min_width: int
    max_width: int
    ticks: list[tuple[Decimal, float]] = field(default_factory=list)
    slots: list[Slot] = field(default_factory=list)


def nice_step(span: Decimal, ticks: int = 4) -> Decimal:
    """A round step (1, 2 or 5 times a power of ten) that divides ``span``
    into at most about ``ticks`` parts."""
    if span <= 0:
        return Decimal(1)
    raw = span / ticks
    power = Decimal(10) ** math.floor(math.log10(raw))
    return next(factor * power for factor in (1, 2, 5, 10) if factor * power >= raw)


def bar_chart(
    rows: list[tuple[str, Decimal, Decimal | None]],
    *,
    whole: bool = False,
    stagger: bool = False,
    widest: int = WIDE_SLOT,
    plot: int = PHONE_PLOT,
) -> Chart:
    """``rows``: (label, value, comparison or None) per period; ``whole``:
    the values are counts, so the scale's step is at least 1; ``stagger``:
    every other label a line lower, for long ones (categories). Without any
    comparison each bar stands in the middle of its slot. The periods share
    ``plot`` pixels, each between NARROW_SLOT and ``widest``."""
    count = max(len(rows), 1)
    slot = max(NARROW_SLOT, min(widest, plot // count))
    width = LEFT + count * slot + RIGHT
    values = [value for _label, value, _c in rows] + [c for _l, _v, c in rows if c is not None]
    high = max([Decimal(0), *values])
    low = min([Decimal(0), *values])
    step = nice_step(high - low)
    if whole:
        step = max(step, Decimal(1))
    top = math.ceil(high / step) * step if high > 0 else Decimal(0)
    bottom = math.floor(low / step) * step if low < 0 else Decimal(0)
    if top == bottom:
        top = step
    plot_height = HEIGHT - TOP - BOTTOM
    scale = Decimal(plot_height) / (top - bottom)

    def y_of(value: Decimal) -> float:
        return float(TOP + (top - value) * scale)

    zero_y = y_of(Decimal(0))
    chart = Chart(
        width=width,
        height=HEIGHT,
        zero_y=zero_y,
        plot_left=LEFT,
        plot_right=width - RIGHT,
        label_y=HEIGHT - BOTTOM + 18,
        min_width=width,
        max_width=round(width * 1.5),
    )
    tick = bottom
    while tick <= top:
        chart.ticks.append((tick, y_of(tick)))
        tick += step
    every = max(1, math.ceil(LABEL_WIDTH / slot))
    bar_width = (slot - 6) / 2

    def bar(x: float, value: Decimal) -> Bar:
        y = y_of(value)
        return Bar(x, min(y, zero_y), bar_width, abs(zero_y - y))

    single = all(compare is None for _l, _v, compare in rows)
    if stagger:
        every = 1
    for index, (label, value, compare) in enumerate(rows):
        left = LEFT + index * slot + 3
        if single:
            left = LEFT + index * slot + slot / 2 - bar_width * 1.5
        chart.slots.append(
            Slot(
                label=label,
                value=value,
                compare=compare,
                compare_bar=bar(left, compare) if compare is not None else None,
                bar=bar(left + bar_width, value),
                label_x=LEFT + index * slot + slot / 2,
                show_label=index % every == 0,
                label_y=chart.label_y + (14 if stagger and index % 2 else 0),
            )
        )
    return chart


def bar_charts(
    rows: list[tuple[str, Decimal, Decimal | None]], *, whole: bool = False, stagger: bool = False
):
    """The same bars drawn for a phone and for a wide screen (the page
    shows one of them)."""
    return (
        bar_chart(rows, whole=whole, stagger=stagger),
        bar_chart(rows, whole=whole, stagger=stagger, widest=DESKTOP_SLOT, plot=DESKTOP_PLOT),
    )


# A pie: its size in pixels (drawn at this size, as the bars), and the
# slices' colours by position (CSS classes pie-0 … pie-7, repeated).
PIE_SIZE = 200
PIE_COLOURS = 8


@dataclass
class Slice:
    label: str
    value: int
    share: Decimal | None
    # The SVG path of the slice ("" for an empty one), or a whole circle.
    path: str
    whole: bool
    colour: int


@dataclass
class Pie:
    size: int
    slices: list[Slice] = field(default_factory=list)

    @property
    def centre(self) -> float:
        return self.size / 2

    @property
    def empty(self) -> bool:
        return not any(piece.value for piece in self.slices)


def _point(angle: float, radius: float, centre: float) -> tuple[float, float]:
    """The point at ``angle`` (radians, clockwise from twelve o'clock)."""
    return (
        round(centre + radius * math.sin(angle), 2),
        round(centre - radius * math.cos(angle), 2),
    )


def pie_chart(rows: list[tuple[str, int, Decimal | None]]) -> Pie:
    """``rows``: (label, count, share in per cent) per slice, clockwise from
    twelve o'clock in their order; the angles from the counts."""
    pie = Pie(size=PIE_SIZE)
    total = sum(value for _label, value, _share in rows)
    centre = radius = PIE_SIZE / 2
    angle = 0.0
    for index, (label, value, share) in enumerate(rows):
        path, whole = "", False
        if total and value == total:
            whole = True
        elif total and value:
            end = angle + 2 * math.pi * value / total
            x1, y1 = _point(angle, radius, centre)
            x2, y2 = _point(end, radius, centre)
            large = 1 if end - angle > math.pi else 0
            path = f"M{centre},{centre} L{x1},{y1} A{radius},{radius} 0 {large} 1 {x2},{y2} Z"
            angle = end
        pie.slices.append(Slice(label, value, share, path, whole, index % PIE_COLOURS))
    return pie
