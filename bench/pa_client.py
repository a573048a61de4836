"""Benchmark: the approved-platform client against the PA simulator (no outbox; pa-send's bench/platform.py
measures the outbox). Writes bench/results/pa_client.json:
- pa_client_submit_per_s: POST /v1/flows (multipart flowInfo + a 9 KB CII file, SHA-256) through one
  FlowClient (private-address policy, pinned connections, keep-alive, cached OAuth2 token), BENCH_PA_COUNT
  (500) flows, the simulator in its own process;
- pa_simulator_check_per_s: the simulator's reception checks (XSD, invoice read, directory) and the first
  status (CDAR written by facturier.engine.cdar) for those flows, from the first submission to the last
  acknowledgement;
- pa_client_search_page_ms_p50: one POST /v1/flows/search page of 100 flows, read into Flow objects.
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
os.environ["FACTURIER_DATA_DIR"] = tempfile.mkdtemp(prefix="facturier-bench-pa-")
os.environ.pop("DATABASE_URL", None)
os.environ["FACTURIER_OUTBOUND_ALLOW_PRIVATE_HOSTS"] = "true"

import django  # noqa: E402

django.setup()

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
COUNT = int(os.environ.get("BENCH_PA_COUNT", "500"))
SAMPLE = ROOT / "conformance" / "en16931-1.3.16" / "examples" / "cii" / "CII_example4.xml"


def _simulator(port_out, ready) -> None:
    from facturier.platforms.simulator import start_simulator

    sim = start_simulator(clients={"bench": "bench-secret"}, status_delay=0.0, validation="schema")
    port_out.value = sim.port
    ready.set()
    while True:
        time.sleep(3600)


def _connection(base_url: str):
    from facturier.platforms.models import Platform, PlatformConnection, sealed_for

    platform = Platform(pk=1, name="bench", flow_url=f"{base_url}/flow-service",
                        directory_url=f"{base_url}/directory-service", auth_kind="oauth2",
                        token_url=f"{base_url}/auth/token")
    connection = PlatformConnection(pk=1, platform=platform, client_id="bench", organization_id="bench")
    connection.client_secret = sealed_for(connection, "client_secret", b"bench-secret")
    return connection


def run() -> dict:
    from facturier.platforms.client import FlowClient

    port, ready = multiprocessing.Value("i", 0), multiprocessing.Event()
    process = multiprocessing.Process(target=_simulator, args=(port, ready), daemon=True)
    process.start()
    ready.wait(60)
    data = SAMPLE.read_bytes()
    try:
        with FlowClient(_connection(f"http://127.0.0.1:{port.value}")) as flows:
            flows.health()  # the token
            start = time.perf_counter()
            for i in range(COUNT):
                flows.submit(file_name=f"bench-{i}.xml", data=data, flow_syntax="CII", processing_rule="B2B",
                             tracking_id=f"bench-{i}")
            submit_s = time.perf_counter() - start
            while sum(1 for _ in flows.search_all(flow_types=["CustomerInvoiceLC"], limit=100)) < COUNT:
                time.sleep(0.05)
            checked_s = time.perf_counter() - start
            pages = []
            for _ in range(20):
                t = time.perf_counter()
                flows.search(directions=["Out"], limit=100)
                pages.append((time.perf_counter() - t) * 1000)
    finally:
        process.terminate()
    return {"pa_client_submit_per_s": round(COUNT / submit_s, 1),
            "pa_simulator_check_per_s": round(COUNT / checked_s, 1),
            "pa_client_search_page_ms_p50": round(statistics.median(pages), 2),
            "flows": COUNT, "load_1min": os.getloadavg()[0]}


if __name__ == "__main__":
    results = run()
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "pa_client.json").write_text(json.dumps(results, indent=2) + "\n")
    json.dump(results, sys.stdout, indent=2)
    print()
