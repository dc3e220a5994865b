from django.urls import path

from documents import views

app_name = "documents"

urlpatterns = [
    path("customers/<int:customer_pk>/", views.customer_documents, name="customer"),
    path("<int:pk>/view/", views.document_view, name="view"),
    path("<int:pk>/download/", views.document_download, name="download"),
    path("<int:pk>/thumbnail/", views.document_thumbnail, name="thumbnail"),
    path("<int:pk>/preview/", views.document_preview, name="preview"),
    path("<int:pk>/delete/", views.document_delete, name="delete"),
    path("<int:pk>/edit/", views.document_edit, name="edit"),
    path("<int:pk>/restore/", views.document_restore, name="restore"),
    path("customers/<int:customer_pk>/compare/", views.compare, name="compare"),
    path("frames/", views.frame_options, name="frames"),
]
