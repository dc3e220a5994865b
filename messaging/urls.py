from django.urls import path

from messaging import public_views, views

app_name = "messaging"

urlpatterns = [
    path("customers/<int:customer_pk>/consents/new/", views.consent_create, name="consent_create"),
    path("consents/<int:pk>/withdraw/", views.consent_withdraw, name="consent_withdraw"),
    path("abmelden/<str:token>/", public_views.unsubscribe, name="unsubscribe"),
    path("sms/report/<str:token>/", public_views.sms_report, name="sms_report"),
]

urlpatterns += [
    path("failed/", views.failed_list, name="failed"),
    path("messages/<int:pk>/retry/", views.message_retry, name="retry"),
    path("messages/<int:pk>/cancel/", views.message_cancel, name="cancel"),
    path("appointments/<int:pk>/ready/", views.appointment_ready, name="ready"),
]
