from django import forms
from django.utils.translation import gettext_lazy as _

from imports.customers import FIELDS
from imports.models import ImportJob


class UploadForm(forms.Form):
    file = forms.FileField(
        label=_("File (CSV or XLSX)"),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.txt,.xlsx"}),
        error_messages={
            "required": _("Please choose a file."),
            "empty": _("The file is empty."),
        },
    )


class MappingForm(forms.Form):
    """One choice per column of the file: the field it goes to."""

    key = forms.ChoiceField(
        label=_("Match existing customers by"),
        choices=ImportJob.Key.choices,
        widget=forms.RadioSelect,
    )
    existing = forms.ChoiceField(
        label=_("Customers who exist already"),
        choices=ImportJob.Existing.choices,
        widget=forms.RadioSelect,
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
        choices = [("", _("— do not import —")), *((f.name, f.label) for f in FIELDS)]
        self.columns = []
        for index, heading in enumerate(job.headers):
            name = f"column_{index}"
            self.fields[name] = forms.ChoiceField(label=heading, choices=choices, required=False)
            samples = [row[index] for row in job.samples if index < len(row) and row[index]]
            self.columns.append((self[name], samples))

    def mapping(self) -> list[str]:
        return [self.cleaned_data[f"column_{index}"] for index in range(len(self.job.headers))]
