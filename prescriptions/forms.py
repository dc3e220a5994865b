"""The refraction and fitting modals: two rows (R / L), one column per value,
typed the way opticians write them ("-1,25", "+1.25", "1,25", "90°")."""

from decimal import Decimal, InvalidOperation

from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.forms.models import model_to_dict
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from opticrm.lib.forms import DateField, ServiceErrorsMixin
from prescriptions import optics
from prescriptions.display import FITTING_COLUMNS, LABELS
from prescriptions.eyes import SIDE_LABELS, SIDES, format_plain
from prescriptions.models import ContactLensFitting, Record, Refraction
from prescriptions.services import FITTING_FIELDS, REFRACTION_FIELDS


class DioptreField(forms.Field):
    """A power in dioptres; shown with sign and decimal comma (−1,25)."""

    default_error_messages = {"invalid": _("Please enter a number such as −1,25.")}

    def __init__(self, *, signed: bool = True, **kwargs):
        self.signed = signed
        super().__init__(**kwargs)

    def to_python(self, value):
        if value in self.empty_values or not str(value).strip():
            return None
        try:
            return optics.parse_dioptre(str(value))
        except optics.NotationError:
            raise ValidationError(self.error_messages["invalid"], code="invalid") from None

    def prepare_value(self, value):
        if isinstance(value, str):
            try:
                value = optics.parse_dioptre(value)
            except optics.NotationError:
                return value
        if value is None:
            return ""
        return optics.format_dioptre(value) if self.signed else format_plain(value)


class MeasureField(forms.Field):
    """Millimetres or visual acuity: 31,5 / 0,8 / 8.6, shown with a comma."""

    default_error_messages = {"invalid": _("Please enter a number such as 31,5.")}

    def __init__(self, *, places: int, **kwargs):
        self.places = places
        super().__init__(**kwargs)

    def to_python(self, value):
        text = str(value or "").strip().replace(",", ".").removesuffix("mm").strip()
        if not text:
            return None
        try:
            number = Decimal(text)
        except InvalidOperation:
            raise ValidationError(self.error_messages["invalid"], code="invalid") from None
        if not number.is_finite() or abs(number) >= 1000:
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        return number

    def prepare_value(self, value):
        if isinstance(value, Decimal):
            return format_plain(value, self.places)
        return value or ""


class AxisField(forms.Field):
    """Whole degrees; "90°" and "90" both read."""

    default_error_messages = {"invalid": _("The axis is a whole number of degrees from 0 to 180.")}

    def to_python(self, value):
        text = str(value or "").strip().removesuffix("°").strip()
        if not text:
            return None
        if not (text.isascii() and text.isdigit()) or len(text) > 3:
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        return int(text)


# The form field for each per-eye value, by the name without R/L prefix.
EYE_FIELDS = {
    "sphere": lambda: DioptreField(),
    "cylinder": lambda: DioptreField(),
    "axis": AxisField,
    "addition": lambda: DioptreField(signed=False),
    "prism_horizontal": lambda: DioptreField(signed=False),
    "prism_vertical": lambda: DioptreField(signed=False),
    "visus_sc": lambda: MeasureField(places=2),
    "visus_cc": lambda: MeasureField(places=2),
    "pd": lambda: MeasureField(places=1),
    "base_curve": lambda: MeasureField(places=2),
    "diameter": lambda: MeasureField(places=1),
}
REFRACTION_INPUTS = (
    "sphere",
    "cylinder",
    "axis",
    "addition",
    "prism_horizontal",
    "prism_horizontal_base",
    "prism_vertical",
    "prism_vertical_base",
    "visus_sc",
    "visus_cc",
    "pd",
)
# Values taken over from an earlier record ("Werte übernehmen").
NOT_COPIED = {"date", "examiner", "kind", "prescriber", "remarks", "wearing_notes"}


class EyeTableForm(ServiceErrorsMixin, forms.ModelForm):
    """Shared by both modals: the R/L grid, the service's field list, and the
    confirmation of unusual values."""

    columns: tuple[str, ...] = ()
    # Fields above and below the grid.
    head: tuple[str, ...] = ()
    bottom: tuple[str, ...] = ()
    shows_equivalents = False
    confirm_unusual = forms.BooleanField(
        label=_("Save anyway: the values are correct."), required=False
    )

    def __init__(self, *args, customer, user, source: Record | None = None, **kwargs):
        kwargs.setdefault("instance", self._meta.model(customer=customer))
        initial = kwargs.setdefault("initial", {})
        if source is not None:
            values = model_to_dict(source, fields=self._meta.fields)
            initial.update({k: v for k, v in values.items() if k not in NOT_COPIED})
        initial.setdefault("date", timezone.localdate())
        initial.setdefault("examiner", user.pk)
        super().__init__(*args, **kwargs)
        self.warnings: list[str] = []
        self._field_errors: set[str] = set()
        for side in SIDES:
            for suffix in self.columns:
                name, label = f"{side}_{suffix}", LABELS[suffix]
                if suffix in EYE_FIELDS:
                    self.fields[name] = EYE_FIELDS[suffix]()
                    self.fields[name].required = False
                field = self.fields[name]
                if isinstance(field, forms.TypedChoiceField):
                    field.choices = [("", "—"), *field.choices[1:]]
                field.widget.attrs.update(
                    {"aria-label": f"{SIDE_LABELS[side]} {label}", "class": f"eye-{suffix}"}
                )
                if isinstance(field.widget, forms.TextInput):
                    field.widget.attrs["autocomplete"] = "off"
                    if suffix in {"visus_sc", "visus_cc", "pd", "base_curve", "diameter", "axis"}:
                        field.widget.attrs["inputmode"] = "decimal"
        self.fields["date"] = DateField(label=self.fields["date"].label, two_digit_years="past")
        users = get_user_model().objects.filter(is_active=True).order_by("first_name", "username")
        self.fields["examiner"].queryset = users
        self.fields["examiner"].label_from_instance = lambda u: u.get_full_name() or u.username

    @property
    def rows(self) -> list[tuple]:
        """(side, label, bound fields, spherical equivalent) per eye."""
        equivalents = spherical_equivalents(
            {name: str(self[name].value() or "") for name in self.fields if name.startswith(SIDES)}
        )
        return [
            (
                side,
                SIDE_LABELS[side],
                [self[f"{side}_{suffix}"] for suffix in self.columns],
                equivalents[side],
            )
            for side in SIDES
        ]

    @property
    def eye_errors(self) -> list[tuple[str, str, list]]:
        """(field id, "R Zyl", messages) for the list under the grid."""
        return [
            (field.auto_id, field.field.widget.attrs["aria-label"], field.errors)
            for *_side, fields, _equivalent in self.rows
            for field in fields
            if field.errors
        ]

    @property
    def head_fields(self) -> list:
        return [self[name] for name in self.head]

    @property
    def bottom_fields(self) -> list:
        return [self[name] for name in self.bottom]

    @property
    def column_labels(self) -> list:
        return [LABELS[suffix] for suffix in self.columns]

    def clean(self):
        self._field_errors = set(self.errors)
        return super().clean()

    def _post_clean(self):
        super()._post_clean()
        for side in SIDES:
            # "Cylinder unreadable" already says it; "axis without cylinder"
            # on top would only confuse.
            cylinder, axis = f"{side}_cylinder", f"{side}_axis"
            if cylinder in self._field_errors and axis not in self._field_errors:
                self.errors.pop(axis, None)

    def service_data(self) -> dict:
        return {name: self.cleaned_data.get(name) for name in self._meta.fields}


class RefractionForm(EyeTableForm):
    columns = REFRACTION_INPUTS
    head = ("date", "kind", "examiner", "prescriber")
    bottom = ("vertex_distance", "binocular_notes", "remarks")
    shows_equivalents = True

    class Meta:
        model = Refraction
        fields = REFRACTION_FIELDS
        widgets = {
            "binocular_notes": forms.Textarea(attrs={"rows": 2}),
            "remarks": forms.Textarea(attrs={"rows": 2}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["vertex_distance"] = MeasureField(
            places=1, required=False, label=_("Vertex distance (mm)")
        )
        self.fields["vertex_distance"].widget.attrs.update(
            {"inputmode": "decimal", "autocomplete": "off", "placeholder": "12"}
        )


class FittingForm(EyeTableForm):
    columns = FITTING_COLUMNS
    head = ("date", "examiner")
    bottom = ("wearing_notes",)

    class Meta:
        model = ContactLensFitting
        fields = FITTING_FIELDS
        widgets = {"wearing_notes": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for side in SIDES:
            field = self.fields[f"{side}_product"]
            field.queryset = field.queryset.filter(active=True).order_by("name")
            field.empty_label = "—"


def transposed_data(data) -> dict:
    """The form's input with each eye's cylinder in the other notation, for
    the "transpose" button. Eyes that cannot be read are left as typed."""
    values = {key: data.get(key, "") for key in data if key != "csrfmiddlewaretoken"}
    for side in SIDES:
        try:
            sphere = optics.parse_dioptre(values.get(f"{side}_sphere", ""))
            cylinder = optics.parse_dioptre(values.get(f"{side}_cylinder", ""))
            axis = int(str(values.get(f"{side}_axis", "")).strip().removesuffix("°"))
        except (optics.NotationError, ValueError):
            continue
        if not cylinder or not 0 <= axis <= 180:
            continue
        result = optics.SphCyl(sphere, cylinder, axis).transposed()
        values[f"{side}_sphere"] = optics.format_dioptre(result.sphere)
        values[f"{side}_cylinder"] = optics.format_dioptre(result.cylinder)
        values[f"{side}_axis"] = str(result.axis)
    return values


def spherical_equivalents(data) -> dict[str, str]:
    """Sph + Zyl/2 per eye from what is typed so far; empty where unreadable."""
    result = {}
    for side in SIDES:
        try:
            sphere = optics.parse_dioptre(data.get(f"{side}_sphere", ""))
        except optics.NotationError:
            result[side] = ""
            continue
        try:
            cylinder = optics.parse_dioptre(data.get(f"{side}_cylinder", "") or "0")
        except optics.NotationError:
            cylinder = Decimal(0)
        result[side] = optics.format_equivalent(
            optics.SphCyl(sphere, cylinder, None).spherical_equivalent
        )
    return result
