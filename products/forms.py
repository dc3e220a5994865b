import re
from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from opticrm.lib.conflicts import RemembersLoadedValues
from opticrm.lib.forms import DateField, ServiceErrorsMixin
from products import contact_lenses
from products.models import (
    LENS_FIELDS,
    SPECTACLE_LENS_FIELDS,
    Category,
    Coating,
    Margin,
    Product,
    ReorderLine,
    StockMovement,
    Supplier,
    margin,
)
from products.services import EDITABLE_FIELDS

Kind = StockMovement.Kind
FRAME_FIELDS = ("lens_width", "bridge_width", "temple_length")
# "1.234,56": points group the thousands of a German amount.
_GERMAN_THOUSANDS = re.compile(r"[1-9]\d{0,2}(\.\d{3})+")
_DIGITS = re.compile(r"\d*")


def normalise_amount(text: str) -> str:
    """An amount typed as 1.234,56 / 1234,56 / 49,90 / 49.90 / 1.234 € in the
    form Decimal reads (1234.56); anything else is returned unchanged, so that
    the field reports it as invalid."""
    value = re.sub(r"[\s\u00a0\u202f€]", "", text)
    sign = ""
    if value and value[0] in "-−":
        sign, value = "-", value[1:]
    if "," in value:
        integer, _, fraction = value.rpartition(",")
    elif _GERMAN_THOUSANDS.fullmatch(value):
        integer, fraction = value, ""
    else:
        integer, _, fraction = value.partition(".")
    if _GERMAN_THOUSANDS.fullmatch(integer):
        integer = integer.replace(".", "")
    if not (integer or fraction) or not _DIGITS.fullmatch(integer):
        return text
    if not _DIGITS.fullmatch(fraction):
        return text
    return f"{sign}{integer or '0'}.{fraction or '0'}"


class MoneyField(forms.DecimalField):
    """Euros typed the German way (49,90 or 1.234,56) or with a point (49.90),
    shown with a decimal comma."""

    default_error_messages = {"invalid": _("Please enter an amount such as 49,90.")}

    def __init__(self, **kwargs):
        kwargs.setdefault("localize", True)
        kwargs.setdefault("min_value", Decimal("0"))
        super().__init__(**kwargs)
        self.widget.attrs.update({"inputmode": "decimal", "autocomplete": "off"})

    def to_python(self, value):
        if isinstance(value, str) and value.strip():
            value = normalise_amount(value)
        return super().to_python(value)


RANGES = {
    "base_curves": contact_lenses.BASE_CURVES,
    "diameters": contact_lenses.DIAMETERS,
    "cylinders": contact_lenses.CYLINDERS,
}


class ValuesField(forms.Field):
    """Several values of a contact lens, typed "8,4 / 8,8" (or with ";" or
    spaces between them), shown the same way."""

    default_error_messages = {"invalid": _("Please enter values such as 8,4 / 8,8.")}

    def __init__(self, *, kind: str, **kwargs):
        self.kind = kind
        kwargs.setdefault("required", False)
        # The model's range, checked here first: it names the whole rule.
        kwargs.setdefault("validators", [RANGES[kind]])
        super().__init__(**kwargs)
        self.widget.attrs.update({"autocomplete": "off", "inputmode": "decimal"})

    def to_python(self, value):
        if isinstance(value, list):
            return value
        try:
            return contact_lenses.parse_values(str(value or ""), negative=self.kind == "cylinders")
        except contact_lenses.NotationError:
            raise ValidationError(self.error_messages["invalid"], code="invalid") from None

    def prepare_value(self, value):
        if isinstance(value, list | tuple):
            return contact_lenses.format_values(value, self.kind)
        return value or ""

    def has_changed(self, initial, data):
        try:
            return self.to_python(data) != list(initial or [])
        except ValidationError:
            return True


class DioptreField(forms.DecimalField):
    """A power such as −6,00 or +4,25: decimal comma, typographic minus, sign."""

    default_error_messages = {"invalid": _("Please enter a number such as −1,25.")}

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("max_digits", 5)
        kwargs.setdefault("decimal_places", 2)
        super().__init__(**kwargs)
        self.widget = forms.TextInput(attrs={"autocomplete": "off", "inputmode": "decimal"})

    def to_python(self, value):
        if isinstance(value, str):
            value = value.strip().replace("−", "-").replace("–", "-").replace(",", ".")
        return super().to_python(value)

    def prepare_value(self, value):
        if isinstance(value, str):
            try:
                value = Decimal(value.replace(",", "."))
            except ArithmeticError:
                return value
        if value is None:
            return ""
        if not value.is_finite() or abs(value) >= 1000:
            return str(value)  # shown as typed, with the field's error
        return contact_lenses.format_value(value, places=2, signed=True)


class ProductForm(ServiceErrorsMixin, RemembersLoadedValues, forms.ModelForm):
    loaded_value_fields = EDITABLE_FIELDS

    # The product's version when the form was opened (see
    # services.product_update): a save on top of a colleague's is refused.
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    coatings = forms.MultipleChoiceField(
        label=capfirst(Product._meta.get_field("coatings").verbose_name),
        choices=Coating.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )

    class Meta:
        model = Product
        fields = EDITABLE_FIELDS
        field_classes = {
            "purchase_price": MoneyField,
            "sale_price": MoneyField,
            "sphere_min": DioptreField,
            "sphere_max": DioptreField,
        }
        widgets = {
            "article_number": forms.TextInput(attrs={"autocomplete": "off"}),
            "ean": forms.TextInput(
                attrs={
                    "inputmode": "numeric",
                    "autocomplete": "off",
                    # A barcode scanner ends with Enter: that must not save a half-filled form.
                    "data-enter-does-not-submit": True,
                }
            ),
            "lens_width": forms.NumberInput(attrs={"placeholder": "52"}),
            "bridge_width": forms.NumberInput(attrs={"placeholder": "18"}),
            "temple_length": forms.NumberInput(attrs={"placeholder": "140"}),
        }
        error_messages = {
            "name": {"required": _("Please enter a name.")},
            "article_number": {"required": _("Please enter an article number.")},
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        suppliers = Supplier.objects.filter(active=True)
        if self.instance.supplier_id:
            # A supplier no longer active stays choosable for its products.
            suppliers = suppliers | Supplier.objects.filter(pk=self.instance.supplier_id)
        self.fields["supplier"].queryset = suppliers.order_by("name")
        self.fields["supplier"].empty_label = _("— none —")
        self.fields["category"].choices = [("", _("— please choose —")), *Category.choices]
        for name in ("base_curves", "diameters", "cylinders"):
            label = Product._meta.get_field(name).verbose_name
            self.fields[name] = ValuesField(kind=name, label=capfirst(label))
        self.fields["base_curves"].widget.attrs["placeholder"] = "8,4 / 8,8"
        self.fields["diameters"].widget.attrs["placeholder"] = "14,0"
        self.fields["cylinders"].widget.attrs["placeholder"] = "−0,75 / −1,25 / −1,75"
        self.fields["sphere_min"].widget.attrs["placeholder"] = "−12,00"
        self.fields["sphere_max"].widget.attrs["placeholder"] = "+8,00"
        self.fields["lens_design"].choices = [("", "—"), *self.fields["lens_design"].choices[1:]]
        self.fields["axis_step"].choices = [("", "—"), *self.fields["axis_step"].choices[1:]]
        for name in ("spectacle_design", "lens_index"):
            self.fields[name].choices = [("", "—"), *self.fields[name].choices[1:]]
        # "Lens design" is the contact lens's word; a spectacle lens has a type.
        self.fields["spectacle_design"].label = _("Lens type")
        if self.instance.pk and not self.is_bound:
            self.initial["version"] = self.instance.version
        self.conflict_display: dict[str, str] = {}

    def clean(self):
        cleaned = super().clean()
        if self.instance.pk and cleaned.get("version") is None:
            # Without the version, a save could silently overwrite a colleague's.
            raise forms.ValidationError(
                _("This form is outdated. Please close it and open the product again."),
                code="no_version",
            )
        return cleaned

    @property
    def frame_size_refused(self) -> bool:
        """A frame size typed for another category: its fields are shown
        again, so that it can be seen and cleared."""
        return (
            self.is_bound
            and bool(self.errors)
            and self["category"].value() != Category.FRAME
            and any(self[name].value() not in (None, "") for name in FRAME_FIELDS)
        )

    @property
    def lens_parameters_refused(self) -> bool:
        """Lens parameters typed for another category: shown again, so that
        they can be seen and cleared (as the frame size)."""
        return (
            self.is_bound
            and bool(self.errors)
            and self["category"].value() != Category.CONTACT_LENS
            and any(self[name].value() not in (None, "", []) for name in LENS_FIELDS)
        )

    @property
    def spectacle_lens_refused(self) -> bool:
        """Spectacle lens attributes chosen for another category: shown
        again, so that they can be seen and cleared (as the frame size)."""
        return (
            self.is_bound
            and bool(self.errors)
            and self["category"].value() != Category.SPECTACLE_LENS
            and any(self[name].value() not in (None, "", []) for name in SPECTACLE_LENS_FIELDS)
        )

    @property
    def margin(self) -> Margin:
        """The margin of the prices shown: the input if it is valid, else the saved ones."""
        if self.is_bound:
            data = getattr(self, "cleaned_data", {})
            return margin(data.get("purchase_price"), data.get("sale_price"))
        return margin(self.initial.get("purchase_price"), self.initial.get("sale_price"))

    def service_data(self) -> dict:
        return {field: self.cleaned_data[field] for field in EDITABLE_FIELDS}


class MarginForm(forms.Form):
    """The two prices of the product form, for the live margin."""

    purchase_price = MoneyField(required=False)
    sale_price = MoneyField(required=False)

    @property
    def margin(self) -> Margin:
        if not self.is_valid():
            return margin(None, None)
        return margin(self.cleaned_data["purchase_price"], self.cleaned_data["sale_price"])


QUANTITY_LABELS = {
    Kind.RECEIPT: _("Quantity received"),
    Kind.SALE: _("Quantity sold"),
    Kind.RETURN: _("Quantity returned"),
    Kind.CORRECTION: _("Change (+/−)"),
    Kind.INVENTORY: _("Counted stock"),
}
QUANTITY_HELP = {
    Kind.CORRECTION: _("Positive adds to the stock, negative takes from it, e.g. −1 for breakage."),
    Kind.INVENTORY: _("The stock counted on the shelf; the difference is booked."),
}


class QuantityField(forms.IntegerField):
    """A whole number; "−2" with a typographic minus counts as -2."""

    def to_python(self, value):
        if isinstance(value, str):
            value = value.strip().replace("−", "-").replace("+", "")
        return super().to_python(value)


class StockMoveForm(ServiceErrorsMixin, forms.Form):
    """One movement of the ledger; services.stock_move decides what is allowed."""

    quantity = QuantityField(
        min_value=-99_999,
        max_value=99_999,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
        error_messages={"required": _("Please enter a quantity.")},
    )
    note = forms.CharField(
        label=_("Note"),
        required=False,
        max_length=StockMovement._meta.get_field("note").max_length,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )

    def __init__(self, *args, kind: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.kind = kind
        self.fields["quantity"].label = QUANTITY_LABELS[kind]
        self.fields["quantity"].help_text = QUANTITY_HELP.get(kind, "")
        self.fields["quantity"].widget.attrs["autofocus"] = True
        if kind == Kind.CORRECTION:
            # A phone's numeric keypad has no minus sign.
            self.fields["quantity"].widget.attrs.update({"placeholder": "−1", "inputmode": "text"})


class ReorderOrderForm(ServiceErrorsMixin, forms.Form):
    """An order placed with the supplier; services.reorder_line_order decides."""

    quantity = QuantityField(
        label=_("Quantity ordered"),
        min_value=1,
        max_value=99_999,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
        error_messages={
            "required": _("Please enter a quantity."),
            "min_value": _("Please enter a quantity of at least 1."),
        },
    )
    ordered_at = DateField(
        label=_("Ordered on"),
        two_digit_years="past",
        error_messages={"required": _("Please enter a date.")},
    )
    reference = forms.CharField(
        label=_("Order reference or note"),
        required=False,
        max_length=ReorderLine._meta.get_field("reference").max_length,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
        help_text=_("e.g. the supplier's order number, or how it was ordered."),
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("initial", {}).setdefault("ordered_at", timezone.localdate())
        super().__init__(*args, **kwargs)
        self.fields["quantity"].widget.attrs["autofocus"] = True


class ReorderReceiveForm(ServiceErrorsMixin, forms.Form):
    """Goods received for an open order; services.reorder_line_receive books them."""

    quantity = QuantityField(
        label=_("Quantity received"),
        min_value=1,
        max_value=99_999,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
        error_messages={
            "required": _("Please enter a quantity."),
            "min_value": _("Please enter a quantity of at least 1."),
        },
    )
    close = forms.BooleanField(
        label=_("The rest will not come: close the order"),
        required=False,
    )
    note = forms.CharField(
        label=_("Note"),
        required=False,
        max_length=100,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["quantity"].widget.attrs["autofocus"] = True
