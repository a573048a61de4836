"""Benchmark: the worker's daily run over 10,000 contracts that are all due (issue 15, S3.24).

Merges its keys into bench/results/accounting.json (the accounting benchmark writes the others there;
theirs are kept). Run through `make bench` (a fresh data directory each time), or alone:
`FACTURIER_DATA_DIR=$(mktemp -d) .venv/bin/python bench/contracts.py`.

- `contracts_10k_s`: `generate_due` over 10,000 running contracts of the demo organisation, each with one
  period due today and the action "leave as a draft": 10,000 periods and drafts (2 lines each, the
  period BT-73/74 set), each in its own transaction with its unique (contract, period) row.
- `contracts_issue_1k_s`: the same with the action "issue", over 1,000 contracts: each draft then goes
  through the issuing gate (EN 16931 and French rules, number, snapshots, audit).
On the embedded SQLite database (the default install), the worker alone.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "facturier.config.settings")
os.environ.setdefault("FACTURIER_TASKS", "database")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"
TARGET = RESULTS / "accounting.json"
LINES = [{"name": "Abonnement", "quantity": "1", "unit_price": "49.00", "vat_rate": "20"},
         {"name": "Options", "quantity": "3", "unit_price": "5.50", "vat_rate": "20"}]


def _contracts(owner, count: int, action: str, today: dt.date) -> None:
    from facturier.contracts.models import Contract

    customers = list(owner.organisation.customers.all()[:50])
    Contract.objects.bulk_create([
        Contract(organisation=owner.organisation, customer=customers[i % len(customers)], name=f"Bench {action} {i}",
                 lines=LINES, start_date=today, day_of_month=today.day, action=action, acting=owner,
                 next_due=today) for i in range(count)], batch_size=1000)


def _timed(owner, count: int, action: str) -> float:
    from facturier.contracts.models import Contract, ContractPeriod
    from facturier.contracts.services import generate_due

    today = dt.date.today()
    Contract.objects.filter(organisation=owner.organisation).update(state="ended", next_due=None)
    _contracts(owner, count, action, today)
    t = time.perf_counter()
    created = generate_due(today=today, organisation_id=owner.organisation_id)
    elapsed = time.perf_counter() - t
    assert created == count, (created, count)
    outcome = "draft" if action == "draft" else "issued"
    assert ContractPeriod.objects.filter(contract__name__startswith=f"Bench {action}", outcome=outcome).count() == count
    return round(elapsed, 2)


def run() -> dict:
    from facturier.accounts.models import Membership
    from facturier.config.demo import demo_load

    call_command("migrate", verbosity=0, interactive=False)
    demo_load()
    owner = Membership.objects.get(organisation__slug="demo", user__email="demo@facturier.test")
    results = {"contracts_10k_s": _timed(owner, 10_000, "draft"),
               "contracts_issue_1k_s": _timed(owner, 1_000, "issue"),
               "contracts_database": django.db.connection.vendor}
    return results


def main() -> None:
    results = run()
    RESULTS.mkdir(exist_ok=True)
    merged = json.loads(TARGET.read_text()) if TARGET.exists() else {}
    merged.update(results)  # only our keys: the accounting benchmark's stay as they are
    TARGET.write_text(json.dumps(merged, indent=2) + "\n")
    print(json.dumps(results))


if __name__ == "__main__":
    sys.exit(main())
