"""Reports (Auswertungen, issue 30): the revenue (Umsatz), the
appointments (Termine) and the customer (Kunden) report, each as a page (the period and grouping
changed by htmx) and as CSV and XLSX files of the same numbers, sharing the
period picker, the chart and the downloads. Only for
``reports.view_reports`` (the owner's)."""

import functools
from decimal import Decimal

from django.conf import settings
from django.contrib.auth.decorators import permission_required
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import formats, timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext, pgettext_lazy
from django.views.decorators.http import require_http_methods

from opticrm.lib.export import CSV, FORMATS, Column, csv_response, xlsx_response
from opticrm.lib.htmx import render_page_or_partial
from reports import chart, periods, selectors, stock
from reports.forms import GROUPING_CHOICES, PERIOD_CHOICES, PeriodForm, SlowMoversForm

PERMISSION = "reports.view_reports"
CHART_TITLES = {
    periods.DAY: gettext_lazy("Net revenue per day"),
    periods.WEEK: gettext_lazy("Net revenue per week"),
    periods.MONTH: gettext_lazy("Net revenue per month"),
    periods.YEAR: gettext_lazy("Net revenue per year"),
}


def _german(day) -> str:
    return formats.date_format(day, "d.m.Y")


CUSTOMER_CHART_TITLES = {
    periods.DAY: gettext_lazy("New customers per day"),
    periods.WEEK: gettext_lazy("New customers per week"),
    periods.MONTH: gettext_lazy("New customers per month"),
    periods.YEAR: gettext_lazy("New customers per year"),
}


APPOINTMENT_CHART_TITLES = {
    periods.DAY: gettext_lazy("Appointments booked per day"),
    periods.WEEK: gettext_lazy("Appointments booked per week"),
    periods.MONTH: gettext_lazy("Appointments booked per month"),
    periods.YEAR: gettext_lazy("Appointments booked per year"),
}


def _report_of(request: HttpRequest, selector):
    """The period form of the request, the preset and ``selector``'s report
    of the period chosen."""
    form = PeriodForm(request.GET or None)
    preset, period, grouping = form.chosen(timezone.localdate())
    return form, preset, selector(period, grouping)


def _params(preset: str, report, **changes) -> str:
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


def _context(
    form: PeriodForm, preset: str, report, rows, chart_title, *, whole: bool = False
) -> dict:
    """What every report page shows: the period picker, the chart of
    ``rows`` ((label, value, the year before) per bucket), the downloads."""
    return {
        "form": form,
        "preset": preset,
        "report": report,
        "charts": chart.bar_charts(rows, whole=whole),
        "chart_title": chart_title,
        # The summaries are written in the transaction of each change:
        # current now.
        "as_of": timezone.localtime(),
        "query": _params(preset, report),
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


def _counted(buckets, value: str, previous: str) -> list:
    """A chart's rows of counts: (label, count, the year before's or None)."""
    rows = []
    for bucket in buckets:
        before = getattr(bucket, previous)
        rows.append(
            (
                bucket.label,
                Decimal(getattr(bucket, value)),
                None if before is None else Decimal(before),
            )
        )
    return rows


@permission_required(PERMISSION, raise_exception=True)
@require_http_methods(["GET"])
def revenue(request: HttpRequest) -> HttpResponse:
    form, preset, report = _report_of(request, selectors.revenue_report)
    context = _context(
        form,
        preset,
        report,
        [(bucket.label, bucket.net, bucket.previous_net) for bucket in report.buckets],
        CHART_TITLES[report.grouping],
    )
    return render_page_or_partial(request, "reports/revenue.html", "report", context)


@permission_required(PERMISSION, raise_exception=True)
@require_http_methods(["GET"])
def appointments(request: HttpRequest) -> HttpResponse:
    form, preset, report = _report_of(request, selectors.appointments_report)
    context = _context(
        form,
        preset,
        report,
        _counted(report.buckets, "booked", "previous_booked"),
        APPOINTMENT_CHART_TITLES[report.grouping],
        whole=True,
    )
    return render_page_or_partial(request, "reports/appointments.html", "report", context)


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


def _download(request, file_format, selector, columns, rows, name, title) -> HttpResponse:
    """A report's numbers as CSV (``;``, decimal commas, BOM) or XLSX:
    ``rows(report)`` under ``columns`` ((header, cell) pairs)."""
    if file_format not in FORMATS:
        raise Http404
    _form, _preset, report = _report_of(request, selector)
    columns = [Column(header, value) for header, value in columns]
    name = "-".join([name, report.period.since.isoformat(), report.period.until.isoformat()])
    rows = list(rows(report))
    if file_format == CSV:
        response = csv_response(name, columns, rows)
    else:
        response = xlsx_response(name, columns, rows, title=title)
    response["Cache-Control"] = "private, no-store"
    return response


@permission_required(PERMISSION, raise_exception=True)
@require_http_methods(["GET"])
def revenue_download(request: HttpRequest, file_format: str) -> HttpResponse:
    """The numbers of the revenue page as CSV or XLSX."""
    return _download(
        request,
        file_format,
        selectors.revenue_report,
        COLUMNS,
        _rows,
        pgettext("file name", "revenue"),
        _("Revenue"),
    )


def _appointment_rows(report: selectors.AppointmentsReport):
    """The report as rows of one table: the chart's periods, then the
    appointment types, the staff members and the total."""
    grouping = str(dict(GROUPING_CHOICES)[report.grouping])
    for table, rows in (
        (grouping, report.buckets),
        (_("Appointment type"), report.types),
        (_("Staff member"), report.staff),
        (_("Total"), [report.total]),
    ):
        for figures in rows:
            yield {
                "table": table,
                "name": figures.label,
                "since": figures.start,
                "booked": figures.booked,
                "done": figures.done,
                "done_rate": figures.done_rate,
                "no_show": figures.no_show,
                "no_show_rate": figures.no_show_rate,
                "cancelled": figures.cancelled,
                "cancelled_rate": figures.cancelled_rate,
                "hours": figures.hours,
                "opening_hours": (
                    None
                    if figures.opening_minutes is None
                    else (Decimal(figures.opening_minutes) / 60).quantize(Decimal("0.1"))
                ),
                "utilisation": figures.utilisation,
                "previous_booked": figures.previous_booked if table == grouping else None,
            }


APPOINTMENT_COLUMNS = [
    (gettext_lazy("Table"), _cell("table")),
    (gettext_lazy("Name"), _cell("name")),
    (gettext_lazy("From"), _cell("since")),
    (gettext_lazy("Booked"), _cell("booked")),
    (gettext_lazy("Done"), _cell("done")),
    (gettext_lazy("Done (%)"), _cell("done_rate")),
    (gettext_lazy("No-shows"), _cell("no_show")),
    (gettext_lazy("No-shows (%)"), _cell("no_show_rate")),
    (gettext_lazy("Cancelled"), _cell("cancelled")),
    (gettext_lazy("Cancelled (%)"), _cell("cancelled_rate")),
    (gettext_lazy("Booked hours"), _cell("hours")),
    (gettext_lazy("Capacity (hours)"), _cell("opening_hours")),
    (gettext_lazy("Utilisation (%)"), _cell("utilisation")),
    (gettext_lazy("Booked a year before"), _cell("previous_booked")),
]


@permission_required(PERMISSION, raise_exception=True)
@require_http_methods(["GET"])
def appointments_download(request: HttpRequest, file_format: str) -> HttpResponse:
    """The numbers of the appointments page as CSV or XLSX."""
    return _download(
        request,
        file_format,
        selectors.appointments_report,
        APPOINTMENT_COLUMNS,
        _appointment_rows,
        pgettext("file name", "appointments"),
        pgettext("report", "Appointments"),
    )


@permission_required(PERMISSION, raise_exception=True)
@require_http_methods(["GET"])
def customers(request: HttpRequest) -> HttpResponse:
    form, preset, report = _report_of(request, selectors.customers_report)
    context = _context(
        form,
        preset,
        report,
        _counted(report.buckets, "count", "previous_count"),
        CUSTOMER_CHART_TITLES[report.grouping],
        whole=True,
    )
    context["refresh_minutes"] = settings.CUSTOMER_FIGURES_MINUTES
    context["pies"] = {
        name: chart.pie_chart([(row.label, row.count, row.share) for row in rows])
        for name, rows in (
            ("statuses", report.statuses),
            ("ages", report.ages),
            ("kinds", report.insurer_kinds),
        )
    }
    return render_page_or_partial(request, "reports/customers.html", "report", context)


def _customer_rows(report: selectors.CustomersReport):
    """The report as rows of one table: the new customers per period, the
    customers by status, age group, kind of insurer and insurer, then the
    recalls."""
    grouping = str(dict(GROUPING_CHOICES)[report.grouping])
    for bucket in report.buckets:
        yield {
            "table": grouping,
            "name": bucket.label,
            "since": bucket.start,
            "count": bucket.count,
            "previous": bucket.previous_count,
        }
    for table, rows in (
        (_("Status"), report.statuses),
        (_("Age group"), report.ages),
        (_("Kind of insurance"), report.insurer_kinds),
        (_("Insurer"), report.insurers),
    ):
        for row in rows:
            yield {"table": table, "name": row.label, "count": row.count, "share": row.share}
    for row in [*report.recalls, report.recall_total]:
        yield {
            "table": _("Recalls"),
            "name": row.label,
            "count": row.sent,
            "booked": row.booked,
            "waiting": row.waiting,
            "share": row.success_rate,
        }


CUSTOMER_COLUMNS = [
    (gettext_lazy("Table"), _cell("table")),
    (gettext_lazy("Name"), _cell("name")),
    (gettext_lazy("From"), _cell("since")),
    (gettext_lazy("Count"), _cell("count")),
    (gettext_lazy("A year before"), _cell("previous")),
    (gettext_lazy("Share (%)"), _cell("share")),
    (gettext_lazy("Booked within 8 weeks"), _cell("booked")),
    (gettext_lazy("Still within 8 weeks"), _cell("waiting")),
]


@permission_required(PERMISSION, raise_exception=True)
@require_http_methods(["GET"])
def customers_download(request: HttpRequest, file_format: str) -> HttpResponse:
    """The numbers of the customers page as CSV or XLSX."""
    return _download(
        request,
        file_format,
        selectors.customers_report,
        CUSTOMER_COLUMNS,
        _customer_rows,
        pgettext("file name", "customers"),
        pgettext("report", "Customers"),
    )


# --- Stock (Lager) ---------------------------------------------------------------------
# The stock now (value, slow movers, reorder list) and the ABC analysis of
# the period's sales (reports.stock); the period picker chooses the latter.

STOCK_CHART_TITLE = gettext_lazy("Stock value at purchase price (net) per category")
ABC_CHART_TITLE = gettext_lazy("Net revenue per ABC class")


def _stock_selector(request: HttpRequest, **more):
    """The stock report of the request's months (SlowMoversForm), the form."""
    months_form = SlowMoversForm(request.GET or None)
    return months_form, functools.partial(stock.stock_report, months=months_form.chosen(), **more)


@permission_required(PERMISSION, raise_exception=True)
@require_http_methods(["GET"])
def stock_view(request: HttpRequest) -> HttpResponse:
    months_form, selector = _stock_selector(request)
    form, preset, report = _report_of(request, selector)
    rows = [(figures.label, figures.net, None) for figures in report.categories]
    context = _context(form, preset, report, rows, STOCK_CHART_TITLE)
    months = {"months": report.months}
    context |= {
        # The categories' names are long: every other a line lower.
        "charts": chart.bar_charts(rows, stagger=True),
        "query": _params(preset, report, **months),
        "presets": [
            (value, label, _params(value, report, group=periods.DEFAULT_GROUPING[value], **months))
            for value, label in PERIOD_CHOICES
            if value != periods.CUSTOM
        ],
        # The report has no chart over time: no grouping to choose.
        "groupings": [],
        "hidden": [("months", report.months)],
        "months_form": months_form,
        "month_choices": [
            (value, _params(preset, report, months=value)) for value in stock.SLOW_MONTHS
        ],
        "abc_charts": chart.bar_charts([(item.key, item.net, None) for item in report.abc_classes]),
        "abc_chart_title": ABC_CHART_TITLE,
        "may_reorder": request.user.has_perm("products.view_product"),
        "shown": stock.SHOWN,
    }
    return render_page_or_partial(request, "reports/stock.html", "report", context)


def _stock_rows(report: stock.StockReport):
    """The report as rows of one table: the categories and the total, every
    slow mover, the ABC classes and every ranked product, the reorder list."""
    for figures in [*report.categories, report.total]:
        yield {
            "table": _("Stock value"),
            "name": figures.label,
            "articles": figures.articles,
            "units": figures.units,
            "net": figures.net,
            "gross": figures.gross,
        }
    table = _("Slow movers (no sale for %(months)s months)") % {"months": report.months}
    for item in report.slow_movers:
        product = item.product
        yield {
            "table": table,
            "name": product.name,
            "article_number": product.article_number,
            "category": product.get_category_display(),
            "units": product.stock,
            "net": item.net_value,
            "last_sale": item.last_sale,
        }
    for item in report.abc_classes:
        yield {
            "table": _("ABC classes"),
            "name": item.key,
            "articles": item.products,
            "revenue": item.net,
            "share": item.share,
            "abc": item.key,
        }
    for item in report.abc_products:
        yield {
            "table": _("ABC analysis"),
            "rank": item.rank,
            "name": item.name,
            "article_number": item.article_number,
            "category": item.category,
            "sold": item.quantity,
            "revenue": item.net,
            "share": item.share,
            "running_share": item.running_share,
            "abc": item.abc,
        }
    for product in report.reorder:
        yield {
            "table": _("Reorder list"),
            "name": product.name,
            "article_number": product.article_number,
            "category": product.get_category_display(),
            "units": product.stock,
            "minimum": product.minimum_stock,
            "on_order": product.on_order,
            "missing": product.missing,
        }


STOCK_COLUMNS = [
    (gettext_lazy("Table"), _cell("table")),
    (gettext_lazy("Rank"), _cell("rank")),
    (gettext_lazy("Name"), _cell("name")),
    (gettext_lazy("Article number"), _cell("article_number")),
    (gettext_lazy("Category"), _cell("category")),
    (gettext_lazy("Articles"), _cell("articles")),
    (gettext_lazy("Units in stock"), _cell("units")),
    (gettext_lazy("Value at purchase price (net)"), _cell("net")),
    (gettext_lazy("Value at purchase price (gross)"), _cell("gross")),
    (gettext_lazy("Last sale"), _cell("last_sale")),
    (gettext_lazy("Units sold"), _cell("sold")),
    (gettext_lazy("Revenue (net)"), _cell("revenue")),
    (gettext_lazy("Share (%)"), _cell("share")),
    (gettext_lazy("Running share (%)"), _cell("running_share")),
    (gettext_lazy("ABC class"), _cell("abc")),
    (gettext_lazy("Minimum stock"), _cell("minimum")),
    (gettext_lazy("On order"), _cell("on_order")),
    (gettext_lazy("Missing"), _cell("missing")),
]


@permission_required(PERMISSION, raise_exception=True)
@require_http_methods(["GET"])
def stock_download(request: HttpRequest, file_format: str) -> HttpResponse:
    """The numbers of the stock page as CSV or XLSX, every row of its lists."""
    _months_form, selector = _stock_selector(request, limit=None)
    return _download(
        request,
        file_format,
        selector,
        STOCK_COLUMNS,
        _stock_rows,
        pgettext("file name", "stock"),
        pgettext("report", "Stock"),
    )
