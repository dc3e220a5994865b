import pytest
from django.db import connection


@pytest.mark.django_db
def test_health_ok_without_login(client):
    response = client.get("/health/")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}


# transaction=True: the test closes the real connection, which the usual
# per-test transaction would not survive.
@pytest.mark.django_db(transaction=True)
def test_health_reports_unreachable_database(client):
    settings_dict = connection.settings_dict
    saved = dict(settings_dict)
    connection.close()
    # A port nothing listens on, over TCP: the real failure, no mock.
    settings_dict.update(HOST="127.0.0.1", PORT="1", OPTIONS={"connect_timeout": 2})
    try:
        response = client.get("/health/")
    finally:
        connection.close()
        settings_dict.clear()
        settings_dict.update(saved)
    assert response.status_code == 503
    assert response.json()["database"] == "error"
    assert client.get("/health/").status_code == 200
