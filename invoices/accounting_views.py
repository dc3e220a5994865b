"""The accounting screens (issue 29): the open items of customers and of
insurers with a payment reminder per invoice, the day report (page, PDF,
CSV), the DATEV-style booking list for the tax adviser and the statement
to the insurer of an invoice with an insurer's share.

Who sees what (docs/rules.md): the open items and the day report need the
invoice and payment view rights, which the front desk has (it closes the
till); the booking list needs ``invoices.view_accounting`` (the owner's);
the statement to the insurer, as the invoice's PDF, ``invoices.view_invoice``.
Everything here reads; the reminder, the statement and the report PDFs
are drawn on demand and not kept.
"""

import datetime

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import ImproperlyConfigured
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template import engines
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.http import urlencode
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext, pgettext
from django.views.decorators.http import require_http_methods

from invoices import accounting, accounting_documents, insurer_documents
from invoices.models import Invoice, Payment
from opticrm.lib.display import choice_labels
from opticrm.lib.export import Column, csv_response
from opticrm.lib.forms import DateField, PageSizeForm
from opticrm.lib.htmx import render_page_or_partial
from opticrm.lib.letters import german_date
from opticrm.lib.pagination import KnownCountPaginator

READ = ["invoices.view_invoice", "invoices.view_payment"]
EXPORT = "invoices.view_accounting"
CUSTOMERS, INSURERS = "customers", "insurers"


# --- Forms (what does not parse is ignored or reported, never an error page) -----------


class OpenItemsForm(forms.Form):
    q = forms.CharField(label=gettext_lazy("Number or customer"), max_length=80, required=False)
    overdue = forms.BooleanField(label=gettext_lazy("Overdue only"), required=False)
    show = forms.ChoiceField(
        choices=[(CUSTOMERS, CUSTOMERS), (INSURERS, INSURERS)],
        required=False,
        widget=forms.HiddenInput,
    )

    def filters(self) -> dict:
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        return {
            "query": (data.get("q") or "").strip(),
            "overdue_only": bool(data.get("overdue")),
            "show": data.get("show") or CUSTOMERS,
        }


class DayForm(forms.Form):
    day = DateField(label=gettext_lazy("Day"), two_digit_years="near", required=False)

    def chosen(self, today: datetime.date) -> datetime.date:
        """The day asked for; none, or one that does not parse: today."""
        if self.is_bound and self.is_valid() and self.cleaned_data.get("day"):
            return self.cleaned_data["day"]
        return today


class PeriodForm(forms.Form):
    since = DateField(label=gettext_lazy("From"), two_digit_years="near")
    until = DateField(label=gettext_lazy("Until"), two_digit_years="near")

    def clean(self):
        cleaned = super().clean()
        since, until = cleaned.get("since"), cleaned.get("until")
        if since and until:
            if until < since:
                self.add_error("until", _("Please choose an end on or after the start."))
            elif (until - since).days >= accounting.EXPORT_MAX_DAYS:
                self.add_error(
                    "until",
                    _("Please choose a period of at most %(days)s days.")
                    % {"days": accounting.EXPORT_MAX_DAYS},
                )
        return cleaned


def last_month(today: datetime.date) -> tuple[datetime.date, datetime.date]:
    """The calendar month before ``today``'s: what the tax adviser asks for."""
    end = today.replace(day=1) - datetime.timedelta(days=1)
    return end.replace(day=1), end


# --- Downloads -------------------------------------------------------------------------


def _file_name(label: str, *parts: str) -> str:
    """``Tagesbericht-2026-12-06``: the shop's word for the file and its keys."""
    return "-".join([label, *(part.replace("/", "-") for part in parts)])


def _download(response: HttpResponse, filename: str) -> HttpResponse:
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


def _pdf(content: bytes, filename: str) -> HttpResponse:
    return _download(HttpResponse(content, content_type="application/pdf"), filename)


def _shop_word(context: str, word: str) -> str:
    with translation.override(settings.LANGUAGE_CODE):
        return pgettext(context, word)


# --- Open items ------------------------------------------------------------------------


@permission_required(READ, raise_exception=True)
@require_http_methods(["GET"])
def open_items(request: HttpRequest) -> HttpResponse:
    """Open items of the customers, or (``show=insurers``) the insurers'
    shares still expected; the number and sum of both in the tabs."""
    form = OpenItemsForm(request.GET or None)
    filters = form.filters()
    today = timezone.localdate()
    chosen = {"query": filters["query"], "overdue_only": filters["overdue_only"], "today": today}
    customers = accounting.customer_open_items(**chosen)
    insurers = accounting.insurer_open_items(**chosen)
    sums = {
        CUSTOMERS: accounting.open_sum(customers, "customer_open", **chosen),
        INSURERS: accounting.open_sum(insurers, "insurer_open", **chosen),
    }
    show = filters["show"]
    page_size = PageSizeForm(request.GET, sizes=settings.TABLE_PAGE_SIZES).size
    paginator = KnownCountPaginator(
        insurers if show == INSURERS else customers, page_size, count=sums[show].count
    )
    page = paginator.get_page(request.GET.get("page"))
    context = {
        "form": form,
        "show": show,
        "sums": sums,
        "page": page,
        "rows": accounting.open_rows(page.object_list, today=today),
        "payment_days": accounting.payment_days(),
        "filtered": bool(filters["query"] or filters["overdue_only"]),
        "table_id": "#open-items",
        "tab_urls": {
            name: f"{request.path}?{urlencode({**request.GET.dict(), 'show': name, 'page': 1})}"
            for name in (CUSTOMERS, INSURERS)
        },
    }
    return render_page_or_partial(request, "invoices/open_items.html", "items", context)


@permission_required(READ, raise_exception=True)
@require_http_methods(["GET"])
def reminder_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    """The payment reminder of an invoice the customer still owes
    something of (else 404), drawn now and not kept."""
    invoice = accounting.reminder_invoice(pk)
    if invoice is None:
        raise Http404
    content = accounting_documents.reminder_pdf(
        invoice, open_amount=invoice.customer_open, today=timezone.localdate()
    )
    name = _file_name(_shop_word("file name", "Payment reminder"), invoice.number)
    return _pdf(content, f"{name}.pdf")


@permission_required("invoices.view_invoice", raise_exception=True)
@require_http_methods(["GET"])
def insurer_statement_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    """The statement to the statutory insurer of an issued invoice with an
    insurer's share (not cancelled, not a cancellation; else 404), drawn
    now and not kept: for whoever may download the invoice itself."""
    statement = accounting.insurer_statement(pk)
    if statement is None:
        raise Http404
    content = insurer_documents.insurer_statement_pdf(statement, today=timezone.localdate())
    return _pdf(content, insurer_documents.insurer_statement_file_name(statement))


# --- The day report --------------------------------------------------------------------


def _report_of(
    request: HttpRequest, *, whole: bool = False
) -> tuple[DayForm, accounting.DayReport]:
    """The chosen day's report; ``whole``: every row of its lists (the
    downloads), not only the page's first ones."""
    form = DayForm(request.GET or None)
    day = form.chosen(timezone.localdate())
    return form, accounting.day_report(day, limit=None if whole else accounting.DAY_LIST_LIMIT)


@permission_required(READ, raise_exception=True)
@require_http_methods(["GET"])
def day_report(request: HttpRequest) -> HttpResponse:
    form, report = _report_of(request)
    query = urlencode({"day": german_date(report.day)})
    step = datetime.timedelta(days=1)
    context = {
        "form": form,
        "report": report,
        "limit": accounting.DAY_LIST_LIMIT,
        "today": timezone.localdate(),
        "query": query,
        # None at the ends of the calendar (a day typed as 31.12.9999).
        "previous_day": german_date(report.day - step) if report.day > datetime.date.min else "",
        "next_day": german_date(report.day + step) if report.day < datetime.date.max else "",
        "labels": {
            "invoices": ngettext(
                "%(count)s invoice issued", "%(count)s invoices issued", report.invoice_count
            )
            % {"count": report.invoice_count},
            "cancellations": ngettext(
                "%(count)s cancellation", "%(count)s cancellations", report.cancellation_count
            )
            % {"count": report.cancellation_count},
            "shortened": ngettext(
                "Each list below shows its first %(limit)s row; the PDF and the CSV file have "
                "all of them.",
                "Each list below shows its first %(limit)s rows; the PDF and the CSV file have "
                "all of them.",
                accounting.DAY_LIST_LIMIT,
            )
            % {"limit": accounting.DAY_LIST_LIMIT},
        },
    }
    # The report in Jinja2: its 150 rows took most of the page's time in
    # Django's template language (docs/benchmark.md, day report).
    template = engines["jinja2"].get_template("invoices/day_report.html")
    report_html = template.render(context, request)
    if request.htmx and not request.htmx.history_restore_request:
        return HttpResponse(report_html)
    context["report_html"] = mark_safe(report_html)  # noqa: S308 (Jinja2 escaped it)
    return render(request, "invoices/day_report.html", context)


@permission_required(READ, raise_exception=True)
@require_http_methods(["GET"])
def day_report_pdf(request: HttpRequest) -> HttpResponse:
    _form, report = _report_of(request, whole=True)
    name = _file_name(_shop_word("file name", "Day report"), report.day.isoformat())
    return _pdf(accounting_documents.day_report_pdf(report), f"{name}.pdf")


def _day_rows(report: accounting.DayReport):
    """The report as rows of one table: each invoice and cancellation per
    VAT rate, each payment, each deposit settled, in that order."""
    documents = {document.pk: document for document in report.documents}
    kinds, methods = choice_labels(Invoice, "kind"), choice_labels(Payment, "method")
    for rate in accounting.document_rates_between(report.day, report.day):
        document = documents[rate.invoice_id]
        yield {
            "kind": kinds[document.kind],
            "date": report.day,
            "number": document.number,
            "customer": document.customer_name,
            "rate": rate.rate,
            "net": rate.net,
            "vat": rate.vat,
            "gross": rate.gross,
        }
    for payment in report.payments:
        yield {
            "kind": _("Payment"),
            "date": payment.paid_on,
            "number": payment.invoice.number,
            "customer": payment.invoice.customer_name,
            "method": methods[payment.method],
            "receipt": payment.receipt_number,
            "received": payment.amount,
        }
    for payment in report.deposits:
        yield {
            "kind": _("Deposit settled"),
            "date": report.day,
            "number": payment.invoice.number,
            "customer": payment.invoice.customer_name,
            "method": methods[payment.method],
            "deposit": payment.amount,
        }


def _cell(name: str, *, day: bool = False):
    if day:
        return lambda row: german_date(row[name]) if row.get(name) else ""
    return lambda row: row.get(name)


DAY_COLUMNS = [
    (gettext_lazy("Kind"), _cell("kind")),
    (gettext_lazy("Date"), _cell("date", day=True)),
    (gettext_lazy("Invoice no."), _cell("number")),
    (gettext_lazy("Customer"), _cell("customer")),
    (gettext_lazy("VAT rate (%)"), _cell("rate")),
    (gettext_lazy("Net"), _cell("net")),
    (gettext_lazy("VAT"), _cell("vat")),
    (gettext_lazy("Gross"), _cell("gross")),
    (gettext_lazy("Payment method"), _cell("method")),
    (gettext_lazy("Till receipt"), _cell("receipt")),
    (gettext_lazy("Received"), _cell("received")),
    (gettext_lazy("Deposit settled"), _cell("deposit")),
]


@permission_required(READ, raise_exception=True)
@require_http_methods(["GET"])
def day_report_csv(request: HttpRequest) -> HttpResponse:
    """The day report for Excel: ``;``, decimal commas, UTF-8 with BOM."""
    _form, report = _report_of(request, whole=True)
    columns = [Column(header, value) for header, value in DAY_COLUMNS]
    response = csv_response("day-report", columns, list(_day_rows(report)))
    name = _file_name(_shop_word("file name", "Day report"), report.day.isoformat())
    return _download(response, f"{name}.csv")


# --- The booking list for the tax adviser ----------------------------------------------


def _period_form(request: HttpRequest) -> PeriodForm:
    if "since" in request.GET or "until" in request.GET:
        return PeriodForm(request.GET)
    since, until = last_month(timezone.localdate())
    return PeriodForm({"since": german_date(since), "until": german_date(until)})


@permission_required(EXPORT, raise_exception=True)
@require_http_methods(["GET"])
def datev_export(request: HttpRequest) -> HttpResponse:
    """The period's booking list summed per account, and its download."""
    form = _period_form(request)
    bookings, problem, download = [], "", ""
    if form.is_valid():
        since, until = form.cleaned_data["since"], form.cleaned_data["until"]
        try:
            bookings = accounting.datev_bookings(since, until)
        except ImproperlyConfigured as error:
            problem = str(error)
        else:
            period = urlencode({"since": german_date(since), "until": german_date(until)})
            download = f"{reverse('invoices:datev_csv')}?{period}"
    context = {
        "form": form,
        "bookings": bookings,
        "problem": problem,
        "sums": accounting.account_sums(bookings),
        "download": download,
    }
    return render_page_or_partial(request, "invoices/datev_export.html", "preview", context)


DATEV_VALUES = [
    lambda booking: booking.amount,
    lambda booking: booking.side,
    lambda booking: "EUR",
    lambda booking: booking.account,
    lambda booking: booking.contra,
    lambda booking: booking.tax_key,
    lambda booking: german_date(booking.date),
    lambda booking: booking.document,
    lambda booking: booking.reference,
    lambda booking: booking.text,
]


@permission_required(EXPORT, raise_exception=True)
@require_http_methods(["GET"])
def datev_csv(request: HttpRequest) -> HttpResponse:
    """The booking list as CSV (docs/datev.md); a period that does not
    parse goes back to the page with a message."""
    form = PeriodForm(request.GET)
    if not form.is_valid():
        messages.error(request, _("Please choose a valid period first."))
        return redirect(reverse("invoices:datev_export"))
    since, until = form.cleaned_data["since"], form.cleaned_data["until"]
    try:
        bookings = accounting.datev_bookings(since, until)
    except ImproperlyConfigured as error:
        messages.error(request, str(error))
        return redirect(reverse("invoices:datev_export"))
    columns = [
        Column(header, value)
        for header, value in zip(accounting.DATEV_COLUMNS, DATEV_VALUES, strict=True)
    ]
    response = csv_response("datev", columns, bookings)
    name = _file_name(_shop_word("file name", "Booking list"), since.isoformat(), until.isoformat())
    return _download(response, f"{name}.csv")
