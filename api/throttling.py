"""Rate limits of the API: per API key, and per client address for wrong
keys (so a key cannot be guessed by trying), counted in the database
(opticrm.lib.ratelimit) so that every worker shares them."""

from django.conf import settings
from django.http import HttpRequest
from ninja.throttling import BaseThrottle

from opticrm.lib.ratelimit import Count, client_address, rate_count


class KeyRateThrottle(BaseThrottle):
    """Requests per API key (API_RATE_LIMIT), read from the settings at each
    request so that it can be changed without restarting."""

    def allow_request(self, request: HttpRequest) -> bool:
        self._count = rate_count(
            scope="api_key", ident=str(request.auth.pk), rate=settings.API_RATE_LIMIT
        )
        return self._count.allowed

    def wait(self) -> float:
        return self._count.wait


def failed_key_count(request: HttpRequest) -> Count:
    """Count a wrong key from the request's address (API_FAILED_AUTH_LIMIT).
    Only failures count: a valid key is never refused for others' failures,
    also when everyone behind one proxy shares an address."""
    return rate_count(
        scope="api_failed_key", ident=client_address(request), rate=settings.API_FAILED_AUTH_LIMIT
    )
