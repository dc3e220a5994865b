from django.urls import path

from messaging import views

app_name = "messaging"

urlpatterns = [
    path("customers/<int:customer_pk>/consents/new/", views.consent_create, name="consent_create"),
    path("consents/<int:pk>/withdraw/", views.consent_withdraw, name="consent_withdraw"),
]
