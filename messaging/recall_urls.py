from django.urls import path

from messaging import recall_views

app_name = "recall"

urlpatterns = [
    path("", recall_views.recall_list, name="list"),
    path("send/", recall_views.recall_send, name="send"),
    path("letters/", recall_views.recall_letters, name="letters"),
    path("export.csv", recall_views.recall_export, name="export"),
]
