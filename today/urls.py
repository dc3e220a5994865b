from django.urls import path

from today import views

# No app_name: the start page keeps the project's name "home", which the
# brand link, the error pages and redirects reverse.
urlpatterns = [
    path("", views.start_page, name="home"),
]
