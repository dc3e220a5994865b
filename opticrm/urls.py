from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.templatetags.static import static
from django.urls import include, path, re_path
from django.utils.translation import gettext_lazy as _
from django.views.generic import RedirectView
from django.views.i18n import set_language

from api.urls import not_found as api_not_found
from api.urls import urlpatterns as api_v1
from opticrm.health import health
from opticrm.lib.login import AdminLoginForm, LimitedPasswordResetForm, LoginForm

# The admin's log-in counts failures like the shop's (opticrm.lib.login).
admin.site.login_form = AdminLoginForm
admin.site.site_header = _("OptiCRM administration")
admin.site.site_title = _("OptiCRM administration")
admin.site.index_title = _("Administration")

urlpatterns = [
    # The start page "Heute" (today.urls names it "home").
    path("", include("today.urls")),
    path("customers/", include("customers.urls")),
    path("appointments/", include("appointments.urls")),
    path("products/", include("products.urls")),
    path("prescriptions/", include("prescriptions.urls")),
    path("messaging/", include("messaging.urls")),
    path("recall/", include("messaging.recall_urls")),
    path("privacy/", include("privacy.urls")),
    path("imports/", include("imports.urls")),
    path("orders/", include("orders.urls")),
    path("invoices/", include("invoices.urls")),
    path("reports/", include("reports.urls")),
    path("live/", include("live.urls")),
    path("documents/", include("documents.urls")),
    path("api/v1/", api_v1),
    re_path(r"^api/", api_not_found),
    path(
        "login/",
        auth_views.LoginView.as_view(
            redirect_authenticated_user=True, authentication_form=LoginForm
        ),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("password/change/", auth_views.PasswordChangeView.as_view(), name="password_change"),
    path(
        "password/change/done/",
        auth_views.PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
    path(
        "password/reset/",
        auth_views.PasswordResetView.as_view(form_class=LimitedPasswordResetForm),
        name="password_reset",
    ),
    path(
        "password/reset/sent/",
        auth_views.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "password/reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "password/reset/complete/",
        auth_views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    path("i18n/setlang/", login_not_required(set_language), name="set_language"),
    path("health/", health, name="health"),
    # Browsers and tools ask for /favicon.ico whatever the page names.
    path(
        "favicon.ico",
        login_not_required(RedirectView.as_view(url=static("img/favicon.svg"), permanent=True)),
    ),
    path("admin/", admin.site.urls),
]
