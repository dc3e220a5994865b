"""Rate limits per key and per address for failed keys; CORS for configured origins."""

import pytest

from api import services

pytestmark = pytest.mark.django_db
URL = "/api/v1/customers"


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
    # From that address even a good key waits, so guessing gains nothing.
    assert client.get(URL, HTTP_AUTHORIZATION=f"Bearer {good}").status_code == 429
    other = client.get(URL, HTTP_AUTHORIZATION=f"Bearer {good}", REMOTE_ADDR="10.0.0.7")
    assert other.status_code == 200


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
