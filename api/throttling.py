"""Rate limits: per API key, and per client address for failed keys (so a
key cannot be guessed by trying). Counted in Django's cache; with the
default in-memory cache each server process counts on its own."""

from django.conf import settings
from django.http import HttpRequest
from ninja.throttling import SimpleRateThrottle


class SettingsRateThrottle(SimpleRateThrottle):
    """The rate is read from the settings at each request, so it can be
    configured (and changed in tests) without restarting the API object."""

    setting: str

    def __init__(self):
        super().__init__(rate=getattr(settings, self.setting))

    def allow_request(self, request: HttpRequest) -> bool:
        self.rate = getattr(settings, self.setting)
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return super().allow_request(request)


class KeyRateThrottle(SettingsRateThrottle):
    scope = "api_key"
    setting = "API_RATE_LIMIT"

    def get_cache_key(self, request: HttpRequest) -> str:
        return self.cache_format % {"scope": self.scope, "ident": request.auth.pk}


class FailedKeyThrottle(SettingsRateThrottle):
    scope = "api_failed_key"
    setting = "API_FAILED_AUTH_LIMIT"

    def get_cache_key(self, request: HttpRequest) -> str:
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}

    def would_block(self, request: HttpRequest) -> bool:
        """Over the limit already, without counting this request."""
        self.rate = getattr(settings, self.setting)
        self.num_requests, self.duration = self.parse_rate(self.rate)
        self.key = self.get_cache_key(request)
        self.history = self.cache.get(self.key, [])
        self.now = self.timer()
        while self.history and self.history[-1] <= self.now - self.duration:
            self.history.pop()
        return len(self.history) >= self.num_requests
