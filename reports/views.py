"""Reports (Auswertungen, issue 30): the revenue report as a page (the
period and grouping changed by htmx) and as CSV and XLSX files of the same
numbers. Only for ``reports.view_reports`` (the owner's)."""

from django.contrib.auth.decorators import permission_required
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import formats, timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext, pgettext_lazy
from django.views.decorators.http import require_http_methods

from opticrm.lib.export import CSV, FORMATS, Column, csv_response, xlsx_response
from opticrm.lib.htmx import render_page_or_partial
from reports import chart, periods, selectors
from reports.forms import GROUPING_CHOICES, PERIOD_CHOICES, PeriodForm

PERMISSION = "reports.view_reports"
CHART_TITLES = {
    periods.DAY: gettext_lazy("Net revenue per day"),
    periods.WEEK: gettext_lazy("Net revenue per week"),
    periods.MONTH: gettext_lazy("Net revenue per month"),
    periods.YEAR: gettext_lazy("Net revenue per year"),
}


def _german(day) -> str:
    return formats.date_format(day, "d.m.Y")


def _report_of(request: HttpRequest):
    form = PeriodForm(request.GET or None)
    preset, period, grouping = form.chosen(timezone.localdate())
    return form, preset, selectors.revenue_report(period, grouping)


def _params(preset: str, report: selectors.RevenueReport, **changes) -> str:
    """The query string of the report shown, with ``changes``."""
    params = {"period": preset}
    if preset == periods.CUSTOM:
        params |= {"since": _german(report.period.since), "until": _german(report.period.until)}
    params["group"] = report.grouping
    params.update(changes)
    if params.get("period") != periods.CUSTOM:
        params.pop("since", None)
        params.pop("until", None)
    return urlencode(params)


@permission_required(PERMISSION, raise_exception=True)
@require_http_methods(["GET"])
def revenue(request: HttpRequest) -> HttpResponse:
    form, preset, report = _report_of(request)
    query = _params(preset, report)
    context = {
        "form": form,
        "preset": preset,
        "report": report,
        "chart": chart.bar_chart(
            [(bucket.label, bucket.net, bucket.previous_net) for bucket in report.buckets]
        ),
        "chart_title": CHART_TITLES[report.grouping],
        # The summary is written with each invoice's issue: current now.
        "as_of": timezone.localtime(),
        "query": query,
        "presets": [
            (value, label, _params(value, report, group=periods.DEFAULT_GROUPING[value]))
            for value, label in PERIOD_CHOICES
            if value != periods.CUSTOM
        ],
        "groupings": [
            (value, label, _params(preset, report, group=value))
            for value, label in GROUPING_CHOICES
        ],
        "custom": periods.CUSTOM,
    }
    return render_page_or_partial(request, "reports/revenue.html", "report", context)


def _rows(report: selectors.RevenueReport):
    """The report as rows of one table: the chart's periods, then the
    product groups, the staff members and the total."""
    grouping = str(dict(GROUPING_CHOICES)[report.grouping])
    for bucket in report.buckets:
        yield {
            "table": grouping,
            "name": bucket.label,
            "since": bucket.start,
            "net": bucket.net,
            "previous_net": bucket.previous_net,
        }
    for table, rows in (
        (_("Product group"), report.groups),
        (_("Staff member"), report.staff),
        (_("Total"), [report.total]),
    ):
        for figures in rows:
            yield {
                "table": table,
                "name": figures.label,
                "positions": figures.positions,
                "net": figures.net,
                "vat": figures.vat,
                "gross": figures.gross,
                "cost": figures.cost,
                "margin": figures.margin,
                "margin_percent": figures.margin_percent,
                "previous_net": figures.previous_net,
            }


def _cell(name: str):
    return lambda row: row.get(name)


COLUMNS = [
    (gettext_lazy("Table"), _cell("table")),
    (gettext_lazy("Name"), _cell("name")),
    (gettext_lazy("From"), _cell("since")),
    (gettext_lazy("Positions"), _cell("positions")),
    (gettext_lazy("Net"), _cell("net")),
    (gettext_lazy("VAT"), _cell("vat")),
    (gettext_lazy("Gross"), _cell("gross")),
    (gettext_lazy("Purchase cost (net)"), _cell("cost")),
    (pgettext_lazy("report", "Margin"), _cell("margin")),
    (pgettext_lazy("report", "Margin (%)"), _cell("margin_percent")),
    (gettext_lazy("Net a year before"), _cell("previous_net")),
]


@permission_required(PERMISSION, raise_exception=True)
@require_http_methods(["GET"])
def revenue_download(request: HttpRequest, file_format: str) -> HttpResponse:
    """The numbers of the page as CSV (``;``, decimal commas, BOM) or XLSX."""
    if file_format not in FORMATS:
        raise Http404
    _form, _preset, report = _report_of(request)
    columns = [Column(header, value) for header, value in COLUMNS]
    name = "-".join(
        [
            pgettext("file name", "revenue"),
            report.period.since.isoformat(),
            report.period.until.isoformat(),
        ]
    )
    rows = list(_rows(report))
    if file_format == CSV:
        response = csv_response(name, columns, rows)
    else:
        response = xlsx_response(name, columns, rows, title=_("Revenue"))
    response["Cache-Control"] = "private, no-store"
    return response
