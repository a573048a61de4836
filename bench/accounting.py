"""Benchmark: transfer to accounting and FEC export, on PostgreSQL.

Merges its keys into bench/results/accounting.json (another part writes `contracts_10k_s` there):
- `transfer_docs_per_s`: one transfer of 100,000 issued documents and their 100,000 payments (VAT on
  receipts, two rates: 5 entry lines per document, 6 per payment, 1.1 million lines), documents per second;
- `fec_1m_lines_s` / `fec_1m_peak_mb`: the streamed FEC of those 1.1 million entry lines written to a file,
  in a process of its own so its peak resident memory (ru_maxrss, Django included) is the export's;
  `fec_check_1m_s` is our checker's pass over the same lines (run before every export is offered).

The documents are bulk-inserted already issued (their issuing is measured in bench/invoicing.py).
BENCH_DATABASE_URL (default the local server) names the database; without PostgreSQL nothing is measured.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PG_URL = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/facturier_bench_accounting")
RESULTS = Path(__file__).resolve().parent / "results" / "accounting.json"
DOCUMENTS = int(os.environ.get("BENCH_ACCOUNTING_DOCUMENTS", "100000"))


def _setup(url: str) -> None:
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "facturier.config.settings")
    os.environ.setdefault("FACTURIER_TASKS", "immediate")
    import django

    django.setup()


def _pg_reset() -> bool:
    from _pg import fresh_database

    return fresh_database(PG_URL, "accounting figures")


def seed(count: int):
    """An organisation with `count` issued invoices (two VAT rates, services) and one payment each."""
    import datetime as dt
    from decimal import Decimal

    from django.core.management import call_command

    from facturier.accounting.services import settings_save
    from facturier.accounts.models import User
    from facturier.accounts.services import organisation_create
    from facturier.invoicing.models import Document, Payment, Series
    from facturier.parties.services import customer_create

    call_command("migrate", verbosity=0, interactive=False)
    user = User.objects.create_user("bench@acme.test", "correct horse battery")
    org = organisation_create(slug="bench", name="Bench", effective_from=dt.date(2020, 1, 1), owner=user,
                              legal=dict(legal_name="Bench SAS", legal_form="SAS", siren="884123456",
                                         siret="88412345600011", vat_number="FR52884123456",
                                         address_line1="1 rue du Test", postcode="69001", city="Lyon"))
    owner = user.memberships.get(organisation=org)
    series = Series.objects.create(organisation=org, code="FA", name="Factures", prefix="FA-")
    customers = [customer_create(by=owner, code=f"C{i:03d}", name=f"Client {i}", effective_from=dt.date(2020, 1, 1),
                                 billing_address={"line1": "2 avenue Client", "postcode": "75001", "city": "Paris"})
                 for i in range(50)]
    breakdown = [{"category": "S", "rate": "20.00", "taxable_amount": "1000.00", "tax_amount": "200.00",
                  "exemption_reason": "", "exemption_code": ""},
                 {"category": "S", "rate": "5.50", "taxable_amount": "100.00", "tax_amount": "5.50",
                  "exemption_reason": "", "exemption_code": ""}]
    start = dt.date(2025, 1, 1)
    for i in range(0, count, 5000):
        docs = Document.objects.bulk_create([
            Document(organisation=org, kind="invoice", state="paid", series=series, number_value=n + 1,
                     number=f"FA-{n + 1:07d}", issue_date=start + dt.timedelta(days=n * 360 // count),
                     customer=customers[n % 50], line_total=Decimal("1100.00"), tax_exclusive=Decimal("1100.00"),
                     tax_total=Decimal("205.50"), tax_inclusive=Decimal("1305.50"), payable=Decimal("1305.50"),
                     paid_amount=Decimal("1305.50"), amount_due=Decimal(0), vat_breakdown=breakdown,
                     operation_category="services")
            for n in range(i, min(i + 5000, count))])
        Payment.objects.bulk_create([
            Payment(organisation=org, document=d, date=d.issue_date + dt.timedelta(days=3), amount=Decimal("1305.50"),
                    method="transfer") for d in docs])
    settings_save(by=owner, values={})
    return owner


def child_transfer() -> None:
    import datetime as dt

    from facturier.accounting.models import EntryLine
    from facturier.accounting.services import transfer_run

    owner = seed(DOCUMENTS)
    t = time.perf_counter()
    transfer = transfer_run(by=owner, start=dt.date(2025, 1, 1), end=dt.date(2025, 12, 31))
    elapsed = time.perf_counter() - t
    print(json.dumps({"transfer_docs_per_s": round(transfer.documents_count / elapsed, 1),
                      "transfer_documents": transfer.documents_count, "transfer_payments": transfer.payments_count,
                      "transfer_s": round(elapsed, 2), "entry_lines": EntryLine.objects.count()}))


def child_fec() -> None:
    import datetime as dt

    from facturier.accounting.exports import export
    from facturier.accounts.models import Organisation

    org = Organisation.objects.get(slug="bench")
    t = time.perf_counter()
    out = export(org, start=dt.date(2025, 1, 1), end=dt.date(2025, 12, 31))
    checked = time.perf_counter() - t
    assert out.problems == [], out.problems[:5]
    lines = -1
    t = time.perf_counter()
    with tempfile.TemporaryFile() as f:
        for chunk in out.chunks():
            lines += chunk.count(b"\r\n")
            f.write(chunk)
    elapsed = time.perf_counter() - t
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"fec_1m_lines_s": round(elapsed, 2), "fec_1m_peak_mb": round(peak_mb, 1),
                      "fec_check_1m_s": round(checked, 2), "fec_lines": lines}))


def _child(flag: str) -> dict:
    run = subprocess.run([sys.executable, __file__, flag], capture_output=True, text=True, check=False,
                         timeout=3600)
    if run.returncode != 0:
        raise SystemExit(f"accounting benchmark ({flag}) failed:\n{run.stderr[-3000:]}")
    return json.loads(run.stdout.strip().splitlines()[-1])


def run() -> dict:
    if not _pg_reset():
        return {}
    return {**_child("--transfer"), **_child("--fec"), "documents": DOCUMENTS, "database": "postgresql"}


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] in ("--transfer", "--fec"):
        _setup(PG_URL)
        child_transfer() if sys.argv[1] == "--transfer" else child_fec()
        return
    results = run()
    merged = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    merged.update(results)
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(merged, indent=2) + "\n")
    print(json.dumps(results))


if __name__ == "__main__":
    main()
