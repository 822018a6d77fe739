"""A real SMTP server on loopback (aiosmtpd), for tests that send and read mail back."""
import email
import email.policy
import pytest
from aiosmtpd.controller import Controller


class Inbox:
    """Collects every message the server accepts, parsed."""

    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
        return "250 Message accepted for delivery"


class EphemeralController(Controller):
    """Binds port 0 (the kernel picks a free port) and learns which port it got."""

    def _trigger_server(self):
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()


class SmtpServer:
    """Start on port 0; `stop()` then `start()` brings it back on the same port (an outage)."""

    def __init__(self):
        self.inbox = Inbox()
        self.port = 0
        self.controller = None

    @property
    def messages(self):
        return self.inbox.messages

    def start(self):
        self.controller = EphemeralController(self.inbox, hostname="127.0.0.1", port=self.port)
        self.controller.start()
        self.port = self.controller.port

    def stop(self):
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


@pytest.fixture
def smtp_server():
    server = SmtpServer()
    server.start()
    yield server
    server.stop()


def smtp_config(server: SmtpServer) -> dict:
    return {"MAIL_SERVER": "127.0.0.1", "MAIL_PORT": server.port,
            "MAIL_DEFAULT_SENDER": "Mag R&R <care@shop.test>", "MAIL_TIMEOUT": 5}
