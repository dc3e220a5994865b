"""The invoice's "Per E-Mail senden" (included by invoices.urls)."""

from django.urls import path

from invoices import mail_views

urlpatterns = [path("<int:pk>/email/", mail_views.invoice_email, name="email")]
