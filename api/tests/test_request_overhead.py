"""An API call pays only for what it uses (issue 25): its key is verified
once every few seconds per worker, and the page-only middleware (session,
login, messages, htmx, live counters) steps aside."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from api import services as api_services
from api.models import ApiKey
from customers.tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def still_clock(monkeypatch):
    now = [1_000.0]
    monkeypatch.setattr(api_services, "clock", lambda: now[0])
    return now


@pytest.fixture
def key_and_auth():
    key, raw = api_services.api_key_create(name="Webshop")
    return key, {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


def detail_queries(client, auth, customer) -> tuple[int, list[str]]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(f"/api/v1/customers/{customer.pk}", **auth)
    return response.status_code, [query["sql"] for query in captured.captured_queries]


def test_a_verified_key_is_not_looked_up_again_for_a_few_seconds(
    client, key_and_auth, still_clock, settings
):
    settings.API_KEY_CACHE_SECONDS = 5
    _key, auth = key_and_auth
    customer = factories.customer()
    status, first = detail_queries(client, auth, customer)
    assert status == 200 and any("api_apikey" in sql for sql in first)
    still_clock[0] += 4
    status, cached = detail_queries(client, auth, customer)
    assert status == 200
    assert not [sql for sql in cached if "api_apikey" in sql]
    # The rate count and the customer: nothing else.
    assert len(cached) == 2, cached
    still_clock[0] += 2
    status, again = detail_queries(client, auth, customer)
    assert status == 200 and any("api_apikey" in sql for sql in again)


def test_a_key_revoked_elsewhere_is_refused_within_the_cache_time(
    client, key_and_auth, still_clock, settings
):
    settings.API_KEY_CACHE_SECONDS = 5
    key, auth = key_and_auth
    customer = factories.customer()
    assert detail_queries(client, auth, customer)[0] == 200
    # As another worker's (or the admin's) revocation: no signal reaches here.
    ApiKey.objects.filter(pk=key.pk).update(revoked_at=timezone.now())
    still_clock[0] += 1
    assert detail_queries(client, auth, customer)[0] == 200  # still trusted, for seconds
    still_clock[0] += 5
    assert detail_queries(client, auth, customer)[0] == 401


def test_a_key_revoked_or_changed_in_this_process_takes_effect_at_once(
    client, key_and_auth, still_clock
):
    key, auth = key_and_auth
    customer = factories.customer()
    assert detail_queries(client, auth, customer)[0] == 200
    key.read_only = True
    key.save()  # as the admin saves it
    response = client.put(
        f"/api/v1/customers/{customer.pk}",
        {"notes": "x"},
        content_type="application/json",
        **auth,
    )
    assert response.status_code == 403
    api_services.api_key_revoke(key_id=key.pk)
    assert detail_queries(client, auth, customer)[0] == 401


def test_an_api_call_leaves_sessions_and_cookies_alone(client, key_and_auth, staff):
    """Even with a logged-in browser's cookie: no session is read or saved,
    no cookie set, and the answer does not vary by cookie."""
    _key, auth = key_and_auth
    client.force_login(staff)
    customer = factories.customer()
    status, sqls = detail_queries(client, auth, customer)
    assert status == 200
    assert not [sql for sql in sqls if "django_session" in sql or "live_" in sql]
    response = client.get(f"/api/v1/customers/{customer.pk}", **auth)
    assert not response.cookies
    assert "Cookie" not in response.get("Vary", "")
    # The session alone opens nothing: the API wants its key.
    assert client.get(f"/api/v1/customers/{customer.pk}").status_code == 401
