"""Benchmark of the REST API (part of bench/results/integration.json).

- `api_create_issue_p95_ms`: a 10-line draft created then issued through the API (two HTTP requests
  through Django's full stack: middleware, key check, rate count, idempotency record, services), on
  the embedded SQLite database. Target ≤ 40 ms.
- `api_list_p95_ms_pg_1m`: one page of 50 documents among 1,000,000 of one organisation, walking the
  keyset cursor, on PostgreSQL (BENCH_DATABASE_URL, a database of its own, filled with INSERT … SELECT
  generate_series). Target ≤ 50 ms. Skipped, and said, when no server answers.

Run: `FACTURIER_DATA_DIR=$(mktemp -d) .venv/bin/python bench/integration_api.py`
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "facturier.config.settings")
os.environ.setdefault("FACTURIER_TASKS", "database")
os.environ.setdefault("FACTURIER_API_RATE_LIMIT", "100000000")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"
PG_URL = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/facturier_bench_api")
PG_DOCUMENTS = int(os.environ.get("BENCH_API_PG_DOCUMENTS", "1000000"))
LINES = [{"name": f"Prestation {i}", "quantity": str(i + 1), "unit_price": "85.00", "vat_rate": "20"}
         for i in range(10)]


def p95_ms(samples: list[float]) -> float:
    return round(statistics.quantiles(samples, n=20)[18] * 1000, 3)


def _setup():
    from django.test import Client

    from facturier.accounts.models import Membership
    from facturier.api.keys import key_create
    from facturier.api.models import Scope
    from facturier.config.demo import demo_load

    demo_load()
    owner = Membership.objects.get(organisation__slug="demo", user__email="demo@facturier.test")
    _key, secret = key_create(by=owner, name="bench", scopes=list(Scope.values))
    client = Client(HTTP_HOST="localhost", HTTP_AUTHORIZATION=f"Bearer {secret}", HTTP_ACCEPT_LANGUAGE="en")
    return owner, client


def _post(client, path: str, body: dict):
    response = client.post(path, data=json.dumps(body), content_type="application/json",
                           HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4()))
    assert response.status_code in (200, 201), response.content[:500]
    return response.json()


def bench_create_issue(runs: int = 120, warmup: int = 10) -> dict[str, float]:
    """Through the API, and the same two services called directly (the baseline: what the API adds is
    the difference, which holds on a loaded machine where both slow down alike). Interleaved."""
    from facturier.invoicing.services import document_issue, draft_create

    owner, client = _setup()
    customer = owner.organisation.customers.first()
    samples, baseline = [], []
    for i in range(runs + warmup):
        t = time.perf_counter()
        draft = _post(client, "/api/v1/documents", {"customer_id": customer.pk, "lines": LINES})
        _post(client, f"/api/v1/documents/{draft['id']}/issue", {})
        elapsed = time.perf_counter() - t
        t = time.perf_counter()
        document_issue(by=owner, document_id=draft_create(by=owner, customer_id=customer.pk, lines=LINES).pk)
        if i >= warmup:
            samples.append(elapsed)
            baseline.append(time.perf_counter() - t)
    return {"api_create_issue_p95_ms": p95_ms(samples),
            "api_create_issue_p50_ms": round(statistics.median(samples) * 1000, 3),
            "services_create_issue_p95_ms": p95_ms(baseline),
            "services_create_issue_p50_ms": round(statistics.median(baseline) * 1000, 3),
            "api_create_issue_database": django.db.connection.vendor}


# --- PostgreSQL: list among 1,000,000 documents ---------------------------------------------------------


def _pg_reset() -> bool:
    from _pg import fresh_database

    return fresh_database(PG_URL, "api_list_p95_ms_pg_1m")


def pg_list_child() -> None:
    """Runs with DATABASE_URL = the benchmark database: fill, then page through the list."""
    from django.db import connection

    from facturier.invoicing.models import Document
    from facturier.invoicing.services import document_issue, draft_create

    call_command("migrate", verbosity=0, interactive=False)
    owner, client = _setup()
    customer = owner.organisation.customers.first()
    template = draft_create(by=owner, customer_id=customer.pk, lines=LINES[:1])
    document_issue(by=owner, document_id=template.pk)
    columns = [f.column for f in Document._meta.concrete_fields if f.column != "id"]
    varying = {"number_value": "t.number_value + g", "number": "'BENCH-' || g",
               "issue_date": "t.issue_date - (g %% 3000)", "payable": "t.payable + (g %% 997)",
               "amount_due": "t.amount_due + (g %% 997)"}
    select = ", ".join(varying.get(c, f"t.{c}") for c in columns)
    t0 = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO invoicing_document ({', '.join(columns)}) SELECT {select} "
                       f"FROM invoicing_document t, generate_series(1, %s) g WHERE t.id = %s",
                       [PG_DOCUMENTS - 1, template.pk])
        cursor.execute("ANALYZE invoicing_document")
    fill_s = time.perf_counter() - t0
    samples, cursor_value = [], ""
    for i in range(220):
        path = "/api/v1/documents?limit=50" + (f"&cursor={cursor_value}" if cursor_value else "")
        t = time.perf_counter()
        response = client.get(path)
        elapsed = time.perf_counter() - t
        assert response.status_code == 200, response.content[:500]
        page = response.json()
        assert len(page["items"]) == 50
        cursor_value = page["next_cursor"] if i % 40 else ""  # walk 40 pages, then start again
        if i >= 20:
            samples.append(elapsed)
    print(json.dumps({"api_list_p95_ms_pg_1m": p95_ms(samples), "api_list_p50_ms_pg_1m":
                      round(statistics.median(samples) * 1000, 3),
                      "api_list_documents_pg": Document.objects.filter(organisation=owner.organisation).count(),
                      "api_list_fill_s_pg": round(fill_s, 1)}))


def bench_pg_list() -> dict:
    if os.environ.get("BENCH_API_PG") == "0":
        return {"api_list_p95_ms_pg_1m_note": "BENCH_API_PG=0: not measured"}
    if not _pg_reset():
        return {"api_list_p95_ms_pg_1m_note": "PostgreSQL not reachable: not measured"}
    env = {**os.environ, "DATABASE_URL": PG_URL}
    run = subprocess.run([sys.executable, __file__, "--pg-list"], env=env, capture_output=True, text=True,
                         check=False, timeout=3600)
    if run.returncode != 0:
        raise SystemExit(f"PostgreSQL list benchmark failed:\n{run.stderr[-3000:]}")
    return json.loads(run.stdout.strip().splitlines()[-1])


def run() -> dict:
    call_command("migrate", verbosity=0, interactive=False)
    return {**bench_create_issue(), **bench_pg_list()}


def main() -> None:
    if "--pg-list" in sys.argv:
        pg_list_child()
        return
    results = run()
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / "integration.json"
    merged = {**(json.loads(path.read_text()) if path.exists() else {}), **results}
    path.write_text(json.dumps(merged, indent=2) + "\n")
    print(json.dumps(results))


if __name__ == "__main__":
    main()
