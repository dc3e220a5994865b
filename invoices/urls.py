from django.urls import path

from invoices import accounting_urls, mail_urls, views

app_name = "invoices"

urlpatterns = [
    path("", views.invoice_list, name="list"),
    path("new/", views.invoice_new, name="new"),
    path("from-order/<int:order_id>/", views.invoice_from_order, name="from_order"),
    path("<int:pk>/", views.invoice_detail, name="detail"),
    path("<int:pk>/edit/", views.invoice_edit, name="edit"),
    path("<int:pk>/issue/", views.invoice_issue, name="issue"),
    path("<int:pk>/delete/", views.invoice_delete, name="delete"),
    path("<int:pk>/cancel/", views.invoice_cancel, name="cancel"),
    path("<int:pk>/payments/new/", views.payment_add, name="payment_add"),
    path("<int:pk>/payments/<int:payment_id>/delete/", views.payment_remove, name="payment_remove"),
    path("<int:pk>/pdf/", views.invoice_pdf, name="pdf"),
    path("<int:pk>/products/", views.sale_products, name="sale_products"),
    path("<int:pk>/add/", views.sale_add, name="sale_add"),
    path("<int:pk>/positions/new/", views.line_add, name="line_add"),
    path("<int:pk>/positions/<int:line_id>/delete/", views.line_remove, name="line_remove"),
    path("<int:pk>/customer/", views.invoice_customer, name="customer"),
]
urlpatterns += mail_urls.urlpatterns
urlpatterns += accounting_urls.urlpatterns
