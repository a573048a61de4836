"""Benchmark: webhook deliveries through the outbox to a local HTTP receiver.

`run()` returns (bench/integration.py gathers it), and `python bench/integration_webhooks.py` merges into
bench/results/integration.json:
- webhook_posts_per_s: deliveries per second through `webhooks_flush` — claim, secret opened, HMAC
  signature, SSRF check (resolution of 127.0.0.1, allowed by the operator's setting), a new TCP
  connection and POST per delivery, the 200 read and recorded — for BENCH_WEBHOOK_COUNT (500) events;
- audit_event_ms_p50_with_webhook / _without_webhook: one audit event of a document (its journal
  chaining included) when an endpoint subscribes to it (the document read, the webhook event and
  its outbox row written) and when none does (one query for the endpoints): the difference is
  what webhooks add to a change.
The receiver (http.server) runs in its own process and counts what it receives.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "facturier.config.settings")
# A database of its own, whatever the other parts of bench/integration.py left in theirs.
os.environ["FACTURIER_DATA_DIR"] = tempfile.mkdtemp(prefix="facturier-bench-webhooks-")
os.environ.pop("DATABASE_URL", None)
os.environ["FACTURIER_TASKS"] = "database"  # queued, not run: the benchmark runs the flush itself
os.environ["FACTURIER_OUTBOUND_ALLOW_PRIVATE_HOSTS"] = "true"

import django  # noqa: E402

django.setup()

RESULTS = Path(__file__).resolve().parent / "results"
COUNT = int(os.environ.get("BENCH_WEBHOOK_COUNT", "500"))


def _serve(port_out, received) -> None:
    import http.server

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            with received.get_lock():
                received.value += 1
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    port_out.value = server.server_address[1]
    server.serve_forever()


def _organisation():
    import datetime as dt

    from django.core.management import call_command

    from facturier.accounts.models import User
    from facturier.accounts.services import organisation_create
    from facturier.invoicing.models import Series
    from facturier.parties.services import customer_create

    call_command("migrate", verbosity=0)
    user = User.objects.create_user("owner@bench-webhooks.test", "correct horse battery")
    organisation = organisation_create(
        slug="bench-webhooks", name="Bench", effective_from=dt.date(2020, 1, 1), owner=user,
        legal=dict(legal_name="Bench SAS", legal_form="SAS", siren="884123456", siret="88412345600011",
                   vat_number="FR52884123456", address_line1="1 rue du Test", postcode="69001", city="Lyon"))
    Series.objects.create(organisation=organisation, code="FA", name="Factures", prefix="FA-{year}-")
    owner = user.memberships.get(organisation=organisation)
    customer = customer_create(
        by=owner, code="C001", name="Client Un SARL", siren="412345670", effective_from=dt.date(2020, 1, 1),
        billing_address={"line1": "2 avenue Client", "postcode": "75001", "city": "Paris"})
    return owner, customer


def run() -> dict[str, float]:
    from decimal import Decimal

    from facturier.api.models import WebhookDelivery, WebhookEndpoint
    from facturier.api.webhook_sender import webhooks_flush
    from facturier.api.webhooks import endpoint_create, webhook_send_test
    from facturier.audit.services import audit_record
    from facturier.invoicing.services import document_issue, draft_create

    port, received = multiprocessing.Value("i", 0), multiprocessing.Value("i", 0)
    server = multiprocessing.Process(target=_serve, args=(port, received), daemon=True)
    server.start()
    while not port.value:
        time.sleep(0.01)
    try:
        owner, customer = _organisation()
        endpoint, _secret = endpoint_create(by=owner, url=f"http://127.0.0.1:{port.value}/hook",
                                            events=["document.status_changed"])
        draft = draft_create(by=owner, customer_id=customer.pk, lines=[
            {"name": "Prestation", "quantity": Decimal(1), "unit_price": Decimal(100)}])
        document = document_issue(by=owner, document_id=draft.pk)

        def audit_ms() -> float:
            samples = []
            for i in range(200):  # audit events whose states differ: a webhook event each when subscribed
                t = time.perf_counter()
                audit_record(actor=owner, subject=document, action="bench.state",
                             before={"state": "issued"}, after={"state": f"state-{i}"})
                samples.append(time.perf_counter() - t)
            return statistics.median(samples) * 1000

        with_endpoint = audit_ms()
        WebhookEndpoint.objects.filter(pk=endpoint.pk).update(enabled=False)
        without = audit_ms()
        WebhookEndpoint.objects.filter(pk=endpoint.pk).update(enabled=True)
        WebhookDelivery.objects.all().delete()
        for _ in range(COUNT):
            webhook_send_test(by=owner, endpoint_id=endpoint.pk)
        t = time.perf_counter()
        report = webhooks_flush(organisation_id=owner.organisation_id)
        elapsed = time.perf_counter() - t
        assert report.delivered == COUNT == received.value, (report, received.value)
    finally:
        server.terminate()
    return {"webhook_posts_per_s": round(COUNT / elapsed, 1), "webhook_posts": COUNT,
            "audit_event_ms_p50_with_webhook": round(with_endpoint, 3),
            "audit_event_ms_p50_without_webhook": round(without, 3)}


if __name__ == "__main__":
    results = run()
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / "integration.json"
    merged = json.loads(path.read_text()) if path.exists() else {}
    merged.update(results)
    path.write_text(json.dumps(merged, indent=2) + "\n")
    json.dump(results, sys.stdout, indent=2)
