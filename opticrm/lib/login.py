"""Logging in, for the shop's pages and the admin alike: failed attempts are
counted per user name and address and per address (opticrm.lib.ratelimit),
so that nobody can try passwords at speed, while typing a colleague's name
from another PC locks nobody out for longer than a cool-down."""

import logging

from django import forms
from django.conf import settings
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from opticrm.lib.ratelimit import Count, client_address, rate_count, rate_reached

logger = logging.getLogger("opticrm.login")


def _keys(request, username: str) -> list[tuple[str, str, str]]:
    address = client_address(request)
    return [
        ("login_user", f"{username.strip().casefold()}|{address}", settings.LOGIN_FAILURE_LIMIT),
        ("login_address", address, settings.LOGIN_ADDRESS_FAILURE_LIMIT),
    ]


def _locked_message(count: Count) -> str:
    until = formats.time_format(timezone.localtime(count.until), "H:i")
    return _(
        "Too many failed log-in attempts. For your protection, logging in is paused; "
        "please try again at %(time)s o'clock."
    ) % {"time": until}


def login_locked(request, username: str) -> Count | None:
    """The lock that holds for this user name from this address, if any."""
    for scope, ident, rate in _keys(request, username):
        count = rate_reached(scope=scope, ident=ident, rate=rate)
        if not count.allowed:
            return count
    return None


def login_failed(request, username: str) -> None:
    for scope, ident, rate in _keys(request, username):
        rate_count(scope=scope, ident=ident, rate=rate)
    logger.warning("Failed log-in for %r from %s", username[:150], client_address(request))


class ThrottledLoginMixin:
    def clean(self):
        # The field's cleaned value: raw input may hold what the database
        # cannot (a NUL), and the field has refused that already.
        username = self.cleaned_data.get("username") or ""
        locked = login_locked(self.request, username)
        if locked is not None:
            logger.warning(
                "Log-in refused while paused for %r from %s",
                username[:150],
                client_address(self.request),
            )
            raise forms.ValidationError(_locked_message(locked), code="locked")
        try:
            return super().clean()
        except forms.ValidationError as error:
            if any(e.code == "invalid_login" for e in error.error_list):
                login_failed(self.request, username)
            raise


WRONG_PASSWORD = gettext_lazy("User name or password is wrong. Please try again.")


class LoginForm(ThrottledLoginMixin, AuthenticationForm):
    error_messages = {**AuthenticationForm.error_messages, "invalid_login": WRONG_PASSWORD}


class AdminLoginForm(ThrottledLoginMixin, AdminAuthenticationForm):
    pass


class LimitedPasswordResetForm(PasswordResetForm):
    """ "Forgot password": the page always says the same (it must not tell
    which addresses have an account), but sends at most a few mails per
    address and per client, so that it cannot be used to flood a mailbox."""

    def save(self, *args, request=None, **kwargs):
        email = self.cleaned_data["email"].strip().casefold()
        for scope, ident in (("reset_email", email), ("reset_address", client_address(request))):
            if not rate_count(scope=scope, ident=ident, rate=settings.PASSWORD_RESET_LIMIT).allowed:
                logger.warning("Password reset not sent (limit) for %r", email)
                return
        super().save(*args, request=request, **kwargs)
