from django.urls import path

from imports import views

app_name = "imports"

urlpatterns = [
    path("", views.import_list, name="list"),
    path("<int:pk>/", views.job_detail, name="job"),
    path("<int:pk>/mapping/", views.job_mapping, name="mapping"),
    path("<int:pk>/<str:action>/", views.job_action, name="action"),
    path("<int:pk>/report.<str:file_format>", views.job_report, name="report"),
]
