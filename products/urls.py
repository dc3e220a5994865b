from django.urls import path

from products import views

app_name = "products"

urlpatterns = [
    path("", views.product_list, name="list"),
    path("export.<str:file_format>", views.product_export, name="export"),
    path("new/", views.product_create, name="create"),
    path("margin/", views.product_margin, name="margin"),
    path("reorder/", views.reorder, name="reorder"),
    path("reorder.csv", views.reorder_csv, name="reorder_csv"),
    path("<int:pk>/order/", views.reorder_order, name="reorder_order"),
    path("orders/<int:pk>/receive/", views.reorder_receive, name="reorder_receive"),
    path("orders/<int:pk>/cancel/", views.reorder_cancel, name="reorder_cancel"),
    path("<int:pk>/", views.product_detail, name="detail"),
    path("<int:pk>/ledger.<str:file_format>", views.ledger_export, name="ledger_export"),
    path("<int:pk>/edit/", views.product_update, name="update"),
    path("<int:pk>/delete/", views.product_delete, name="delete"),
    path("<int:pk>/stock/<str:kind>/", views.stock_move, name="stock_move"),
]
