"""Benchmark: the B2C e-reporting of a month of 100,000 sales, on PostgreSQL (issue 14).

Writes bench/results/ereporting.json:
- `ereport_100k_s`: the whole service the worker and the "Build now" button call — `report_for_period` then
  `report_build` — for one monthly period (régime simplifié) holding 100,000 issued sales to individuals,
  1,000 sales to French companies (read, then left out) and 100 to companies abroad (10.1): the documents
  streamed from the database (server-side cursor, 2,000 rows a chunk, buyer keys extracted by the
  database), aggregated per day × category × rate, the XML written, read back and checked against every
  rule, archived (encrypted, time-stamped by the built-in authority, journaled) and the report's state saved.
- `ereport_100k_peak_mb`: the peak resident memory (VmHWM) of the process that builds, Django included;
  `ereport_child_baseline_peak_mb` is the same kind of process that only starts Django and reads one row.
The sales are bulk-inserted already issued (issuing is measured in bench/invoicing.py), each with a full
buyer snapshot and one or two VAT rates (20 %, 10 %, 5.5 %), goods and services, 1 % credit notes.
BENCH_DATABASE_URL (default the local server) names the database; without PostgreSQL nothing is measured.
Run alone: `FACTURIER_DATA_DIR=$(mktemp -d) .venv/bin/python bench/ereporting.py`.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

PG_URL = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/facturier_bench_ereporting")
RESULTS = Path(__file__).resolve().parent / "results" / "ereporting.json"
SALES = int(os.environ.get("BENCH_EREPORT_SALES", "100000"))


def _setup(url: str) -> None:
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "facturier.config.settings")
    os.environ.setdefault("FACTURIER_TASKS", "immediate")
    import django

    django.setup()


def peak_mb() -> float:
    """This process's peak resident memory (VmHWM: reset at exec, unlike ru_maxrss)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def _buyer(code: str, name: str, *, siren="", vat="", country="FR") -> dict:
    return {"code": code, "name": name, "siren": siren, "siret": "", "vat_number": vat, "foreign_identifier": "",
            "foreign_identifier_scheme": "", "is_public_sector": False, "chorus_service_code": "",
            "electronic_address": "", "electronic_address_scheme": "", "email": f"{code.lower()}@client.test",
            "billing_address": {"name": "", "line1": "3 rue des Lilas", "line2": "", "postcode": "69002",
                                "city": "Lyon", "country": country}, "delivery_address": None}


def _row(rate: str, taxable: str, tax: str) -> dict:
    return {"category": "S", "rate": rate, "taxable_amount": taxable, "tax_amount": tax, "exemption_reason": "",
            "exemption_code": ""}


def child_seed() -> None:
    import datetime as dt
    from decimal import Decimal

    from django.core.management import call_command

    from facturier.accounts.models import User
    from facturier.accounts.services import organisation_create
    from facturier.invoicing.models import Document, Series
    from facturier.parties.services import customer_create
    from facturier.platforms.ereporting.models import EReportingProfile

    call_command("migrate", verbosity=0, interactive=False)
    user = User.objects.create_user("bench@acme.test", "correct horse battery")
    org = organisation_create(slug="bench", name="Bench", effective_from=dt.date(2020, 1, 1), owner=user,
                              legal=dict(legal_name="Bench SAS", legal_form="SAS", siren="884123456",
                                         siret="88412345600011", vat_number="FR52884123456",
                                         address_line1="1 rue du Test", postcode="69001", city="Lyon"))
    owner = user.memberships.get(organisation=org)
    EReportingProfile.objects.create(organisation=org, regime="simplified", start_date=dt.date(2025, 1, 1))
    series = Series.objects.create(organisation=org, code="VP", name="Ventes", prefix="VP-")
    person = customer_create(by=owner, code="P001", name="Camille Martin", effective_from=dt.date(2020, 1, 1),
                             billing_address={"line1": "3 rue des Lilas", "postcode": "69002", "city": "Lyon"})
    shapes = [  # (operation, breakdown, totals): goods at 20 %, goods at 20 % + books at 5.5 %, services at 10 %
        ("goods", [_row("20.00", "41.58", "8.32")], ("41.58", "8.32", "49.90")),
        ("goods", [_row("20.00", "10.00", "2.00"), _row("5.50", "18.00", "0.99")], ("28.00", "2.99", "30.99")),
        ("services", [_row("10.00", "75.00", "7.50")], ("75.00", "7.50", "82.50")),
    ]
    buyers = {"b2c": _buyer("P001", "Camille Martin"),
              "b2b": _buyer("C001", "Client SARL", siren="412345670", vat="FR96412345670"),
              "int": _buyer("DE01", "Beispiel GmbH", vat="DE136695976", country="DE")}
    start, total = dt.date(2025, 11, 1), SALES + 1000 + 100
    t = time.perf_counter()
    for i in range(0, total, 5000):
        batch = []
        for n in range(i, min(i + 5000, total)):
            scope = "b2c" if n < SALES else ("b2b" if n < SALES + 1000 else "int")
            operation, breakdown, (net, vat, gross) = shapes[n % 3]
            batch.append(Document(
                organisation=org, kind="credit_note" if n % 100 == 99 else "invoice", state="issued", series=series,
                number_value=n + 1, number=f"VP-{n + 1:07d}", issue_date=start + dt.timedelta(days=n * 30 // total),
                customer=person, line_total=Decimal(net), tax_exclusive=Decimal(net), tax_total=Decimal(vat),
                tax_inclusive=Decimal(gross), payable=Decimal(gross), amount_due=Decimal(gross),
                vat_breakdown=breakdown, operation_category=operation, buyer_snapshot=buyers[scope],
                seller_snapshot={"siren": "884123456"}))
        Document.objects.bulk_create(batch)
    print(json.dumps({"seed_s": round(time.perf_counter() - t, 1), "documents": total}))


def child_build() -> None:
    import datetime as dt

    from facturier.accounts.models import Organisation
    from facturier.platforms.ereporting.services import report_build, report_for_period

    org = Organisation.objects.get(slug="bench")
    t = time.perf_counter()
    report = report_for_period(organisation=org, flow="transactions", start=dt.date(2025, 11, 1))
    report = report_build(report_pk=report.pk, organisation=org)
    elapsed = time.perf_counter() - t
    assert report.state == "checked", report.findings
    assert report.documents == SALES + 100, report.documents
    print(json.dumps({"ereport_100k_s": round(elapsed, 2), "ereport_100k_peak_mb": peak_mb(),
                      "ereport_entries": report.entries, "ereport_file_bytes": report.size,
                      "ereport_documents_reported": report.documents, "ereport_taxable": str(report.taxable)}))


def child_baseline() -> None:
    from facturier.accounts.models import Organisation

    Organisation.objects.get(slug="bench")
    print(json.dumps({"ereport_child_baseline_peak_mb": peak_mb()}))


def _child(flag: str) -> dict:
    run = subprocess.run([sys.executable, __file__, flag], capture_output=True, text=True, check=False, timeout=3600)
    if run.returncode != 0:
        raise SystemExit(f"e-reporting benchmark ({flag}) failed:\n{run.stderr[-3000:]}")
    return json.loads(run.stdout.strip().splitlines()[-1])


def run() -> dict:
    from _pg import fresh_database

    if not fresh_database(PG_URL, "e-reporting figures"):
        return {}
    seeded = _child("--seed")
    return {**_child("--build"), **_child("--baseline"), "ereport_seed_s": seeded["seed_s"],
            "ereport_database": "postgresql", "ereport_sales": SALES,
            "ereport_load": Path("/proc/loadavg").read_text().split()[:3]}


CHILDREN = {"--seed": child_seed, "--build": child_build, "--baseline": child_baseline}


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] in CHILDREN:
        _setup(PG_URL)
        CHILDREN[sys.argv[1]]()
        return
    results = run()
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps(results))


if __name__ == "__main__":
    main()
