"""What the Brillenpass (the customer's prescription card) shows, once for
the print page and the PDF. The refraction's remarks and binocular notes are
the shop's internal notes: never on the customer's card."""

from dataclasses import dataclass

from django.conf import settings
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from prescriptions import display
from prescriptions.eyes import format_plain
from prescriptions.models import Refraction


@dataclass(frozen=True)
class Card:
    shop: list[str]
    customer: str
    birth: str
    facts: list[tuple[str, str]]
    columns: list[str]
    rows: list[tuple[str, list[str]]]
    superseded: str


def _name(user) -> str:
    return (user.get_full_name() or user.get_username()) if user else "—"


def card(refraction: Refraction) -> Card:
    customer = refraction.customer
    facts = [
        (_("Date"), date_format(refraction.date, "SHORT_DATE_FORMAT")),
        (_("Kind"), refraction.get_kind_display()),
        (_("Examiner"), _name(refraction.examiner)),
    ]
    if refraction.prescriber:
        facts.append((_("Prescribed by"), refraction.prescriber))
    if refraction.vertex_distance is not None:
        facts.append((_("Vertex distance"), f"{format_plain(refraction.vertex_distance, 1)} mm"))
    superseded = ""
    if refraction.is_superseded:
        superseded = _(
            "Superseded on %(date)s by %(name)s: this is not the current prescription."
        ) % {
            "date": date_format(refraction.superseded_at, "SHORT_DATE_FORMAT"),
            "name": _name(refraction.superseded_by),
        }
    return Card(
        shop=[
            line
            for line in (settings.SHOP_NAME, settings.SHOP_ADDRESS, settings.SHOP_PHONE)
            if line
        ],
        customer=customer.full_name,
        birth=date_format(customer.date_of_birth, "SHORT_DATE_FORMAT")
        if customer.date_of_birth
        else "",
        facts=facts,
        columns=[str(display.LABELS[name]) for name in display.REFRACTION_COLUMNS],
        rows=[
            (label, [cell.text for cell in cells])
            for label, cells in display.eye_rows(refraction, None, display.REFRACTION_COLUMNS)
        ],
        superseded=superseded,
    )
