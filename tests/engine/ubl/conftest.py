"""Fixtures for the UBL tests: the official examples, read in place, and the referee.

The official material lives in ../shared/conformance next to the repository and is never
copied into it; without it the conformance tests skip with the reason.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

SHARED = Path(__file__).resolve().parents[3] / ".." / "shared"
CONFORMANCE = SHARED / "conformance"
ORACLE = SHARED / "tools" / "einvoice-oracle" / "einvoice-oracle"


def official_ubl_examples() -> list[Path]:
    """Every official UBL invoice or credit note under ../shared/conformance."""
    if not CONFORMANCE.is_dir():
        return []
    en = CONFORMANCE / "en16931-1.3.16" / "examples"
    files = [
        *sorted((en / "ubl").glob("*")),
        *sorted((en / "ubl-testfiles").glob("*.xml")),
        *sorted((CONFORMANCE / "xrechnung-3.0.2" / "instances").rglob("*_ubl.xml")),
        *sorted((CONFORMANCE / "facturx-lib-fixtures" / "xml").glob("ubl-*.xml")),
    ]
    return [f for f in files if f.is_file()]


def example_id(path: Path) -> str:
    return str(path.resolve().relative_to(CONFORMANCE.resolve())) if CONFORMANCE.is_dir() else path.name


def require_conformance() -> None:
    if not CONFORMANCE.is_dir():
        pytest.skip(f"official conformance material not found at {CONFORMANCE}")


def run_oracle(files: list[Path]) -> dict[str, dict]:
    """Judge ``files`` with the referee in one subprocess; reports keyed by resolved path."""
    if not ORACLE.is_file():
        pytest.skip(f"the referee einvoice-oracle is not available at {ORACLE}")
    if not files:
        return {}
    proc = subprocess.run(
        [str(ORACLE), "--json", *map(str, files)], capture_output=True, text=True, timeout=1800, check=False
    )
    reports: dict[str, dict] = {}
    for line in proc.stdout.splitlines():
        line = line.strip()
        if line.startswith("{"):
            rep = json.loads(line)
            reports[str(Path(rep["file"]).resolve())] = rep
    missing = [f for f in files if str(f.resolve()) not in reports]
    assert not missing, f"the referee judged nothing for {missing[:3]} (rc={proc.returncode}): {proc.stderr[-2000:]}"
    return reports


def fatal_findings(report: dict) -> list[str]:
    return [
        f"{r['artefact']}:{f['id']}: {f['text'][:200]}"
        for r in report["results"]
        for f in r["findings"]
        if f["flag"] == "fatal"
    ]
