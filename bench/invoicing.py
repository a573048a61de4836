"""Benchmark: totals calculation, draft creation and issuing on the embedded SQLite database.

Writes bench/results/invoicing.json. Run through `make bench` (a fresh data directory each time).
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import time
from decimal import Decimal
from pathlib import Path

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "facturier.config.settings")
os.environ.setdefault("FACTURIER_TASKS", "immediate")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402

from facturier.engine.en16931.calculation import LineInput, compute_totals  # noqa: E402
from facturier.engine.en16931.codes import VatCategory  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"


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


def bench_issue(count: int = 300) -> dict[str, float]:
    from facturier.accounts.models import Membership
    from facturier.config.demo import demo_load
    from facturier.invoicing.services import document_issue, draft_create

    demo_load()
    owner = Membership.objects.get(organisation__slug="demo", user__email="demo@facturier.test")
    customer = owner.organisation.customers.first()
    lines = [{"name": f"Prestation {i}", "quantity": Decimal(i + 1), "unit_price": Decimal("85.00"),
              "vat_rate": Decimal("20")} for i in range(10)]
    create, issue = [], []
    for _ in range(count):
        t = time.perf_counter()
        draft = draft_create(by=owner, customer_id=customer.pk, lines=lines)
        create.append(time.perf_counter() - t)
        t = time.perf_counter()
        document_issue(by=owner, document_id=draft.pk)
        issue.append(time.perf_counter() - t)
    return {
        "draft_create_10_lines_ms_p50": p50_ms(create),
        "issue_ms_p50": p50_ms(issue),
        "issue_per_s": round(count / sum(issue), 1),
    }


def main() -> None:
    call_command("migrate", verbosity=0, interactive=False)
    results = {**bench_totals(), **bench_issue(), "database": django.db.connection.vendor,
               "python": sys.version.split()[0]}
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "invoicing.json").write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps(results))


if __name__ == "__main__":
    main()
