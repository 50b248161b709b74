"""A local SMTP server for tests: aiosmtpd on 127.0.0.1, keeping every message it receives."""

import socket
import threading
import time
from email import message_from_bytes, policy
from email.message import EmailMessage

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Sink:
    """aiosmtpd handler: stores each message parsed, with its envelope recipients.

    ``peers`` has the client's address and port for each message, so a test can tell how many
    connections they came over. Recipients in ``refuse`` are refused as an unknown mailbox.
    """

    def __init__(self):
        self.messages: list[tuple[list[str], EmailMessage]] = []
        self.peers: list[tuple[str, int]] = []
        self.refuse: set[str] = set()
        self.lock = threading.Lock()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802
        if address in self.refuse:
            return "550 5.1.1 No such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        parsed = message_from_bytes(envelope.content, policy=policy.default)
        with self.lock:
            self.messages.append((list(envelope.rcpt_tos), parsed))
            self.peers.append(tuple(session.peer[:2]))
        return "250 Message accepted for delivery"

    def received(self) -> list[tuple[list[str], EmailMessage]]:
        with self.lock:
            return list(self.messages)

    def wait_for(self, count: int, timeout: float = 90) -> list[tuple[list[str], EmailMessage]]:
        deadline = time.monotonic() + timeout
        while len(self.received()) < count and time.monotonic() < deadline:
            time.sleep(0.2)
        return self.received()


class SmtpServer:
    """Start with ``with SmtpServer() as server:``; ``server.port`` and ``server.sink``."""

    def __init__(self):
        self.sink = Sink()
        self.port = free_port()
        self.controller = Controller(self.sink, hostname="127.0.0.1", port=self.port)

    def __enter__(self) -> "SmtpServer":
        self.controller.start()
        return self

    def __exit__(self, *exc) -> None:
        self.controller.stop()
