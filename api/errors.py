"""Every API error answers with ``{"detail": ...}``; validation errors as a
list of ``{"field", "message"}``, with the forms' German messages."""

import logging
import math

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import InterfaceError as DatabaseInterfaceError
from django.db import OperationalError as DatabaseOperationalError
from django.http import HttpRequest, HttpResponse
from django.utils.log import log_response
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, Throttled
from ninja.errors import ValidationError as NinjaValidationError

logger = logging.getLogger("opticrm.api")
# Seconds an integration waits before it tries again while the database is away.
DATABASE_RETRY_AFTER = 5

# Pydantic's error types in words staff and integrators understand.
_MESSAGES = {
    "missing": lambda: _("This field is required."),
    "date_from_datetime_parsing": lambda: _("Please enter a date as YYYY-MM-DD."),
    "date_parsing": lambda: _("Please enter a date as YYYY-MM-DD."),
    "date_type": lambda: _("Please enter a date as YYYY-MM-DD."),
    "datetime_parsing": lambda: _("Please enter a date and time as ISO 8601."),
    "datetime_from_date_parsing": lambda: _("Please enter a date and time as ISO 8601."),
    "int_parsing": lambda: _("Please enter a whole number."),
    "literal_error": lambda: _("Please choose one of the allowed values."),
    "enum": lambda: _("Please choose one of the allowed values."),
    "null_character": lambda: _("Null characters are not allowed."),
    "bool_not_allowed": lambda: _("Please enter a whole number, not true or false."),
    "int_type": lambda: _("Please enter a whole number."),
    "date_range": lambda: _("Please enter a date between the years 1900 and 2999."),
    "not_null": lambda: _("This field may not be empty."),
}


def field_errors(errors: dict) -> list[dict]:
    """A Django ``error_dict`` (field → messages) as the API's list."""
    return [
        {"field": None if field == "__all__" else field, "message": message}
        for field, messages in errors.items()
        for message in messages
    ]


def unprocessable(api: NinjaAPI, request: HttpRequest, errors: list[dict]) -> HttpResponse:
    return api.create_response(request, {"detail": errors}, status=422)


def _field_name(location: list) -> str | None:
    # ("body", "payload", "first_name") → "first_name"; ("query", "page") → "page"
    names = [str(part) for part in location if part not in ("body", "query", "path", "payload")]
    return ".".join(names) or None


def install(api: NinjaAPI) -> None:
    @api.exception_handler(NinjaValidationError)
    def validation_error(request, exc):
        errors = []
        for error in exc.errors:
            message = _MESSAGES.get(error.get("type"))
            errors.append(
                {
                    "field": _field_name(list(error.get("loc", []))),
                    "message": message() if message else _("Invalid value."),
                }
            )
        return unprocessable(api, request, errors)

    @api.exception_handler(DjangoValidationError)
    def service_error(request, exc):
        if hasattr(exc, "error_dict"):
            return unprocessable(api, request, field_errors(exc.message_dict))
        return unprocessable(api, request, [{"field": None, "message": m} for m in exc.messages])

    @api.exception_handler(Throttled)
    def throttled(request, exc):
        response = api.create_response(
            request, {"detail": _("Too many requests; please wait a moment.")}, status=429
        )
        response["Retry-After"] = str(math.ceil(exc.wait or 60))
        return response

    @api.exception_handler(DatabaseOperationalError)
    @api.exception_handler(DatabaseInterfaceError)
    def database_unavailable(request, exc):
        # The database restarts or is out of reach: the integration should try
        # again shortly (503 + Retry-After), and the log gets one line per
        # request, not a traceback each (a restart is hundreds in a second).
        logger.warning("Database unavailable for %s: %s", request.path, str(exc).strip()[:200])
        response = api.create_response(
            request,
            {"detail": _("The database is briefly unavailable; please try again in a moment.")},
            status=503,
        )
        response["Retry-After"] = str(DATABASE_RETRY_AFTER)
        return response

    @api.exception_handler(Exception)
    def server_error(request, exc):
        # Integrations parse JSON: an unexpected error answers in JSON too, and
        # is logged as Django logs a page's 500 (404s and HttpErrors have their
        # own handlers, found first).
        response = api.create_response(
            request, {"detail": _("An internal error occurred; it has been logged.")}, status=500
        )
        log_response(
            "Internal Server Error: %s",
            request.path,
            response=response,
            request=request,
            exception=exc,
        )
        return response

    @api.exception_handler(AuthenticationError)
    def unauthorized(request, exc):
        response = api.create_response(
            request, {"detail": _("A valid API key is required.")}, status=401
        )
        response["WWW-Authenticate"] = "Bearer"
        return response
