"""The one page of OptiCRM a customer opens: unsubscribing from recall
e-mails. No log-in: the signed token in the link is the key, and it names
the customer and channel it was made for."""

import json

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import render
from django.utils.crypto import constant_time_compare
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from customers.models import Customer
from messaging import services
from messaging.sms import seven_report
from messaging.unsubscribe import read_token


@login_not_required
# A mail program's one-click unsubscribe (RFC 8058) posts without a CSRF
# token; the signed token authorises the request instead.
@csrf_exempt
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """GET asks (a mail scanner that opens links must not unsubscribe
    anybody); POST withdraws the consent and says so."""
    context = {"shop_name": settings.SHOP_NAME, "shop_phone": settings.SHOP_PHONE}
    data = read_token(token)
    customer = None
    if data is not None:
        customer = Customer.objects.alive().filter(pk=data[0]).only("pk").first()
    if customer is None:
        return render(
            request, "messaging/unsubscribe.html", context | {"invalid": True}, status=404
        )
    if request.method == "POST":
        services.consent_unsubscribe(customer_id=customer.pk, channel=data[1])
        return render(request, "messaging/unsubscribe.html", context | {"done": True})
    return render(request, "messaging/unsubscribe.html", context | {"token": token})


@login_not_required
# The gateway posts without a session or CSRF token; the secret in the URL
# (SMS_REPORT_TOKEN) is the authority.
@csrf_exempt
@require_http_methods(["POST"])
def sms_report(request: HttpRequest, token: str) -> HttpResponse:
    """seven.io's delivery report (webhook event "dlr"): the SMS reached the
    phone ("zugestellt") or did not. Answers 200 for every well-formed call
    (also for ids it does not know), so the gateway does not retry them."""
    expected = settings.SMS_REPORT_TOKEN
    if not expected or not constant_time_compare(token, expected):
        raise Http404
    try:
        payload = json.loads(request.body or b"null")
    except ValueError:
        return HttpResponseBadRequest("invalid JSON")
    report = seven_report(payload)
    if report is not None:
        services.message_delivery_report(report=report)
    return HttpResponse("OK", content_type="text/plain")
