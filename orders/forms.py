"""The order screens' forms. They check what a form can (types, ranges,
required inputs); the rules live in orders.services, whose errors the
forms show next to their fields (ServiceErrorsMixin)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from opticrm.lib.forms import DateField, LongChoiceField, ServiceErrorsMixin
from orders import selectors
from orders.models import CENTRATION_FIELDS, Kind, Order, OrderLine, Status
from orders.services import LINE_FIELDS, product_line
from prescriptions.models import CURRENT, ContactLensFitting, Refraction
from products.models import Category, Product
from products.selectors import product_by_code


def decimal_input(field: forms.Field, **attrs) -> None:
    """A German decimal ("89,50") in a text input with the number keypad: a
    number input shows a decimal comma as empty and reads "5,50" as 550."""
    field.localize = True
    field.widget = forms.TextInput(attrs={"inputmode": "decimal", **attrs})
    field.widget.is_localized = True


class VersionMixin(forms.Form):
    """The order's version when the form was opened: a save against a newer
    one is refused (services.OrderConflict) instead of overwriting it."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("version") is None:
            # Without it a save could overwrite a colleague's change unseen.
            self.errors.pop("version", None)
            self.add_error(None, _("The page is out of date: please reload it and try again."))
        return cleaned

    def _post_clean(self):
        # The service validates the whole order or position (full_clean
        # with the rules); a model form's own pass would half-do it first.
        if not isinstance(self, forms.ModelForm):
            super()._post_clean()

    def with_version(self, version: int) -> None:
        """After a conflict: the form again with the user's input and the
        current version, to be checked and saved once more."""
        data = self.data.copy()
        data["version"] = str(version)
        self.data = data


def _record_label(record) -> str:
    return f"{record.date:%d.%m.%Y} · {record.get_kind_display()}" + (
        f" · {record.prescriber}" if getattr(record, "prescriber", "") else ""
    )


class OrderCreateForm(ServiceErrorsMixin, forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=Kind.choices, widget=forms.RadioSelect)
    refraction = forms.TypedChoiceField(
        label=_("Refraction"), coerce=int, required=False, empty_value=None
    )
    fitting = forms.TypedChoiceField(
        label=_("Contact lens fitting"), coerce=int, required=False, empty_value=None
    )

    def __init__(self, *args, customer, health_data: bool, default_refraction=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.initial.setdefault("kind", Kind.GLASSES)
        if not health_data:
            # Without the refraction right the values cannot be chosen: the
            # order takes the default one (services.order_create).
            del self.fields["refraction"], self.fields["fitting"]
            return
        refractions = Refraction.objects.filter(CURRENT, customer=customer).order_by("-date", "-id")
        self.fields["refraction"].choices = [("", _("none yet"))] + [
            (record.pk, _record_label(record)) for record in refractions[:50]
        ]
        if default_refraction is not None:
            self.initial.setdefault("refraction", default_refraction.pk)
        fittings = ContactLensFitting.objects.filter(CURRENT, customer=customer).order_by(
            "-date", "-id"
        )
        self.fields["fitting"].choices = [("", _("none"))] + [
            (record.pk, f"{record.date:%d.%m.%Y}") for record in fittings[:50]
        ]


class HeaderForm(VersionMixin, ServiceErrorsMixin, forms.ModelForm):
    promised_date = DateField(label=_("Ready by"), required=False, two_digit_years="near")

    class Meta:
        model = Order
        fields = ["staff", "promised_date", "deposit", "insurance_number", "item", "work", "notes"]
        widgets = {
            "notes": forms.Textarea(attrs={"rows": 3}),
            "work": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["staff"].queryset = selectors.staff_members().only(
            "id", "first_name", "last_name", "username"
        )
        self.fields["staff"].label_from_instance = lambda user: (
            user.get_full_name() or user.get_username()
        )
        decimal_input(self.fields["deposit"])
        if self.instance.kind != Kind.REPAIR:
            del self.fields["item"], self.fields["work"]
        if self.instance.kind != Kind.GLASSES:
            del self.fields["insurance_number"]
        if not self.is_bound:
            self.initial["version"] = self.instance.version

    def service_data(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.fields if name != "version"}


class CentrationForm(VersionMixin, ServiceErrorsMixin, forms.ModelForm):
    class Meta:
        model = Order
        fields = [*CENTRATION_FIELDS, "plausibility_reason"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in CENTRATION_FIELDS:
            decimal_input(self.fields[name], size=5)
        if not self.is_bound:
            self.initial["version"] = self.instance.version

    def service_data(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.Meta.fields}


class FrameForm(VersionMixin, ServiceErrorsMixin, forms.Form):
    """A frame from stock (its id, chosen from the search) or the customer's own."""

    frame = forms.TypedChoiceField(coerce=int, required=False, empty_value=None, choices=())
    own_frame = forms.CharField(label=_("Customer's own frame"), max_length=200, required=False)

    def clean_frame(self):
        pk = self.cleaned_data["frame"]
        if pk is None:
            return None
        frame = Product.objects.filter(pk=pk, category=Category.FRAME, active=True).first()
        if frame is None:
            raise forms.ValidationError(_("Please choose a frame."))
        return frame

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Any frame id is offered: clean_frame checks it is one.
        self.fields["frame"].valid_value = lambda value: True


class LensForm(VersionMixin, ServiceErrorsMixin, forms.Form):
    EYES = {"both": ("right", "left"), "right": ("right",), "left": ("left",)}

    product = forms.TypedChoiceField(label=_("Lens"), coerce=int)
    eyes = forms.ChoiceField(
        label=_("For"),
        choices=[("both", _("both eyes")), ("right", _("right eye")), ("left", _("left eye"))],
        initial="both",
        widget=forms.RadioSelect,
    )
    diameter = forms.IntegerField(label=_("Diameter (mm)"), min_value=40, max_value=90)

    def __init__(self, *args, lenses, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["product"].choices = [("", "—")] + [
            (lens.pk, lens_label(lens)) for lens in lenses
        ]


def lens_label(lens: Product) -> str:
    parts = [" ".join(part for part in (lens.brand, lens.model) if part) or lens.name]
    if lens.spectacle_design:
        parts.append(lens.get_spectacle_design_display())
    if lens.lens_index is not None:
        parts.append(str(lens.lens_index).replace(".", ","))
    return " · ".join(parts)


class LineForm(VersionMixin, ServiceErrorsMixin, forms.ModelForm):
    code = forms.CharField(
        label=_("Article (EAN or article number)"),
        max_length=40,
        required=False,
        help_text=_("Scan or type it: description, price and VAT come from the article."),
    )
    description = forms.CharField(label=_("Description"), max_length=200, required=False)
    unit_price = forms.DecimalField(
        label=_("Unit price (gross, €)"), max_digits=10, decimal_places=2, required=False
    )

    class Meta:
        model = OrderLine
        # The product comes from the scanned code, not a field of its own.
        fields = [name for name in LINE_FIELDS if name != "product"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("unit_price", "discount_percent", "discount_amount"):
            decimal_input(self.fields[name])
        self.fields["eye"].choices = [("", _("both / none"))] + [
            choice for choice in self.fields["eye"].choices if choice[0]
        ]
        if self.instance.pk:
            del self.fields["code"]

    def clean(self):
        cleaned = super().clean()
        code = cleaned.get("code", "")
        self.product = None
        if code:
            self.product = product_by_code(code)
            if self.product is None:
                self.add_error("code", _("No article has this EAN or article number."))
        elif not cleaned.get("description"):
            self.add_error("description", _("Please describe the position."))
        if not code and cleaned.get("unit_price") is None and "unit_price" not in self.errors:
            self.add_error("unit_price", _("Please enter the price."))
        return cleaned

    def service_data(self) -> dict:
        data = {name: self.cleaned_data[name] for name in self.Meta.fields}
        if self.product is None:
            return data
        # A scanned article: what the user changed in the form wins, the
        # rest (description, kind, price, VAT rate) comes from the article.
        changed = {
            name: data[name]
            for name in self.changed_data
            if name in data and data[name] not in (None, "")
        }
        return {**product_line(self.product), **changed}


class StatusForm(VersionMixin, ServiceErrorsMixin, forms.Form):
    status = forms.ChoiceField(choices=Status.choices)
    reason = forms.CharField(label=_("Reason"), max_length=200, required=False)
    lab_pays_remake = forms.BooleanField(label=_("The lab pays the remake"), required=False)
    service_fields = {"status_reason": "reason"}


class BoardFilterForm(forms.Form):
    """The board's filters; what does not parse is ignored, never an error page."""

    staff = LongChoiceField(label=_("Staff"), coerce=int, required=False, empty_value=None)
    since = DateField(label=_("Created from"), required=False)
    until = DateField(label=_("Created until"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["staff"].choices = [("", _("all")), *selectors.staff_choices()]

    def filters(self) -> dict:
        if not self.is_bound:
            return {"staff_id": None, "since": None, "until": None}
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        return {
            "staff_id": data.get("staff"),
            "since": _plausible(data.get("since")),
            "until": _plausible(data.get("until")),
        }


def _plausible(day):
    """A day the shop's orders can have (as the API's dates): 1900–2999."""
    return day if day is not None and 1900 <= day.year <= 2999 else None
