"""Benchmark: totals calculation, draft creation and issuing (with the rule gate).

Writes bench/results/invoicing.json. Run through `make bench` (a fresh data directory each time).

- On the embedded SQLite database: `issue_ms_p50` is the issuing transaction as production runs
  it (rule gate, number, snapshots, audit event, the archive task queued for the worker);
  `archive_ms_p50` is the worker's archiving of one issued document, measured apart;
  `gate_ms_p50` is the rule gate alone (mapping to the engine model + EN 16931/French rules).
- On PostgreSQL (BENCH_DATABASE_URL, default the local server; skipped, and said, when none answers):
  `batch_issue_per_s_pg` issues 1,000 drafts of one organisation with 2 processes at once, in
  the same numbering series (the counter row is the contention point, as in production), each
  process one batch (`documents_issue`, as the dashboard's batch issue; BENCH_ONE_BY_ONE=1 calls
  `document_issue` once per draft instead);
  `batch_issue_client_cpu_ms_per_doc_pg` is the CPU the two issuing processes spent per
  document (PostgreSQL's own CPU not counted): two cores can issue at most 2000 / (that + the
  server's) documents a second.
- `load_1min_before`: the machine's load average when the run started (2 cores, shared).
"""

from __future__ import annotations

import json
import multiprocessing
import os
import resource
import statistics
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "facturier.config.settings")
os.environ.setdefault("FACTURIER_TASKS", "database")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402

from facturier.engine.en16931.calculation import LineInput, compute_totals  # noqa: E402
from facturier.engine.en16931.codes import VatCategory  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"
PG_URL = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/facturier_bench_invoicing")
BATCH_DRAFTS = 1000
BATCH_PROCESSES = 2
LINES = [{"name": f"Prestation {i}", "quantity": Decimal(i + 1), "unit_price": Decimal("85.00"),
          "vat_rate": Decimal("20")} for i in range(10)]


def p50_ms(samples: list[float]) -> float:
    return round(statistics.median(samples) * 1000, 3)


def bench_totals(runs: int = 2000) -> dict[str, float]:
    lines = [LineInput(quantity=Decimal(i % 7 + 1), net_price=Decimal("12.345"), vat_category=VatCategory.S,
                       vat_rate=Decimal("20") if i % 3 else Decimal("5.5")) for i in range(10)]
    samples = []
    for _ in range(runs):
        t = time.perf_counter()
        compute_totals(lines)
        samples.append(time.perf_counter() - t)
    return {"totals_10_lines_ms_p50": p50_ms(samples)}


def _demo_owner():
    from facturier.accounts.models import Membership
    from facturier.config.demo import demo_load

    demo_load()
    owner = Membership.objects.get(organisation__slug="demo", user__email="demo@facturier.test")
    return owner, owner.organisation.customers.first()


def bench_issue(count: int = 300, archived: int = 20) -> dict[str, float]:
    from facturier.archive.services import archive_document
    from facturier.invoicing.selectors import document_get

    try:
        from facturier.invoicing.gate import issue_report
    except ImportError:  # measuring a version from before the gate, for comparison
        issue_report = None
    from facturier.invoicing.services import document_issue, draft_create

    owner, customer = _demo_owner()
    create, issue, gate, issued = [], [], [], []
    for _ in range(count):
        t = time.perf_counter()
        draft = draft_create(by=owner, customer_id=customer.pk, lines=LINES)
        create.append(time.perf_counter() - t)
        if issue_report is not None:
            t = time.perf_counter()
            issue_report(document_get(organisation=owner.organisation, pk=draft.pk), number="FA-BENCH-1")
            gate.append(time.perf_counter() - t)
        t = time.perf_counter()
        issued.append(document_issue(by=owner, document_id=draft.pk).pk)
        issue.append(time.perf_counter() - t)
    archive = []
    for pk in issued[:archived]:
        t = time.perf_counter()
        archive_document(document_id=pk)
        archive.append(time.perf_counter() - t)
    return {
        "draft_create_10_lines_ms_p50": p50_ms(create),
        **({"gate_ms_p50": p50_ms(gate)} if gate else {}),
        "issue_ms_p50": p50_ms(issue),
        "issue_per_s": round(count / sum(issue), 1),
        **({"archive_ms_p50": p50_ms(archive)} if archive else {}),
    }


# --- PostgreSQL: a batch issue of 1,000 drafts on 2 processes ---------------------------------------


def _pg_reset() -> bool:
    from _pg import fresh_database

    return fresh_database(PG_URL, "batch_issue_per_s_pg")


def _pg_issuer(ids: list[int], start, done) -> None:
    from django.db import connection

    from facturier.accounts.models import Membership
    try:
        from facturier.invoicing.services import documents_issue
    except ImportError:  # measuring a version from before the batch service, for comparison
        documents_issue = None
    from facturier.invoicing.services import document_issue

    connection.close()  # a connection of its own, not the parent's
    owner = Membership.objects.select_related("organisation", "user").get(
        organisation__slug="demo", user__email="demo@facturier.test")
    start.wait()
    if documents_issue is not None and not os.environ.get("BENCH_ONE_BY_ONE"):
        outcome = documents_issue(by=owner, document_ids=ids)  # the dashboard's batch issue
        assert not outcome.refused, outcome.refused[:3]
    else:
        for pk in ids:
            document_issue(by=owner, document_id=pk)
    done.put(len(ids))
    connection.close()


def pg_batch_child() -> None:
    """Runs in a process whose DATABASE_URL is the PostgreSQL benchmark database."""
    from django.db import connection

    from facturier.invoicing.models import Document, State
    from facturier.invoicing.services import draft_create

    call_command("migrate", verbosity=0, interactive=False)
    owner, customer = _demo_owner()
    drafts = [draft_create(by=owner, customer_id=customer.pk, lines=LINES).pk for _ in range(BATCH_DRAFTS)]
    connection.close()
    context = multiprocessing.get_context("fork")
    start, done = context.Barrier(BATCH_PROCESSES + 1), context.Queue()
    workers = [context.Process(target=_pg_issuer, args=(drafts[i::BATCH_PROCESSES], start, done))
               for i in range(BATCH_PROCESSES)]
    for w in workers:
        w.start()
    start.wait()
    t = time.perf_counter()
    issued = sum(done.get(timeout=1800) for _ in workers)
    elapsed = time.perf_counter() - t
    for w in workers:
        w.join()
    children = resource.getrusage(resource.RUSAGE_CHILDREN)  # the issuers' CPU (the server's is not counted)
    assert issued == BATCH_DRAFTS and not Document.objects.filter(pk__in=drafts, state=State.DRAFT).exists()
    print(json.dumps({"batch_issue_per_s_pg": round(BATCH_DRAFTS / elapsed, 1),
                      "batch_issue_client_cpu_ms_per_doc_pg": round(
                          (children.ru_utime + children.ru_stime) * 1000 / BATCH_DRAFTS, 2),
                      "batch_issue_drafts_pg": BATCH_DRAFTS, "batch_issue_processes_pg": BATCH_PROCESSES}))


def bench_pg_batch() -> dict[str, float]:
    if not _pg_reset():
        return {}
    env = {**os.environ, "DATABASE_URL": PG_URL, "FACTURIER_TASKS": "database"}
    run = subprocess.run([sys.executable, __file__, "--pg-batch"], env=env, capture_output=True, text=True,
                         check=False, timeout=3600)
    if run.returncode != 0:
        raise SystemExit(f"PostgreSQL batch benchmark failed:\n{run.stderr[-3000:]}")
    return json.loads(run.stdout.strip().splitlines()[-1])


def main() -> None:
    if "--pg-batch" in sys.argv:
        pg_batch_child()
        return
    load = round(os.getloadavg()[0], 2)
    call_command("migrate", verbosity=0, interactive=False)
    results = {"load_1min_before": load, "cpus": os.cpu_count(),
               **bench_totals(), **bench_issue(), "database": django.db.connection.vendor, **bench_pg_batch(),
               "python": sys.version.split()[0]}
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "invoicing.json").write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps(results))


if __name__ == "__main__":
    main()
