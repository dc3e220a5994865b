from django import forms
from django.utils.translation import gettext_lazy as _

from imports.kinds import importer, kinds_for
from imports.models import ImportJob, Kind

KEY_LABELS = {
    Kind.CUSTOMERS: _("Match existing customers by"),
    Kind.PRODUCTS: _("Match existing products by"),
    Kind.LENS_PRICES: _("Find each row's spectacle lens by"),
    Kind.REFRACTIONS: _("Find each row's customer by"),
    Kind.APPOINTMENTS: _("Find each row's customer by"),
}
EXISTING_LABELS = {
    Kind.CUSTOMERS: _("Customers who exist already"),
    Kind.PRODUCTS: _("Products that exist already"),
}


class UploadForm(forms.Form):
    kind = forms.ChoiceField(label=_("What the file holds"))
    file = forms.FileField(
        label=_("File (CSV or XLSX)"),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.txt,.xlsx"}),
        error_messages={
            "required": _("Please choose a file."),
            "empty": _("The file is empty."),
        },
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = kinds_for(user)


class MappingForm(forms.Form):
    """One choice per column of the file: the field it goes to."""

    key = forms.ChoiceField(widget=forms.RadioSelect)
    existing = forms.ChoiceField(
        choices=ImportJob.Existing.choices, widget=forms.RadioSelect, required=False
    )
    save_as = forms.CharField(
        label=_("Remember this assignment as"),
        required=False,
        max_length=100,
        help_text=_("e.g. the old system's name; offered again for its next file."),
    )

    def __init__(self, *args, job: ImportJob, **kwargs):
        super().__init__(*args, **kwargs)
        self.job = job
        kind_importer = importer(job.kind)
        self.fields["key"].label = KEY_LABELS[job.kind]
        self.fields["key"].choices = [
            (value, label) for value, label in ImportJob.Key.choices if value in kind_importer.keys
        ]
        if kind_importer.updates_existing:
            self.fields["existing"].label = EXISTING_LABELS[job.kind]
            self.fields["existing"].required = True
        else:
            del self.fields["existing"]
        choices = [
            ("", _("— do not import —")),
            *((f.name, f.label()) for f in kind_importer.fields),
        ]
        self.columns = []
        for index, heading in enumerate(job.headers):
            name = f"column_{index}"
            self.fields[name] = forms.ChoiceField(label=heading, choices=choices, required=False)
            samples = [row[index] for row in job.samples if index < len(row) and row[index]]
            self.columns.append((self[name], samples))

    def mapping(self) -> list[str]:
        return [self.cleaned_data[f"column_{index}"] for index in range(len(self.job.headers))]

    def existing_choice(self) -> str:
        return self.cleaned_data.get("existing") or ImportJob.Existing.SKIP
