"""Where import mail comes from: the operator's IMAP mailbox (read by a periodic job of the worker) and
the SMTP listener the worker runs. Both hand each message to `mail.receive`, which keeps it once.

The mailbox is the operator's (FACTURIER_IMPORT_IMAP_*): the import domain's mail all lands in one
catch-all mailbox, and the plus-address says which organisation it is for. It is opened by the same
code as the bounce mailboxes (`delivery.imap.open_mailbox`: the platform's one SSRF rule, pinned
address, certificate checked), so a mailbox on a private address needs FACTURIER_MAIL_ALLOW_PRIVATE_HOSTS.
A message is fetched without being marked seen, received (committed), then flagged seen and, when
FACTURIER_IMPORT_IMAP_DONE_FOLDER is set, moved there; a crash between leaves it unseen, and the next
pass finds its key already kept and only flags it. A message above the size cap is not downloaded.

The SMTP listener answers 250 only once the message is stored: written whole to the spool folder
(DATA_DIR/mail-import/spool, fsync'ed, then renamed); a failure before that is a 451, and the sending
server tries again later. The listener's own thread then reads the spool (`spool_drain`: each file is
received, then deleted), and reads it again at start, so a message stored before a crash is imported
after the restart — once, thanks to its key. It accepts mail for the import domain only (never a
relay), up to the size cap.
"""

from __future__ import annotations

import json
import logging
import os
import re
import secrets
import threading
import warnings
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace

from django.conf import settings

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


def spool() -> Path:
    from facturier.private_files import private_dir

    return private_dir(Path(settings.DATA_DIR) / "mail-import" / "spool")


def spool_store(content: bytes, received: Received) -> Path:
    """Keep one message durably (whole or not at all) before the SMTP answer says it is taken."""
    from facturier.private_files import write_private

    folder = spool()
    envelope = json.dumps({"sender": received.envelope_sender, "recipients": received.recipients,
                           "trusted": received.trust_auth_results}).encode()
    target = folder / f"{os.getpid()}-{secrets.token_hex(8)}.eml"
    partial = target.with_suffix(".part")
    write_private(partial, envelope + b"\n" + content)
    with partial.open("rb") as fh:
        os.fsync(fh.fileno())
    partial.replace(target)
    return target


def spool_drain() -> int:
    """Receive every stored message, oldest first, deleting each once received; the number read.

    A message whose reading fails (the database down…) stays for the next drain."""
    done = 0
    for path in sorted(spool().glob("*.eml"), key=lambda p: p.stat().st_mtime):
        try:
            envelope, _sep, content = path.read_bytes().partition(b"\n")
            meta = json.loads(envelope)
            receive(content, Received("smtp", envelope_sender=meta["sender"] or "", recipients=meta["recipients"],
                                      trust_auth_results=bool(meta["trusted"])))
        except FileNotFoundError:
            continue  # drained meanwhile
        except Exception:  # noqa: BLE001 — kept in the spool, read again at the next drain
            log.exception("the spooled import message %s could not be read; it stays in the spool", path.name)
            continue
        path.unlink(missing_ok=True)
        done += 1
    return done


class _Handler:
    def __init__(self, listener: SmtpListener):
        self.listener = listener

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
        try:
            spool_store(envelope.original_content or envelope.content, received)
        except OSError:
            log.exception("import mail from %s could not be stored", envelope.mail_from or "<>")
            return "451 4.3.0 The message cannot be stored now; try again later"
        self.listener.drain_soon()
        return "250 2.0.0 Stored for import"


class SmtpListener:
    """The import SMTP server (aiosmtpd, in a thread of the calling process), and one thread that
    reads what it stored. `drain=False` leaves the spool to whoever calls `spool_drain()`."""

    def __init__(self, host: str, port: int, *, drain: bool = True):
        self.host, self.port, self.drain = host, port, drain
        self.controller = None
        self._reader: ThreadPoolExecutor | None = None
        self._pending = threading.Semaphore(2)  # one drain running, one waiting: enough to miss nothing

    @classmethod
    def configured(cls) -> SmtpListener | None:
        listen = settings.FACTURIER_IMPORT_SMTP_LISTEN
        if not listen:
            return None
        host, _sep, port = listen.rpartition(":")
        return cls(host.strip("[]") or "127.0.0.1", int(port))

    def drain_soon(self) -> None:
        if self._reader is not None and self._pending.acquire(blocking=False):
            self._reader.submit(self._drain)

    def _drain(self) -> None:
        from django.db import close_old_connections

        try:
            close_old_connections()
            spool_drain()
        finally:
            close_old_connections()
            self._pending.release()

    def start(self) -> SmtpListener:
        from aiosmtpd.controller import Controller

        spool()
        if self.drain:
            self._reader = ThreadPoolExecutor(max_workers=1, thread_name_prefix="import-mail")
            self.drain_soon()  # what an earlier run stored and did not read
        logging.getLogger("mail.log").setLevel(logging.ERROR)
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", "Requiring AUTH while not requiring TLS")
            self.controller = Controller(_Handler(self), hostname=self.host, port=self.port,
                                         data_size_limit=settings.FACTURIER_IMPORT_MAIL_MAX_BYTES,
                                         server_hostname=settings.FACTURIER_IMPORT_MAIL_DOMAIN)
            self.controller.start()
        log.info("import mail: SMTP listener on %s:%s", self.host, self.port)
        return self

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None
        if self._reader is not None:
            self._reader.shutdown(wait=True)
            self._reader = None

    def __enter__(self) -> SmtpListener:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
