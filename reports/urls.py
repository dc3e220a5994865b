from django.urls import path

from reports import views

app_name = "reports"
urlpatterns = [
    path("", views.revenue, name="revenue"),
    path("revenue.<str:file_format>", views.revenue_download, name="revenue_download"),
    path("appointments/", views.appointments, name="appointments"),
    path(
        "appointments.<str:file_format>",
        views.appointments_download,
        name="appointments_download",
    ),
    path("customers/", views.customers, name="customers"),
    path("customers.<str:file_format>", views.customers_download, name="customers_download"),
]
urlpatterns += [
    path("stock/", views.stock_view, name="stock"),
    path("stock.<str:file_format>", views.stock_download, name="stock_download"),
]
