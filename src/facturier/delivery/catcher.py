"""The local mail catcher: an SMTP server on loopback that `facturier run` starts, which keeps
every message it receives for the organisation that sent it, to be read at /mail/.

A newcomer sees the whole e-mail flow without a mail server: the demo organisation's mail
settings point at the catcher, its worker sends there, and the screens show what was "sent".

Each organisation signs in to the catcher with its own name and a password derived from the
platform's secret key, so a message lands in the mailbox of the organisation that sent it, and
nobody else on the machine can drop one into it. The SSRF guard of `smtp.resolve_checked` lets an
organisation reach exactly the catcher's loopback address and port, published while it runs in
`DATA_DIR/mail-catcher/address` (with the owner's process id, so a stale file is ignored).
Messages are written as .eml files under `DATA_DIR/mail-catcher/org-<id>/`, so they outlive
restarts. `FACTURIER_MAIL_CATCHER` (`on`/`off`) decides whether `facturier run` starts it; by
default it is on only for the embedded local setup (SQLite, served on a loopback address).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import secrets
import socket
import warnings
from pathlib import Path
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.crypto import constant_time_compare, salted_hmac

from facturier.private_files import private_dir, write_private

HOST = "127.0.0.1"
USER_PREFIX = "catcher-org-"

log = logging.getLogger(__name__)


def root() -> Path:
    return Path(settings.DATA_DIR) / "mail-catcher"


def folder_of(organisation_id: int) -> Path:
    return root() / f"org-{int(organisation_id)}"


def wanted() -> bool:
    """Whether `facturier run` starts the catcher: FACTURIER_MAIL_CATCHER, else the local default."""
    from facturier.config import env

    value = (env.raw("FACTURIER_MAIL_CATCHER") or "").strip().lower()
    if value in ("on", "true", "yes", "1"):
        return True
    if value in ("off", "false", "no", "0"):
        return False
    if value not in ("", "auto"):
        raise ImproperlyConfigured(f"FACTURIER_MAIL_CATCHER must be on or off, not {value!r}.")
    host = urlsplit(settings.FACTURIER_BASE_URL).hostname or ""
    return _embedded_database() and host in ("127.0.0.1", "localhost", "::1")


def _embedded_database() -> bool:
    return settings.DATABASES["default"]["ENGINE"].endswith("sqlite3")


def credentials(organisation_id: int) -> tuple[str, str]:
    """The user name and password with which an organisation signs in to the catcher."""
    password = salted_hmac("facturier.delivery.catcher", str(int(organisation_id)),
                           algorithm="sha256").hexdigest()[:40]
    return f"{USER_PREFIX}{int(organisation_id)}", password


def _organisation_of(login: bytes, password: bytes) -> int | None:
    name = login.decode("utf-8", "replace")
    if not name.startswith(USER_PREFIX) or not name[len(USER_PREFIX):].isdigit():
        return None
    organisation_id = int(name[len(USER_PREFIX):])
    expected = credentials(organisation_id)[1]
    return organisation_id if constant_time_compare(password.decode("utf-8", "replace"), expected) else None


def address() -> tuple[str, int] | None:
    """The running catcher's (host, port), or None when none runs."""
    try:
        published = json.loads((root() / "address").read_text())
        host, port, pid = published["host"], int(published["port"]), int(published["pid"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None  # left by a process that died
    except PermissionError:
        pass  # alive, under another user
    return host, port


def is_catcher(addresses: list[str], port: int) -> bool:
    """True when a mail server resolves to the running catcher and nothing else (the SSRF guard's exception)."""
    running = address()
    return running is not None and port == running[1] and bool(addresses) and set(addresses) == {running[0]}


def store(organisation_id: int, *, mail_from: str, rcpt_tos: list[str], content: bytes) -> Path:
    """Keep one caught message for an organisation (written whole, then renamed: never half a file)."""
    folder = private_dir(folder_of(organisation_id))
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%fZ")
    target = folder / f"{stamp}-{secrets.token_hex(6)}.eml"
    envelope = (f"Return-Path: <{mail_from}>\r\nX-Original-To: {', '.join(rcpt_tos)}\r\n"
                .encode("ascii", "replace"))
    partial = target.with_suffix(".part")
    write_private(partial, envelope + content)
    partial.replace(target)
    return target


class _Handler:
    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        if session.auth_data is None:
            return "530 5.7.0 Authentication required"
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        try:
            store(session.auth_data, mail_from=envelope.mail_from, rcpt_tos=list(envelope.rcpt_tos),
                  content=envelope.original_content or envelope.content)
        except OSError as e:
            log.error("mail catcher: cannot keep a message: %s", e)
            return "451 4.3.0 Cannot store the message now"
        return "250 2.0.0 Caught"


def _authenticator(server, session, envelope, mechanism, auth_data):
    from aiosmtpd.smtp import AuthResult, LoginPassword

    if not isinstance(auth_data, LoginPassword):
        return AuthResult(success=False, handled=False)
    organisation_id = _organisation_of(auth_data.login, auth_data.password)
    return AuthResult(success=organisation_id is not None, handled=False, auth_data=organisation_id)


def _free_port(preferred: int | None) -> int:
    for port in (preferred, 0):
        if port is None:
            continue
        with socket.socket() as s:
            try:
                s.bind((HOST, port))
            except OSError:
                continue
            return s.getsockname()[1]
    raise OSError("no free loopback port")


class MailCatcher:
    """The catcher's SMTP server (aiosmtpd, in a thread of the calling process)."""

    def __init__(self, *, port: int | None = None):
        self.host = HOST
        self.port = _free_port(port)
        self.controller = None

    def start(self) -> MailCatcher:
        from aiosmtpd.controller import Controller

        logging.getLogger("mail.log").setLevel(logging.ERROR)  # aiosmtpd narrates every command, and warns on each AUTH
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", "Requiring AUTH while not requiring TLS")  # loopback only
            self.controller = Controller(_Handler(), hostname=self.host, port=self.port,
                                         authenticator=_authenticator, auth_require_tls=False,
                                         data_size_limit=50 * 1024 * 1024)
            self.controller.start()
        private_dir(root())
        published = root() / "address.part"
        write_private(published, json.dumps({"host": self.host, "port": self.port, "pid": os.getpid()}).encode())
        published.replace(root() / "address")
        return self

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None
        running = address()
        if running == (self.host, self.port):
            (root() / "address").unlink(missing_ok=True)

    def __enter__(self) -> MailCatcher:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def points_at_catcher(ms) -> bool:
    return ms.username.startswith(USER_PREFIX)


def catcher_point(*, by, host: str, port: int, sender_address: str = ""):
    """Point the member's organisation's mail settings at the catcher, with the organisation's credentials."""
    from facturier.delivery.models import MailSettings
    from facturier.delivery.services import mail_settings_save

    organisation = by.organisation
    current = MailSettings.objects.filter(organisation=organisation).first()
    user, password = credentials(organisation.pk)
    if current is not None and (current.host, current.port, current.username) == (host, port, user):
        return current  # already there: no settings change to record
    sender = (current.sender_address if current is not None else "") or sender_address \
        or f"factures@{organisation.slug}.example"
    return mail_settings_save(by=by, host=host, port=port, security="none", username=user, password=password,
                              sender_address=sender,
                              sender_name=(current.sender_name if current is not None else "") or organisation.name)


def catcher_adopt(*, slugs: tuple[str, ...], host: str, port: int) -> list[str]:
    """Point these organisations at the catcher: those without mail settings, or already pointed at a
    catcher (a real server configured by someone is left alone). Returns the slugs pointed."""
    from facturier.accounts.models import Membership, Right
    from facturier.delivery.models import MailSettings

    pointed = []
    for slug in slugs:
        ms = MailSettings.objects.filter(organisation__slug=slug).first()
        if ms is not None and not points_at_catcher(ms):
            continue
        member = next((m for m in Membership.objects.filter(organisation__slug=slug, is_active=True)
                       .select_related("organisation", "user").order_by("id")
                       if m.has_right(Right.MANAGE_SETTINGS)), None)
        if member is not None:
            catcher_point(by=member, host=host, port=port)
            pointed.append(slug)
    return pointed


def catcher_for_run(*, slugs: tuple[str, ...] = ("demo",)) -> MailCatcher | None:
    """For `facturier run`: start the catcher when wanted (on the port of last time when it is free)
    and point these organisations at it."""
    if not wanted():
        return None
    from facturier.delivery.models import MailSettings

    previous = MailSettings.objects.filter(organisation__slug__in=slugs,
                                           username__startswith=USER_PREFIX).values_list("port", flat=True).first()
    try:
        catcher = MailCatcher(port=previous).start()
    except OSError as e:  # the product still runs; only the demo's mail has nowhere to go
        log.warning("The local mail catcher could not start (%s); set FACTURIER_MAIL_CATCHER=off to silence this.", e)
        return None
    catcher_adopt(slugs=slugs, host=catcher.host, port=catcher.port)
    return catcher
