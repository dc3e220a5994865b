from django.urls import path

from prescriptions import card_views, views

app_name = "prescriptions"

urlpatterns = [
    path(
        "customers/<int:customer_pk>/refractions/new/",
        views.refraction_create,
        name="refraction_create",
    ),
    path("refractions/<int:pk>/correct/", views.refraction_correct, name="refraction_correct"),
    path("refractions/export.<str:file_format>", views.refraction_export, name="refraction_export"),
    path("refractions/equivalents/", views.refraction_equivalents, name="refraction_equivalents"),
    path("refractions/<int:pk>/card/", card_views.refraction_card, name="card"),
    path("refractions/<int:pk>/card.pdf", card_views.refraction_card_pdf, name="card_pdf"),
    path("customers/<int:customer_pk>/fittings/new/", views.fitting_create, name="fitting_create"),
    path("fittings/<int:pk>/correct/", views.fitting_correct, name="fitting_correct"),
]
