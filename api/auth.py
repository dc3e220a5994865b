"""Bearer authentication with API keys, and the rule that read-only keys
only read."""

import pghistory
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja.errors import HttpError, Throttled
from ninja.security import HttpBearer

from api import services
from api.models import ApiKey
from api.throttling import failed_key_count


class ApiKeyAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> ApiKey | None:
        key = services.api_key_for(token.strip())
        if key is None:
            failure = failed_key_count(request)
            if not failure.allowed:
                raise Throttled(wait=failure.wait)
            return None
        # The change history names the integration that made a change.
        pghistory.context(api_key=key.name)
        return key


def require_write(request: HttpRequest) -> None:
    if request.auth.read_only:
        raise HttpError(403, _("This API key may only read."))
