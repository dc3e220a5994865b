"""Responses for the modal and table conventions every app follows."""

import json
from urllib.parse import urlsplit

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def render_page_or_partial(
    request: HttpRequest, template: str, partial: str, context: dict, status: int = 200
) -> HttpResponse:
    """The whole page for a normal request, only the named partial for htmx."""
    name = (
        f"{template}#{partial}"
        if request.htmx and not request.htmx.history_restore_request
        else template
    )
    return render(request, name, context, status=status)


def close_modal(request: HttpRequest, *events: str) -> HttpResponse:
    """Answer an htmx form POST that succeeded: close the modal, show the
    messages out of band and tell listening tables to refresh."""
    response = render(request, "_messages.html", {"oob": True})
    response["HX-Trigger"] = json.dumps(dict.fromkeys(("closeModal", *events), True))
    return response


def htmx_current_path(request: HttpRequest) -> str:
    """The path of the page an htmx request came from ("" without htmx or
    when the header is garbled): a view that removes what that page shows
    sends the browser elsewhere instead of closing a modal."""
    htmx = getattr(request, "htmx", None)
    if not htmx:
        return ""
    try:
        return urlsplit(htmx.current_url or "").path
    except ValueError:
        return ""
