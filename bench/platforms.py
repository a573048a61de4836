"""Approved platforms (PA), on PostgreSQL (BENCH_DATABASE_URL, a database of its own, made afresh):

- pa_submit_per_s: 1,000 issued invoices' flows through the outbox (claim, request marked as begun,
  `POST /v1/flows` to the local PA simulator over HTTP, outcome, delivery state) by one flush;
- status_apply_per_s: 10,000 incoming life-cycle statuses (CDAR, 4 codes over 1,000 invoices) read,
  stored once per flow id and mapped onto their invoices (`statuses.status_apply`), committed per 100 (a
  page of the search); the first 500 committed one by one (a webhook each) give
  status_apply_one_commit_each_per_s;
- status_check_per_s: the same statuses then validated (D22B XSD when ../shared/specs is there, and
  BR-FR-CDV) and archived by the worker (`statuses.statuses_check`), reported beside.

Writes bench/results/platform.json. BENCH_PA_INVOICES / BENCH_PA_STATUSES set the counts.
Named platforms.py, not platform.py: a script of that name in bench/ would shadow the standard library's
`platform` module for every benchmark run from bench/ (uuid imports it), as operator.py once did.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

PG_URL = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/facturier_bench_platform")
RESULTS = Path(__file__).resolve().parent / "results" / "platform.json"
INVOICES = int(os.environ.get("BENCH_PA_INVOICES", "1000"))
STATUSES = int(os.environ.get("BENCH_PA_STATUSES", "10000"))


def _setup() -> bool:
    from _pg import fresh_database

    if not fresh_database(PG_URL, "platform figures"):
        return False
    os.environ["DATABASE_URL"] = PG_URL
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "facturier.config.settings")
    os.environ["FACTURIER_TASKS"] = "database"  # queued, not run: the benchmark runs the work itself
    os.environ["FACTURIER_OUTBOUND_ALLOW_PRIVATE_HOSTS"] = "true"
    import django

    django.setup()
    return True


def _seed():
    import datetime as dt
    from decimal import Decimal

    from django.core.management import call_command

    from facturier.accounts.models import User
    from facturier.accounts.services import organisation_create
    from facturier.invoicing.models import Document, Series
    from facturier.invoicing.services import document_issue, draft_create
    from facturier.parties.services import customer_create

    call_command("migrate", verbosity=0, interactive=False)
    user = User.objects.create_user("owner@bench-platform.test", "correct horse battery")
    organisation = organisation_create(
        slug="bench-platform", name="Bench", effective_from=dt.date(2020, 1, 1), owner=user,
        legal=dict(legal_name="Bench SAS", legal_form="SAS", siren="884123456", siret="88412345600011",
                   vat_number="FR52884123456", address_line1="1 rue du Test", postcode="69001", city="Lyon"))
    Series.objects.create(organisation=organisation, code="FA", name="Factures", prefix="FA-{year}-")
    owner = user.memberships.get(organisation=organisation)
    customer = customer_create(
        by=owner, code="C001", name="Client Un SARL", siren="412345670", effective_from=dt.date(2020, 1, 1),
        billing_address={"line1": "2 avenue Client", "postcode": "75001", "city": "Paris"})
    draft = draft_create(by=owner, customer_id=customer.pk, lines=[
        {"name": "Prestation", "quantity": Decimal(1), "unit_price": Decimal(100)},
        {"name": "Livre", "quantity": Decimal(1), "unit_price": Decimal(10), "vat_rate": Decimal("5.5")}])
    first = document_issue(by=owner, document_id=draft.pk, issue_date=dt.date(2026, 3, 2))
    # The other invoices: copies of the first one's frozen row under their own numbers (issuing is measured
    # elsewhere); what is measured here is the platform path.
    row = {f.attname: getattr(first, f.attname) for f in Document._meta.concrete_fields if not f.primary_key}
    copies = []
    for i in range(2, INVOICES + 1):
        copies.append(Document(**{**row, "number_value": i, "number": f"FA-2026-{i:06d}"}))
    Document.objects.bulk_create(copies, batch_size=500)
    return owner, first


def bench_submit(owner) -> dict:
    """1,000 flows to the simulator through the outbox."""
    from django.db import connection
    from django.utils import timezone

    from facturier.invoicing.models import Document
    from facturier.platforms.outbox import platform_flush
    from facturier.platforms.submissions import PlatformSubmission

    handle = _Process()
    try:
        _connect(owner, handle)
        organisation = owner.organisation
        data = b"%PDF-1.7 bench " + os.urandom(30 * 1024)
        import hashlib

        now = timezone.now()
        PlatformSubmission.objects.bulk_create([PlatformSubmission(
            organisation=organisation, kind="invoice", document_id=pk, tracking_id=str(pk),
            file_name=f"{pk}.pdf", data=data, sha256=hashlib.sha256(data).hexdigest(), flow_syntax="Factur-X",
            processing_rule="B2B", flow_type="CustomerInvoice", next_attempt_at=now)
            for pk in Document.objects.filter(organisation=organisation).values_list("pk", flat=True)])
        connection.close()
        t = time.perf_counter()
        report = platform_flush(organisation_id=organisation.pk)
        elapsed = time.perf_counter() - t
        assert report.sent == INVOICES, report
        return {"pa_submit_per_s": round(INVOICES / elapsed, 1), "pa_submit_flows": INVOICES,
                "pa_submit_file_kb": len(data) // 1024}
    finally:
        handle.stop()


class _Process:
    """`facturier pa-simulator` in its own process (as `facturier run` starts it): the PA does not share this
    process's interpreter. Its own checks of each file and its statuses are not what is measured: validation
    off, statuses an hour later."""

    def __init__(self):
        import socket
        import subprocess
        import tempfile

        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
        env["FACTURIER_DATA_DIR"] = tempfile.mkdtemp()
        facturier = Path(sys.executable).with_name("facturier")
        self.process = subprocess.Popen(
            [str(facturier), "pa-simulator", "--port", str(self.port), "--status-delay", "3600", "--validation",
             "off", "--client", "demo:demo-secret"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                time.sleep(0.2)
        raise SystemExit("the PA simulator did not start")

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(10)


def _connect(owner, handle) -> None:
    """The organisation connected to the simulator (pa-core's connection service)."""
    from facturier.platforms.services import simulator_connect

    simulator_connect(owner.organisation, handle.url)


def bench_statuses(owner) -> dict:
    import datetime as dt

    from facturier.engine import cdar
    from facturier.invoicing.models import Document
    from facturier.platforms.statuses import status_apply, statuses_apply, statuses_check

    organisation = owner.organisation
    documents = list(Document.objects.filter(organisation=organisation).order_by("pk")
                     .values_list("number", "issue_date"))
    at = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
    messages = []
    codes = ("200", "202", "204", "205")
    for i in range(STATUSES):
        number, day = documents[i % len(documents)]
        code = codes[(i // len(documents)) % len(codes)]
        messages.append((f"lc-{i}", cdar.build(cdar.status_message(
            status=code, invoice_number=number, invoice_date=day, seller=cdar.Company(siren="884123456"),
            buyer=cdar.Company(siren="412345670"), at=at + dt.timedelta(seconds=i)))))
    single = messages[:500]  # one transaction per status (a webhook's task)
    t = time.perf_counter()
    for flow_id, data in single:
        status_apply(organisation, data, flow_id=flow_id, check=False)
    single_s = time.perf_counter() - t
    rest = messages[len(single):]
    t = time.perf_counter()
    for start in range(0, len(rest), 100):  # one transaction per 100 statuses (a page of the search)
        statuses_apply(organisation, rest[start:start + 100], check=False)
    applied = time.perf_counter() - t
    checked_count = min(STATUSES, 1000)
    t = time.perf_counter()
    checked = statuses_check(organisation_id=organisation.pk, limit=checked_count)
    check_s = time.perf_counter() - t
    return {"status_apply_per_s": round(len(rest) / applied, 1), "statuses_applied": STATUSES,
            "status_apply_one_commit_each_per_s": round(len(single) / single_s, 1),
            "status_check_per_s": round(checked / check_s, 1), "statuses_checked": checked}


def run() -> dict:
    if not _setup():
        return {}
    owner, _first = _seed()
    results = {}
    results.update(bench_statuses(owner))
    results.update(bench_submit(owner))
    results["database"] = "postgresql"
    return results


if __name__ == "__main__":
    results = run()
    merged = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    merged.update(results)
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(merged, indent=2) + "\n")
    json.dump(results, sys.stdout, indent=2)
    print()
