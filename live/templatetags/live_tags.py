import json

from django import template
from django.conf import settings
from django.db import models
from django.templatetags.static import static
from django.urls import reverse
from django.utils.html import format_html

from live import access, selectors

register = template.Library()


@register.simple_tag(takes_context=True)
def live_updates(context) -> str:
    """The poll's address, pass and starting counters, and the script that
    polls, for a page shown to a signed-in user."""
    request = context.get("request")
    if request is None or not request.user.is_authenticated:
        return ""
    counters = getattr(request, "live_counters", None) or selectors.change_counters()
    return format_html(
        '<meta name="opticrm-live" data-url="{}" data-record-url="{}" data-pass="{}"'
        ' data-interval="{}" data-etag=\'{}\' data-counters="{}">'
        '<script src="{}" defer></script>',
        reverse("live:changes"),
        reverse("live:record", args=["KIND", 0]),
        access.poll_pass(request),
        settings.LIVE_POLL_INTERVAL_MS,
        selectors.etag(counters),
        json.dumps(counters),
        static("js/live.js"),
    )


@register.inclusion_tag("live/_record.html")
def live_record(obj: models.Model, reload_url: str = "") -> dict:
    """Where a page or form showing ``obj`` is told that someone else changed it."""
    return {
        "kind": obj._meta.model_name,
        "pk": obj.pk,
        "version": selectors.record_version(obj),
        "reload_url": reload_url,
    }
