"""Every page that takes a POST refuses one without the CSRF token: a
signed-in user's browser cannot be made to post from another site."""

import pytest
from django.test import Client
from django.urls import resolve

from opticrm.tests.test_hostile_input import _urls, records  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db

# Exempt on purpose: the REST API authenticates each request by its key, not
# by a session a foreign site could ride on. The unsubscribe link of recall
# e-mails: the signed token in the URL is the only authority (no session is
# read), and mail programs post it without a token (RFC 8058 one-click); the
# SMS gateway's delivery reports, authorised by the secret in their URL.
EXEMPT_PREFIXES = ("/api/", "/messaging/abmelden/", "/messaging/sms/report/")


def test_every_page_refuses_a_post_without_the_csrf_token(owner, records):  # noqa: F811
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(owner)
    # The browser holds the CSRF cookie (a foreign site cannot read it).
    browser.get("/customers/")
    assert "csrftoken" in browser.cookies
    urls = _urls(records) + ["/logout/", "/password/change/", "/admin/"]
    refused, failures = 0, []
    for url in urls:
        if url.startswith(EXEMPT_PREFIXES) or "^" in url:
            continue
        assert not getattr(resolve(url.split("?")[0]).func, "csrf_exempt", False), url
        for headers in ({}, {"HX-Request": "true"}):
            response = browser.post(url, {"name": "x"}, headers=headers)
            if response.status_code == 403 and "CSRF" in response.content.decode():
                refused += 1
            else:
                failures.append((url, bool(headers), response.status_code))
    assert failures == []
    assert refused >= 60
    # The user is still signed in: the refused logout did not log out.
    assert browser.get("/customers/").status_code == 200


def test_with_the_token_the_same_post_goes_through(owner, records):  # noqa: F811
    """The control: the 403 above is the missing token, nothing else."""
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(owner)
    browser.get("/customers/new/")
    token = browser.cookies["csrftoken"].value
    response = browser.post(
        "/customers/new/",
        {"first_name": "Carla", "last_name": "Csrf", "status": "active"},
        headers={"X-CSRFToken": token},
    )
    assert response.status_code in (200, 302)
    assert "CSRF" not in response.content.decode()
