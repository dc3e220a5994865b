from django.urls import path

from customers import views

app_name = "customers"

urlpatterns = [
    path("", views.customer_list, name="list"),
    path("new/", views.customer_create, name="create"),
    path("deleted/", views.customer_deleted_list, name="deleted"),
    path("retention/", views.retention_list, name="retention"),
    path("export.<str:file_format>", views.customer_export, name="export"),
    path("<int:pk>/", views.customer_detail, name="detail"),
    path("<int:pk>/edit/", views.customer_update, name="update"),
    path("<int:pk>/delete/", views.customer_delete, name="delete"),
    path("<int:pk>/restore/", views.customer_restore, name="restore"),
    path("<int:pk>/purge/", views.customer_purge, name="purge"),
    path("<int:pk>/erase/", views.customer_erase, name="erase"),
    path("<int:pk>/photo/", views.customer_photo, name="photo"),
    path("<int:pk>/photo/edit/", views.customer_photo_edit, name="photo_edit"),
    path("<int:pk>/photo/remove/", views.customer_photo_remove, name="photo_remove"),
]
