from django.urls import path

from live import views

app_name = "live"
urlpatterns = [
    path("changes/", views.changes, name="changes"),
    path("pass/", views.new_pass, name="pass"),
    path("record/<str:kind>/<int:pk>/", views.record, name="record"),
]
