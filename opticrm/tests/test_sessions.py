"""Shared shop PCs: sessions end when idle and after a working day, and no
page with personal data may be kept by a browser or proxy."""

import pytest

from opticrm.lib import middleware

pytestmark = pytest.mark.django_db


@pytest.fixture
def clock(monkeypatch):
    now = {"t": 1_800_000_000.0}
    monkeypatch.setattr(middleware.time, "time", lambda: now["t"])
    return now


def login(client, user, password):
    response = client.post("/login/", {"username": user.username, "password": password})
    assert response.status_code == 302


def test_a_session_ends_after_an_idle_hour_and_the_login_page_says_why(
    client, staff, password, clock
):
    login(client, staff, password)
    clock["t"] += 59 * 60
    assert client.get("/customers/").status_code == 200
    clock["t"] += 59 * 60  # active a minute ago: still in
    assert client.get("/customers/").status_code == 200
    clock["t"] += 61 * 60
    ended = client.get("/customers/?q=Weber")
    assert ended.status_code == 302
    assert ended["Location"] == "/login/?ended=idle&next=%2Fcustomers%2F%3Fq%3DWeber"
    page = client.get(ended["Location"]).content.decode()
    assert "nach einer Weile ohne Aktivität abgemeldet" in page
    assert "_auth_user_id" not in client.session


def test_a_session_ends_eight_hours_after_the_login_however_busy(client, staff, password, clock):
    login(client, staff, password)
    for _ in range(8):
        clock["t"] += 58 * 60
        assert client.get("/customers/").status_code == 200
    clock["t"] += 30 * 60
    ended = client.get("/customers/", headers={"HX-Request": "true"})
    assert ended["HX-Redirect"].startswith("/login/?ended=expired")


def test_the_live_poll_is_no_activity(client, staff, password, clock):
    login(client, staff, password)
    before = dict(client.session.items())
    clock["t"] += 10 * 60
    client.get("/live/changes/")
    assert dict(client.session.items()) == before


@pytest.mark.parametrize(
    "url", ["/customers/", "/products/reorder.csv", "/appointments/day/", "/login/"]
)
def test_pages_and_files_are_not_kept_by_browsers(owner_client, url):
    assert "no-store" in owner_client.get(url)["Cache-Control"]


def test_api_answers_are_not_kept_either(client):
    assert "no-store" in client.get("/api/v1/customers")["Cache-Control"]


def test_static_files_stay_cacheable(client):
    response = client.get("/static/css/app.css")
    assert response.status_code == 200
    assert "no-store" not in response.get("Cache-Control", "")
