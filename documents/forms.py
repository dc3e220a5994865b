from django import forms
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from documents.models import CustomerDocument
from opticrm.lib.forms import DateField, ServiceErrorsMixin

# What the file picker offers; the server decides by content (documents.content).
ACCEPT = ".jpg,.jpeg,.png,.webp,.heic,.heif,.pdf,image/jpeg,image/png,image/webp,image/heic,image/heif,application/pdf"  # noqa: E501
MAX_FILES = 20


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files from one <input type=file multiple>."""

    widget = MultipleFileInput

    def clean(self, data, initial=None):
        files = data if isinstance(data, list | tuple) else [data] if data else []
        if not files:
            if self.required:
                raise forms.ValidationError(_("Please choose at least one file."), code="required")
            return []
        if len(files) > MAX_FILES:
            raise forms.ValidationError(
                _("Please upload at most %(count)s files at once."),
                code="too_many",
                params={"count": MAX_FILES},
            )
        return [super(MultipleFileField, self).clean(file, initial) for file in files]


class DocumentFieldsForm(ServiceErrorsMixin, forms.Form):
    """What a document is and what it is linked to: the upload's fields
    and the edit's."""

    service_fields = {"document_date": "document_date"}

    kind = forms.ChoiceField(label=_("Kind"))
    document_date = DateField(label=_("Date of the document"), two_digit_years="near")
    note = forms.CharField(label=_("Note"), max_length=500, required=False)
    refraction = forms.TypedChoiceField(
        label=_("Entered as refraction"), coerce=int, required=False, empty_value=None
    )
    product = forms.TypedChoiceField(
        label=_("Frame worn"),
        coerce=int,
        required=False,
        empty_value=None,
        help_text=_("For a photo with a frame."),
    )

    def __init__(self, *args, kinds, refractions=(), **kwargs):
        kwargs.setdefault("initial", {"document_date": timezone.localdate()})
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = kinds
        if refractions:
            self.fields["refraction"].choices = [("", "—"), *refractions]
        else:
            del self.fields["refraction"]
        # Any frame's id comes from the picker's search (documents:frames);
        # the service checks that it is a frame.
        self.fields["product"].valid_value = lambda value: True

    @property
    def chosen_frame(self) -> tuple[int, str] | None:
        """The frame the picker shows chosen: the posted one, else the
        saved one."""
        from documents.selectors import frame_choice

        value = self["product"].value()
        try:
            return frame_choice(int(value)) if value not in (None, "") else None
        except (TypeError, ValueError):
            return None

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("refraction") and cleaned.get("kind") != CustomerDocument.Kind.PRESCRIPTION:
            self.add_error("refraction", _("Only a prescription can be linked to a refraction."))
        if cleaned.get("product") and cleaned.get("kind") != CustomerDocument.Kind.FRAME_PHOTO:
            self.add_error("product", _("Only a photo with a frame names the frame worn."))
        return cleaned


class DocumentUploadForm(DocumentFieldsForm):
    service_fields = {"uploads": "files", "document_date": "document_date"}

    files = MultipleFileField(
        label=_("Files"),
        help_text=_("JPEG, PNG, WebP, HEIC or PDF."),
        required=False,  # the camera's input below may bring them instead
    )
    # A phone's camera, straight into the same upload ("capture"); on a
    # computer it opens the file picker. Its files join those above.
    camera = MultipleFileField(label=_("Take a photo"), required=False)

    field_order = ["files", "camera", "kind", "document_date", "refraction", "product", "note"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["files"].widget.attrs.update({"accept": ACCEPT})
        self.fields["camera"].widget.attrs.update({"accept": "image/*", "capture": "environment"})
        self.fields["files"].help_text = _(
            "JPEG, PNG, WebP, HEIC or PDF; at most %(limit)s MB per file."
        ) % {"limit": settings.DOCUMENTS_MAX_FILE_MB}

    def clean(self):
        cleaned = super().clean()
        chosen = [*(cleaned.get("files") or []), *(cleaned.get("camera") or [])]
        if "files" in cleaned and "camera" in cleaned:
            if not chosen:
                self.add_error("files", _("Please choose at least one file."))
            elif len(chosen) > MAX_FILES:
                self.add_error(
                    "files",
                    _("Please upload at most %(count)s files at once.") % {"count": MAX_FILES},
                )
        cleaned["all_files"] = chosen
        return cleaned


class DocumentEditForm(DocumentFieldsForm):
    pass
