"""The change counters and the poll every open page makes."""

import pytest
from django.db import transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from customers.tests.factories import customer as make_customer
from live import selectors
from live.tests.conftest import live_meta
from products.tests.factories import product as make_product

pytestmark = pytest.mark.django_db(transaction=True)

CHANGES_URL = "/live/changes/"


@pytest.fixture(autouse=True)
def production_cache_age(settings):
    """The half-second counter cache of production (the test settings turn it off)."""
    settings.LIVE_COUNTER_MAX_AGE = 0.5


def counters() -> dict[str, int]:
    selectors.forget_change_counters()
    return selectors.change_counters()


def poll_headers(client) -> dict[str, str]:
    """What live.js sends: the pass from the page it runs in."""
    meta = live_meta(client.get(reverse("customers:list")).content.decode())
    return {"X-Live-Pass": meta["pass"]}


def test_a_committed_change_moves_its_topic_once_per_transaction():
    before = counters()
    with transaction.atomic():
        first = make_customer(last_name="Becker")
        make_customer(last_name="Weber")
        first.notes = "Gleitsicht"
        first.save()
    after = counters()
    assert after["customer"] == before["customer"] + 1
    assert after["appointment"] == before["appointment"]
    assert after["product"] == before["product"]


def test_a_rolled_back_change_moves_nothing():
    before = counters()
    with pytest.raises(RuntimeError), transaction.atomic():
        make_customer()
        raise RuntimeError
    assert counters() == before


def test_a_change_only_in_a_rolled_back_savepoint_moves_nothing():
    before = counters()
    with transaction.atomic():
        make_product()
        try:
            with transaction.atomic():
                make_customer()
                raise RuntimeError
        except RuntimeError:
            pass
    after = counters()
    assert after["customer"] == before["customer"]
    assert after["product"] == before["product"] + 1


def test_changes_made_outside_the_app_count_too(other_connection):
    """A second connection (psql, another app instance) updates a row."""
    customer = make_customer(last_name="Huber")
    before = counters()
    other_connection.execute(
        "UPDATE customers_customer SET notes = 'per SQL' WHERE id = %s", [customer.pk]
    )
    other_connection.execute("UPDATE customers_customer SET notes = 'noch einmal'")
    assert counters()["customer"] == before["customer"] + 2


def test_the_counter_row_comes_back_after_a_truncate(other_connection):
    other_connection.execute("TRUNCATE live_changecounter")
    assert counters() == dict.fromkeys(counters(), 0)
    make_customer()
    assert counters()["customer"] == 1


def test_the_poll_needs_the_pass_of_the_session_that_sends_it(staff_client, client):
    headers = poll_headers(staff_client)
    assert staff_client.get(CHANGES_URL, headers=headers).status_code == 200
    assert staff_client.get(CHANGES_URL).status_code == 403
    assert staff_client.get(CHANGES_URL, headers={"X-Live-Pass": "forged"}).status_code == 403
    # Signed out: the session cookie the pass was bound to is gone.
    staff_client.logout()
    assert staff_client.get(CHANGES_URL, headers=headers).status_code == 403


def test_another_session_cannot_use_a_pass(staff_client, owner, django_user_model):
    headers = poll_headers(staff_client)
    thief = Client()
    thief.force_login(owner)
    assert thief.get(CHANGES_URL, headers=headers).status_code == 403


def test_unchanged_answers_304_without_touching_the_database(staff_client, monkeypatch):
    monkeypatch.setattr(selectors, "clock", lambda: 500.0)  # no time passes
    headers = poll_headers(staff_client)
    first = staff_client.get(CHANGES_URL, headers=headers)
    assert first.status_code == 200
    assert set(first.json()) == {"customer", "appointment", "product"}  # front desk: no eyes
    assert first["Cache-Control"].startswith("max-age=0")
    with CaptureQueriesContext(transaction.get_connection()) as queries:
        again = staff_client.get(CHANGES_URL, headers={**headers, "If-None-Match": first["ETag"]})
    assert again.status_code == 304
    assert [
        q["sql"] for q in queries.captured_queries
    ] == []  # the counters came from the half-second cache, no session read


def test_a_change_from_a_second_connection_reaches_the_poll_within_two_seconds(
    staff_client, other_connection, monkeypatch, settings
):
    """The promise is "within two seconds": live.js polls once a second and a
    worker answers from counters at most half a second old. Proved with the
    worker's clock in the test's hand, not with the wall clock, so a slow
    machine can neither fail it nor pass it by luck."""
    now = {"t": 1000.0}
    monkeypatch.setattr(selectors, "clock", lambda: now["t"])
    customer = make_customer(last_name="Vogel")
    headers = poll_headers(staff_client)
    etag = staff_client.get(CHANGES_URL, headers=headers)["ETag"]
    other_connection.execute(
        "UPDATE customers_customer SET first_name = 'Vera' WHERE id = %s", [customer.pk]
    )
    # Within the cache age the worker may still answer from before the change ...
    now["t"] += 0.4
    assert (
        staff_client.get(CHANGES_URL, headers={**headers, "If-None-Match": etag}).status_code == 304
    )
    # ... but once the counters are half a second old, the next poll has it:
    # change -> seen is at most 0.5 s of cache plus one 1 s poll interval.
    now["t"] += 0.1
    response = staff_client.get(CHANGES_URL, headers={**headers, "If-None-Match": etag})
    assert response.status_code == 200
    assert response["ETag"] != etag
    assert settings.LIVE_COUNTER_MAX_AGE + settings.LIVE_POLL_INTERVAL_MS / 1000 < 2.0


def test_fifty_idle_tabs_for_a_minute_cost_two_reads_a_second(staff_client, monkeypatch):
    """The idle cost docs/live-updates.md states: 50 tabs, each polling once a second
    for 60 s with nothing changing, cost one counter read per half second in
    a worker process, however many tabs there are; and a change still shows."""
    now = [1000.0]
    monkeypatch.setattr(selectors, "clock", lambda: now[0])
    selectors.forget_change_counters()
    headers = poll_headers(staff_client)
    etag = staff_client.get(CHANGES_URL, headers=headers)["ETag"]
    statuses = set()
    with CaptureQueriesContext(transaction.get_connection()) as queries:
        for second in range(60):
            for tab in range(50):
                # The 50 tabs spread over the second, as real timers do.
                now[0] = 1000.0 + second + tab / 50
                response = staff_client.get(CHANGES_URL, headers={**headers, "If-None-Match": etag})
                statuses.add(response.status_code)
    assert statuses == {304}
    # One read per half second: 120 in the minute, the first made before the loop.
    assert len(queries) == 119
    assert all("live_changecounter" in query["sql"] for query in queries.captured_queries)

    make_customer()
    now[0] += 0.5
    changed = staff_client.get(CHANGES_URL, headers={**headers, "If-None-Match": etag})
    assert changed.status_code == 200


def test_the_poll_shows_only_the_topics_the_user_may_see(staff_client, optician):
    assert set(staff_client.get(CHANGES_URL, headers=poll_headers(staff_client)).json()) == {
        "customer",
        "appointment",
        "product",
    }
    optician_client = Client()
    optician_client.force_login(optician)
    answer = optician_client.get(CHANGES_URL, headers=poll_headers(optician_client))
    assert "prescription" in answer.json()


def test_a_tab_gets_a_new_pass_after_signing_in_again_elsewhere(client, staff, password):
    client.login(username=staff.username, password=password)
    old = poll_headers(client)
    # Signed out and in again (in another tab): the session cookie is a new one.
    client.logout()
    client.login(username=staff.username, password=password)
    assert client.get(CHANGES_URL, headers=old).status_code == 403
    fresh = client.get(reverse("live:pass")).json()["pass"]
    assert client.get(CHANGES_URL, headers={"X-Live-Pass": fresh}).status_code == 200
    client.logout()
    assert client.get(reverse("live:pass")).status_code == 302  # to the login


def test_a_database_outage_answers_503_not_an_error_page(staff_client, other_connection):
    headers = poll_headers(staff_client)
    selectors.forget_change_counters()
    # The table is locked away by another session: the read gives up at once.
    other_connection.execute("BEGIN")
    other_connection.execute("LOCK TABLE live_changecounter IN ACCESS EXCLUSIVE MODE")
    with transaction.get_connection().cursor() as cursor:
        cursor.execute("SET lock_timeout = '50ms'")
    try:
        response = staff_client.get(CHANGES_URL, headers=headers)
    finally:
        other_connection.execute("ROLLBACK")
        with transaction.get_connection().cursor() as cursor:
            cursor.execute("RESET lock_timeout")
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    # Remembered for a few seconds: the next tabs are told so without a query.
    with CaptureQueriesContext(transaction.get_connection()) as queries:
        again = staff_client.get(CHANGES_URL, headers=headers)
    assert again.status_code == 503
    assert len(queries) == 0


def test_the_idle_cost_command_measures_a_running_server(live_server, owner):
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    options = {"url": live_server.url, "tabs": 3, "seconds": 2, "username": owner.username}
    call_command("live_idle_cost", **options, stdout=out)
    report = out.getvalue()
    # Every tab's first poll gets the counters, the next ones "nothing changed".
    assert "answers: {200: 3, 304: 3}" in report
    assert "database:" in report and "transactions" in report
