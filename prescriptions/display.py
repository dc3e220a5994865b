"""How refraction and fitting values are written in tables: German notation,
and for the history, which values changed against the record before."""

from dataclasses import dataclass
from decimal import Decimal

from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from prescriptions import optics
from prescriptions.choices import Replacement
from prescriptions.eyes import SIDE_LABELS, SIDES, EyeValues, format_plain
from prescriptions.models import Refraction

# Column heads as opticians write them, by field name without R/L prefix.
LABELS = {
    "sphere": _("Sph"),
    "cylinder": _("Cyl"),
    "axis": _("Ax"),
    "addition": pgettext_lazy("optics", "Add"),
    "prism": _("Prism"),
    "prism_horizontal": _("Prism H"),
    "prism_horizontal_base": _("Base"),
    "prism_vertical": _("Prism V"),
    "prism_vertical_base": _("Base"),
    "visus_sc": _("Visus sc"),
    "visus_cc": _("Visus cc"),
    "pd": _("PD"),
    "product": _("Lens"),
    "base_curve": _("BC"),
    "diameter": _("DIA"),
    "replacement": _("Replacement"),
}
# The history tables; "prism" joins both components with their bases.
REFRACTION_COLUMNS = ("sphere", "cylinder", "axis", "addition", "prism", "visus_cc", "pd")
# A fitting's values fit in one row, so its history and its form show the same.
FITTING_COLUMNS = (
    "product",
    "base_curve",
    "diameter",
    "sphere",
    "cylinder",
    "axis",
    "addition",
    "replacement",
)
PLACES = {"addition": 2, "pd": 1, "base_curve": 2, "diameter": 1}


def visus(value: Decimal) -> str:
    """0,8 / 1,0 / 0,63: as many decimals as needed, at least one."""
    text = f"{value:.2f}".rstrip("0")
    return (text + "0" if text.endswith(".") else text).replace(".", ",")


def value_text(eye: EyeValues, name: str) -> str:
    if name == "prism":
        parts = [
            f"{format_plain(eye.values[amount])} {eye.base_label(f'{amount}_base')}"
            for amount in ("prism_horizontal", "prism_vertical")
            if eye.values.get(amount)
        ]
        return "; ".join(parts)
    value = eye.values.get(name)
    if value in (None, ""):
        return ""
    if name in ("sphere", "cylinder"):
        return optics.format_dioptre(value)
    if name == "axis":
        return f"{value}°"
    if name.startswith("visus"):
        return visus(value)
    if name == "replacement":
        return str(Replacement(value).label)
    if name == "product":
        return value.name
    return format_plain(value, PLACES.get(name, 2))


@dataclass(frozen=True)
class Cell:
    text: str
    changed: bool = False
    before: str = ""


def eye_texts(record, columns) -> list[tuple[str, list[str]]]:
    """Per eye: (label, the text of each column)."""
    return [
        (eye.label, [value_text(eye, name) for name in columns])
        for eye in (record.eye(side) for side in SIDES)
    ]


def eye_rows(record, previous, columns, *, texts=None) -> list[tuple[str, list[Cell]]]:
    """Per eye: (label, cells); a cell is changed when its text differs from
    the previous record's. ``texts`` keeps the records' eye_texts() where
    the caller has them (a history compares each record twice)."""
    texts = {} if texts is None else texts

    def of(one):
        # By identity: the records outlive the dict, and one not saved yet has no pk to hash.
        if id(one) not in texts:
            texts[id(one)] = eye_texts(one, columns)
        return texts[id(one)]

    now = of(record)
    before = of(previous) if previous is not None else now
    rows = []
    for (label, cells), (_label, old_cells) in zip(now, before, strict=True):
        pairs = zip(cells, old_cells, strict=True)
        rows.append((label, [Cell(text, changed=old != text, before=old) for text, old in pairs]))
    return rows


def column_label(side: str, suffix: str) -> str:
    """A refraction value's column in files, "R Sph" or "L Basis vertikal":
    the heading the export writes and the import reads first. The two
    prism bases, both "Basis" on screen, are told apart by their name."""
    if suffix.endswith("_base"):
        name = Refraction._meta.get_field(f"{side}_{suffix}").verbose_name
        return f"{SIDE_LABELS[side]} {capfirst(name)}"
    return f"{SIDE_LABELS[side]} {LABELS[suffix]}"
