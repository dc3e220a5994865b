import logging

from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied
from django.db import DatabaseError
from django.http import HttpRequest, HttpResponse, HttpResponseNotModified, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from appointments.models import Appointment
from customers.models import Customer
from live import access, selectors
from live.middleware import tab_id
from products.models import Product

logger = logging.getLogger(__name__)

# What a page may watch for changes by someone else, and the permission to see it.
RECORDS = {
    "customer": (Customer, "customers.view_customer"),
    "appointment": (Appointment, "appointments.view_appointment"),
    "product": (Product, "products.view_product"),
}


@login_not_required  # checked by the signed pass, without the database (see live.access)
@never_cache
@require_GET
def changes(request: HttpRequest) -> HttpResponse:
    """The change counters; 304 while nothing changed since the browser's ETag."""
    if not access.poll_allowed(request):
        return JsonResponse({"detail": "forbidden"}, status=403)
    try:
        counters = selectors.change_counters()
    except DatabaseError:
        # Asked again in a second by every open tab: no error page, no traceback each time.
        logger.warning("Live-update counters unavailable", exc_info=True)
        response = JsonResponse({"detail": "unavailable"}, status=503)
        response["Retry-After"] = "5"
        return response
    etag = selectors.etag(counters)
    if request.headers.get("If-None-Match") == etag:
        response = HttpResponseNotModified()
    else:
        response = JsonResponse(counters)
    response["ETag"] = etag
    return response


def _version(value: str | None) -> int:
    try:
        return max(0, int(value or 0))
    except ValueError:
        return 0


@never_cache
@require_GET
def record(request: HttpRequest, kind: str, pk: int) -> HttpResponse:
    """Whether someone else changed one record since the page showed it: 204,
    or the quiet notice to show. The newest version goes back in a header."""
    if kind not in RECORDS:
        raise PermissionDenied
    model, permission = RECORDS[kind]
    if not request.user.has_perm(permission):
        raise PermissionDenied
    obj = get_object_or_404(model._base_manager, pk=pk)
    since = _version(request.GET.get("since"))
    latest, change = selectors.changes_since(obj, since, tab_id(request))
    if change is None:
        response = HttpResponse(status=204)
    else:
        response = render(
            request,
            "live/_notice.html",
            {"change": change, "reload": request.GET.get("reload") == "1"},
        )
    response["X-Live-Version"] = str(latest)
    return response
