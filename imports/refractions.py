"""Refractions from the previous system, one row per record with both eyes:
each value is read by the refraction form's own fields (decimal comma or
point, "90°"), and the record is saved through prescriptions.services, so
the model's rules apply (a plus cylinder is stored transposed to minus,
an axis needs a cylinder, a prism its base). Records are never edited: a
row whose record exists already is skipped."""

from django.core.exceptions import ValidationError
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from imports.files import as_text
from imports.models import ImportJob, Kind, Outcome
from imports.rows import (
    ImportField,
    Result,
    RowError,
    Skip,
    clean_value,
    customer_key_needed,
    customer_of,
    messages,
    normalised,
    outcome_of,
)
from opticrm.lib.forms import DateField
from prescriptions import rules, services
from prescriptions.display import column_label
from prescriptions.eyes import SIDES
from prescriptions.forms import EYE_FIELDS, REFRACTION_INPUTS, MeasureField
from prescriptions.models import Refraction
from prescriptions.selectors import refraction_on

# How old systems name the eyes and the values (compared normalised).
SIDE_WORDS = {
    "right": ("r", "rechts", "od", "re", "right"),
    "left": ("l", "links", "os", "li", "left"),
}
VALUE_WORDS = {
    "sphere": ("sph", "sphaere", "sphere", "sp"),
    "cylinder": ("zyl", "cyl", "zylinder", "cylinder"),
    "axis": ("achse", "ach", "axis", "a"),
    "addition": ("add", "addition"),
    "prism_horizontal": ("prismah", "prismahorizontal", "prh", "prismhorizontal"),
    "prism_horizontal_base": ("basish", "basishorizontal", "bah", "prismhorizontalbase"),
    "prism_vertical": ("prismav", "prismavertikal", "prv", "prismvertical"),
    "prism_vertical_base": ("basisv", "basisvertikal", "bav", "prismverticalbase"),
    "visus_sc": ("visussc", "vsc", "visusohne", "sc"),
    "visus_cc": ("visuscc", "vcc", "visusmit", "cc", "visus"),
    "pd": ("pd",),
}
BASE_WORDS = {
    "in": "in",
    "innen": "in",
    "bi": "in",
    "basisinnen": "in",
    "out": "out",
    "aussen": "out",
    "ba": "out",
    "basisaussen": "out",
    "up": "up",
    "oben": "up",
    "bo": "up",
    "basisoben": "up",
    "down": "down",
    "unten": "down",
    "bu": "down",
    "basisunten": "down",
}
KIND_WORDS = {
    "subjektiv": Refraction.Kind.SUBJECTIVE,
    "subj": Refraction.Kind.SUBJECTIVE,
    "objektiv": Refraction.Kind.OBJECTIVE,
    "obj": Refraction.Kind.OBJECTIVE,
    "autorefraktor": Refraction.Kind.OBJECTIVE,
    "ar": Refraction.Kind.OBJECTIVE,
    "extern": Refraction.Kind.EXTERNAL,
    "verordnung": Refraction.Kind.EXTERNAL,
    "rezept": Refraction.Kind.EXTERNAL,
    "augenarzt": Refraction.Kind.EXTERNAL,
    "brille": Refraction.Kind.CURRENT_GLASSES,
    "altebrille": Refraction.Kind.CURRENT_GLASSES,
    "vorhandenebrille": Refraction.Kind.CURRENT_GLASSES,
    "istwerte": Refraction.Kind.CURRENT_GLASSES,
}


def _eye_label(side: str, suffix: str):
    return lambda: column_label(side, suffix)


def _eye_synonyms(side: str, suffix: str) -> tuple[str, ...]:
    return tuple(
        f"{a}{b}"
        for eye in SIDE_WORDS[side]
        for value in VALUE_WORDS[suffix]
        for a, b in ((eye, value), (value, eye))
    )


def _label(name: str):
    return lambda: str(Refraction._meta.get_field(name).verbose_name).capitalize()


CUSTOMER_FIELDS = (
    ImportField(
        "customer_external_number",
        lambda: str(gettext_lazy("External number")),
        ("fremdnummer", "kundennummer", "kundennr", "kdnr", "kundenid", "customerid"),
    ),
    ImportField(
        "customer_name",
        lambda: str(gettext_lazy("Customer (Last name, First name)")),
        ("kunde", "name", "kundenname"),
    ),
    ImportField(
        "customer_birth",
        lambda: str(gettext_lazy("Date of birth")),
        ("geburtsdatum", "gebdatum", "geb", "geburtstag"),
    ),
)
FIELDS = (
    *CUSTOMER_FIELDS,
    ImportField("date", _label("date"), ("datum", "messdatum", "refraktionsdatum", "date")),
    ImportField("kind", _label("kind"), ("art", "refraktionsart", "typ", "kind")),
    ImportField(
        "examiner_name",
        lambda: str(gettext_lazy("Examiner in the old system")),
        ("pruefer", "optiker", "examiner", "gemessenvon"),
    ),
    ImportField("prescriber", _label("prescriber"), ("verordner", "arzt", "prescriber")),
    *(
        ImportField(f"{side}_{suffix}", _eye_label(side, suffix), _eye_synonyms(side, suffix))
        for side in SIDES
        for suffix in REFRACTION_INPUTS
    ),
    ImportField(
        "vertex_distance",
        _label("vertex_distance"),
        ("hsa", "hornhautscheitelabstand", "vertexdistance"),
    ),
    ImportField(
        "binocular_notes", _label("binocular_notes"), ("binokular", "binocular", "binocularnotes")
    ),
    ImportField(
        "remarks", _label("remarks"), ("bemerkung", "bemerkungen", "notiz", "notizen", "remarks")
    ),
)
BIRTH = DateField(two_digit_years="past", required=False)
DATE = DateField(two_digit_years="past")


def parse_birth(value):
    return clean_value(BIRTH, value, str(gettext_lazy("Date of birth"))) if value else None


class RefractionImporter:
    """Turns rows into refractions of existing customers; one per run."""

    kind = Kind.REFRACTIONS
    fields = FIELDS
    keys = (ImportJob.Key.EXTERNAL_NUMBER, ImportJob.Key.NAME_AND_BIRTH)
    # The report's last column: the record a row made or changed (its page).
    record_label = gettext_lazy("Customer number")
    record_url = "customers:detail"
    updates_existing = False
    # The values are health data: only who may record refractions imports them.
    permissions = ("prescriptions.add_refraction", "prescriptions.view_refraction")

    @staticmethod
    def needed(key: str) -> list[str]:
        return [*customer_key_needed(key), "date"]

    def __init__(self, *, key: str, existing: str, user=None):
        self.key = key
        self.user = user
        self.labels = {f.name: f.label() for f in FIELDS}
        self.seen: dict[tuple, int] = {}
        self.kinds = {
            **{normalised(str(label)): value for value, label in Refraction.Kind.choices},
            **{normalised(value): value for value in Refraction.Kind.values},
            **KIND_WORDS,
        }

    def _value(self, name: str, value):
        label = self.labels[name]
        side, _sep, suffix = name.partition("_")
        if side not in SIDES:
            suffix = ""
        if suffix in EYE_FIELDS:
            return clean_value(EYE_FIELDS[suffix](), value, label)
        if suffix.endswith("_base"):
            base = BASE_WORDS.get(normalised(as_text(value)))
            if base is None or (base in ("in", "out")) != ("horizontal" in suffix):
                raise RowError(
                    f"{label}: "
                    + _("“%(value)s” is not one of the allowed values.") % {"value": as_text(value)}
                )
            return base
        if name == "date":
            return clean_value(DATE, value, label)
        if name == "kind":
            kind = self.kinds.get(normalised(as_text(value)))
            if kind is None:
                raise RowError(
                    f"{label}: "
                    + _("“%(value)s” is not one of the allowed values.") % {"value": as_text(value)}
                )
            return kind
        if name == "vertex_distance":
            return clean_value(MeasureField(places=1, required=False), value, label)
        return as_text(value)

    def process(self, row_number: int, values: dict[str, object]) -> Result:
        return outcome_of(lambda: self._process(row_number, values))

    def _process(self, row_number: int, values: dict[str, object]) -> Result:
        customer = customer_of(self.key, values, parse_birth)
        # Whoever measured in the old system is no user here: the importer
        # stands for the record, the old name goes into its remarks.
        data: dict = {"kind": Refraction.Kind.SUBJECTIVE, "examiner": self.user}
        errors = []
        for name, value in values.items():
            if name.startswith("customer_") or as_text(value) == "":
                continue
            try:
                data[name] = self._value(name, value)
            except RowError as error:
                errors.append(error.reason)
        if errors:
            raise RowError("; ".join(errors))
        if "date" not in data:
            raise RowError(f"{self.labels['date']}: " + _("This field is required."))
        examiner = data.pop("examiner_name", "")
        if examiner:
            note = _("Examiner in the old system: %(name)s") % {"name": examiner}
            data["remarks"] = f"{data.get('remarks', '')}\n{note}".strip()
        key = (customer.pk, data["date"], data["kind"])
        if key in self.seen:
            raise Skip(_("the same record as in row %(row)s") % {"row": self.seen[key]})
        existing = refraction_on(customer_id=customer.pk, day=data["date"], kind=data["kind"])
        if existing is not None:
            raise Skip(
                _("%(customer)s has this kind of refraction of %(date)s already")
                % {
                    "customer": _("customer %(number)s") % {"number": customer.pk},
                    "date": date_format(data["date"], "SHORT_DATE_FORMAT"),
                }
            )
        try:
            # Unusual values were measured as they are: imported, and said.
            refraction = services.refraction_record(
                customer_id=customer.pk, data=data, user=self.user, confirm_unusual=True
            )
        except ValidationError as error:
            raise RowError(messages(error, self.labels)) from None
        self.seen[key] = row_number
        return Result(Outcome.NEW, " ".join(rules.unusual_values(refraction)), customer.pk)
