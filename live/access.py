"""Who may poll the change counters, decided without the database.

The poll runs every second in every open tab. Looking up the session and
the user each time would be most of its cost, so the page hands the browser
a signed pass instead: the user and the topics they may see, bound to the
session cookie the browser holds. The counters reveal only that something
changed; the data itself is fetched with the normal login and permission
checks. A pass outlives a logout only for someone who copied both the
cookie and the pass, and then shows them nothing but counters, for at most
``SESSION_COOKIE_AGE``.
"""

import hashlib
from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.http import HttpRequest

from live.topics import TOPICS, visible_topics

SALT = "opticrm.live.poll"


def _session_fingerprint(session_key: str) -> str:
    return hashlib.sha256(session_key.encode()).hexdigest()[:32]


def poll_pass(request: HttpRequest) -> str:
    """The pass for a signed-in user's page."""
    return pass_for(
        request.user.pk, request.session.session_key or "", visible_topics(request.user)
    )


def pass_for(user_id: int, session_key: str, topics: list[str]) -> str:
    data = {"u": user_id, "s": _session_fingerprint(session_key), "t": topics}
    return signing.dumps(data, salt=SALT, compress=True)


@dataclass(frozen=True)
class Poll:
    topics: tuple[str, ...]


def poll_allowed(request: HttpRequest) -> Poll | None:
    """What the request's pass allows, if it is valid for the session cookie sent."""
    token = request.headers.get("X-Live-Pass", "")
    session_key = request.COOKIES.get(settings.SESSION_COOKIE_NAME, "")
    if not token or not session_key:
        return None
    try:
        data = signing.loads(token, salt=SALT, max_age=settings.SESSION_COOKIE_AGE)
    except signing.BadSignature:
        return None
    if not isinstance(data, dict) or data.get("s") != _session_fingerprint(session_key):
        return None
    return Poll(topics=tuple(topic for topic in TOPICS if topic in data.get("t", ())))
