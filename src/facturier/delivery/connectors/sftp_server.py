"""A small real SFTP server (asyncssh) rooted in a folder: the demo's receiver (`facturier
sftp-server`) and the tests'. Password and public-key sign-in for the users given; nothing but
SFTP (no shell, no SCP, no forwarding); every user is confined to the root folder."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

import asyncssh


class _Server(asyncssh.SSHServer):
    def __init__(self, users: dict[str, str], keys: dict[str, list[asyncssh.SSHKey]]):
        self.users = users
        self.keys = keys

    def begin_auth(self, username: str) -> bool:
        return True

    def password_auth_supported(self) -> bool:
        return True

    def validate_password(self, username: str, password: str) -> bool:
        return username in self.users and self.users[username] == password

    def public_key_auth_supported(self) -> bool:
        return bool(self.keys)

    def validate_public_key(self, username: str, key: asyncssh.SSHKey) -> bool:
        return any(key.public_data == k.public_data for k in self.keys.get(username, ()))


def load_or_make_host_key(path: Path) -> asyncssh.SSHKey:
    """The server's host key, made once (Ed25519) and kept in `path` so its fingerprint stays the same."""
    if path.exists():
        return asyncssh.read_private_key(str(path))
    key = asyncssh.generate_private_key("ssh-ed25519")
    path.parent.mkdir(parents=True, exist_ok=True)
    key.write_private_key(str(path))
    path.chmod(0o600)
    return key


async def listen(root: Path, *, host: str = "127.0.0.1", port: int = 0, users: dict[str, str],
                 host_key: asyncssh.SSHKey, authorized_keys: dict[str, list[asyncssh.SSHKey]] | None = None):
    root = Path(root).resolve()
    root.mkdir(parents=True, exist_ok=True)
    return await asyncssh.listen(
        host, port, server_host_keys=[host_key], server_factory=lambda: _Server(users, authorized_keys or {}),
        sftp_factory=lambda chan: asyncssh.SFTPServer(chan, chroot=str(root).encode()), allow_scp=False,
        agent_forwarding=False, x11_forwarding=False, allow_pty=False, process_factory=None,
        encoding=None, line_editor=False)


class SftpServerThread:
    """The server running in a thread of its own (start, then `port`; stop at the end)."""

    def __init__(self, root: Path, *, users: dict[str, str], host_key: asyncssh.SSHKey, host: str = "127.0.0.1",
                 port: int = 0, authorized_keys: dict[str, list[asyncssh.SSHKey]] | None = None):
        self.root, self.users, self.host_key, self.host = Path(root), users, host_key, host
        self.authorized_keys = authorized_keys
        self.requested_port = port
        self.port = 0
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="sftp-server", daemon=True)
        self.acceptor = None

    def start(self) -> SftpServerThread:
        self.thread.start()
        self.acceptor = asyncio.run_coroutine_threadsafe(listen(
            self.root, host=self.host, port=self.requested_port, users=self.users, host_key=self.host_key,
            authorized_keys=self.authorized_keys), self.loop).result(10)
        self.port = self.acceptor.get_port()
        return self

    def stop(self) -> None:
        if self.acceptor is not None:
            self.acceptor.close()
            asyncio.run_coroutine_threadsafe(self.acceptor.wait_closed(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
