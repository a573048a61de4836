"""Helpers shared by the delivery tests: free loopback ports and the in-test SMTP server's parts."""

from __future__ import annotations

import email
import email.policy
import socket
import threading
from dataclasses import dataclass, field

SMTP_USER = "mailer@acme.test"
SMTP_PASSWORD = "s3cret-smtp"
IMAP_USER = "bounces"
IMAP_PASSWORD = "s3cret-imap"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    data: bytes

    @property
    def message(self):
        return email.message_from_bytes(self.data, policy=email.policy.default)


@dataclass
class SmtpServer:
    host: str
    port: int
    messages: list[Received] = field(default_factory=list)
    connections: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def by_message_id(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for received in self.messages:
            mid = received.message["Message-ID"]
            counts[mid] = counts.get(mid, 0) + 1
        return counts


class _Handler:
    """Accepts everything but addresses that say otherwise: "invalid" → 550, "busy" → 451; a message to
    "vanish…" is taken, then the connection drops before the answer (the sender cannot know)."""

    def __init__(self, server: SmtpServer):
        self.server = server

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.startswith("invalid"):
            return f"550 5.1.1 <{address}>: Recipient address rejected: User unknown"
        if address.startswith("busy"):
            return "451 4.2.1 Mailbox busy, try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        with self.server.lock:
            self.server.messages.append(Received(envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        if any(address.startswith("vanish") for address in envelope.rcpt_tos):
            server.transport.abort()
        return "250 2.0.0 Message accepted"


def _authenticator(server, session, envelope, mechanism, auth_data):
    from aiosmtpd.smtp import AuthResult, LoginPassword

    ok = isinstance(auth_data, LoginPassword) and auth_data.login.decode() == SMTP_USER \
        and auth_data.password.decode() == SMTP_PASSWORD
    return AuthResult(success=ok, handled=False)
