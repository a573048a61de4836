"""Profile one importing process (not a benchmark): CPU ms per file, queries per file, RSS, cProfile.

`.venv/bin/python bench/profile_import.py [--files 60] [--profile out.prof]`; on PostgreSQL give
`DATABASE_URL` (the database is dropped and created afresh). Prints one JSON line.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

if "FACTURIER_DATA_DIR" not in os.environ:
    os.environ["FACTURIER_DATA_DIR"] = tempfile.mkdtemp(prefix="profile-import-")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "facturier.config.settings")
os.environ.setdefault("FACTURIER_TASKS", "database")
sys.path.insert(0, str(Path(__file__).resolve().parent))


def _rss_mb() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return round(int(line.split()[1]) / 1024, 1)
    return 0.0


def _instrument() -> dict[str, float]:
    """CPU time (`time.process_time()`, all threads: Saxon's included) spent in each step of an import, and
    its wall time ("[wall]": waits on the disk, on locks, on the other process included)."""
    import functools

    from facturier.archive import keys
    from facturier.archive import services as archive_services
    from facturier.engine import validation
    from facturier.engine.facturx import container, unpack
    from facturier.engine.validation import schematron
    from facturier.imports import reading, services

    spent: dict[str, float] = {}

    def wrap(module, name: str, label: str) -> None:
        original = getattr(module, name)
        spent[label] = spent[f"{label} [wall]"] = 0.0

        @functools.wraps(original)
        def timed(*a, **k):
            began, began_wall = time.process_time(), time.perf_counter()
            try:
                return original(*a, **k)
            finally:
                spent[label] += time.process_time() - began
                spent[f"{label} [wall]"] += time.perf_counter() - began_wall

        setattr(module, name, timed)

    wrap(services, "_import_one", "whole file (commit included)")
    wrap(reading, "read_file", "read (all)")
    wrap(container, "check_container", "read: container check")
    wrap(unpack, "unpack_facturx", "read: unpack")
    wrap(validation, "validate", "read: validate (XSD + rules)")
    wrap(schematron, "_run", "read: validate: Saxon rule sets")
    wrap(services, "_archive_prepare", "archive prepare (all)")
    wrap(keys, "builtin_timestamp", "archive prepare: time-stamps")
    wrap(archive_services, "put_blob", "archive prepare: store (in threads)")
    wrap(services, "_write", "write (all, in the transaction)")
    wrap(services, "_customer_for", "write: customer")
    wrap(services, "_document", "write: document + lines")
    wrap(archive_services, "artefacts_record", "write: archive journal")
    wrap(services, "audit_record", "write: audit + chain")
    wrap(services, "_save", "item save + on-commit receivers")
    return spent


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--files", type=int, default=60)
    parser.add_argument("--warm", type=int, default=10)
    parser.add_argument("--profile", default="")
    args = parser.parse_args()
    if os.environ.get("DATABASE_URL"):
        from _pg import fresh_database

        if not fresh_database(os.environ["DATABASE_URL"], "profile"):
            sys.exit(1)
    rss = {"start": _rss_mb()}
    import django

    django.setup()
    rss["django"] = _rss_mb()
    watched = ("asyncssh", "qrcode", "PIL", "typst", "pyhanko", "aiohttp", "saxonche")
    heavy = sorted(m for m in watched if m in sys.modules)
    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    call_command("migrate", verbosity=0)
    from integration_import import RULE_SETS, _organisation, _pdfs

    from facturier.engine.validation import warm_up
    from facturier.imports.services import IncomingFile, import_files

    phases = _instrument()
    files = _pdfs(args.files + args.warm)
    member = _organisation(f"profile-{os.getpid()}")
    rss["files_made"] = _rss_mb()
    warm_up(RULE_SETS)
    rss["warm"] = _rss_mb()

    def batch(chunk, at):
        return import_files(organisation=member.organisation, source="upload", by=member,
                            files=[IncomingFile(f"f{at + i}.pdf", d) for i, d in enumerate(chunk)])

    batch(files[:args.warm], 0)
    rss["after_warm_batch"] = _rss_mb()
    todo = files[args.warm:]
    profiler = None
    if args.profile:
        import cProfile

        profiler = cProfile.Profile()
    samples = []
    for k in phases:
        phases[k] = 0.0
    with CaptureQueriesContext(connection) as queries:
        cpu, wall = time.process_time(), time.perf_counter()
        if profiler:
            profiler.enable()
        for at in range(0, len(todo), 10):
            b = batch(todo[at:at + 10], args.warm + at)
            assert b.imported_count == len(todo[at:at + 10]), (b.imported_count, list(b.items.values("messages")))
            samples.append(_rss_mb())
        if profiler:
            profiler.disable()
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    if profiler:
        profiler.dump_stats(args.profile)
    print(json.dumps({"db": connection.vendor, "files": len(todo), "cpu_ms_per_file": round(1000 * cpu / len(todo), 1),
                      "wall_ms_per_file": round(1000 * wall / len(todo), 1),
                      "queries_per_file": round(len(queries.captured_queries) / len(todo), 1),
                      "cpu_ms_per_file_by_step": {k: round(1000 * v / len(todo), 2) for k, v in phases.items()},
                      "rss_mb": rss, "rss_batches": samples, "heavy_modules_after_setup": heavy,
                      "heavy_modules_after_import": sorted(m for m in watched if m in sys.modules),
                      "load": os.getloadavg()[0]}))


if __name__ == "__main__":
    main()
