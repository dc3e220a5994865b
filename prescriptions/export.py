"""Refractions as a file, in the columns the refraction import reads
(imports.refractions): a shop takes its measurements along, or brings them
back, without retyping a value."""

from django.utils.text import capfirst
from django.utils.translation import gettext as _

from opticrm.lib.export import Column
from prescriptions.display import column_label
from prescriptions.eyes import SIDES
from prescriptions.forms import REFRACTION_INPUTS
from prescriptions.models import Refraction


def _label(name: str) -> str:
    return capfirst(Refraction._meta.get_field(name).verbose_name)


def _value(name: str, choices: dict):
    if name.endswith("_base"):
        # The base as a word the import reads ("innen", "oben").
        return lambda r: choices[name].get(getattr(r, name), "")
    return lambda r: getattr(r, name)


def columns() -> list[Column]:
    kinds = {value: str(label) for value, label in Refraction.Kind.choices}
    bases = {
        f"{side}_{suffix}": {
            value: str(label)
            for value, label in Refraction._meta.get_field(f"{side}_{suffix}").flatchoices
        }
        for side in SIDES
        for suffix in REFRACTION_INPUTS
        if suffix.endswith("_base")
    }
    return [
        Column(_("External number"), lambda r: r.customer.external_number),
        Column(_("Customer number"), lambda r: r.customer_id),
        Column(
            _("Customer (Last name, First name)"),
            lambda r: f"{r.customer.last_name}, {r.customer.first_name}",
        ),
        Column(_("Date of birth"), lambda r: r.customer.date_of_birth),
        Column(_label("date"), lambda r: r.date),
        Column(_label("kind"), lambda r: kinds.get(r.kind, r.kind)),
        Column(_("Examiner in the old system"), lambda r: r.examiner.get_full_name()),
        Column(_label("prescriber"), lambda r: r.prescriber),
        *(
            Column(column_label(side, suffix), _value(f"{side}_{suffix}", bases))
            for side in SIDES
            for suffix in REFRACTION_INPUTS
        ),
        Column(_label("vertex_distance"), lambda r: r.vertex_distance),
        Column(_label("binocular_notes"), lambda r: r.binocular_notes),
        Column(_label("remarks"), lambda r: r.remarks),
    ]
