"""Rate limits per key and per address for failed keys; CORS for configured origins."""

import pytest

from api import services
from opticrm.lib.ratelimit import rate_count
from opticrm.models import RateCounter

pytestmark = pytest.mark.django_db
URL = "/api/v1/customers"


@pytest.fixture(autouse=True)
def still_clock(monkeypatch):
    """Counts are per fixed window: one must not end in the middle of a test."""
    monkeypatch.setattr("opticrm.lib.ratelimit.clock", lambda: 1_800_000_030.0)


def test_rate_limit_per_key_answers_429_with_retry_after(client, settings):
    settings.API_RATE_LIMIT = "3/min"
    _, first = services.api_key_create(name="Eins")
    _, second = services.api_key_create(name="Zwei")
    statuses = [client.get(URL, HTTP_AUTHORIZATION=f"Bearer {first}").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    limited = client.get(URL, HTTP_AUTHORIZATION=f"Bearer {first}")
    assert int(limited["Retry-After"]) >= 1
    assert limited.json() == {"detail": "Zu viele Anfragen; bitte einen Moment warten."}
    # Another key has its own budget.
    assert client.get(URL, HTTP_AUTHORIZATION=f"Bearer {second}").status_code == 200


def test_guessing_keys_is_limited_per_address(client, settings):
    settings.API_FAILED_AUTH_LIMIT = "3/min"
    _, good = services.api_key_create(name="Gut")
    for attempt in range(3):
        response = client.get(URL, HTTP_AUTHORIZATION=f"Bearer ocrm_geraten{attempt}")
        assert response.status_code == 401
    blocked = client.get(URL, HTTP_AUTHORIZATION="Bearer ocrm_geraten9")
    assert blocked.status_code == 429 and int(blocked["Retry-After"]) >= 1
    assert blocked.json() == {"detail": "Zu viele Anfragen; bitte einen Moment warten."}
    # Another address guesses on its own budget.
    other = client.get(URL, HTTP_AUTHORIZATION="Bearer ocrm_x", REMOTE_ADDR="10.0.0.7")
    assert other.status_code == 401


def test_wrong_keys_never_lock_out_a_valid_key(client, settings):
    """Behind a proxy every client shares one address: others' failures must
    not block the shop's integrations."""
    settings.API_FAILED_AUTH_LIMIT = "3/min"
    settings.API_RATE_LIMIT = "100/min"
    _, good = services.api_key_create(name="Gut")
    statuses = [
        client.get(URL, HTTP_AUTHORIZATION=f"Bearer ocrm_geraten{n}").status_code for n in range(25)
    ]
    assert statuses == [401] * 3 + [429] * 22
    assert client.get(URL, HTTP_AUTHORIZATION=f"Bearer {good}").status_code == 200
    # The wrong keys were counted only as failures, the good one only as itself.
    counted = dict(RateCounter.objects.values_list("scope", "hits"))
    assert counted == {"api_failed_key": 25, "api_key": 1}


def test_rate_counts_are_shared_by_every_worker(client, settings):
    """The count lives in the database, not in one process: what another
    worker counted limits this one too."""
    settings.API_RATE_LIMIT = "5/min"
    key, secret = services.api_key_create(name="Kasse")
    for _ in range(5):
        assert rate_count(scope="api_key", ident=str(key.pk), rate="5/min").allowed
    response = client.get(URL, HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert response.status_code == 429


def test_cors_only_for_configured_origins(client, settings):
    settings.CORS_ALLOWED_ORIGINS = ["https://www.optik-beispiel.de"]
    preflight = {
        "HTTP_ORIGIN": "https://www.optik-beispiel.de",
        "HTTP_ACCESS_CONTROL_REQUEST_METHOD": "POST",
        "HTTP_ACCESS_CONTROL_REQUEST_HEADERS": "authorization, content-type",
    }
    allowed = client.options(URL, **preflight)
    assert allowed.status_code == 200
    assert allowed["Access-Control-Allow-Origin"] == "https://www.optik-beispiel.de"
    assert "authorization" in allowed["Access-Control-Allow-Headers"]
    refused = client.options(URL, **{**preflight, "HTTP_ORIGIN": "https://evil.example"})
    assert "Access-Control-Allow-Origin" not in refused
    # The screens are not opened up.
    page = client.options("/customers/", **preflight)
    assert "Access-Control-Allow-Origin" not in page


def test_the_counters_are_not_written_to_the_wal():
    # An API request's commit then need not wait for the log's flush.
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relpersistence FROM pg_class WHERE relname = %s",
            [RateCounter._meta.db_table],
        )
        assert cursor.fetchone() == ("u",)
