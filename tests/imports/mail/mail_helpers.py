"""Helpers of the import-by-e-mail tests: messages to send, sending them, reading the catcher."""

from __future__ import annotations

import email
import email.policy
from email.message import EmailMessage
from email.utils import make_msgid


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


DOMAIN = "import.facturier.test"
AUTHSERV = "mx.facturier.test"


def caught(organisation) -> list[EmailMessage]:
    from facturier.delivery import catcher

    return [email.message_from_bytes(p.read_bytes(), policy=email.policy.default)
            for p in sorted(catcher.folder_of(organisation.pk).glob("*.eml"))]


def message(*, to: str, sender: str = "erp@supplier.test", files: dict[str, bytes] | None = None,
            subject: str = "Invoices", headers: dict[str, str] | None = None) -> EmailMessage:
    msg = EmailMessage()
    for name, value in (headers or {}).items():
        msg[name] = value
    msg["From"], msg["To"], msg["Subject"] = sender, to, subject
    msg["Message-ID"] = make_msgid(domain="supplier.test")
    msg.set_content("Please find our invoices attached.")
    for name, data in (files or {}).items():
        maintype, subtype = ("application", "pdf") if name.endswith(".pdf") else (
            ("application", "zip") if name.endswith(".zip") else ("application", "xml"))
        msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    return msg


def smtp_send(listener, msg: EmailMessage, *, envelope_from: str, to: list[str]) -> None:
    import smtplib

    with smtplib.SMTP(listener.host, listener.port, timeout=60) as client:
        client.send_message(msg, from_addr=envelope_from, to_addrs=to)


def deliver(listener, msg: EmailMessage, *, envelope_from: str, to: list[str]) -> int:
    """Send by SMTP to the listener, then read what it stored (as its own thread does in the worker)."""
    from facturier.imports.mail_intake import spool_drain

    smtp_send(listener, msg, envelope_from=envelope_from, to=to)
    return spool_drain()
