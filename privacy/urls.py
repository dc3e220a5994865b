from django.urls import path

from privacy import views

app_name = "privacy"

urlpatterns = [
    path(
        "customers/<int:pk>/access-report.<str:file_format>",
        views.access_report,
        name="access_report",
    ),
]
