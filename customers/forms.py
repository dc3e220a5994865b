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


class PhotoForm(forms.Form):
    """The customer photo: a file (chosen, or taken by the camera in the
    browser) and the square the browser proposes to cut out, in the
    upright photo's pixels; without it the middle square is taken."""

    photo = forms.FileField(
        label=_("Photo"),
        error_messages={"required": _("Please choose a photo.")},
        widget=forms.ClearableFileInput(
            attrs={"accept": "image/jpeg,image/png,image/webp,image/heic,image/heif"}
        ),
    )
    crop_x = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=0)
    crop_y = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=0)
    crop_size = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=1)

    def clean(self):
        # The square is no field one sees: a garbled one is said at the photo.
        crop_errors = [name for name in ("crop_x", "crop_y", "crop_size") if name in self.errors]
        for name in crop_errors:
            del self.errors[name]
        if crop_errors:
            from opticrm.lib.images import BAD_CROP

            self.add_error("photo", BAD_CROP)
        return super().clean()

    def crop(self):
        """The square asked for, or None (all three or nothing)."""
        from opticrm.lib.images import Crop

        values = [self.cleaned_data.get(name) for name in ("crop_x", "crop_y", "crop_size")]
        if any(value is None for value in values):
            return None
        return Crop(*values)
