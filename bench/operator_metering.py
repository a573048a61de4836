"""Benchmark of the operator's metering (part of bench/results/operator.json; the termination part writes
its own keys into the same file from another script, and each merges, never overwrites).

- `metering_10k_orgs_s`: the usage statement of 10,000 subscribed organisations — plan, current period,
  documents counted, tranche, amount so far, next renewal — read in ONE query (the current period's usage
  is a filtered LEFT JOIN) and written as the operator's CSV, on PostgreSQL (BENCH_DATABASE_URL, a database
  of its own, filled with bulk inserts). Target ≤ 10 s. The slowest of 5 runs is reported, with the median.
  Skipped, and said, when no server answers.

Run: `FACTURIER_DATA_DIR=$(mktemp -d) .venv/bin/python bench/operator_metering.py`
"""

from __future__ import annotations

import json
import os
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "facturier.config.settings")
os.environ.setdefault("FACTURIER_TASKS", "database")

import django

django.setup()

RESULTS = Path(__file__).resolve().parent / "results"
PG_URL = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/facturier_bench_operator")
ORGANISATIONS = int(os.environ.get("BENCH_OPERATOR_ORGS", "10000"))
BATCH = 2000


def _pg_reset() -> bool:
    from _pg import fresh_database

    return fresh_database(PG_URL, "metering_10k_orgs_s")


def _fill() -> float:
    """10,000 organisations, each subscribed to one of three plans on its own anniversary, with its current
    period's count (0 to 3,000 documents: free tier, first and later tranches) and two past periods."""
    import datetime as dt
    from decimal import Decimal

    from django.db import connection

    from facturier.accounts.models import Organisation
    from facturier.billing.models import PeriodUsage, Plan, Subscription
    from facturier.billing.periods import next_period, period_of, tranches_for

    rng = random.Random(16)
    t0 = time.perf_counter()
    plans = [Plan.objects.create(name=name, base_price=Decimal(base), tranche_price=Decimal(price))
             for name, base, price in (("Découverte", "0", "90"), ("Essentiel", "19", "80"), ("Intégral", "49", "70"))]
    today = dt.date(2026, 12, 6)
    for first in range(0, ORGANISATIONS, BATCH):
        organisations = Organisation.objects.bulk_create(
            Organisation(slug=f"bench-{i:05d}", name=f"Entreprise {i:05d}")
            for i in range(first, min(first + BATCH, ORGANISATIONS)))
        subscriptions, usages = [], []
        for organisation in organisations:
            plan = plans[rng.randrange(3)]
            anniversary = dt.date(2024, 1, 1) + dt.timedelta(days=rng.randrange(700))
            start, end = period_of(anniversary, 1, today)
            subscriptions.append(Subscription(organisation=organisation, plan=plan, anniversary=anniversary,
                                              period_start=start, period_end=end))
        Subscription.objects.bulk_create(subscriptions)
        for subscription in subscriptions:
            start, end = period_of(subscription.anniversary, 1, today - dt.timedelta(days=70))
            for _ in range(3):  # two closed periods, then the current one
                count = rng.choice((0, rng.randrange(11), rng.randrange(3000)))
                usages.append(PeriodUsage(subscription=subscription, plan=subscription.plan, period_start=start,
                                          period_end=end, count=count,
                                          tranche=tranches_for(count, included=10, size=900)))
                if end >= today:
                    break
                start, end = next_period(subscription.anniversary, 1, end)
        PeriodUsage.objects.bulk_create(usages)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return time.perf_counter() - t0


def pg_child() -> None:
    """Runs with DATABASE_URL = the benchmark database: fill, then read the statement five times."""
    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from facturier.billing.operator_billing import statement_csv, usage_statement

    call_command("migrate", verbosity=0, interactive=False)
    fill_s = _fill()
    samples = []
    for _ in range(5):
        with CaptureQueriesContext(connection) as queries:
            t = time.perf_counter()
            rows = usage_statement()
            csv = statement_csv(rows)
            samples.append(time.perf_counter() - t)
    assert len(rows) == ORGANISATIONS and csv.count("\n") == ORGANISATIONS + 1
    print(json.dumps({"metering_10k_orgs_s": round(max(samples), 3),
                      "metering_10k_orgs_s_median": round(statistics.median(samples), 3),
                      "metering_10k_orgs_queries": len(queries), "metering_10k_orgs_count": len(rows),
                      "metering_10k_orgs_database": "postgresql", "metering_10k_orgs_fill_s": round(fill_s, 1),
                      "metering_10k_orgs_amount_eur": str(sum(r.amount for r in rows))}))


def run() -> dict:
    if not _pg_reset():
        return {"metering_10k_orgs_s_note": "PostgreSQL not reachable: not measured"}
    env = {**os.environ, "DATABASE_URL": PG_URL}
    child = subprocess.run([sys.executable, __file__, "--pg"], env=env, capture_output=True, text=True,
                           check=False, timeout=3600)
    if child.returncode != 0:
        raise SystemExit(f"PostgreSQL metering benchmark failed:\n{child.stderr[-3000:]}")
    return json.loads(child.stdout.strip().splitlines()[-1])


def main() -> None:
    if "--pg" in sys.argv:
        pg_child()
        return
    results = run()
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / "operator.json"
    merged = {**(json.loads(path.read_text()) if path.exists() else {}), **results}  # keep the termination keys
    path.write_text(json.dumps(merged, indent=2, sort_keys=True) + "\n")
    print(json.dumps(results))


if __name__ == "__main__":
    main()
