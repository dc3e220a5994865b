import contextlib
import html as html_module
import re

import psycopg
import pytest
from django.db import connection


@contextlib.contextmanager
def second_connection():
    """A connection of its own, as another app instance, the admin on another
    machine or a psql session would have: it commits whatever it runs."""
    db = connection.settings_dict
    params = {"dbname": db["NAME"], "user": db["USER"], "password": db["PASSWORD"]}
    params.update({key.lower(): db[key] for key in ("HOST", "PORT") if db[key]})
    with psycopg.connect(**params, **db.get("OPTIONS", {}), autocommit=True) as other:
        yield other


@pytest.fixture
def other_connection():
    with second_connection() as other:
        yield other


def live_meta(html: str) -> dict[str, str]:
    """The data-* attributes of the page's live-update <meta>."""
    tag = re.search(r'<meta name="opticrm-live"([^>]*)>', html)
    assert tag, "page has no live updates"
    return {
        name: html_module.unescape(value)
        for name, value in re.findall(r'data-([a-z-]+)=["\']([^"\']*)["\']', tag.group(1))
    }
