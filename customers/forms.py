from django import forms
from django.utils.translation import gettext_lazy as _
from phonenumber_field.formfields import PhoneNumberField

from customers import selectors
from customers.models import Customer, InsuranceProvider
from customers.services import EDITABLE_FIELDS
from opticrm.lib.dates import DATE_INPUT_FORMATS
from opticrm.lib.phone import format_phone


class DateInput(forms.DateInput):
    """A text field for dates typed the German way (12.03.1965): faster at the
    counter than a picker, and the same in every browser and language."""

    def __init__(self, attrs=None):
        attrs = {"placeholder": _("DD.MM.YYYY"), "inputmode": "numeric", **(attrs or {})}
        super().__init__(attrs=attrs, format="%d.%m.%Y")


class CustomerForm(forms.ModelForm):
    phone = PhoneNumberField(
        label=_("Phone"),
        required=False,
        region="DE",
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "off"}),
        error_messages={
            "invalid": _("Please enter a valid phone number, e.g. 030 1234567 or +49 151 23456789.")
        },
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    confirm_duplicates = forms.BooleanField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = Customer
        fields = EDITABLE_FIELDS
        widgets = {
            "date_of_birth": DateInput(),
            "last_exam_date": DateInput(),
            "notes": forms.Textarea(attrs={"rows": 3}),
            "email": forms.EmailInput(attrs={"autocomplete": "off"}),
        }
        error_messages = {
            "email": {"invalid": _("Please enter a valid email address.")},
            "first_name": {"required": _("Please enter a name.")},
            "last_name": {"required": _("Please enter a name.")},
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        providers = InsuranceProvider.objects.filter(active=True)
        if self.instance.insurance_provider_id:
            providers = InsuranceProvider.objects.filter(
                active=True
            ) | InsuranceProvider.objects.filter(pk=self.instance.insurance_provider_id)
        self.fields["insurance_provider"].queryset = providers.order_by("name")
        for name in ("date_of_birth", "last_exam_date"):
            # The field shows 12.03.1965 in every language, so it must read it back too.
            self.fields[name].input_formats = DATE_INPUT_FORMATS
        self.fields["insurance_provider"].empty_label = _("— none —")
        if self.instance.pk and not self.is_bound:
            self.initial["version"] = self.instance.version
            self.initial["phone"] = format_phone(self.instance.phone)
        self.duplicates: list[Customer] = []

    def clean(self):
        cleaned = super().clean()
        if self.instance.pk and cleaned.get("version") is None:
            # Without the version, a save could silently overwrite a colleague's.
            raise forms.ValidationError(
                _("This form is outdated. Please close it and open the customer again."),
                code="no_version",
            )
        identity = {"first_name", "last_name", "date_of_birth", "email"}
        if self.instance.pk and not identity & set(self.changed_data):
            # Already saved with these details: asking again on every edit
            # would only teach people to click past the warning.
            return cleaned
        self.duplicates = list(
            selectors.customer_possible_duplicates(
                first_name=cleaned.get("first_name") or "",
                last_name=cleaned.get("last_name") or "",
                date_of_birth=cleaned.get("date_of_birth"),
                email=cleaned.get("email") or "",
                exclude_id=self.instance.pk,
            )[:5]
        )
        return cleaned

    @property
    def needs_duplicate_confirmation(self) -> bool:
        return bool(self.duplicates) and not self.cleaned_data.get("confirm_duplicates")

    def service_data(self) -> dict:
        return {field: self.cleaned_data[field] for field in EDITABLE_FIELDS}


class PageSizeForm(forms.Form):
    """The rows-per-page choice of a table; invalid input falls back to the default."""

    page_size = forms.TypedChoiceField(coerce=int, required=False)

    def __init__(self, *args, sizes, **kwargs):
        super().__init__(*args, **kwargs)
        self.sizes = sizes
        self.fields["page_size"].choices = [(s, s) for s in sizes]

    @property
    def size(self) -> int:
        if self.is_valid() and self.cleaned_data.get("page_size"):
            return self.cleaned_data["page_size"]
        return self.sizes[0]
