"""The REST API v1: django-ninja (Pydantic schemas, OpenAPI from the code)."""

from django.contrib.auth.decorators import login_not_required
from django.http import JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from ninja import NinjaAPI

from api import appointments, customers, errors, invoices, orders, products
from api.auth import ApiKeyAuth
from api.throttling import KeyRateThrottle

api = NinjaAPI(
    title="OptiCRM API",
    version="1",
    description=(
        "Kunden, Termine und Artikel eines Augenoptikers. Anmeldung mit "
        "`Authorization: Bearer <API-Schlüssel>`. / Customers, appointments and "
        "products of an optician shop. Authenticate with `Authorization: Bearer <API key>`."
    ),
    auth=ApiKeyAuth(),
    throttle=[KeyRateThrottle()],
    urls_namespace="api-v1",
    docs_url="/docs",
    openapi_url="/openapi.json",
)
errors.install(api)
api.add_router("/customers", customers.router)
api.add_router("/appointments", appointments.router)
api.add_router("/products", products.router)
api.add_router("/orders", orders.router)
api.add_router("/invoices", invoices.router)

patterns, app_name, namespace = api.urls
for pattern in patterns:
    # Keys, not sessions: the login redirect of LoginRequiredMiddleware does
    # not apply; every operation checks its key itself.
    login_not_required(pattern.callback)
urlpatterns = (patterns, app_name, namespace)


@csrf_exempt  # keys, not cookies: a PUT to an unknown address is a 404, not a CSRF 403
@login_not_required
def not_found(request):
    """Any other address under /api/ (e.g. a non-numeric id): a JSON 404 like
    the API's own, not the HTML page meant for people."""
    return JsonResponse({"detail": _("Not found.")}, status=404)
