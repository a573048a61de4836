"""The two transports of the export connectors, SFTP and HTTP(S), and their connection test.

Every connection goes through the platform's one SSRF guard (`facturier.engine.net`): the host is
resolved once, its addresses checked (private ones only when the operator allows them), and the
transport is given the already-connected socket — asyncssh speaks SSH over it, `http.client`
speaks HTTP over the pinned connection — so a second DNS answer is never used.

Why asyncssh (rather than paramiko): one library gives both the client and a real SFTP server
(the tests, the demo's `facturier sftp-server`); it takes an already-connected socket; its host
key check runs before any credential is sent; and it pipelines SFTP writes, so a 100 KB file is
one round of requests, not a read-after-each-write.

Each failure says which step failed (`Step`): DNS, TCP, TLS, host key, authentication,
permission, write. A session is sync: it drives its own event loop, which only runs while one of
its calls does, so the caller may use the database between calls.
"""

from __future__ import annotations

import asyncio
import base64
import concurrent.futures
import contextlib
import functools
import hashlib
import hmac
import http.client
import json
import secrets
import socket
import ssl
import threading
import time
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from facturier.engine import net
from facturier.errors import FacturierError


class _LazyAsyncssh:
    """asyncssh (≈ 15 MB resident), imported the first time an SFTP connector needs it rather than by
    every process that loads the connectors (an importing or web process never opens SSH)."""

    def __getattr__(self, name: str):
        import asyncssh as module

        return getattr(module, name)


asyncssh = _LazyAsyncssh()


class Step:
    DNS = "dns"
    TCP = "tcp"
    TLS = "tls"
    HOST_KEY = "host_key"
    AUTHENTICATION = "authentication"
    PERMISSION = "permission"
    WRITE = "write"

    LABELS = {
        DNS: _("Name and address (DNS)"),
        TCP: _("Connection (TCP)"),
        TLS: _("Secure connection (TLS)"),
        HOST_KEY: _("Server identity (host key)"),
        AUTHENTICATION: _("Authentication"),
        PERMISSION: _("Permission on the folder"),
        WRITE: _("Write a test file"),
    }


class StepFailed(FacturierError):
    """A step of a connection or a transfer failed; `step` says which."""

    code = "connector_step"

    def __init__(self, step: str, message, *, temporary: bool = True, **params):
        super().__init__(message, **params)
        self.step = step
        self.temporary = temporary


class HostKeyChanged(StepFailed):
    code = "host_key_changed"

    def __init__(self, *, pinned: str, seen: str):
        super().__init__(Step.HOST_KEY, _(
            "The server's host key changed: it presents %(seen)s, the key pinned for this connector is %(pinned)s. "
            "Nothing was sent and no password was given. If the server was really reinstalled, a settings manager "
            "checks the new fingerprint with its administrator and re-pins it; otherwise someone may be "
            "impersonating the server."), temporary=False, pinned=pinned, seen=seen)
        self.seen = seen


def _engine_message(e) -> str:
    return e.message.in_language(get_language() or "fr")


def _connect(host: str, port: int, *, allow_private: bool, timeout: float) -> socket.socket:
    """DNS (with the SSRF guard), then TCP to a checked address."""
    try:
        resolved = net.resolve_public(host, port, allow_private=allow_private)
    except net.HostRefused as e:
        raise StepFailed(Step.DNS, "%(reason)s (%(address)s)", temporary=False, reason=_engine_message(e),
                         address=e.address)
    except net.HostNotFound as e:
        raise StepFailed(Step.DNS, "%(reason)s", reason=_engine_message(e) + (f" ({host})" if host else ""))
    try:
        sock = net.pinned_connection(resolved, timeout)
    except OSError as e:
        raise StepFailed(Step.TCP, _("No connection to %(host)s port %(port)s: %(reason)s."), host=host, port=port,
                         reason=e.strerror or str(e) or e.__class__.__name__)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # small SFTP requests leave at once
    return sock


# --- SFTP ------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SftpEndpoint:
    host: str
    port: int
    username: str
    password: str = ""
    private_key: str = ""
    folder: str = "."
    host_key: str = ""
    """The pinned host key (OpenSSH public key line); empty before the first successful test."""
    allow_private: bool = False
    timeout: float = 20.0


def fingerprint(key_line: str) -> str:
    return asyncssh.import_public_key(key_line).get_fingerprint("sha256")


@functools.cache
def _client_class() -> type:
    class _Client(asyncssh.SSHClient):
        """Accepts the pinned host key only (any key when none is pinned yet), and remembers the key seen."""

        def __init__(self, pinned: asyncssh.SSHKey | None):
            self.pinned = pinned
            self.seen: asyncssh.SSHKey | None = None

        def validate_host_public_key(self, host, addr, port, key) -> bool:
            self.seen = key
            return self.pinned is None or key.public_data == self.pinned.public_data

    return _Client


class SftpSession:
    """One SSH connection and its SFTP channel, reused for every file of a flush.

    Its event loop runs in a thread of its own, so a file can be uploading (`submit_upload`) while the
    caller records the previous one in the database; the loop never touches the database."""

    def __init__(self, endpoint: SftpEndpoint):
        self.endpoint = endpoint
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="sftp-client", daemon=True)
        self.thread.start()
        self.conn: asyncssh.SSHClientConnection | None = None
        self.sftp: asyncssh.SFTPClient | None = None
        self.host_key = ""
        """The server's host key (OpenSSH line) once connected."""

    def _submit(self, coro) -> concurrent.futures.Future:
        return asyncio.run_coroutine_threadsafe(asyncio.wait_for(coro, self.endpoint.timeout), self.loop)

    def _run(self, coro):
        return self._submit(coro).result()

    def open(self) -> None:
        ep = self.endpoint
        sock = _connect(ep.host, ep.port, allow_private=ep.allow_private, timeout=ep.timeout)
        pinned = asyncssh.import_public_key(ep.host_key) if ep.host_key else None
        client = _client_class()(pinned)
        try:
            keys = [asyncssh.import_private_key(ep.private_key)] if ep.private_key else None
        except (asyncssh.KeyImportError, ValueError) as e:
            sock.close()
            raise StepFailed(Step.AUTHENTICATION, _("The private key cannot be read (%(reason)s): give an "
                                                    "unencrypted OpenSSH or PEM key."), temporary=False, reason=str(e))
        try:
            self.conn = self._run(asyncssh.connect(
                ep.host, ep.port, sock=sock, config=None, client_factory=lambda: client, known_hosts=([], [], []),
                username=ep.username, password=ep.password or None, client_keys=keys, agent_path=None,
                passphrase=None, kbdint_auth=False, login_timeout=ep.timeout))
        except asyncssh.HostKeyNotVerifiable:
            sock.close()
            if pinned is not None and client.seen is not None:
                raise HostKeyChanged(pinned=pinned.get_fingerprint("sha256"),
                                     seen=client.seen.get_fingerprint("sha256"))
            raise StepFailed(Step.HOST_KEY, _("The server's host key could not be verified."), temporary=False)
        except asyncssh.PermissionDenied as e:
            sock.close()
            raise StepFailed(Step.AUTHENTICATION, _("The server refused the user “%(user)s” with this %(what)s "
                                                    "(%(reason)s)."), temporary=False, user=ep.username,
                             what=_("private key") if keys else _("password"), reason=e.reason or "permission denied")
        except (TimeoutError, asyncssh.Error, OSError, ValueError) as e:
            sock.close()
            raise StepFailed(Step.TCP, _("The SSH connection to %(host)s:%(port)s failed: %(reason)s."), host=ep.host,
                             port=ep.port, reason=_reason(e))
        self.host_key = client.seen.export_public_key("openssh").decode().strip() if client.seen else ""
        try:
            self.sftp = self._run(self.conn.start_sftp_client())
        except (TimeoutError, asyncssh.Error, OSError) as e:
            self.close()
            raise StepFailed(Step.PERMISSION, _("The server does not offer SFTP to this user: %(reason)s."),
                             temporary=False, reason=_reason(e))

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.host_key) if self.host_key else ""

    def _path(self, name: str) -> str:
        folder = (self.endpoint.folder or ".").rstrip("/") or "/"
        return f"{folder}/{name}" if folder != "/" else f"/{name}"

    def check_folder(self) -> None:
        try:
            if not self._run(self.sftp.isdir(self.endpoint.folder or ".")):
                raise StepFailed(Step.PERMISSION, _("The remote folder “%(folder)s” does not exist."),
                                 temporary=False, folder=self.endpoint.folder)
        except asyncssh.SFTPError as e:
            raise StepFailed(Step.PERMISSION, _("The remote folder “%(folder)s” cannot be opened: %(reason)s."),
                             temporary=False, folder=self.endpoint.folder, reason=_reason(e))

    def submit_upload(self, name: str, data: bytes) -> concurrent.futures.Future:
        """Start writing the file under a temporary name (nothing visible to the receiver yet); the future
        gives that name, or raises StepFailed (permission or write) with the partial file removed."""
        return self._submit(self._upload(name, data))

    def upload(self, name: str, data: bytes) -> str:
        return self.submit_upload(name, data).result()

    async def _upload(self, name: str, data: bytes) -> str:
        part = self._path(f".{name}.{secrets.token_hex(4)}.part")
        try:
            async with self.sftp.open(part, "wb") as f:
                await f.write(data)
        except asyncssh.SFTPPermissionDenied as e:
            raise StepFailed(Step.PERMISSION, _("Writing in “%(folder)s” is not allowed: %(reason)s."),
                             temporary=False, folder=self.endpoint.folder, reason=_reason(e))
        except (asyncssh.SFTPError, OSError, asyncssh.Error) as e:
            with contextlib.suppress(asyncssh.Error, OSError):
                await self.sftp.remove(part)
            raise StepFailed(Step.WRITE, _("Writing the file failed: %(reason)s."), reason=_reason(e))
        return part

    def publish(self, part: str, name: str) -> None:
        """Give the written file its final name: the moment the receiver sees it (the irreversible step)."""
        target = self._path(name)
        try:
            self._run(self.sftp.posix_rename(part, target))  # replaces a file of the same name, atomically
        except asyncssh.SFTPOpUnsupported:
            self._run(self.sftp.rename(part, target))

    def discard(self, path: str) -> None:
        with contextlib.suppress(asyncssh.Error, OSError, asyncio.TimeoutError, AttributeError):
            self._run(self.sftp.remove(path))

    def close(self) -> None:
        if self.loop.is_closed():
            return
        try:
            if self.conn is not None:
                self._run(self._close())
        except (TimeoutError, asyncssh.Error, OSError):
            pass
        finally:
            self.sftp = self.conn = None
            self.loop.call_soon_threadsafe(self.loop.stop)
            self.thread.join(10)
            self.loop.close()

    async def _close(self) -> None:
        if self.sftp is not None:
            self.sftp.exit()
        self.conn.close()
        await asyncio.wait_for(self.conn.wait_closed(), 5)


def _reason(e: BaseException) -> str:
    if isinstance(e, asyncssh.SFTPError | asyncssh.DisconnectError):
        return e.reason or e.__class__.__name__
    if isinstance(e, asyncio.TimeoutError):
        return "timed out"
    return str(e) or e.__class__.__name__


# --- HTTP(S) ---------------------------------------------------------------------------------------


TEST_HEADER = "X-Facturier-Test"


@dataclass(frozen=True, slots=True)
class HttpEndpoint:
    url: str
    method: str = "POST"
    headers: dict = field(default_factory=dict)
    auth: str = ""
    auth_user: str = ""
    auth_secret: str = ""
    signature_secret: str = ""
    signature_header: str = "X-Facturier-Signature"
    allow_private: bool = False
    ca_file: str = ""
    timeout: float = 20.0


@dataclass(frozen=True, slots=True)
class HttpAnswer:
    status: int
    reason: str
    body: str


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """`t=<unix time>,v1=<hex HMAC-SHA256 of "<t>." + body>` (the receiver recomputes it with the secret)."""
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


class HttpSession:
    """One HTTP(S) connection, kept alive for every request of a flush."""

    def __init__(self, endpoint: HttpEndpoint):
        self.endpoint = endpoint
        parts = urlsplit(endpoint.url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise StepFailed(Step.DNS, _("The URL must start with http:// or https:// and name a server."),
                             temporary=False)
        self.https = parts.scheme == "https"
        self.host = parts.hostname
        self.port = parts.port or (443 if self.https else 80)
        self.path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        self.conn: http.client.HTTPConnection | None = None

    def open(self) -> None:
        ep = self.endpoint
        try:
            resolved = net.resolve_public(self.host, self.port, allow_private=ep.allow_private)
        except net.HostRefused as e:
            raise StepFailed(Step.DNS, "%(reason)s (%(address)s)", temporary=False, reason=_engine_message(e),
                             address=e.address)
        except net.HostNotFound as e:
            raise StepFailed(Step.DNS, "%(reason)s", reason=_engine_message(e) + f" ({self.host})")
        if self.https:
            context = ssl.create_default_context()
            if ep.ca_file:
                context.load_verify_locations(cafile=ep.ca_file)
            conn = net.PinnedHTTPSConnection(resolved, ep.timeout, context=context)
        else:
            conn = net.PinnedHTTPConnection(resolved, ep.timeout)
        try:
            conn.connect()
        except (ssl.SSLError, ssl.CertificateError) as e:
            conn.close()
            raise StepFailed(Step.TLS, _("The secure connection to %(host)s failed: %(reason)s."), host=self.host,
                             reason=getattr(e, "verify_message", None) or str(e))
        except OSError as e:
            conn.close()
            raise StepFailed(Step.TCP, _("No connection to %(host)s port %(port)s: %(reason)s."), host=self.host,
                             port=self.port, reason=e.strerror or str(e) or e.__class__.__name__)
        self.conn = conn

    @property
    def connected(self) -> bool:
        return self.conn is not None and self.conn.sock is not None

    def headers_for(self, body: bytes, *, content_type: str, name: str, key: str, test: bool = False) -> dict:
        ep = self.endpoint
        headers = {str(k): str(v) for k, v in (ep.headers or {}).items()}
        headers.update({"Content-Type": content_type, "Idempotency-Key": key, "X-Facturier-File-Name": name,
                        "User-Agent": "Facturier connector"})
        if test:
            headers[TEST_HEADER] = "1"
        if ep.auth == "bearer" and ep.auth_secret:
            headers["Authorization"] = f"Bearer {ep.auth_secret}"
        elif ep.auth == "basic":
            token = base64.b64encode(f"{ep.auth_user}:{ep.auth_secret}".encode()).decode()
            headers["Authorization"] = f"Basic {token}"
        if ep.signature_secret:
            headers[ep.signature_header or "X-Facturier-Signature"] = signature(
                ep.signature_secret, str(int(time.time())), body)
        return headers

    def send(self, body: bytes, headers: dict) -> HttpAnswer:
        """One request over the kept-alive connection; raises OSError / HTTPException when no answer came."""
        if not self.connected:
            self.open()
        self.conn.request(self.endpoint.method, self.path, body=body, headers=headers)
        response = self.conn.getresponse()
        text = response.read(2000).decode("utf-8", "replace")
        response.read()  # the rest, so the connection can be reused
        if response.will_close:
            self.conn.close()
        return HttpAnswer(response.status, response.reason, text)

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None


# --- the connection test ---------------------------------------------------------------------------


@dataclass(slots=True)
class TestReport:
    steps: list[dict] = field(default_factory=list)
    """[{"step": code, "ok": bool, "message": str}] in order; the failed step, if any, is the last."""
    host_key: str = ""

    @property
    def ok(self) -> bool:
        return bool(self.steps) and all(s["ok"] for s in self.steps)

    def passed(self, step: str, message) -> None:
        self.steps.append({"step": step, "ok": True, "message": str(message)})

    def failed(self, e: StepFailed) -> None:
        self.steps.append({"step": e.step, "ok": False, "message": e.message})


def test_sftp(endpoint: SftpEndpoint) -> TestReport:
    """Connect, check the host key, sign in, open the folder, write and remove a probe file."""
    report = TestReport()
    session = SftpSession(endpoint)
    try:
        session.open()
        report.host_key = session.host_key
        report.passed(Step.DNS, _("%(host)s resolved to an allowed address.") % {"host": endpoint.host})
        report.passed(Step.TCP, _("Connected to port %(port)s.") % {"port": endpoint.port})
        report.passed(Step.HOST_KEY, (_("Host key %(fp)s matches the pinned key.") if endpoint.host_key else
                                      _("Host key %(fp)s, pinned by this test.")) % {"fp": session.fingerprint})
        report.passed(Step.AUTHENTICATION, _("Signed in as %(user)s.") % {"user": endpoint.username})
        session.check_folder()
        report.passed(Step.PERMISSION, _("The folder “%(folder)s” is open.") % {"folder": endpoint.folder})
        part = session.upload("facturier-probe.txt", b"Facturier connection test: this file is removed at once.\n")
        session.discard(part)
        report.passed(Step.WRITE, _("A test file was written and removed."))
    except StepFailed as e:
        _earlier_steps(report, e.step, endpoint.host, endpoint.port, sftp=True)
        report.failed(e)
    finally:
        session.close()
    return report


def test_http(endpoint: HttpEndpoint) -> TestReport:
    """Connect (and secure), then send a test request the receiver recognises by its `X-Facturier-Test`
    header; a 2xx answer passes, 401 is authentication, 403 permission, anything else the write step."""
    report = TestReport()
    session = None
    try:
        session = HttpSession(endpoint)
        session.open()
        report.passed(Step.DNS, _("%(host)s resolved to an allowed address.") % {"host": session.host})
        report.passed(Step.TCP, _("Connected to port %(port)s.") % {"port": session.port})
        if session.https:
            report.passed(Step.TLS, _("The certificate of %(host)s is valid.") % {"host": session.host})
        body = json.dumps({"test": True, "from": "Facturier"}).encode()
        headers = session.headers_for(body, content_type="application/json", name="facturier-test.json",
                                      key=f"test-{secrets.token_hex(8)}", test=True)
        try:
            answer = session.send(body, headers)
        except (OSError, http.client.HTTPException) as e:
            raise StepFailed(Step.WRITE, _("The receiver gave no answer: %(reason)s."), reason=_reason(e))
        if answer.status == 401:
            raise StepFailed(Step.AUTHENTICATION, _("The receiver refused the credentials (HTTP %(status)s %(text)s)."),
                             status=answer.status, text=answer.reason)
        report.passed(Step.AUTHENTICATION, _("Credentials accepted.") if endpoint.auth else _("No credentials needed."))
        if answer.status == 403:
            raise StepFailed(Step.PERMISSION, _("The receiver refused the request (HTTP %(status)s %(text)s)."),
                             status=answer.status, text=answer.reason)
        report.passed(Step.PERMISSION, _("Request allowed."))
        if not 200 <= answer.status < 300:
            raise StepFailed(Step.WRITE, _("The receiver answered HTTP %(status)s %(text)s to the test request."),
                             status=answer.status, text=answer.reason)
        report.passed(Step.WRITE, _("The test request was accepted (HTTP %(status)s).") % {"status": answer.status})
    except StepFailed as e:
        if session is not None and not report.steps:
            _earlier_steps(report, e.step, session.host, session.port, sftp=False, https=session.https)
        report.failed(e)
    finally:
        if session is not None:
            session.close()
    return report


_ORDER_SFTP = [Step.DNS, Step.TCP, Step.HOST_KEY, Step.AUTHENTICATION, Step.PERMISSION, Step.WRITE]
_ORDER_HTTP = [Step.DNS, Step.TCP, Step.TLS, Step.AUTHENTICATION, Step.PERMISSION, Step.WRITE]


def _earlier_steps(report: TestReport, failed: str, host: str, port: int, *, sftp: bool, https: bool = False) -> None:
    """The steps before the one that failed passed (they are listed as such, once)."""
    done = {s["step"] for s in report.steps}
    order = _ORDER_SFTP if sftp else _ORDER_HTTP
    messages = {Step.DNS: _("%(host)s resolved to an allowed address.") % {"host": host},
                Step.TCP: _("Connected to port %(port)s.") % {"port": port},
                Step.TLS: _("The certificate of %(host)s is valid.") % {"host": host},
                Step.HOST_KEY: _("Host key accepted."),
                Step.AUTHENTICATION: _("Signed in."),
                Step.PERMISSION: _("The folder is open.")}
    for step in order[:order.index(failed)] if failed in order else []:
        if step == Step.TLS and not https:
            continue
        if step not in done:
            report.passed(step, messages.get(step, ""))
