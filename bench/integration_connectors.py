"""Export connectors: files per second through the whole outbox (claim, transfer mark, transfer,
outcome, delivery state and history) to real receivers on loopback, each in its own process.

- sftp_files_per_s: 100 KB files to a local asyncssh SFTP server, one SSH connection per flush
  (each file written under a temporary name, then renamed);
- http_posts_per_s: 100 KB signed POSTs (HMAC-SHA256, checked by the receiver) over one
  kept-alive connection.

The file is fixed (the `outbox.make` seam): what is measured is the transfer path, not rendering.
Merges its keys into bench/results/integration.json. BENCH_CONNECTORS_COUNT sets the number of files.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import multiprocessing
import os
import socket
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "facturier.config.settings")
os.environ["FACTURIER_TASKS"] = "database"  # queued, not run: the benchmark runs the flush itself
os.environ["FACTURIER_OUTBOUND_ALLOW_PRIVATE_HOSTS"] = "true"

import django  # noqa: E402

django.setup()

RESULTS = Path(__file__).resolve().parent / "results"
COUNT = int(os.environ.get("BENCH_CONNECTORS_COUNT", "1000"))
FILE = os.urandom(100 * 1024)
SECRET = "bench-hmac-secret"
USER, PASSWORD = "bench", "bench-sftp"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _sftp_serve(root: str, port: int, key_path: str, ready) -> None:
    import asyncio

    from facturier.delivery.connectors.sftp_server import listen, load_or_make_host_key

    async def serve():
        server = await listen(Path(root), port=port, users={USER: PASSWORD},
                              host_key=load_or_make_host_key(Path(key_path)))
        ready.set()
        await server.wait_closed()

    asyncio.run(serve())


def _http_serve(port: int, counter, ready) -> None:
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # headers and body leave at once (no delayed-ACK stall)

        def log_message(self, *args):
            pass

        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            parts = dict(p.split("=", 1) for p in self.headers.get("X-Facturier-Signature", "").split(","))
            mac = hmac.new(SECRET.encode(), parts["t"].encode() + b"." + body, hashlib.sha256).hexdigest()
            status = 200 if hmac.compare_digest(mac, parts["v1"]) else 400
            if status == 200 and "X-Facturier-Test" not in self.headers:
                with counter.get_lock():
                    counter.value += 1
            self.send_response(status)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    ready.set()
    server.serve_forever()


def _setup():
    import datetime as dt
    from decimal import Decimal

    from django.core.management import call_command

    from facturier.accounts.models import User
    from facturier.accounts.services import organisation_create
    from facturier.invoicing.models import Series
    from facturier.invoicing.services import document_issue, draft_create
    from facturier.parties.services import customer_create

    call_command("migrate", verbosity=0)
    user = User.objects.create_user("owner@bench-connectors.test", "correct horse battery")
    organisation = organisation_create(
        slug="bench-connectors", name="Bench", effective_from=dt.date(2020, 1, 1), owner=user,
        legal=dict(legal_name="Bench SAS", legal_form="SAS", siren="884123456", siret="88412345600011",
                   vat_number="FR52884123456", address_line1="1 rue du Test", postcode="69001", city="Lyon"))
    Series.objects.create(organisation=organisation, code="FA", name="Factures", prefix="FA-{year}-")
    owner = user.memberships.get(organisation=organisation)
    customer = customer_create(
        by=owner, code="C001", name="Client Un SARL", siren="412345670", effective_from=dt.date(2020, 1, 1),
        billing_address={"line1": "2 avenue Client", "postcode": "75001", "city": "Paris"})
    draft = draft_create(by=owner, customer_id=customer.pk, lines=[
        {"name": "Prestation", "quantity": Decimal(1), "unit_price": Decimal(100)}])
    return owner, document_issue(by=owner, document_id=draft.pk, issue_date=dt.date(2026, 3, 2))


def _flush(connector, document) -> float:
    import secrets

    from django.utils import timezone

    from facturier.delivery.connectors import outbox
    from facturier.delivery.connectors.files import Made
    from facturier.delivery.models import ConnectorTransfer

    outbox.make = lambda transfer: Made(f"bench-{transfer.pk}.pdf", FILE, "application/pdf")
    now = timezone.now()
    ConnectorTransfer.objects.bulk_create([ConnectorTransfer(
        organisation_id=document.organisation_id, connector=connector, document=document, trigger="batch",
        file_format="facturx", key=secrets.token_hex(16), next_attempt_at=now) for _ in range(COUNT)])
    t = time.perf_counter()
    report = outbox.connector_flush(connector_id=connector.pk)
    elapsed = time.perf_counter() - t
    assert report.sent == COUNT, report
    return round(COUNT / elapsed, 1)


def run() -> dict:
    from facturier.delivery.connectors.services import connector_save, connector_test

    owner, document = _setup()
    ctx = multiprocessing.get_context("fork")
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        port, ready = _free_port(), ctx.Event()
        sftp = ctx.Process(target=_sftp_serve, args=(tmp + "/sftp", port, tmp + "/host-key", ready), daemon=True)
        sftp.start()
        ready.wait(30)
        connector = connector_save(by=owner, name="SFTP", kind="sftp", host="127.0.0.1", port=port, username=USER,
                                   password=PASSWORD, remote_folder=".")
        assert connector_test(by=owner, connector_id=connector.pk).ok
        connector.refresh_from_db()
        results["sftp_files_per_s"] = _flush(connector, document)
        assert len(list(Path(tmp, "sftp").glob("bench-*.pdf"))) == COUNT
        sftp.terminate()

        port, ready, counter = _free_port(), ctx.Event(), ctx.Value("i", 0)
        receiver = ctx.Process(target=_http_serve, args=(port, counter, ready), daemon=True)
        receiver.start()
        ready.wait(30)
        connector = connector_save(by=owner, name="HTTP", kind="http", url=f"http://127.0.0.1:{port}/in",
                                   signature_secret=SECRET)
        assert connector_test(by=owner, connector_id=connector.pk).ok
        connector.refresh_from_db()
        results["http_posts_per_s"] = _flush(connector, document)
        assert counter.value == COUNT, counter.value
        receiver.terminate()
    results["connectors_file_kb"] = len(FILE) // 1024
    results["connectors_files"] = COUNT
    return results


if __name__ == "__main__":
    results = run()
    path = RESULTS / "integration.json"
    merged = json.loads(path.read_text()) if path.exists() else {}
    merged.update(results)
    RESULTS.mkdir(exist_ok=True)
    path.write_text(json.dumps(merged, indent=2) + "\n")
    json.dump(results, sys.stdout, indent=2)
    print()
