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
    heavy = sorted(m for m in ("asyncssh", "qrcode", "PIL", "typst", "pyhanko", "saxonche") if m in sys.modules)
    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    call_command("migrate", verbosity=0)
    from integration_import import RULE_SETS, _organisation, _pdfs

    from facturier.engine.validation import warm_up
    from facturier.imports.services import IncomingFile, import_files

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
                      "rss_mb": rss, "rss_batches": samples, "heavy_modules_after_setup": heavy,
                      "load": os.getloadavg()[0]}))


if __name__ == "__main__":
    main()
