"""The browser tab behind each change, and the counters a page starts from."""

import contextlib
import re

from pghistory.middleware import HistoryMiddleware

from live import selectors
from opticrm.lib.pages_only import is_api

TAB_HEADER = "X-Live-Tab"
_TAB = re.compile(r"[A-Za-z0-9]{1,40}")


def tab_id(request) -> str:
    """The random id live.js gives each open tab ("" if absent or malformed)."""
    value = request.headers.get(TAB_HEADER, "")
    return value if _TAB.fullmatch(value) else ""


class LiveHistoryMiddleware(HistoryMiddleware):
    """pghistory's context (user, URL) plus the browser tab, so a tab is not
    told about the changes it made itself."""

    def get_context(self, request):
        context = super().get_context(request)
        tab = tab_id(request)
        if tab:
            context["tab"] = tab
        return context


class LiveCountersMiddleware:
    """Reads the counters before a page's view reads its data: a change that
    lands while the page renders moves a counter the page has not seen yet,
    and the page reloads the region once more instead of missing it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        whole_page = request.method == "GET" and not request.headers.get("HX-Request")
        if whole_page and not is_api(request) and getattr(view_func, "login_required", True):
            # Without the counters the page works, only without live updates.
            with contextlib.suppress(selectors.CountersUnavailable):
                request.live_counters = selectors.change_counters()
