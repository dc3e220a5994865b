"""Every form of the app, sent with hostile values in every field: NUL
characters, dates at the ends of the calendar, huge numbers, empty values
and very long text must get a message, never a 500 or a database error."""

import re

import pytest
from django.apps import apps
from django.db import transaction

from opticrm.tests.test_constraints import APPS
from opticrm.tests.test_hostile_input import _urls, records  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db

VALUES = [
    "\x00",
    "a\x00b",
    "9999-12-31",
    "31.12.9999",
    "31.12.9999 23:59",
    "0001-01-01",
    "99999999999999999999",
    "-99999999999999999999",
    "1e400",
    "NaN",
    "",
    "null",
    "€" * 5000,
]
# What must never reach a user: a constraint's name, Django's default text for
# a broken constraint, a database error.
CONSTRAINT_NAMES = sorted(
    constraint.name
    for model in apps.get_models()
    if model._meta.app_label in APPS
    for constraint in model._meta.constraints
)
RAW = re.compile(
    "|".join([*map(re.escape, CONSTRAINT_NAMES), "Bedingung „", "IntegrityError", "violates"])
)
FIELD = re.compile(r"""<(?:input|select|textarea)\b[^>]*\bname="([^"]+)\"""")


def _field_names(html: str) -> set[str]:
    return set(FIELD.findall(html)) - {"csrfmiddlewaretoken"}


def _hostile_posts(client, urls) -> tuple[int, list]:
    client.raise_request_exception = False
    failures, forms = [], 0
    for url in urls:
        page = client.get(url, headers={"HX-Request": "true"})
        if page.status_code != 200 or "text/html" not in page.get("Content-Type", ""):
            continue
        names = _field_names(page.content.decode())
        if not names:
            continue
        forms += 1
        for value in VALUES:
            for headers in ({}, {"HX-Request": "true"}):
                # Each post in a savepoint that is rolled back: every one
                # meets the same records, and a failure hides no other.
                savepoint = transaction.savepoint()
                response = client.post(url, dict.fromkeys(names, value), headers=headers)
                transaction.savepoint_rollback(savepoint)
                if response.status_code >= 500:
                    failures.append((url, repr(value[:20]), bool(headers), response.status_code))
                elif leaked := RAW.search(response.content.decode(errors="replace")):
                    failures.append((url, repr(value[:20]), bool(headers), leaked.group()))
    return forms, failures


def test_no_form_answers_500_to_hostile_values(owner_client, records):  # noqa: F811
    forms, failures = _hostile_posts(owner_client, _urls(records))
    assert forms >= 10
    assert failures == [], "\n".join(map(str, failures[:40]))


def test_no_form_open_to_everyone_answers_500_to_hostile_values(client, records):  # noqa: F811
    # The log-in and "Passwort vergessen?" forms, as nobody logged in sees them.
    forms, failures = _hostile_posts(client, [*_urls(records), "/admin/login/"])
    assert forms >= 3
    assert failures == [], "\n".join(map(str, failures[:40]))
