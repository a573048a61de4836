"""Archive benchmarks: ingest, ingest with time-stamps, verify a 1,000,000-entry journal, export 10,000 files.

    .venv/bin/python bench/archive.py [--entries 1000000] [--export 10000]

Runs against SQLite in a temporary data directory (nothing of `var/` is touched). The 1M
journal is real rows in the database — 1,000,000 audit events and their 1,000,000 journal
records, chained and sealed by ten checkpoints — generated in memory and written with
`bulk_create` in batches, then verified by the same `archive_verify` as `facturier archive
verify`, in a child process whose own peak resident memory (VmHWM: the whole process, Python, Django and all) is the
figure reported.
The export child process is measured the same way. Results: bench/results/archive.json.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
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


def ingest(org, count: int, *, size: int, time_stamped: bool, offset: int = 0, batch: int = 0) -> float:
    """Documents per second through `archive_artefact` (one task per document, as in production), or
    through `archive_artefacts` in batches of `batch` (imports, backfills)."""
    from facturier.archive.models import ArtefactKind
    from facturier.archive.services import Artefact, archive_artefact, archive_artefacts

    artefacts = [Artefact(kind=ArtefactKind.FACTURX_PDF, filename=f"FA-{offset + i:06d}.pdf",
                          data=pdf_like(size, offset + i), reference=f"bench:{offset + i}/facturx-pdf",
                          number=f"FA-{i:06d}") for i in range(count)]
    started = time.perf_counter()
    if batch:
        for i in range(0, count, batch):
            archive_artefacts(org, artefacts[i:i + batch], time_stamped=time_stamped)
    else:
        for artefact in artefacts:
            archive_artefact(org, artefact, time_stamped=time_stamped)
    return count / (time.perf_counter() - started)


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
    started = time.perf_counter()
    if mode == "verify":
        from facturier.archive.verification import archive_verify

        report = archive_verify(org)
        result = {"seconds": time.perf_counter() - started, "entries": report.entries,
                  "problems": [str(p) for p in report.problems[:5]], "ok": report.ok}
    else:
        from facturier.archive.export import archive_export

        done = archive_export(organisation=org, out=Path(out))
        result = {"seconds": time.perf_counter() - started, "files": done.files, "bytes": done.bytes}
    result["peak_mb"] = peak_mb()
    print(json.dumps(result))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--export", type=int, default=10_000)
    parser.add_argument("--ingest", type=int, default=2000)
    parser.add_argument("--ingest-tsa", type=int, default=300)
    parser.add_argument("--only-ingest", action="store_true", help="re-measure ingest only, keep the other figures")
    args = parser.parse_args()
    data_dir = tempfile.mkdtemp(prefix="facturier-bench-archive-")
    setup(data_dir)
    results: dict[str, float | str] = json.loads(RESULTS.read_text()) if args.only_ingest and RESULTS.exists() else {}

    org = organisation("bench-ingest")
    ingest(org, 50, size=100_000, time_stamped=False, offset=10**7)  # warm-up: keys, caches
    results["ingest_per_s"] = round(ingest(org, args.ingest, size=100_000, time_stamped=False), 1)
    ingest(org, 10, size=100_000, time_stamped=True, offset=2 * 10**7)
    results["ingest_tsa_per_s"] = round(ingest(org, args.ingest_tsa, size=100_000, time_stamped=True,
                                               offset=10**6), 1)
    results["ingest_batch_per_s"] = round(ingest(org, args.ingest, size=100_000, time_stamped=False,
                                                 offset=4 * 10**7, batch=100), 1)
    print(f"ingest: {results['ingest_per_s']}/s without time-stamps ({results['ingest_batch_per_s']}/s in batches "
          f"of 100), {results['ingest_tsa_per_s']}/s with", flush=True)
    if args.only_ingest:
        RESULTS.write_text(json.dumps(results, indent=2) + "\n")
        print(json.dumps(results, indent=2))
        return

    export_org = organisation("bench-export")
    ingest(export_org, args.export, size=20_000, time_stamped=True, offset=3 * 10**7, batch=500)
    exported = child("export", data_dir, "bench-export", str(Path(data_dir) / "export.zip"))
    results["export_10k_s"] = round(exported["seconds"], 1)
    results["export_10k_peak_mb"] = exported["peak_mb"]
    results["export_10k_files"] = exported["files"]
    print(f"export: {exported}", flush=True)

    journal_org = organisation("bench-journal")
    results["generate_1m_s"] = round(generate_journal(journal_org, args.entries), 1)
    print(f"generated {args.entries} entries in {results['generate_1m_s']} s", flush=True)
    verified = child("verify", data_dir, "bench-journal")
    if not verified["ok"]:
        raise SystemExit(f"the generated journal does not verify: {verified['problems']}")
    results["verify_1m_s"] = round(verified["seconds"], 1)
    results["verify_1m_peak_mb"] = verified["peak_mb"]
    results["verify_1m_entries"] = verified["entries"]
    results["verify_1m_source"] = ("SQLite rows: 1M audit events + their journal records + checkpoint entries, "
                                   "bulk_create in batches of 10,000; verified by archive_verify")
    results["ingest_file_kb"] = 100
    results["export_file_kb"] = 20
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
