"""Small request/response rules that hold for every page."""

from django.conf import settings
from django.contrib.auth import middleware as auth_middleware
from django.shortcuts import resolve_url
from django.utils import translation
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
