from django import forms
from django.utils.translation import gettext_lazy as _
from phonenumber_field.formfields import PhoneNumberField

from customers.models import Country, Customer, InsuranceProvider
from customers.services import EDITABLE_FIELDS
from opticrm.lib.conflicts import RemembersLoadedValues
from opticrm.lib.forms import DateField
from opticrm.lib.phone import format_phone

# Staff type other people's addresses: the browser must not offer their own.
_NO_AUTOFILL = {"autocomplete": "off"}


class CustomerForm(RemembersLoadedValues, forms.ModelForm):
    loaded_value_fields = EDITABLE_FIELDS

    phone = PhoneNumberField(
        label=_("Phone"),
        required=False,
        region="DE",
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "off"}),
        error_messages={
            "invalid": _("Please enter a valid phone number, e.g. 030 1234567 or +49 151 23456789.")
        },
    )
    # Typed at the counter as "3.4.61": both dates lie in the past.
    date_of_birth = DateField(label=_("Date of birth"), required=False, two_digit_years="past")
    last_exam_date = DateField(label=_("Last exam"), required=False, two_digit_years="past")
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    confirm_duplicates = forms.BooleanField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = Customer
        fields = EDITABLE_FIELDS
        widgets = {
            "notes": forms.Textarea(attrs={"rows": 3}),
            "email": forms.EmailInput(attrs=_NO_AUTOFILL),
            "title": forms.TextInput(attrs=_NO_AUTOFILL),
            "street": forms.TextInput(attrs=_NO_AUTOFILL),
            "postcode": forms.TextInput(attrs={**_NO_AUTOFILL, "size": 10}),
            "town": forms.TextInput(attrs=_NO_AUTOFILL),
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
        self.fields["insurance_provider"].empty_label = _("— none —")
        # A form from before addresses existed (a modal left open) sends no
        # country: Germany, as for every customer then.
        self.fields["country"].required = False
        if self.instance.pk and not self.is_bound:
            self.initial["version"] = self.instance.version
            self.initial["phone"] = format_phone(self.instance.phone)
        # Who the service found this customer may be (PossibleDuplicates):
        # shown with the "Save anyway" button.
        self.duplicates: list[Customer] = []

    def clean(self):
        cleaned = super().clean()
        if self.instance.pk and cleaned.get("version") is None:
            # Without the version, a save could silently overwrite a colleague's.
            raise forms.ValidationError(
                _("This form is outdated. Please close it and open the customer again."),
                code="no_version",
            )
        return cleaned

    def clean_country(self) -> str:
        return self.cleaned_data.get("country") or Country.DE

    def service_data(self) -> dict:
        return {field: self.cleaned_data[field] for field in EDITABLE_FIELDS}


class EraseForm(forms.Form):
    """The erasure's confirmation (DSGVO Art. 17): it cannot be undone."""

    confirm = forms.BooleanField(
        label=_(
            "I have checked the erasure: the person asked for it, or the purpose of storing "
            "their data has ended."
        ),
        error_messages={"required": _("Please confirm the erasure first.")},
    )
