from django.urls import path

from reports import views

app_name = "reports"
urlpatterns = [
    path("", views.revenue, name="revenue"),
    path("revenue.<str:file_format>", views.revenue_download, name="revenue_download"),
]
