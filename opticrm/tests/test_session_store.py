import datetime

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.urls import reverse
from django.utils import timezone

from opticrm.lib.session_store import SessionStore

pytestmark = pytest.mark.django_db


def test_a_saved_session_is_read_back():
    store = SessionStore()
    store["cart"] = {"frame": 7}
    store.save()
    again = SessionStore(store.session_key)
    assert again["cart"] == {"frame": 7}
    assert again.session_key == store.session_key


def test_an_expired_or_unknown_session_is_empty_and_its_key_not_reused():
    store = SessionStore()
    store["x"] = 1
    store.save()
    Session.objects.filter(pk=store.session_key).update(
        expire_date=timezone.now() - datetime.timedelta(seconds=1)
    )
    expired = SessionStore(store.session_key)
    assert expired.load() == {}
    assert expired.session_key is None
    unknown = SessionStore("abcdefgh12345678")
    assert unknown.load() == {}
    assert unknown.session_key is None


def test_signing_in_and_out_works_with_it(client, staff, password):
    assert settings.SESSION_ENGINE == "opticrm.lib.session_store"
    response = client.post(reverse("login"), {"username": "empfang", "password": password})
    assert response.status_code == 302
    assert client.get(reverse("customers:list")).status_code == 200
    client.post(reverse("logout"))
    assert client.get(reverse("customers:list")).status_code == 302
