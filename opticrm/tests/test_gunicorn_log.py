"""gunicorn's access log never holds a calendar feed's secret token."""

import datetime
import types

from gunicorn.config import Config

from opticrm.gunicorn_conf import AccessLogger


def test_the_feed_token_is_replaced_in_every_place_of_the_access_log():
    logger = AccessLogger(Config())
    token = "s3cr3t-T0ken_abc"
    environ = {
        "REQUEST_METHOD": "GET",
        "RAW_URI": f"/appointments/feed/{token}.ics?x=1",
        "PATH_INFO": f"/appointments/feed/{token}.ics",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_REFERER": f"https://crm.example.de/appointments/feed/{token}.ics",
    }
    response = types.SimpleNamespace(status="200 OK", sent=100, headers=[])
    atoms = logger.atoms(response, [], environ, datetime.timedelta(milliseconds=5))
    assert token not in str(atoms)
    assert atoms["r"] == "GET /appointments/feed/….ics?x=1 HTTP/1.1"
    assert atoms["U"] == "/appointments/feed/….ics"
    # Other addresses are logged as they are.
    environ.update(RAW_URI="/customers/?q=Weber", PATH_INFO="/customers/", HTTP_REFERER="-")
    atoms = logger.atoms(response, [], environ, datetime.timedelta(milliseconds=5))
    assert atoms["r"] == "GET /customers/?q=Weber HTTP/1.1"
