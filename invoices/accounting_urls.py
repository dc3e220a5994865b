"""The accounting screens' URLs (invoices.accounting_views), added to the
invoices' own (``invoices:open_items`` and so on)."""

from django.urls import path

from invoices import accounting_views

urlpatterns = [
    path("open/", accounting_views.open_items, name="open_items"),
    path("<int:pk>/reminder/", accounting_views.reminder_pdf, name="reminder_pdf"),
    path(
        "<int:pk>/insurer-statement/",
        accounting_views.insurer_statement_pdf,
        name="insurer_statement_pdf",
    ),
    path("day-report/", accounting_views.day_report, name="day_report"),
    path("day-report/pdf/", accounting_views.day_report_pdf, name="day_report_pdf"),
    path("day-report/csv/", accounting_views.day_report_csv, name="day_report_csv"),
    path("export/", accounting_views.datev_export, name="datev_export"),
    path("export/csv/", accounting_views.datev_csv, name="datev_csv"),
]
