from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotModified, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from appointments.models import Appointment
from customers.models import Customer
from live import access, selectors
from live.middleware import tab_id
from products.models import Product

# What a page may watch for changes by someone else, and the permission to see it.
RECORDS = {
    "customer": (Customer, "customers.view_customer"),
    "appointment": (Appointment, "appointments.view_appointment"),
    "product": (Product, "products.view_product"),
}
# Told to the browser with every refusal: when to ask again.
RETRY_AFTER_SECONDS = 5


@login_not_required  # checked by the signed pass, without the database (see live.access)
@never_cache
@require_GET
def changes(request: HttpRequest) -> HttpResponse:
    """The change counters the user may see; 304 while nothing changed since
    the browser's ETag."""
    poll = access.poll_allowed(request)
    if poll is None:
        return JsonResponse({"detail": "forbidden"}, status=403)
    try:
        counters = selectors.change_counters()
    except selectors.CountersUnavailable:
        response = JsonResponse({"detail": "unavailable"}, status=503)
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response
    visible = {topic: counters[topic] for topic in poll.topics}
    etag = selectors.etag(visible)
    if request.headers.get("If-None-Match") == etag:
        response = HttpResponseNotModified()
    else:
        response = JsonResponse(visible)
    response["ETag"] = etag
    return response


@never_cache
@require_GET
def new_pass(request: HttpRequest) -> JsonResponse:
    """A fresh pass for a tab whose pass no longer fits the session cookie
    (the user signed in again in another tab). Needs a valid login."""
    return JsonResponse({"pass": access.poll_pass(request)})


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
    if getattr(obj, "is_deleted", False) and not request.user.has_perm("customers.delete_customer"):
        raise Http404  # deleted customers are only for those who may restore them
    since = _version(request.GET.get("since"))
    latest, change = selectors.changes_since(obj, since, tab_id(request))
    if change is None:
        response = HttpResponse(status=204)
    else:
        when = timezone.localtime(change.when)
        context = {
            "who": change.who,
            "when": when,
            "today": when.date() == timezone.localdate(),
            "reload": request.GET.get("reload") == "1",
        }
        response = render(request, "live/_notice.html", context)
    response["X-Live-Version"] = str(latest)
    return response
