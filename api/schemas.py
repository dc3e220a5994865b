"""What every resource of the API shares: error bodies, bilingual field
descriptions and the If-Match header."""

import datetime
import typing
from typing import Annotated

from django.core.paginator import Page
from django.http import HttpRequest
from django.utils import timezone
from ninja import Field, Schema
from pydantic import AfterValidator, Strict, ValidationInfo, WithJsonSchema, field_validator
from pydantic_core import PydanticCustomError


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
    """The number an If-Match header names ("3" or W/"3"); None without one,
    -1 for one that names no number (it can match nothing)."""
    header = request.headers.get("If-Match", "").strip()
    if not header or header == "*":
        return None
    digits = header.removeprefix("W/").strip('"')
    return int(digits) if digits.isascii() and digits.isdigit() and len(digits) < 20 else -1


def _local(value: datetime.datetime) -> datetime.datetime:
    """Out: the shop's local time with its offset (2026-11-24T15:30:00+01:00)."""
    return timezone.localtime(value) if timezone.is_aware(value) else value


def _aware(value: datetime.datetime) -> datetime.datetime:
    """In: a time without offset is the shop's local time, not the server's."""
    return value if timezone.is_aware(value) else timezone.make_aware(value)


LocalDateTime = Annotated[datetime.datetime, AfterValidator(_local)]
AwareDateTime = Annotated[
    datetime.datetime,
    AfterValidator(_aware),
    WithJsonSchema(
        {
            "type": "string",
            "format": "date-time",
            "description": describe(
                "ISO 8601; ohne Offset gilt die Ortszeit des Geschäfts",
                "ISO 8601; without an offset the shop's local time applies",
            ),
        }
    ),
]


# An id in a request body: a JSON integer, never "1", 1.0 or true.
Id = Annotated[int, Strict()]


def etag(value: int | datetime.datetime) -> str:
    """A strong ETag from a version number or a change time."""
    if isinstance(value, datetime.datetime):
        value = int(value.timestamp() * 1_000_000)
    return f'"{value}"'


# Dates the shop can mean: birth dates from 1900, appointments and filters up
# to 2999. Beyond them the date arithmetic (an appointment's end, a day's
# last moment, a time in UTC) would leave what Python and PostgreSQL hold.
FIRST_YEAR, LAST_YEAR = 1900, 2999


def _accepts_bool(annotation) -> bool:
    return annotation is bool or bool in typing.get_args(annotation)


class Input(Schema):
    """Base of every request body and query: what the database or Python
    cannot hold is refused here with a field error, as the forms refuse it:
    NUL in text (and text is trimmed), dates outside the years above, and ``true``/``false`` where a
    number or id is expected (lax parsing would take ``true`` as id 1)."""

    @field_validator("*", mode="before")
    @classmethod
    def no_null_characters_or_booleans(cls, value, info: ValidationInfo):
        if isinstance(value, str):
            if "\x00" in value:
                raise PydanticCustomError("null_character", "Null characters are not allowed.")
            # Trimmed as Django's form fields trim (a leading tab would also
            # hide a formula from the exports' check).
            value = value.strip()
        if isinstance(value, bool) and not _accepts_bool(
            cls.model_fields[info.field_name].annotation
        ):
            raise PydanticCustomError("bool_not_allowed", "A number is expected, not true/false.")
        return value

    @field_validator("*", mode="after")
    @classmethod
    def dates_the_shop_can_mean(cls, value):
        if isinstance(value, datetime.date) and not FIRST_YEAR <= value.year <= LAST_YEAR:
            raise PydanticCustomError("date_range", "Date out of range.")
        return value


def not_null(value):
    """For fields that an update may leave out but not empty."""
    if value is None:
        raise PydanticCustomError("not_null", "This field may not be empty.")
    return value


def document(schema: type[Schema], model) -> type[Schema]:
    """Give every field of ``schema`` that has no description the model
    field's name in German and English, as the admin shows it."""
    from django.core.exceptions import FieldDoesNotExist
    from django.utils import translation

    for name, info in schema.model_fields.items():
        if info.description:
            continue
        try:
            label = model._meta.get_field(name).verbose_name
        except FieldDoesNotExist:
            continue
        with translation.override("de"):
            german = str(label)
        with translation.override("en"):
            english = str(label)
        info.description = describe(
            german[:1].upper() + german[1:], english[:1].upper() + english[1:]
        )
    schema.model_rebuild(force=True)
    return schema


TOTAL_IS_ESTIMATE = Field(
    False,
    description=describe(
        "Wahr, wenn ``total`` geschätzt ist: bei einer ungefilterten Liste mit mehr als "
        "10.000 Einträgen (gefilterte Listen werden immer genau gezählt)",
        "True when ``total`` is an estimate: for an unfiltered list of more than 10,000 "
        "entries (filtered lists are always counted exactly)",
    ),
)


def api_page(page: Page, query) -> dict:
    """A page of a table's list (customer_table_page, TablePaginator) as
    the API answers it: items, total (exact, or an estimate for an
    unfiltered list of a chain's size, as the web tables show it), page,
    page_size. A page past the end has no items (the table shows the last)."""
    beyond = page.number != query.page
    return {
        "items": [] if beyond else list(page.object_list),
        "total": page.paginator.count,
        "total_is_estimate": page.paginator.estimated,
        "page": query.page,
        "page_size": query.page_size,
    }


def empty_page(query) -> dict:
    """What a list answers when a filter names nothing that exists."""
    return {
        "items": [],
        "total": 0,
        "total_is_estimate": False,
        "page": query.page,
        "page_size": query.page_size,
    }


def _older(based_on: datetime.datetime, updated_at: datetime.datetime) -> bool:
    """``based_on`` is before ``updated_at`` at the millisecond precision
    the API answers times with."""
    return based_on < updated_at.replace(microsecond=updated_at.microsecond // 1000 * 1000)


def based_on_version(request: HttpRequest, record, based_on) -> int | None:
    """The version number a change of ``record`` (its ``version`` and
    ``updated_at`` as stored) names, for the model's version rule
    (``customer_check_version``, ``appointment_check_version``): the number
    of the If-Match ETag (``"3"``, which GET answers), or, the compatible
    path of the first contract, the client's ``updated_at``: the stored
    version if it is the stored state's time (to the millisecond the API
    answers), else -1, which matches no version. None: the client named no
    state, and the change applies to the stored one."""
    version, updated_at = record.version, record.updated_at
    named = if_match(request)
    if named is not None:
        return named if based_on is None or not _older(based_on, updated_at) else -1
    if based_on is None:
        return None
    return -1 if _older(based_on, updated_at) else version
