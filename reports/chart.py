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
# phone (340 px) at their own size, more periods scroll sideways.
WIDE_SLOT, NARROW_SLOT, PHONE_PLOT = 44, 22, 264
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
    rows: list[tuple[str, Decimal, Decimal | None]], *, whole: bool = False, stagger: bool = False
) -> Chart:
    """``rows``: (label, value, comparison or None) per period; ``whole``:
    the values are counts, so the scale's step is at least 1; ``stagger``:
    every other label a line lower, for long ones (categories). Without any
    comparison each bar stands in the middle of its slot."""
    count = max(len(rows), 1)
    slot = max(NARROW_SLOT, min(WIDE_SLOT, PHONE_PLOT // count))
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
