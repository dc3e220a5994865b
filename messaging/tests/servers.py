"""Stand-ins for the servers the product talks to, on loopback: an SMTP
server (aiosmtpd) and an HTTP server answering as the SMS gateway does.
The fixtures that start them are in conftest.py."""

import email
import email.policy
import json
import socket
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import environ
from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class SmtpSink:
    """An SMTP server on 127.0.0.1 that keeps every message it receives."""

    def __init__(self):
        self.messages: list[email.message.EmailMessage] = []
        self.envelopes = []
        self.received = threading.Event()
        self.port = free_port()
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook
        self.envelopes.append(envelope)
        self.messages.append(
            email.message_from_bytes(envelope.original_content, policy=email.policy.default)
        )
        self.received.set()
        return "250 Message accepted"


def use_email_url(settings, url: str) -> None:
    """Configure the mail settings from an EMAIL_URL, as opticrm.settings does."""
    for name, value in environ.Env.email_url_config(url).items():
        setattr(settings, name, value)
    settings.EMAIL_TIMEOUT = 5


API_KEY = "test-key-7f3a9c"


class FakeSeven(ThreadingHTTPServer):
    """Answers POST /api/sms as told by `answer`; records every request."""

    daemon_threads = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), SevenHandler)
        self.requests: list[dict] = []
        self.answer = (200, {"success": "100", "messages": [{"id": "77123", "success": True}]})
        self.release = threading.Event()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/api"


class SevenHandler(BaseHTTPRequestHandler):
    def do_POST(self):  # noqa: N802 - http.server's name
        length = int(self.headers.get("Content-Length", 0))
        body = self.rfile.read(length).decode()
        self.server.requests.append(
            {
                "path": self.path,
                "headers": dict(self.headers),
                "form": dict(urllib.parse.parse_qsl(body)),
            }
        )
        status, payload = self.server.answer
        if status == "hang":
            # Longer than the client waits; released when the test ends.
            self.server.release.wait(30)
            return
        data = payload.encode() if isinstance(payload, str) else json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass
