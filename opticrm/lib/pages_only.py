"""Middleware that pages need and API calls do not (issue 25).

An API request authenticates with its key on every call: it has no session,
no login, no CSRF cookie, no messages, no htmx and no live updates. Each
class here is the named middleware for pages, and lets a request under
``API_PREFIX`` pass straight through, so an API call does not pay for them.
settings.MIDDLEWARE names these in place of the originals. (CSRF stays
Django's own: the API's views are exempt, and ``check --deploy`` looks for it
by name.)"""

from django.contrib.auth.middleware import AuthenticationMiddleware as _Authentication
from django.contrib.messages.middleware import MessageMiddleware as _Messages
from django.contrib.sessions.middleware import SessionMiddleware as _Session
from django_htmx.middleware import HtmxMiddleware as _Htmx

from opticrm.lib import middleware as _own

API_PREFIX = "/api/"


def is_api(request) -> bool:
    return request.path_info.startswith(API_PREFIX)


def _pages_only(base: type) -> type:
    """``base`` for every request but an API call."""

    def __call__(self, request):
        if is_api(request):
            return self.get_response(request)
        return base.__call__(self, request)

    hooks = {"__call__": __call__, "__module__": __name__, "__doc__": base.__doc__}
    # Django calls these hooks itself, past __call__: they must step aside too.
    for hook in ("process_view", "process_exception", "process_template_response"):
        original = getattr(base, hook, None)
        if original is None:
            continue

        def step_aside(self, request, *args, _original=original):
            if is_api(request):
                return None
            return _original(self, request, *args)

        hooks[hook] = step_aside
    return type(base.__name__, (base,), hooks)


SessionMiddleware = _pages_only(_Session)
HtmxMiddleware = _pages_only(_Htmx)
AuthenticationMiddleware = _pages_only(_Authentication)
HtmxLoginRedirectMiddleware = _pages_only(_own.HtmxLoginRedirectMiddleware)
LoginRequiredMiddleware = _pages_only(_own.LoginRequiredMiddleware)
SessionTimeoutMiddleware = _pages_only(_own.SessionTimeoutMiddleware)
MessageMiddleware = _pages_only(_Messages)
MethodNotAllowedPageMiddleware = _pages_only(_own.MethodNotAllowedPageMiddleware)
