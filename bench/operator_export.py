"""Termination export: full offline verification of a 10,000-file export (issue 16, S1.10).

    .venv/bin/python bench/operator_export.py [--files 10000] [--size 20000] [--runs 3]

In a temporary data directory (SQLite), archives `--files` files of `--size` bytes through the
real ingest (encryption, built-in RFC 3161 time stamps, journal), produces the termination export
(`archive.full_export`), then runs the export's own `verify.py` on the ZIP in a clean
`python3 -m venv` (no package: the standard library only), `--runs` times. The figures are the
best wall-clock time of the verification (`verify_export_10k_s`) and the largest peak resident
memory of the verifying process (`verify_export_10k_peak_mb`: its VmHWM, read by the process
itself at exit). Keys are merged into bench/results/operator.json (other keys are kept).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results" / "operator.json"


def _setup(data_dir: str) -> None:
    os.environ["FACTURIER_DATA_DIR"] = data_dir
    os.environ["FACTURIER_TASKS"] = "immediate"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "facturier.config.settings")
    os.environ.setdefault("FACTURIER_LOG_LEVEL", "warning")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


# verify.py run from the ZIP itself; at exit, the process's own peak resident memory (VmHWM, reset at exec —
# unlike wait4's ru_maxrss, which would inherit this Django process's).
PROBE = ("import atexit, sys, zipfile\n"
         "atexit.register(lambda: sys.stderr.write(\n"
         "    [line for line in open('/proc/self/status') if line.startswith('VmHWM')][0]))\n"
         "exec(zipfile.ZipFile(sys.argv[1]).read('verify.py'))\n")


def _verify_once(python: Path, export: Path) -> tuple[float, float, str]:
    started = time.perf_counter()
    run = subprocess.run([str(python), "-I", "-c", PROBE, str(export), "--lang", "en"], capture_output=True,
                         text=True, check=False, env={"PATH": "/usr/bin:/bin"})
    seconds = time.perf_counter() - started
    if run.returncode != 0:
        raise SystemExit("verify.py failed:\n" + run.stdout[-3000:] + run.stderr[-3000:])
    peak_kb = int(run.stderr.rsplit("VmHWM:", 1)[1].split()[0])
    return seconds, peak_kb / 1024, run.stdout


def run(files: int = 10_000, size: int = 20_000, runs: int = 3) -> dict:
    with tempfile.TemporaryDirectory(prefix="bench-operator-export-") as data_dir:
        _setup(data_dir)
        from facturier.accounts.models import Organisation
        from facturier.archive.full_export import full_export
        from facturier.archive.models import ArtefactKind
        from facturier.archive.services import Artefact, archive_artefacts

        org = Organisation.objects.create(slug="bench-leaving", name="Bench Leaving")
        started = time.perf_counter()
        for start in range(0, files, 500):
            archive_artefacts(org, [Artefact(
                kind=ArtefactKind.FACTURX_PDF, filename=f"FA-{i:06d}.pdf",
                data=b"%PDF-1.7\n%" + str(i).encode() + os.urandom(size - 32) + b"\n%%EOF\n",
                reference=f"bench:{i}/facturx-pdf", number=f"FA-{i:06d}")
                for i in range(start, min(files, start + 500))])
        ingest_s = time.perf_counter() - started
        started = time.perf_counter()
        export = full_export(organisation=org, out=Path(data_dir) / "export.zip")
        export_s = time.perf_counter() - started
        venv = Path(data_dir) / "clean-venv"
        base = getattr(sys, "_base_executable", None) or sys.executable
        subprocess.run([base, "-m", "venv", "--without-pip", str(venv)], check=True)
        measures = [_verify_once(venv / "bin" / "python", export.path) for _ in range(runs)]
        if f"{files} archived file(s)" not in measures[0][2]:
            raise SystemExit("verify.py did not check every file:\n" + measures[0][2][-2000:])
        return {
            "verify_export_10k_s": round(min(m[0] for m in measures), 1),
            "verify_export_10k_s_runs": [round(m[0], 1) for m in measures],
            "verify_export_10k_peak_mb": round(max(m[1] for m in measures), 1),
            "verify_export_10k_files": files, "verify_export_file_kb": size // 1000,
            "verify_export_zip_mb": round(export.path.stat().st_size / 1e6, 1),
            "verify_export_build_s": round(export_s, 1), "verify_export_ingest_s": round(ingest_s, 1),
            "verify_export_load_1min": round(os.getloadavg()[0], 2),
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=10_000)
    parser.add_argument("--size", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT / "src"))
    figures = run(args.files, args.size, args.runs)
    merged = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    merged.update(figures)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(merged, indent=2) + "\n")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
