"""Archive benchmarks: ingest, ingest with time-stamps, verify a 1,000,000-entry journal, export 10,000 files.

    .venv/bin/python bench/archive.py [--entries 1000000] [--export 10000] [--runs 3]

Runs against SQLite in a temporary data directory (nothing of `var/` is touched).

Ingest is `archive_artefact`, the path every issued document takes (one call per file:
fingerprint, encrypt, store with an fsync, chain in the journal, one transaction), on
100 KB files; `ingest_batch_per_s` is `archive_artefacts` (imports and backfills), which
stores a batch's blobs concurrently. Each ingest run is followed by the peer baseline: a
bare write + fsync of a 100 KB file on the same file system, the floor of one durable
store on this disk. CPU per document is the process's CPU time over the run.

The 1M journal is real rows in the database — 1,000,000 audit events and their 1,000,000
journal records, chained and sealed by ten checkpoints — generated in memory and written
with `bulk_create` in batches, then verified by the same `archive_verify` as `facturier
archive verify`, in a child process whose own peak resident memory (VmHWM: the whole
process, Python, Django and all) is the figure reported. The export child process is
measured the same way; `child_baseline_peak_mb` is such a child that only starts Django.

The machine is shared: every timed step runs `--runs` times; the best run is the figure,
`*_runs` the spread, and the load average before and after says how busy the machine was.
Results: bench/results/archive.json.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results" / "archive.json"


def setup(data_dir: str) -> None:
    os.environ["FACTURIER_DATA_DIR"] = data_dir
    os.environ["FACTURIER_TASKS"] = "immediate"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "facturier.config.settings")
    os.environ.setdefault("FACTURIER_LOG_LEVEL", "warning")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def organisation(slug: str):
    from facturier.accounts.models import Organisation

    return Organisation.objects.get_or_create(slug=slug, defaults={"name": slug.title()})[0]


def pdf_like(size: int, i: int) -> bytes:
    body = os.urandom(size - 64)
    return b"%PDF-1.7\n%" + str(i).encode().ljust(16, b" ") + body + b"\n%%EOF\n".ljust(64 - 26, b" ")


def ingest(org, count: int, *, size: int, time_stamped: bool, offset: int = 0, batch: int = 0
           ) -> tuple[float, float]:
    """Documents per second through `archive_artefact` (one call per document, as in production), or
    through `archive_artefacts` in batches of `batch` (imports, backfills); and CPU ms per document."""
    from facturier.archive.models import ArtefactKind
    from facturier.archive.services import Artefact, archive_artefact, archive_artefacts

    artefacts = [Artefact(kind=ArtefactKind.FACTURX_PDF, filename=f"FA-{offset + i:06d}.pdf",
                          data=pdf_like(size, offset + i), reference=f"bench:{offset + i}/facturx-pdf",
                          number=f"FA-{offset + i:06d}") for i in range(count)]
    started, cpu = time.perf_counter(), time.process_time()
    if batch:
        for i in range(0, count, batch):
            archive_artefacts(org, artefacts[i:i + batch], time_stamped=time_stamped)
    else:
        for artefact in artefacts:
            archive_artefact(org, artefact, time_stamped=time_stamped)
    return count / (time.perf_counter() - started), (time.process_time() - cpu) * 1000 / count


def fsync_baseline_ms(directory: Path, count: int = 200, size: int = 100_000) -> float:
    """Peer baseline: median ms to create, write and fsync one `size`-byte file, nothing else."""
    directory.mkdir(parents=True, exist_ok=True)
    data, times = os.urandom(size), []
    for i in range(count):
        path = directory / f"{os.getpid()}-{time.monotonic_ns()}-{i}"
        started = time.perf_counter()
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o440)
        os.write(fd, data)
        os.fsync(fd)
        os.close(fd)
        times.append(time.perf_counter() - started)
        path.unlink()
    return round(statistics.median(times) * 1000, 2)


def generate_journal(org, entries: int, *, checkpoints: int = 10, batch: int = 10_000) -> float:
    """`entries` audit events and their chained journal records, sealed by `checkpoints` checkpoints."""
    from django.db import connection, transaction

    from facturier.archive.keys import builtin_timestamp, operator_key
    from facturier.archive.models import Checkpoint, JournalHead, JournalRecord, journal_id
    from facturier.archive.services import audit_metadata
    from facturier.audit.models import Event
    from facturier.engine.archive import Anchor, make_checkpoint, next_entry, payload_digest

    started = time.perf_counter()
    key = journal_id(org)
    head = JournalHead.objects.get_or_create(organisation=org)[0]
    previous = Anchor(head.seq, head.hash)
    first_event = (Event.objects.order_by("-id").values_list("id", flat=True).first() or 0) + 1
    period = entries // checkpoints
    signer = operator_key()
    last_checkpoint = None
    number = Checkpoint.objects.filter(organisation=org).count()
    period_entries = []
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA synchronous=OFF")
    produced = 0
    while produced < entries:
        n = min(batch, entries - produced)
        events, records = [], []
        for i in range(produced, produced + n):
            events.append(Event(id=first_event + i, organisation=org, actor_label="bench", action="document.send",
                                subject_type="invoicing.document", subject_id=str(i), subject_label=f"FA-{i:07d}"))
        # bulk_create inserts without signals (the journal records are made here) and sets each `at`.
        with transaction.atomic():
            Event.objects.bulk_create(events, batch_size=2000)
        for event in events:
            entry = next_entry(previous, kind="audit", organisation=key, subject=f"audit:{event.id}",
                               payload_digest=payload_digest(audit_metadata(event)), recorded_at=event.at)
            records.append(JournalRecord(organisation=org, seq=entry.seq, kind=entry.kind, subject=entry.subject,
                                         payload_digest=entry.payload_digest, prev_hash=entry.prev_hash,
                                         entry_hash=entry.entry_hash, recorded_at=entry.recorded_at))
            previous = entry
            period_entries.append(entry)
            if len(period_entries) >= period:
                sealed = make_checkpoint(period_entries, signer=signer, timestamp=builtin_timestamp, journal=key,
                                         previous=last_checkpoint, sealed_at=entry.recorded_at)
                number += 1
                last_checkpoint = sealed
                period_entries = []
                fields = sealed.journal_entry_fields(organisation=key)
                cp_entry = next_entry(previous, kind=fields["kind"], organisation=key, subject=fields["subject"],
                                      payload_digest=fields["payload_digest"], ref=fields["ref"],
                                      recorded_at=entry.recorded_at)
                records.append(JournalRecord(organisation=org, seq=cp_entry.seq, kind=cp_entry.kind,
                                             subject=cp_entry.subject, payload_digest=cp_entry.payload_digest,
                                             prev_hash=cp_entry.prev_hash, entry_hash=cp_entry.entry_hash,
                                             recorded_at=cp_entry.recorded_at, ref=cp_entry.ref))
                previous = cp_entry
                period_entries.append(cp_entry)
                with transaction.atomic():
                    Checkpoint.from_sealed(org, sealed).save()
        with transaction.atomic():
            JournalRecord.objects.bulk_create(records, batch_size=2000)
        produced += n
    with transaction.atomic():
        JournalHead.objects.filter(organisation=org).update(seq=previous.seq, hash=previous.entry_hash,
                                                            recorded_at=previous.recorded_at)
    return time.perf_counter() - started


def child(mode: str, data_dir: str, slug: str, out: str | None = None) -> dict:
    """Run one measured step in a fresh process; returns its figures and its peak memory."""
    code = (f"import sys; sys.path.insert(0, {str(ROOT / 'bench')!r}); import archive as b; "
            f"b.run_child({mode!r}, {data_dir!r}, {slug!r}, {out!r})")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False,
                         env={**os.environ, "FACTURIER_DATA_DIR": data_dir})
    if run.returncode != 0:
        raise SystemExit(f"{mode} failed:\n{run.stdout}\n{run.stderr[-4000:]}")
    return json.loads(run.stdout.strip().splitlines()[-1])


def peak_mb() -> float:
    """This process's peak resident memory (VmHWM: reset at exec, unlike ru_maxrss, which inherits the parent's)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def run_child(mode: str, data_dir: str, slug: str, out: str | None) -> None:
    setup(data_dir)
    org = organisation(slug)
    started, cpu = time.perf_counter(), time.process_time()
    if mode == "verify":
        from facturier.archive.verification import archive_verify

        report = archive_verify(org)
        result = {"seconds": time.perf_counter() - started, "entries": report.entries,
                  "problems": [str(p) for p in report.problems[:5]], "ok": report.ok}
    elif mode == "export":
        from facturier.archive.export import archive_export

        done = archive_export(organisation=org, out=Path(out))
        result = {"seconds": time.perf_counter() - started, "files": done.files, "bytes": done.bytes}
    else:  # baseline: Django and the archive's modules loaded, nothing done
        import facturier.archive.export
        import facturier.archive.verification  # noqa: F401

        result = {"seconds": 0.0}
    result["cpu_s"] = time.process_time() - cpu
    result["peak_mb"] = peak_mb()
    print(json.dumps(result))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--export", type=int, default=10_000)
    parser.add_argument("--ingest", type=int, default=2000)
    parser.add_argument("--ingest-tsa", type=int, default=300)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--only-ingest", action="store_true", help="re-measure ingest only, keep the other figures")
    args = parser.parse_args()
    data_dir = tempfile.mkdtemp(prefix="facturier-bench-archive-")
    try:
        run(args, data_dir)
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)  # 2.6 GB of blobs and database after a full run


def run(args: argparse.Namespace, data_dir: str) -> None:
    setup(data_dir)
    results: dict = json.loads(RESULTS.read_text()) if args.only_ingest and RESULTS.exists() else {}
    results.update({"runs": args.runs, "cpus": os.cpu_count(), "load_1min_before": round(os.getloadavg()[0], 2)})

    org = organisation("bench-ingest")
    ingest(org, 50, size=100_000, time_stamped=False, offset=10**7)  # warm-up: keys, caches
    ingest(org, 50, size=100_000, time_stamped=False, offset=10**7 + 50, batch=50)
    floor_dir = Path(data_dir) / "archive" / "fsync-baseline"
    single, single_cpu, batch, batch_cpu, floors = [], [], [], [], []
    for run in range(args.runs):
        rate, cpu = ingest(org, args.ingest, size=100_000, time_stamped=False, offset=run * 10**5)
        single.append(round(rate, 1))
        single_cpu.append(round(cpu, 2))
        floors.append(fsync_baseline_ms(floor_dir))
        rate, cpu = ingest(org, args.ingest, size=100_000, time_stamped=False, offset=4 * 10**7 + run * 10**5,
                           batch=100)
        batch.append(round(rate, 1))
        batch_cpu.append(round(cpu, 2))
        print(f"ingest run {run + 1}: {single[-1]}/s ({single_cpu[-1]} ms CPU per document), fsync of 100 KB "
              f"{floors[-1]} ms; batches of 100: {batch[-1]}/s ({batch_cpu[-1]} ms CPU)", flush=True)
    best = single.index(max(single))
    results.update({
        "ingest_per_s": single[best], "ingest_per_s_runs": single, "ingest_per_s_median": statistics.median(single),
        "ingest_cpu_ms_per_doc": min(single_cpu), "ingest_cpu_ms_per_doc_runs": single_cpu,
        "ingest_per_cpu_s": round(1000 / min(single_cpu), 1),
        "baseline_fsync_100kb_ms_p50": floors[best], "baseline_fsync_100kb_ms_p50_runs": floors,
        "ingest_batch_per_s": max(batch), "ingest_batch_per_s_runs": batch,
        "ingest_batch_cpu_ms_per_doc": min(batch_cpu), "ingest_batch_size": 100,
    })
    ingest(org, 10, size=100_000, time_stamped=True, offset=2 * 10**7)
    tsa = [round(ingest(org, args.ingest_tsa, size=100_000, time_stamped=True, offset=10**6 + run * 10**5)[0], 1)
           for run in range(args.runs)]
    results.update({"ingest_tsa_per_s": max(tsa), "ingest_tsa_per_s_runs": tsa})
    print(f"ingest with time-stamps: {tsa}/s", flush=True)
    results["ingest_file_kb"] = 100
    if args.only_ingest:
        results["load_1min_after"] = round(os.getloadavg()[0], 2)
        RESULTS.write_text(json.dumps(results, indent=2) + "\n")
        print(json.dumps(results, indent=2))
        return

    results["child_baseline_peak_mb"] = child("baseline", data_dir, "bench-export")["peak_mb"]
    export_org = organisation("bench-export")
    ingest(export_org, args.export, size=20_000, time_stamped=True, offset=3 * 10**7, batch=500)
    exports = []
    for run in range(args.runs):
        exports.append(child("export", data_dir, "bench-export", str(Path(data_dir) / f"export-{run}.zip")))
        print(f"export run {run + 1}: {exports[-1]}", flush=True)
    results.update({
        "export_10k_s": min(round(e["seconds"], 1) for e in exports),
        "export_10k_s_runs": [round(e["seconds"], 1) for e in exports],
        "export_10k_peak_mb": max(e["peak_mb"] for e in exports),
        "export_10k_peak_mb_runs": [e["peak_mb"] for e in exports],
        "export_10k_files": exports[0]["files"], "export_file_kb": 20,
    })

    journal_org = organisation("bench-journal")
    results["generate_1m_s"] = round(generate_journal(journal_org, args.entries), 1)
    print(f"generated {args.entries} entries in {results['generate_1m_s']} s", flush=True)
    verified = []
    for run in range(args.runs):
        verified.append(child("verify", data_dir, "bench-journal"))
        if not verified[-1]["ok"]:
            raise SystemExit(f"the generated journal does not verify: {verified[-1]['problems']}")
        print(f"verify run {run + 1}: {verified[-1]['seconds']:.1f} s, {verified[-1]['cpu_s']:.1f} s CPU, "
              f"{verified[-1]['peak_mb']} MB", flush=True)
    results.update({
        "verify_1m_s": min(round(v["seconds"], 1) for v in verified),
        "verify_1m_s_runs": [round(v["seconds"], 1) for v in verified],
        "verify_1m_cpu_s_runs": [round(v["cpu_s"], 1) for v in verified],
        "verify_1m_peak_mb": max(v["peak_mb"] for v in verified),
        "verify_1m_peak_mb_runs": [v["peak_mb"] for v in verified],
        "verify_1m_entries": verified[0]["entries"],
        "verify_1m_source": ("SQLite rows: 1M audit events + their journal records + checkpoint entries, "
                             "bulk_create in batches of 10,000; verified by archive_verify"),
        "load_1min_after": round(os.getloadavg()[0], 2),
    })
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
