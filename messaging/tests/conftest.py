import datetime
import threading

import pytest
from django.utils import timezone

from messaging.models import MessageSettings
from messaging.tests.servers import API_KEY, FakeSeven, SmtpSink, use_email_url


def quiet_hours_away_from(moment: datetime.datetime) -> tuple[datetime.time, datetime.time]:
    """Quiet hours of one hour, twelve hours from ``moment``: a test that
    sends "now" behaves the same at any time of day."""
    start = timezone.localtime(moment) + datetime.timedelta(hours=12)
    return start.time().replace(second=0, microsecond=0), (
        start + datetime.timedelta(hours=1)
    ).time().replace(second=0, microsecond=0)


@pytest.fixture
def daytime(db):
    """The shop's message settings with the quiet hours away from now."""
    cfg = MessageSettings.objects.get(pk=1)
    cfg.quiet_from, cfg.quiet_until = quiet_hours_away_from(timezone.now())
    cfg.save()
    return cfg


@pytest.fixture
def night(db):
    """The shop's message settings with the quiet hours around now."""
    cfg = MessageSettings.objects.get(pk=1)
    now = timezone.localtime()
    cfg.quiet_from = (now - datetime.timedelta(hours=1)).time().replace(second=0, microsecond=0)
    cfg.quiet_until = (now + datetime.timedelta(hours=1)).time().replace(second=0, microsecond=0)
    cfg.save()
    return cfg


# --- Servers the product talks to, on loopback ---------------------------------


@pytest.fixture
def smtp_server(settings):
    sink = SmtpSink()
    sink.controller.start()
    use_email_url(settings, sink.url)
    yield sink
    sink.controller.stop()


@pytest.fixture
def seven(settings):
    server = FakeSeven()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    settings.SMS_BACKEND = "messaging.sms.SevenBackend"
    settings.SMS_OPTIONS = {"API_KEY": API_KEY, "API_URL": server.url, "TIMEOUT": 0.5}
    settings.SMS_SENDER = "OptikMayer"
    yield server
    server.release.set()
    server.shutdown()
    server.server_close()
    thread.join(5)


@pytest.fixture
def smtp_sink():
    sink = SmtpSink()
    sink.controller.start()
    yield sink
    sink.controller.stop()
