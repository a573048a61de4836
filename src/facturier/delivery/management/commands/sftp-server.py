"""`facturier sftp-server --root var/sftp --port 2222`: a local SFTP server (asyncssh) for the demo's
export connectors. It prints its host key fingerprint (compare it with the one the connection test
pins) and the credentials to type in the connector's settings."""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Run a local SFTP server for the demo's export connectors (Ctrl-C stops it)."

    def add_arguments(self, parser):
        parser.add_argument("--root", type=Path, default=None, help="folder the files land in (default DATA_DIR/sftp)")
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=2222)
        parser.add_argument("--user", default="demo")
        parser.add_argument("--password", default="demo-sftp")

    def handle(self, *args, root: Path | None, host: str, port: int, user: str, password: str, **options):
        from facturier.delivery.connectors.sftp_server import listen, load_or_make_host_key

        root = (root or Path(settings.DATA_DIR) / "sftp").resolve()
        key = load_or_make_host_key(root.parent / f".{root.name}-host-key")
        self.stdout.write(f"SFTP server on {host}:{port}, files in {root}\n"
                          f"  user {user}, password {password}\n"
                          f"  host key {key.get_fingerprint('sha256')}\n"
                          "Ctrl-C stops it.")

        async def serve():
            server = await listen(root, host=host, port=port, users={user: password}, host_key=key)
            await server.wait_closed()

        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(serve())
