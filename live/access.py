"""Who may poll the change counters, decided without the database.

The poll runs every second in every open tab. Looking up the session and
the user each time would be most of its cost, so the page hands the browser
a signed pass instead: the user, bound to the session cookie the browser
holds. The counters reveal nothing but that something changed; the data
itself is fetched with the normal login check.
"""

import hashlib

from django.conf import settings
from django.core import signing
from django.http import HttpRequest

SALT = "opticrm.live.poll"


def _session_fingerprint(session_key: str) -> str:
    return hashlib.sha256(session_key.encode()).hexdigest()[:32]


def poll_pass(request: HttpRequest) -> str:
    """The pass for the page being rendered for a signed-in user."""
    return pass_for(request.user.pk, request.session.session_key or "")


def pass_for(user_id: int, session_key: str) -> str:
    return signing.dumps(
        {"u": user_id, "s": _session_fingerprint(session_key)}, salt=SALT, compress=True
    )


def poll_allowed(request: HttpRequest) -> bool:
    """True if the request carries a valid pass for the session cookie it sends."""
    token = request.headers.get("X-Live-Pass", "")
    session_key = request.COOKIES.get(settings.SESSION_COOKIE_NAME, "")
    if not token or not session_key:
        return False
    try:
        data = signing.loads(token, salt=SALT, max_age=settings.SESSION_COOKIE_AGE)
    except signing.BadSignature:
        return False
    return isinstance(data, dict) and data.get("s") == _session_fingerprint(session_key)
