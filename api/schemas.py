"""What every resource of the API shares: error bodies, bilingual field
descriptions and the If-Match header."""

from django.http import HttpRequest
from ninja import Schema


def describe(de: str, en: str) -> str:
    """A field description for the OpenAPI docs, in German and English."""
    return f"{de} / {en}"


class Detail(Schema):
    detail: str


class FieldError(Schema):
    field: str | None
    message: str


class Errors(Schema):
    detail: list[FieldError]


def if_match(request: HttpRequest) -> int | None:
    """The version an If-Match header names ("3" or W/"3"); None without one,
    -1 for one that names no version (it can match nothing)."""
    header = request.headers.get("If-Match", "").strip()
    if not header or header == "*":
        return None
    digits = header.removeprefix("W/").strip('"')
    return int(digits) if digits.isascii() and digits.isdigit() and len(digits) < 10 else -1
