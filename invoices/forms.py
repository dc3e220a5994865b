"""The invoice screens' forms. They check what a form can (types, required
inputs); the rules live in invoices.services, whose errors the forms show
next to their fields (ServiceErrorsMixin)."""

from decimal import Decimal

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from invoices.models import ENTERED_METHODS, InvoiceLine, Method, State
from opticrm.lib.forms import DateField, ServiceErrorsMixin
from orders.forms import decimal_input


class CancelForm(ServiceErrorsMixin, forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=200)


class PaymentForm(ServiceErrorsMixin, forms.Form):
    method = forms.ChoiceField(
        label=_("Payment method"), choices=ENTERED_METHODS, initial=Method.EC
    )
    amount = forms.DecimalField(
        label=_("Amount (€)"), max_digits=10, decimal_places=2, min_value=Decimal("0.01")
    )
    paid_on = DateField(label=_("Paid on"), two_digit_years="near")
    receipt_number = forms.CharField(
        label=_("Till receipt number"),
        max_length=40,
        required=False,
        help_text=_(
            "OptiCRM is not a cash register: cash is taken by the shop's certified till (TSE). "
            "Please enter the number of the till's receipt."
        ),
    )
    note = forms.CharField(label=_("Note"), max_length=200, required=False)

    def __init__(self, *args, open_amount=None, **kwargs):
        super().__init__(*args, **kwargs)
        decimal_input(self.fields["amount"])
        self.fields["paid_on"].initial = timezone.localdate()
        if open_amount is not None and open_amount > 0:
            self.fields["amount"].initial = open_amount

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("method") == Method.CASH and not cleaned.get("receipt_number", "").strip():
            self.add_error(
                "receipt_number",
                _("Please enter the receipt number of the till that took the cash."),
            )
        return cleaned


class InvoiceFilterForm(forms.Form):
    """The list's filters; what does not parse is ignored, never an error page."""

    q = forms.CharField(label=_("Search"), max_length=80, required=False)
    state = forms.ChoiceField(
        label=_("State"), choices=[("", _("all")), *State.choices], required=False
    )
    since = DateField(label=_("Invoice date from"), required=False)
    until = DateField(label=_("Invoice date until"), required=False)
    customer = forms.IntegerField(
        required=False, min_value=1, max_value=2**31 - 1, widget=forms.HiddenInput
    )

    def filters(self) -> dict:
        if not self.is_bound:
            return {"state": None, "since": None, "until": None, "query": "", "customer_id": None}
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        return {
            "state": data.get("state") or None,
            "since": data.get("since"),
            "until": data.get("until"),
            "query": (data.get("q") or "").strip(),
            "customer_id": data.get("customer"),
        }


class DraftForm(ServiceErrorsMixin, forms.Form):
    """A draft's own fields (services.DRAFT_FIELDS): the delivery date and
    the business recipient (services.invoice_update checks the VAT ID)."""

    delivered_on = DateField(
        label=_("Delivery date"),
        two_digit_years="near",
        required=False,
        help_text=_("The day of the delivery or service; empty: the invoice date."),
    )
    company_name = forms.CharField(
        label=_("Company"),
        max_length=200,
        required=False,
        help_text=_(
            "For a business customer, e.g. the employer paying for screen-work glasses: "
            "the invoice is made out to the company, for the attention of the customer, "
            "as an e-invoice (ZUGFeRD)."
        ),
    )
    # Longer than kept: "DE 136 695 976" is kept as DE136695976.
    company_vat_id = forms.CharField(label=_("Company's VAT ID"), max_length=30, required=False)
    company_address = forms.CharField(
        label=_("Company's address"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Street, postcode and town; empty: the customer's address."),
    )
    buyer_reference = forms.CharField(
        label=_("Buyer's reference (Leitweg-ID, order reference)"),
        max_length=100,
        required=False,
    )
    version = forms.IntegerField(widget=forms.HiddenInput)


class LineForm(ServiceErrorsMixin, forms.ModelForm):
    """A free position of a draft (a service, a repair, something not in
    the product list): the rules are invoices.services.invoice_line_add's."""

    class Meta:
        model = InvoiceLine
        fields = [
            "description",
            "quantity",
            "unit_price",
            "vat_rate",
            "discount_percent",
            "discount_amount",
            "discount_reason",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["quantity"].min_value = 1
        self.fields["quantity"].widget.attrs["min"] = 1
        for name in ("unit_price", "discount_percent", "discount_amount"):
            decimal_input(self.fields[name])

    def _post_clean(self):
        # The service checks the position (full_clean and its own rules).
        pass
