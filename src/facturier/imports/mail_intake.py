"""Where import mail comes from: the operator's IMAP mailbox (read by a periodic job of the worker) and
the SMTP listener the worker runs. Both hand each message to `mail.receive`, which keeps it once.

The mailbox is the operator's (FACTURIER_IMPORT_IMAP_*): the import domain's mail all lands in one
catch-all mailbox, and the plus-address says which organisation it is for. It is opened by the same
code as the bounce mailboxes (`delivery.imap.open_mailbox`: the platform's one SSRF rule, pinned
address, certificate checked), so a mailbox on a private address needs FACTURIER_MAIL_ALLOW_PRIVATE_HOSTS.
A message is fetched without being marked seen, received (committed), then flagged seen and, when
FACTURIER_IMPORT_IMAP_DONE_FOLDER is set, moved there; a crash between leaves it unseen, and the next
pass finds its key already kept and only flags it. A message above the size cap is not downloaded.

The SMTP listener answers 250 only once the message is kept (`receive` returned); a failure before
that is a 451, and the sending server tries again later. It accepts mail for the import domain only
(never a relay), up to the size cap.
"""

from __future__ import annotations

import asyncio
import logging
import re
import warnings
from dataclasses import dataclass, field
from types import SimpleNamespace

from django.conf import settings
from django.db import close_old_connections

from facturier.imports.mail import Received, receive

log = logging.getLogger(__name__)

_SIZE = re.compile(rb"RFC822\.SIZE (\d+)")


@dataclass(slots=True)
class FetchResult:
    read: int = 0
    kept: int = 0
    errors: list[str] = field(default_factory=list)


def _mailbox_settings() -> SimpleNamespace:
    return SimpleNamespace(imap_host=settings.FACTURIER_IMPORT_IMAP_HOST, imap_port=settings.FACTURIER_IMPORT_IMAP_PORT,
                           imap_security=settings.FACTURIER_IMPORT_IMAP_SECURITY,
                           imap_username=settings.FACTURIER_IMPORT_IMAP_USER,
                           imap_folder=settings.FACTURIER_IMPORT_IMAP_FOLDER)


def _fetched(client, uid: str, what: str) -> bytes:
    typ, data = client.uid("FETCH", uid, f"({what})")
    if typ != "OK":
        raise OSError(f"FETCH {what} of UID {uid} answered {typ}")
    for part in data:
        if isinstance(part, tuple):
            return part[1]
    return b""


def _size(client, uid: str) -> int:
    typ, data = client.uid("FETCH", uid, "(RFC822.SIZE)")
    for part in data if typ == "OK" else []:
        match = _SIZE.search(part[0] if isinstance(part, tuple) else part or b"")
        if match:
            return int(match.group(1))
    raise OSError(f"no RFC822.SIZE for UID {uid}")


def imap_fetch() -> FetchResult:
    """Read the unseen messages of the import mailbox, each once."""
    from imap_tools import AND, MailMessageFlags

    from facturier.delivery import smtp
    from facturier.delivery.imap import open_mailbox

    result = FetchResult()
    ms = _mailbox_settings()
    if not ms.imap_host:
        return result
    cap = settings.FACTURIER_IMPORT_MAIL_MAX_BYTES
    done = settings.FACTURIER_IMPORT_IMAP_DONE_FOLDER
    try:
        with open_mailbox(ms).login(ms.imap_username, settings.FACTURIER_IMPORT_IMAP_PASSWORD,
                                    initial_folder=ms.imap_folder) as box:
            for uid in box.uids(AND(seen=False)):
                size = _size(box.client, uid)
                if size > cap:
                    kept = receive(_fetched(box.client, uid, "BODY.PEEK[HEADER]"), Received("imap"), size=size)
                else:
                    kept = receive(_fetched(box.client, uid, "BODY.PEEK[]"), Received("imap"))
                result.read += 1
                result.kept += kept is not None
                box.flag(uid, MailMessageFlags.SEEN, True)
                if done:
                    box.move(uid, done)
    except smtp.MailError as e:
        result.errors.append(e.message)
    except Exception as e:  # noqa: BLE001 — imap_tools raises many types; the log says which
        result.errors.append(f"{e.__class__.__name__}: {e}")
    for error in result.errors:
        log.error("the import mailbox %s could not be read: %s", ms.imap_host, error)
    return result


# --- SMTP listener --------------------------------------------------------------------------------


class _Handler:
    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        from facturier.imports.mail import domain

        if address.rsplit("@", 1)[-1].lower() != domain():
            return "550 5.7.1 Relaying denied: this server only receives mail for invoice import"
        if len(envelope.rcpt_tos) >= 50:
            return "452 4.5.3 Too many recipients"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        peer = session.peer[0] if session.peer else ""
        received = Received("smtp", envelope_sender=envelope.mail_from or "", recipients=list(envelope.rcpt_tos),
                            trust_auth_results=peer in settings.FACTURIER_IMPORT_SMTP_RELAYS)
        content = envelope.original_content or envelope.content
        try:
            await asyncio.get_running_loop().run_in_executor(None, _receive_in_thread, content, received)
        except Exception:  # noqa: BLE001 — not kept: the sending server must try again
            log.exception("import mail from %s could not be kept", envelope.mail_from or "<>")
            return "451 4.3.0 The message cannot be kept now; try again later"
        return "250 2.0.0 Received"


def _receive_in_thread(content: bytes, received: Received):
    close_old_connections()
    try:
        return receive(content, received)
    finally:
        close_old_connections()


class SmtpListener:
    """The import SMTP server (aiosmtpd, in a thread of the calling process)."""

    def __init__(self, host: str, port: int):
        self.host, self.port = host, port
        self.controller = None

    @classmethod
    def configured(cls) -> SmtpListener | None:
        listen = settings.FACTURIER_IMPORT_SMTP_LISTEN
        if not listen:
            return None
        host, _sep, port = listen.rpartition(":")
        return cls(host.strip("[]") or "127.0.0.1", int(port))

    def start(self) -> SmtpListener:
        from aiosmtpd.controller import Controller

        logging.getLogger("mail.log").setLevel(logging.ERROR)
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", "Requiring AUTH while not requiring TLS")
            self.controller = Controller(_Handler(), hostname=self.host, port=self.port,
                                         data_size_limit=settings.FACTURIER_IMPORT_MAIL_MAX_BYTES,
                                         server_hostname=settings.FACTURIER_IMPORT_MAIL_DOMAIN)
            self.controller.start()
        log.info("import mail: SMTP listener on %s:%s", self.host, self.port)
        return self

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    def __enter__(self) -> SmtpListener:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
