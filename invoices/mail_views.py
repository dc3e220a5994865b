"""“Per E-Mail senden” on the invoice page: a modal with the address, the
subject and text the customer will get and the rule (a service message:
the customer's consent to service messages by e-mail, or their request);
sending is invoices.mail_services.invoice_send, which the worker completes
with the PDF kept since the issue."""

import logging

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import ValidationError
from django.db import DatabaseError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from invoices import mail_services
from invoices.models import Invoice
from messaging.models import Message, State
from opticrm.lib.forms import ServiceErrorsMixin
from opticrm.lib.htmx import close_modal, render_page_or_partial

logger = logging.getLogger(__name__)

# The invoice page refreshes on it (and its messages show out of band).
SAVED_EVENT = "invoiceSaved"
SAVE_FAILED = gettext_lazy("Error while saving. Please try again.")


class InvoiceMailForm(ServiceErrorsMixin, forms.Form):
    requested = forms.BooleanField(
        label=gettext_lazy("The customer asked for the invoice by e-mail"),
        required=False,
        help_text=gettext_lazy(
            "Needed without a consent to service messages by e-mail; recorded with the "
            "message (who, when)."
        ),
    )
    again = forms.BooleanField(label=gettext_lazy("Send again"), required=False)


def _when(moment) -> dict[str, str]:
    local = timezone.localtime(moment)
    return {
        "date": formats.date_format(local, "SHORT_DATE_FORMAT"),
        "time": formats.time_format(local, "H:i"),
    }


def _say_sent(request: HttpRequest, invoice: Invoice, message: Message, asked_at) -> None:
    values = {"number": invoice.number, "email": message.recipient}
    if message.created_at < asked_at:
        # Sent before (a second click, or "send again" not ticked).
        messages.info(
            request,
            _(
                "Invoice %(number)s was already sent to %(email)s by e-mail on %(date)s "
                "(%(state)s). To send it once more, tick “Send again”."
            )
            % (values | _when(message.created_at) | {"state": message.get_state_display()}),
        )
    elif message.state == State.PLANNED:
        messages.success(
            request,
            _("Invoice %(number)s will be sent to %(email)s on %(date)s at %(time)s.")
            % (values | _when(message.send_at)),
        )
    else:
        messages.success(request, _("Invoice %(number)s is being sent to %(email)s.") % values)


@permission_required(["invoices.view_invoice", "messaging.send_message"], raise_exception=True)
@require_http_methods(["GET", "POST"])
def invoice_email(request: HttpRequest, pk: int) -> HttpResponse:
    """The modal (GET) and sending (POST): a refusal is shown in the modal,
    nothing is saved then; a plain POST that sent goes back to the invoice,
    an htmx one closes the modal and refreshes the invoice page."""
    invoice = get_object_or_404(Invoice.objects.only("pk", "number"), pk=pk)
    form = InvoiceMailForm(request.POST if request.method == "POST" else None)
    if form.is_bound and form.is_valid():
        asked_at = timezone.now()
        try:
            message = mail_services.invoice_send(
                invoice_id=invoice.pk,
                requested=form.cleaned_data["requested"],
                again=form.cleaned_data["again"],
                user=request.user,
            )
        except ValidationError as error:
            form.add_service_error(error)
        except DatabaseError:
            logger.exception("Sending invoice %s by e-mail failed", pk)
            form.add_error(None, SAVE_FAILED)
        else:
            _say_sent(request, invoice, message, asked_at)
            if request.htmx:
                return close_modal(request, SAVED_EVENT)
            return redirect(reverse("invoices:detail", args=[invoice.pk]))
    mail = mail_services.invoice_mail(invoice_id=invoice.pk)
    context = {"invoice": mail.invoice, "mail": mail, "form": form}
    return render_page_or_partial(request, "invoices/invoice_email.html", "modal", context)
