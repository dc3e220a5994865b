"""A staff member's private calendar subscription (iCalendar feed)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.http import Http404, HttpRequest, HttpResponse
from django.http.request import split_domain_port
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from appointments import ics, ics_events, selectors, services
from appointments.models import StaffCalendar


@login_not_required  # phone calendars cannot log in; the secret token is the key
@require_GET
def feed(request: HttpRequest, token: str) -> HttpResponse:
    # A deactivated user or calendar loses the feed at once.
    calendar = (
        StaffCalendar.objects.select_related("staff")
        .filter(feed_token=token, active=True, staff__is_active=True)
        .first()
    )
    if calendar is None:
        raise Http404
    domain = split_domain_port(request.get_host())[0] or "opticrm"
    events = [
        ics_events.appointment_event(appointment, domain=domain)
        for appointment in selectors.staff_feed_appointments(calendar)
    ]
    body = ics.calendar(events, name=f"OptiCRM – {calendar}")
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Cache-Control"] = "private, max-age=300"
    return response


@require_http_methods(["GET", "POST"])
def my_feed(request: HttpRequest) -> HttpResponse:
    """The logged-in staff member's feed address, and a way to revoke it."""
    calendar = StaffCalendar.objects.filter(staff=request.user).first()
    if request.method == "POST":
        if calendar is None:
            raise Http404
        services.calendar_renew_feed_token(calendar_id=calendar.pk)
        messages.success(
            request, _("New subscription address created. The old one no longer works.")
        )
        return redirect("appointments:my_feed")
    feed_url = None
    if calendar is not None:
        feed_url = request.build_absolute_uri(
            reverse("appointments:feed", args=[calendar.feed_token])
        )
    return render(
        request, "appointments/my_feed.html", {"calendar": calendar, "feed_url": feed_url}
    )
