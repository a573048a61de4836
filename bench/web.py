"""Benchmark: the dashboard with many documents, and the editor's recompute round trip.

Writes bench/results/web.json:
- dashboard_p95_ms_sqlite_200k: a filtered dashboard page rendered server-side (Django test
  client, full middleware and template), 200,000 documents in SQLite (bulk_create).
- dashboard_p95_ms_pg_1m: the same with 1,000,000 documents on PostgreSQL, when
  FACTURIER_BENCH_PG_URL (or the local server at 127.0.0.1:5432) is reachable; it creates and
  drops its own database.
- recompute_p95_ms: the editor's htmx POST that totals 10 typed lines without saving.

Each measurement runs in a child process with its own data directory and database, since
settings are read once at start. `--sqlite-docs N` / `--pg-docs N` change the volumes.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"
PG_URL = os.environ.get("FACTURIER_BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432/postgres")
QUERIES = [
    {},  # default: newest first, any date
    {"status": "unpaid", "sort": "-date"},
    {"customer": "C01", "sort": "-amount"},
    {"period": "year", "kind": "invoice", "sort": "due"},
    {"amount_min": "100", "amount_max": "250", "sort": "-date"},
    {"status": "paid", "sort": "number"},
]


def p95(samples: list[float]) -> float:
    samples = sorted(samples)
    return round(samples[min(len(samples) - 1, int(round(0.95 * (len(samples) - 1))))] * 1000, 2)


def child(documents: int, runs: int) -> dict:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "facturier.config.settings")
    import django

    django.setup()
    import datetime as dt
    from decimal import Decimal

    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection, transaction
    from django.test import Client

    settings.ALLOWED_HOSTS = ["*"]
    call_command("migrate", verbosity=0)
    from facturier.accounts.models import User
    from facturier.accounts.services import organisation_create
    from facturier.invoicing.models import Document, Kind, Series, State
    from facturier.parties.models import Customer

    user = User.objects.create_user("bench@facturier.test", "bench", language="fr")
    org = organisation_create(slug="bench", name="Bench", effective_from=dt.date(2020, 1, 1), owner=user, legal=dict(
        legal_name="Bench SAS", siren="884123456", siret="88412345600011", address_line1="1 rue",
        postcode="69001", city="Lyon"))
    series = Series.objects.create(organisation=org, code="FA", name="Factures", prefix="FA-")
    credit_series = Series.objects.create(organisation=org, code="AV", name="Avoirs", prefix="AV-")
    customers = Customer.objects.bulk_create([Customer(organisation=org, code=f"C{i:04d}", name=f"Client {i}")
                                              for i in range(500)])
    states = [State.PAID] * 6 + [State.ISSUED] * 2 + [State.PARTIALLY_PAID, State.DRAFT]
    start = dt.date(2020, 1, 1)
    t0 = time.perf_counter()
    batch = []
    for i in range(documents):
        state = states[i % len(states)]
        credit = i % 17 == 0
        amount = Decimal(50 + (i * 7919) % 5000) / 4
        issued = state != State.DRAFT
        day = start + dt.timedelta(days=(i * 2191) // documents)
        batch.append(Document(
            organisation=org, kind=Kind.CREDIT_NOTE if credit else Kind.INVOICE, state=state,
            series=credit_series if credit else series, number_value=i + 1 if issued else None,
            number=f"{'AV' if credit else 'FA'}-{i + 1:07d}" if issued else "", issue_date=day if issued else None,
            due_date=day + dt.timedelta(days=30) if issued else None, customer=customers[i % len(customers)],
            payable=amount, tax_inclusive=amount, amount_due=Decimal(0) if state == State.PAID else amount))
        if len(batch) == 5000:
            with transaction.atomic():
                Document.objects.bulk_create(batch)
            batch = []
    if batch:
        Document.objects.bulk_create(batch)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    load_s = time.perf_counter() - t0
    client = Client()
    client.force_login(user)
    client.get("/")  # warm up: templates, translations, first connection
    samples, per_query = [], {}
    for query in QUERIES:
        mine = []
        for _ in range(runs):
            t = time.perf_counter()
            response = client.get("/", query)
            mine.append(time.perf_counter() - t)
            assert response.status_code == 200, response.status_code
        # a next page too: the keyset cursor of the first page
        found = re.search(r'after=([^"&]+)"', response.content.decode())
        cursor = urllib.parse.unquote(found.group(1)) if found else None
        if cursor:
            for _ in range(runs // 2):
                t = time.perf_counter()
                client.get("/", {**query, "after": cursor})
                mine.append(time.perf_counter() - t)
        per_query["&".join(f"{k}={v}" for k, v in query.items()) or "default"] = p95(mine)
        samples.extend(mine)
    lines = {"kind": "invoice"}
    for i in range(10):
        lines.update({f"line-{i}-name": f"Prestation {i}", f"line-{i}-quantity": str(i + 1),
                      f"line-{i}-unit_price": "85,50", f"line-{i}-vat_category": "S",
                      f"line-{i}-vat_rate": "20" if i % 3 else "5.5", f"line-{i}-unit": "HUR",
                      f"line-{i}-discount_percent": "0"})
    client.post("/documents/recompute/", lines, HTTP_HX_REQUEST="true")
    recompute = []
    for _ in range(runs * 4):
        t = time.perf_counter()
        response = client.post("/documents/recompute/", lines, HTTP_HX_REQUEST="true")
        recompute.append(time.perf_counter() - t)
        assert response.status_code == 200
    return {"dashboard_p95_ms": p95(samples), "per_query_p95_ms": per_query, "recompute_p95_ms": p95(recompute),
            "load_s": round(load_s, 1), "documents": documents, "database": connection.vendor}


def run_child(documents: int, runs: int, database_url: str | None) -> dict:
    env = {**os.environ, "FACTURIER_DATA_DIR": tempfile.mkdtemp(prefix="bench-web-"), "FACTURIER_TASKS": "immediate",
           "FACTURIER_LOG_LEVEL": "error"}
    env.pop("DATABASE_URL", None)
    if database_url:
        env["DATABASE_URL"] = database_url
    out = subprocess.run([sys.executable, __file__, "--child", str(documents), str(runs)], env=env,
                         capture_output=True, text=True, check=False)
    if out.returncode != 0:
        raise RuntimeError(out.stderr[-3000:])
    return json.loads(out.stdout.strip().splitlines()[-1])


def pg_database(name: str):
    """Create a scratch PostgreSQL database; returns its URL and a function that drops it."""
    import psycopg

    with psycopg.connect(PG_URL.replace("postgres://", "postgresql://"), autocommit=True, connect_timeout=3) as c:
        c.execute(f'DROP DATABASE IF EXISTS "{name}"')
        c.execute(f'CREATE DATABASE "{name}"')
    base = PG_URL.rsplit("/", 1)[0]

    def drop():
        with psycopg.connect(PG_URL.replace("postgres://", "postgresql://"), autocommit=True) as c:
            c.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    return f"{base}/{name}", drop


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sqlite-docs", type=int, default=200_000)
    parser.add_argument("--pg-docs", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--no-pg", action="store_true")
    args = parser.parse_args()
    results: dict = {}
    sqlite = run_child(args.sqlite_docs, args.runs, None)
    results["dashboard_p95_ms_sqlite_200k"] = sqlite["dashboard_p95_ms"]
    results["recompute_p95_ms"] = sqlite["recompute_p95_ms"]
    results["sqlite"] = sqlite
    if not args.no_pg:
        try:
            url, drop = pg_database("facturier_bench_web")
        except Exception as e:  # noqa: BLE001 — no server here: say so in the results
            results["dashboard_p95_ms_pg_1m"] = None
            results["pg_skipped"] = f"{type(e).__name__}: {e}"
        else:
            try:
                pg = run_child(args.pg_docs, args.runs, url)
                results["dashboard_p95_ms_pg_1m"] = pg["dashboard_p95_ms"]
                results["recompute_p95_ms_pg"] = pg["recompute_p95_ms"]
                results["pg"] = pg
            finally:
                drop()
    results["python"] = sys.version.split()[0]
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "web.json").write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        print(json.dumps(child(int(sys.argv[2]), int(sys.argv[3]))))
    else:
        main()
