from django.urls import path

from orders import views

app_name = "orders"

urlpatterns = [
    path("", views.order_board, name="board"),
    path("new/<int:customer_id>/", views.order_create, name="create"),
    path("<int:pk>/", views.order_detail, name="detail"),
    path("<int:pk>/edit/", views.order_edit, name="edit"),
    path("<int:pk>/centration/", views.order_centration, name="centration"),
    path("<int:pk>/refraction/", views.order_refraction, name="refraction"),
    path("<int:pk>/frame/", views.order_frame, name="frame"),
    path("<int:pk>/lenses/", views.order_lenses, name="lenses"),
    path("<int:pk>/lines/new/", views.line_edit, name="line_create"),
    path("<int:pk>/lines/<int:line_id>/", views.line_edit, name="line_edit"),
    path("<int:pk>/lines/<int:line_id>/delete/", views.line_delete, name="line_delete"),
    path("<int:pk>/status/", views.order_status, name="status"),
    path("<int:pk>/<slug:name>.pdf", views.order_document, name="document"),
    path("<int:pk>/oma/", views.order_oma, name="oma"),
]
