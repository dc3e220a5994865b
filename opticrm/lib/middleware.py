"""Small request/response rules that hold for every page."""

import time
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import auth
from django.contrib.auth import middleware as auth_middleware
from django.core.exceptions import SuspiciousOperation
from django.http import Http404, HttpResponseNotAllowed, JsonResponse
from django.shortcuts import redirect, render, resolve_url
from django.utils import translation
from django.utils.translation import gettext
from django_htmx.http import HttpResponseClientRedirect


class ShopLanguageMiddleware:
    """German unless the user picked another language with the switch.

    Django's LocaleMiddleware would follow the browser's Accept-Language, so a
    shop PC with an English Windows would show English; here only the
    language cookie counts.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        self.available = {code for code, _name in settings.LANGUAGES}

    def __call__(self, request):
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        language = chosen if chosen in self.available else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", language)
        return response


class HtmxLoginRedirectMiddleware:
    """An htmx request whose session expired must not swap the login page
    into a modal or table: tell htmx to load the login page as a whole page."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if (
            getattr(request, "htmx", False)
            and response.status_code == 302
            and response.url.startswith(resolve_url(settings.LOGIN_URL))
        ):
            return HttpResponseClientRedirect(response.url)
        return response


class LoginRequiredMiddleware(auth_middleware.LoginRequiredMiddleware):
    """Django's, but a view open to everyone is let through before the
    session is read: the live poll (live.views.changes) runs every second in
    every tab and checks its own signed pass without the database."""

    def process_view(self, request, view_func, view_args, view_kwargs):
        if not getattr(view_func, "login_required", True):
            return None
        return super().process_view(request, view_func, view_args, view_kwargs)


class NullCharacterMiddleware:
    """A NUL character can be in no stored text (PostgreSQL refuses it) and in
    no address of this app: a path with one names nothing (404), a query
    string with one is bad input (400), answered before any view hands it to
    the database. The API answers its own queries (422, field by field)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        api = request.path_info.startswith("/api/")
        if "\x00" in request.path_info:
            if api:
                return JsonResponse({"detail": gettext("Not found.")}, status=404)
            raise Http404
        if not api and any("\x00" in key + value for key, value in request.GET.items()):
            raise SuspiciousOperation("NUL character in the query string")
        return self.get_response(request)


class MethodNotAllowedPageMiddleware:
    """A page asked with the wrong method (a bookmarked or reloaded POST
    address) gets a German error page like a 404, not require_http_methods'
    empty answer: still 405, with its Allow header. Registered page-only
    (opticrm.lib.pages_only): the API answers in JSON itself."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if not isinstance(response, HttpResponseNotAllowed):
            return response
        page = render(request, "405.html", status=405)
        page["Allow"] = response["Allow"]
        return page


class NoStoreMiddleware:
    """Pages, files and API answers carry customers' personal or health
    data: no browser or proxy may keep a copy (a shop PC is shared). Static
    files are answered by WhiteNoise before this runs."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        # The one exception, asked for by the view: a document's thumbnail
        # under its version (documents.views.document_thumbnail), a small
        # image drawn once, kept by this browser only, never health data.
        if getattr(response, "private_cache", False):
            return response
        if "no-store" not in response.get("Cache-Control", ""):
            response["Cache-Control"] = "no-store, private"
        return response


# Session keys: when the user logged in and when last seen (epoch seconds).
LOGIN_AT, LAST_SEEN = "opticrm_login_at", "opticrm_last_seen"
# Last seen is written at most this often: not a session write per page.
SEEN_RESOLUTION = 300


def session_started(sender, request, user, **kwargs) -> None:
    """On every log-in (signal user_logged_in): the session's clock starts."""
    now = int(time.time())
    request.session[LOGIN_AT] = now
    request.session[LAST_SEEN] = now


class SessionTimeoutMiddleware:
    """Shop PCs are shared: a session ends after SESSION_IDLE_TIMEOUT seconds
    without a page view and SESSION_MAX_AGE seconds after the log-in, and the
    log-in page says why. Views open to everyone (the live poll, the API)
    neither count as activity nor read the session."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if not getattr(view_func, "login_required", True) or not request.user.is_authenticated:
            return None
        now = int(time.time())
        session = request.session
        login_at, last_seen = session.get(LOGIN_AT, now), session.get(LAST_SEEN, now)
        reason = None
        if now - login_at > settings.SESSION_MAX_AGE:
            reason = "expired"
        elif now - last_seen > settings.SESSION_IDLE_TIMEOUT:
            reason = "idle"
        if reason:
            auth.logout(request)
            query = urlencode({"ended": reason, "next": request.get_full_path()})
            url = f"{resolve_url(settings.LOGIN_URL)}?{query}"
            if getattr(request, "htmx", False):
                return HttpResponseClientRedirect(url)
            return redirect(url)
        if LAST_SEEN not in session or now - last_seen >= SEEN_RESOLUTION:
            session[LAST_SEEN] = now
            session.setdefault(LOGIN_AT, now)
        return None
