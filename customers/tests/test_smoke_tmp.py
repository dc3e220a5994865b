import pytest

pytestmark = pytest.mark.django_db


def test_list_renders(staff_client):
    response = staff_client.get("/customers/")
    assert response.status_code == 200
    assert "Kunden" in response.content.decode()
