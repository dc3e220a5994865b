"""Responses for the modal and table conventions every app follows."""

import json

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
