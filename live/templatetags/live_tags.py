import json

from django import template
from django.conf import settings
from django.db import models
from django.templatetags.static import static
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _

from live import access, selectors
from live.topics import visible_topics

register = template.Library()


@register.simple_tag(takes_context=True)
def live_updates(context) -> str:
    """The poll's address, pass and starting counters, and the script that
    polls, for a page shown to a signed-in user."""
    request = context.get("request")
    # Counters read after the view's data could be newer than the page and
    # hide a change: without counters read before the view, no live updates.
    counters = getattr(request, "live_counters", None)
    if counters is None or not request.user.is_authenticated:
        return ""
    visible = {topic: counters[topic] for topic in visible_topics(request.user)}
    return format_html(
        '<meta name="opticrm-live" data-url="{}" data-record-url="{}" data-pass-url="{}"'
        ' data-pass="{}"'
        ' data-interval="{}" data-etag=\'{}\' data-counters="{}"'
        ' data-paused-text="{}" data-reload-text="{}">'
        '<script src="{}" defer></script>',
        reverse("live:changes"),
        reverse("live:record", args=["KIND", 0]),
        reverse("live:pass"),
        access.poll_pass(request),
        settings.LIVE_POLL_INTERVAL_MS,
        selectors.etag(visible),
        json.dumps(visible),
        _("Live updates are paused."),
        _("Reload page"),
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
