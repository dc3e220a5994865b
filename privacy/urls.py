from django.urls import path

from privacy import views

app_name = "privacy"

urlpatterns = [
    path(
        "customers/<int:pk>/access-report.<str:file_format>",
        views.access_report,
        name="access_report",
    ),
    path("export/", views.data_export, name="data_export"),
    path("export/<int:pk>/download/", views.data_export_download, name="data_export_download"),
]
