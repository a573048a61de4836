"""Real receivers on loopback for the connector tests: asyncssh's SFTP server rooted in a temporary
folder, and an HTTP server (http.server in a thread) that checks each request's HMAC signature."""

from __future__ import annotations

import hashlib
import hmac
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import asyncssh
import pytest

SFTP_USER = "depot"
SFTP_PASSWORD = "s3cret-sftp"
HMAC_SECRET = "hmac-secret-for-tests"
BEARER = "token-for-tests"


@dataclass
class Sftp:
    root: Path
    host_key: asyncssh.SSHKey
    thread: object
    port: int

    @property
    def fingerprint(self) -> str:
        return self.host_key.get_fingerprint("sha256")

    def files(self) -> dict[str, bytes]:
        return {p.name: p.read_bytes() for p in sorted(self.root.iterdir()) if p.is_file()}

    def restart_with(self, host_key: asyncssh.SSHKey) -> None:
        """The same address, another host key (a reinstalled — or impersonated — server)."""
        from facturier.delivery.connectors.sftp_server import SftpServerThread

        self.thread.stop()
        self.host_key = host_key
        self.thread = SftpServerThread(self.root, users={SFTP_USER: SFTP_PASSWORD}, host_key=host_key,
                                       port=self.port).start()


@pytest.fixture
def sftp_server(tmp_path):
    from facturier.delivery.connectors.sftp_server import SftpServerThread

    root = tmp_path / "sftp"
    root.mkdir()
    (root / "in").mkdir()
    key = asyncssh.generate_private_key("ssh-ed25519")
    thread = SftpServerThread(root, users={SFTP_USER: SFTP_PASSWORD}, host_key=key).start()
    server = Sftp(root=root, host_key=key, thread=thread, port=thread.port)
    yield server
    server.thread.stop()


@dataclass
class Received:
    method: str
    path: str
    headers: dict
    body: bytes
    signed: bool


@dataclass
class HttpReceiver:
    port: int
    received: list[Received] = field(default_factory=list)
    statuses: list[int] = field(default_factory=list)
    """Answers to give, in order (then 200)."""
    connections: set = field(default_factory=set)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/factures/in"

    def accepted(self) -> list[Received]:
        return [r for r in self.received if r.signed and "X-Facturier-Test" not in r.headers]


def _handler(state: HttpReceiver):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):
            pass

        def _receive(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            signed = _verify(self.headers.get("X-Facturier-Signature", ""), body)
            state.connections.add(self.client_address)
            state.received.append(Received(self.command, self.path, dict(self.headers), body, signed))
            if self.headers.get("Authorization") != f"Bearer {BEARER}":
                status = 401
            elif not signed:
                status = 400
            else:
                status = state.statuses.pop(0) if state.statuses else 200
            answer = b'{"ok": true}' if status < 300 else b'{"error": "no"}'
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        do_POST = do_PUT = _receive

    return Handler


def _verify(header: str, body: bytes) -> bool:
    parts = dict(p.split("=", 1) for p in header.split(",") if "=" in p)
    if "t" not in parts or "v1" not in parts:
        return False
    expected = hmac.new(HMAC_SECRET.encode(), parts["t"].encode() + b"." + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, parts["v1"])


@pytest.fixture
def http_receiver():
    state = HttpReceiver(port=0)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    state.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state
    server.shutdown()
    server.server_close()


@pytest.fixture
def allow_private(settings):
    settings.FACTURIER_OUTBOUND_ALLOW_PRIVATE_HOSTS = True


@pytest.fixture
def sftp_connector(owner, sftp_server, allow_private):
    """An SFTP connector to the test server, tested (so enabled, its host key pinned)."""
    from facturier.delivery.connectors.services import connector_save, connector_test

    connector = connector_save(by=owner, name="Dépôt SFTP", kind="sftp", host="127.0.0.1", port=sftp_server.port,
                               username=SFTP_USER, password=SFTP_PASSWORD, remote_folder="in",
                               file_name="{customer_code}_{number}.{ext}")
    report = connector_test(by=owner, connector_id=connector.pk)
    assert report.ok, report.steps
    connector.refresh_from_db()
    return connector


@pytest.fixture
def http_connector(owner, http_receiver, allow_private):
    from facturier.delivery.connectors.services import connector_save, connector_test

    connector = connector_save(by=owner, name="ERP", kind="http", url=http_receiver.url, method="POST",
                               auth="bearer", auth_secret=BEARER, signature_secret=HMAC_SECRET, file_format="ubl",
                               headers={"X-Tenant": "acme"})
    report = connector_test(by=owner, connector_id=connector.pk)
    assert report.ok, report.steps
    connector.refresh_from_db()
    return connector
