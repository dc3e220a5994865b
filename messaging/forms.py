from django import forms
from django.utils.translation import gettext_lazy as _

from messaging.models import Channel, Consent, Method, Purpose
from messaging.selectors import default_text
from opticrm.lib.forms import ServiceErrorsMixin


class ConsentForm(ServiceErrorsMixin, forms.ModelForm):
    """Recording a consent; the service (messaging.services.consent_give)
    decides, the model's rules included."""

    class Meta:
        model = Consent
        fields = ["channel", "purpose", "method", "text"]
        widgets = {"text": forms.Textarea(attrs={"rows": 6})}
        error_messages = {
            "channel": {"required": _("Please choose a channel.")},
            "purpose": {"required": _("Please choose a purpose.")},
            "method": {"required": _("Please choose how the consent was given.")},
            "text": {"required": _("Please enter the wording the customer agreed to.")},
        }

    def __init__(self, *args, prefill_url: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("channel", "purpose", "method"):
            # No empty "---------" choice: every field has a sensible default.
            self.fields[name].choices = [c for c in self.fields[name].choices if c[0]]
        if prefill_url:
            # Another channel or purpose offers its wording (an own text stays).
            for name in ("channel", "purpose"):
                self.fields[name].widget.attrs.update(
                    {
                        "hx-get": prefill_url,
                        "hx-trigger": "change",
                        "hx-include": "closest form",
                        "hx-target": "#modal-content",
                    }
                )
        if not self.is_bound:
            channel = self.initial.setdefault("channel", Channel.EMAIL)
            purpose = self.initial.setdefault("purpose", Purpose.MARKETING)
            self.initial.setdefault("method", Method.IN_STORE)
            self.initial.setdefault("text", default_text(channel, purpose))

    def _post_clean(self):
        # The service validates the model (and the one active consent per
        # channel and purpose) under the customer's lock.
        pass


class WithdrawForm(ServiceErrorsMixin, forms.Form):
    withdrawal_method = forms.ChoiceField(
        label=_("How was the consent withdrawn?"),
        choices=Method.choices,
        initial=Method.IN_STORE,
        error_messages={
            "required": _("Please choose how the consent was withdrawn."),
            "invalid_choice": _("Please choose how the consent was withdrawn."),
        },
    )
