from django.urls import path

from appointments import calendar_views, feed_views, views

app_name = "appointments"

urlpatterns = [
    path("", views.appointment_list, name="list"),
    path("export.<str:file_format>", views.appointment_export, name="export"),
    path("day/", calendar_views.day_view, name="day"),
    path("day/print/", calendar_views.day_print, name="day_print"),
    path("week/", calendar_views.week_view, name="week"),
    path("subscription/", feed_views.my_feed, name="my_feed"),
    path("feed/<str:token>.ics", feed_views.feed, name="feed"),
    path("new/", views.appointment_create, name="create"),
    path("<int:pk>/edit/", views.appointment_update, name="update"),
    path("<int:pk>/status/", views.appointment_set_status, name="status"),
    path("<int:pk>/ics/", views.appointment_ics, name="ics"),
    path("free-slots/", views.free_slots, name="free_slots"),
    path("customer-picker/", views.customer_picker, name="customer_picker"),
    path("customer-picker/search/", views.customer_search, name="customer_search"),
]
