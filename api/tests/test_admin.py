"""API keys in the admin: created with the secret shown once, revoked, never deleted."""

import pytest

from api import services
from api.models import ApiKey

pytestmark = pytest.mark.django_db


def test_owner_creates_a_key_and_sees_it_once(owner_client):
    response = owner_client.post(
        "/admin/api/apikey/add/", {"name": "Labor Müller", "read_only": "on"}, follow=True
    )
    assert response.status_code == 200
    key = ApiKey.objects.get()
    assert key.read_only and key.name == "Labor Müller"
    shown = [str(m) for m in response.context["messages"]]
    assert len(shown) >= 1
    secret = next(m for m in shown if "nur dieses eine Mal" in m).rsplit(" ", 1)[-1]
    assert services.api_key_for(secret) == key
    # Afterwards only the beginning of the key is visible.
    page = owner_client.get(f"/admin/api/apikey/{key.pk}/change/").content.decode()
    assert key.prefix in page and secret not in page


def test_revoke_action_and_no_delete(owner_client):
    key, raw = services.api_key_create(name="Alt")
    owner_client.post(
        "/admin/api/apikey/", {"action": "revoke", "_selected_action": [key.pk]}, follow=True
    )
    key.refresh_from_db()
    assert key.revoked_at is not None
    assert services.api_key_for(raw) is None
    assert owner_client.get(f"/admin/api/apikey/{key.pk}/delete/").status_code in (403, 302)


def test_staff_cannot_manage_keys(staff_client):
    assert staff_client.get("/admin/api/apikey/").status_code in (302, 403)
